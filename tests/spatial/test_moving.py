"""Moving sources: followed smoothly, without clicks; Doppler when asked."""

import numpy as np
import pytest

from see2sound import Scene
from see2sound.spatial import RenderOptions, render_scene
from tests.helpers import intensity_direction, noise, scene_dict, source, tone, write_wav

SR = 48000


def sweep_scene(folder, audio="noise.wav", duration=4.0, start=80.0, end=-80.0, d0=2.0, d1=2.0):
    src = source("s", start, 0.0, d0, audio=audio)
    src["trajectory"] = [{"t": 0.0, "azimuth_deg": start, "elevation_deg": 0.0, "distance_m": d0},
                         {"t": duration, "azimuth_deg": end, "elevation_deg": 0.0, "distance_m": d1}]
    return Scene.from_dict(scene_dict([src], duration=duration), base_dir=folder)


def test_foa_sweep_is_tracked_frame_by_frame(tmp_path):
    write_wav(tmp_path / "noise.wav", noise(4.0))
    audio, _ = render_scene(sweep_scene(tmp_path), RenderOptions(format="foa", room="none"))
    frame = SR // 20
    errors = []
    for k in range(2, audio.shape[1] // frame - 2):  # skip the edge fades
        az, _ = intensity_direction(audio[:, k * frame:(k + 1) * frame])
        expected = 80.0 - 160.0 * ((k + 0.5) * frame / SR) / 4.0
        errors.append(abs(az - expected))
    assert max(errors) < 3.0, max(errors)


@pytest.mark.parametrize("fmt", ["binaural", "foa", "5.1"])
def test_moving_tone_has_no_clicks_or_zipper_noise(tmp_path, fmt):
    write_wav(tmp_path / "tone.wav", tone(500.0, 4.0))
    scene = sweep_scene(tmp_path, audio="tone.wav", d0=1.0, d1=6.0)
    audio, _ = render_scene(scene, RenderOptions(format=fmt, room="none", loudness_lufs=None))
    body = audio[:, SR // 10:-SR // 10].astype(np.float64)  # without the edge fades
    spectrum = np.abs(np.fft.rfft(body * np.hanning(body.shape[1]), axis=1)) ** 2
    freqs = np.fft.rfftfreq(body.shape[1], 1 / SR)
    # A click or a stepped gain spreads energy far from 500 Hz; a glide does not.
    far = spectrum[:, freqs > 2000].sum() / spectrum.sum()
    assert far < 1e-6, far
    jumps = np.max(np.abs(np.diff(body, axis=1)))
    assert jumps < 1.5 * np.max(np.abs(body)) * 2 * np.pi * 500 / SR


def test_doppler_shifts_an_approaching_source_up(tmp_path):
    write_wav(tmp_path / "tone.wav", tone(1000.0, 4.0))
    scene = sweep_scene(tmp_path, audio="tone.wav", duration=3.0, start=0.0, end=0.0, d0=70.0, d1=10.0)
    audio, _ = render_scene(scene, RenderOptions(format="foa", room="none", doppler=True))
    w = audio[0, SR:2 * SR].astype(np.float64)
    n = 1 << 20
    peak = np.argmax(np.abs(np.fft.rfft(w * np.hanning(len(w)), n))) * SR / n
    expected = 1000.0 * 343.0 / (343.0 - 20.0)  # 60 m in 3 s
    assert abs(peak - expected) < 2.0, peak
    still, _ = render_scene(scene, RenderOptions(format="foa", room="none"))
    w = still[0, SR:2 * SR].astype(np.float64)
    assert abs(np.argmax(np.abs(np.fft.rfft(w * np.hanning(len(w)), n))) * SR / n - 1000.0) < 2.0
