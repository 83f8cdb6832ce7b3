"""Wide sources and the ambience bed: spread around their direction, decorrelated."""

import numpy as np
import pytest

from see2sound import Scene
from see2sound.spatial import RenderOptions, render_scene
from tests.helpers import intensity_direction, noise, scene_dict, source, write_wav


def foa(folder, spread, azimuth=40.0, **extra):
    data = scene_dict([source("s", azimuth, 0.0, 2.0, spread_deg=spread)], duration=2.0)
    data.update(extra)
    audio, _ = render_scene(Scene.from_dict(data, base_dir=folder), RenderOptions(format="foa", room="none"))
    return audio.astype(np.float64)


def directivity(audio):
    """|active intensity| / energy: 1 for a plane wave, near 0 for a diffuse field."""
    w, y, z, x = audio
    return np.linalg.norm([np.mean(w * x), np.mean(w * y), np.mean(w * z)]) / np.mean(w * w)


@pytest.fixture
def folder(tmp_path):
    write_wav(tmp_path / "noise.wav", noise(3.0))
    return tmp_path


def test_spread_widens_but_keeps_the_centre(folder):
    values = [directivity(foa(folder, s)) for s in (0, 60, 180, 360)]
    assert values[0] > 0.99
    assert values[0] > values[1] > values[2] > values[3]
    assert values[3] < 0.15
    az, _ = intensity_direction(foa(folder, 90))
    assert abs(az - 40.0) < 3.0


def test_binaural_spread_lowers_interaural_coherence(folder):
    def coherence(spread):
        data = scene_dict([source("s", 0.0, 0.0, 2.0, spread_deg=spread)], duration=2.0)
        left, right = render_scene(Scene.from_dict(data, base_dir=folder),
                                   RenderOptions(format="binaural", room="none"))[0].astype(np.float64)
        cc = np.fft.irfft(np.fft.rfft(left, 2 * len(left)) * np.conj(np.fft.rfft(right, 2 * len(left))))
        return np.max(np.abs(np.concatenate([cc[:48], cc[-48:]]))) / np.sqrt(np.sum(left ** 2) * np.sum(right ** 2))
    assert coherence(0) > 0.9
    assert coherence(120) < 0.6


def test_ambience_is_diffuse_and_under_the_sources(folder):
    data = scene_dict([], duration=2.0)
    data["ambience"] = {"kind": "outdoor-nature", "audio": {"path": "noise.wav", "gain_db": -12.0}}
    audio, report = render_scene(Scene.from_dict(data, base_dir=folder), RenderOptions(format="foa", room="none"))
    assert directivity(audio.astype(np.float64)) < 0.15
    assert abs(report.loudness_lufs + 23.0) < 0.5


@pytest.mark.slow
def test_long_stems_stream_from_disk_with_the_same_result(tmp_path, monkeypatch):
    from see2sound.spatial import renderer

    x = noise(61.0, seed=4)
    write_wav(tmp_path / "long.wav", x)
    src = source("s", 30, 0, 2.0, audio="long.wav")
    src["audio"]["loop"] = False
    src["trajectory"] = [{"t": 0, "azimuth_deg": 30, "elevation_deg": 0, "distance_m": 2},
                         {"t": 61, "azimuth_deg": -60, "elevation_deg": 10, "distance_m": 5}]
    scene = Scene.from_dict(scene_dict([src], duration=61.0), base_dir=tmp_path)
    options = RenderOptions(format="binaural", room="small", doppler=True)
    streamed, _ = render_scene(scene, options)
    assert isinstance(renderer.load_clips(scene, 48000, [])["s"], renderer.FileClip)
    monkeypatch.setattr(renderer, "STREAM_AFTER_S", 1e9)
    in_memory, _ = render_scene(Scene.from_dict(scene_dict([src], duration=61.0), base_dir=tmp_path), options)
    np.testing.assert_allclose(streamed, in_memory, atol=2e-6)
