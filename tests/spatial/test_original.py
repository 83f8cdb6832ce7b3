"""SEE-2-SOUND's own spatial step, reproduced with its flaws."""

import numpy as np
import pytest

from see2sound import Scene, See2SoundError
from see2sound.spatial import RenderOptions, render_scene
from tests.helpers import need, noise, scene_dict, source, write_wav

need("pyroomacoustics", "original")


def render(tmp_path, azimuth):
    write_wav(tmp_path / "noise.wav", noise(2.0))
    scene = Scene.from_dict(scene_dict([source("s", azimuth, 0, 3.0)], duration=2.0), base_dir=tmp_path)
    audio, report = render_scene(scene, RenderOptions(format="5.1"), renderer="see2sound-original")
    return audio, report


def test_faithful_flaws_silent_front_right_and_almost_no_left_right(tmp_path):
    left, report = render(tmp_path, 30)
    right, _ = render(tmp_path, -30)
    assert left.shape == (6, 96000)
    assert np.max(np.abs(left[1])) == 0.0  # FR: its microphone is outside the room

    def level(a):
        return 10 * np.log10(np.mean(a.astype(np.float64) ** 2, axis=1) + 1e-30)

    change = np.abs(level(left) - level(right))[[0, 2, 3, 4, 5]]
    assert change[0] < 0.1  # L does not tell +30 from -30 at all
    assert change.max() < 3.0  # no channel moves by more than 3 dB (VBAP: over 60)
    assert "does not normalise" in report.measured_on


def test_only_five_one(tmp_path):
    write_wav(tmp_path / "noise.wav", noise(1.0))
    scene = Scene.from_dict(scene_dict([source("s", 0)], duration=1.0), base_dir=tmp_path)
    with pytest.raises(See2SoundError, match="5.1 only"):
        render_scene(scene, RenderOptions(format="binaural"), renderer="see2sound-original")
