"""The Python API of SPEC §5."""

import numpy as np

import see2sound
from tests.helpers import scene_file, source


def test_load_spatialize_save(tmp_path):
    path = scene_file(tmp_path, [source("a", -30), source("b", 100, 20, 4.0)], duration=1.25)
    scene = see2sound.Scene.load(path)
    audio, sr = see2sound.spatialize(scene, format="foa")
    assert sr == 48000 and audio.shape == (4, 60000) and audio.dtype == np.float32
    audio, sr = see2sound.spatialize(scene, format="7.1", sample_rate=44100)
    assert (sr, audio.shape) == (44100, (8, 55125))
    scene.save(tmp_path / "copy.json")
    assert see2sound.Scene.load(tmp_path / "copy.json") == scene


def test_same_scene_renders_the_same_samples(tmp_path):
    path = scene_file(tmp_path, [source("a", 10, spread_deg=90)], duration=1.0)
    scene = see2sound.Scene.load(path)
    first, _ = see2sound.spatialize(scene, room="medium")
    second, _ = see2sound.spatialize(see2sound.Scene.load(path), room="medium")
    np.testing.assert_array_equal(first, second)
