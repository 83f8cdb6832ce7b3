"""Stereo, 5.1 and 7.1: which loudspeakers a source comes out of, read from the rendered channels."""

import numpy as np
import pytest

from see2sound import Scene
from see2sound.spatial import RenderOptions, render_scene
from see2sound.formats import get_format
from tests.helpers import noise, scene_dict, source, write_wav


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("speakers")
    write_wav(path / "noise.wav", noise(2.0))
    return path


def channel_energy_db(folder, fmt, azimuth, distance=2.0, **options):
    scene = Scene.from_dict(scene_dict([source("s", azimuth, 0.0, distance)], duration=1.0), base_dir=folder)
    audio, _ = render_scene(scene, RenderOptions(format=fmt, room="none", **options))
    energy = np.sum(audio.astype(np.float64) ** 2, axis=1)
    with np.errstate(divide="ignore"):
        return dict(zip(get_format(fmt).labels, 10 * np.log10(energy / energy.max())))


@pytest.mark.parametrize("fmt, azimuth, channel", [
    ("5.1", 30, "L"), ("5.1", 0, "C"), ("5.1", -110, "Rs"), ("5.1", 110, "Ls"), ("5.1", -30, "R"),
    ("7.1", 90, "Ls"), ("7.1", -150, "Rb"), ("7.1", 0, "C"), ("7.1", -30, "R"),
    ("stereo", 30, "L"), ("stereo", -90, "R"),
])
def test_source_on_a_loudspeaker_comes_out_of_it_alone(folder, fmt, azimuth, channel):
    levels = channel_energy_db(folder, fmt, azimuth)
    assert levels[channel] == 0.0
    others = [v for k, v in levels.items() if k != channel]
    assert max(others) < -60.0, levels


def test_between_two_loudspeakers_is_shared_and_ordered(folder):
    levels = channel_energy_db(folder, "5.1", 60)
    assert levels["L"] > -10 and levels["Ls"] > -10  # a phantom source between L and Ls
    assert levels["R"] < -60 and levels["C"] < -60
    stereo = channel_energy_db(folder, "stereo", 10)
    assert -6 < stereo["R"] < 0 == stereo["L"]


def test_lfe_is_silent_by_default_and_low_passed_on_request(folder):
    assert channel_energy_db(folder, "5.1", 0)["LFE"] == -np.inf
    scene = Scene.from_dict(scene_dict([source("s", 0, 0.0, 2.0)], duration=1.0), base_dir=folder)
    audio, _ = render_scene(scene, RenderOptions(format="5.1", room="none", lfe=True))
    spectrum = np.abs(np.fft.rfft(audio[3]))
    freqs = np.fft.rfftfreq(audio.shape[1], 1 / 48000)
    assert spectrum[freqs > 1000].sum() < 1e-3 * spectrum[freqs < 100].sum()
