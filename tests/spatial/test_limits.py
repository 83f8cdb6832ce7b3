"""Scene limits and bounded memory: absurd numbers are refused by path, sounds are decoded once,
and sounds beyond the memory budget are read from temporary files with the same result."""

import json
import time

import numpy as np
import pytest

from see2sound.errors import See2SoundError
from see2sound.scene import MAX_SOURCES, Position, Scene
from see2sound.spatial import RenderOptions, render_scene
from see2sound.spatial import renderer as renderer_module
from tests.helpers import intensity_direction, noise, scene_dict, source, write_wav


@pytest.mark.parametrize("field, value, message", [
    ("distance_m", 1e39, "sources[0].position.distance_m: must be at most 10000"),
    ("gain_db", 1e300, "sources[0].audio.gain_db: must be at most 60"),
    ("offset_s", 1e300, "sources[0].audio.offset_s: must be at most 3600"),
    ("duration_s", 1e9, "duration_s: must be at most 3600"),
    ("box", [0, 0, float("inf"), 1], "sources[0].box: must be finite"),
])
def test_numbers_beyond_the_limits_are_refused_by_their_path(field, value, message):
    doc = scene_dict([source("a", 0)], duration=1.0)
    target = {"distance_m": doc["sources"][0]["position"], "gain_db": doc["sources"][0]["audio"],
              "offset_s": doc["sources"][0]["audio"], "duration_s": doc, "box": doc["sources"][0]}[field]
    target[field] = value
    with pytest.raises(See2SoundError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Scene.from_dict(json.loads(json.dumps(doc)))


def test_ten_thousand_sources_are_refused_at_once():
    doc = scene_dict([source(f"s{i}", i % 360 - 180) for i in range(10_000)], duration=600.0)
    text = json.dumps(doc)
    start = time.perf_counter()
    with pytest.raises(See2SoundError, match=f"10000 sources; a scene may have at most {MAX_SOURCES}"):
        Scene.from_dict(json.loads(text))
    assert time.perf_counter() - start < 2.0


def test_scenes_built_in_code_are_checked_before_rendering(tmp_path):
    write_wav(tmp_path / "noise.wav", noise(1.0))
    scene = Scene.from_dict(scene_dict([source("a", 0)], duration=0.5), base_dir=tmp_path)
    scene.sources[0].position = Position(0.0, 0.0, 1e39)
    with pytest.raises(See2SoundError, match=r"sources\[0\].position.distance_m: must be from"):
        render_scene(scene, RenderOptions(format="foa"))


def _scene(tmp_path):
    write_wav(tmp_path / "a.wav", noise(1.3, seed=1))
    write_wav(tmp_path / "b.wav", noise(2.9, seed=2))
    moving = {**source("m", 0, audio="b.wav"), "trajectory": [
        {"t": 0, "azimuth_deg": 60, "elevation_deg": 0, "distance_m": 3},
        {"t": 2, "azimuth_deg": -60, "elevation_deg": 10, "distance_m": 1}]}
    sources = [source("l1", 70, audio="a.wav"), {**source("l2", -70, audio="a.wav"), "audio": {
        "path": "a.wav", "gain_db": -6, "offset_s": 0.4}}, {**source("once", 150, audio="b.wav"),
        "audio": {"path": "b.wav", "loop": False, "offset_s": 0.5}}, moving]
    return Scene.from_dict(scene_dict(sources, duration=2.5), base_dir=tmp_path)


@pytest.mark.parametrize("fmt", ["binaural", "foa"])
def test_sounds_beyond_the_memory_budget_render_the_same_from_disk(tmp_path, monkeypatch, fmt):
    options = RenderOptions(format=fmt, room="small", doppler=True)
    in_memory, _ = render_scene(_scene(tmp_path), options)
    monkeypatch.setattr(renderer_module, "SOUNDS_IN_MEMORY_BYTES", 0)
    clips = renderer_module.load_clips(_scene(tmp_path), 48000, [])
    assert all(type(getattr(c, "base", c)).__name__ == "FileClip" for c in clips.values())
    from_disk, _ = render_scene(_scene(tmp_path), options)
    np.testing.assert_allclose(from_disk, in_memory, atol=1e-6)


def test_sources_sharing_a_file_share_its_samples(tmp_path):
    clips = renderer_module.load_clips(_scene(tmp_path), 48000, [])
    assert clips["l1"].data is clips["l2"].data  # one decode of a.wav
    assert clips["l2"].gain == pytest.approx(10 ** (-6 / 20)) and clips["l2"].offset == round(0.4 * 48000)
    assert clips["once"].data is not clips["m"].data  # b.wav looped and once are prepared differently


def test_many_sources_render_in_small_chunks_in_the_right_places(tmp_path, monkeypatch):
    monkeypatch.setattr(renderer_module, "CHUNK_BYTES", 1)  # one block a chunk
    write_wav(tmp_path / "noise.wav", noise(1.0))
    scene = Scene.from_dict(scene_dict([source("a", 120), source("b", 100)], duration=1.0), base_dir=tmp_path)
    audio, _ = render_scene(scene, RenderOptions(format="foa"))
    azimuth, _ = intensity_direction(audio)
    assert abs(azimuth - 110) < 5


def test_a_looped_sound_longer_than_the_scene_starts_as_recorded(tmp_path):
    write_wav(tmp_path / "long.wav", noise(3.0, seed=5))
    scene = Scene.from_dict(scene_dict([source("a", 0, audio="long.wav")], duration=1.0), base_dir=tmp_path)
    clip = renderer_module.load_clips(scene, 48000, [])["a"]
    recorded = noise(3.0, seed=5)
    # no loop seam folded into its first 50 ms: it never comes round within the scene
    np.testing.assert_allclose(clip.samples(0, 4800), recorded[:4800], atol=1e-4)
