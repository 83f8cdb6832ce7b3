"""SELD labels: STARSS23-style CSV in and out, a scene as labels and labels as a scene."""

import json
from pathlib import Path

import numpy as np
import pytest

from see2sound import Scene
from see2sound.errors import InputError, ParameterError
from see2sound.eval.seld import (
    STARSS23_CLASSES,
    ClassMap,
    format_csv,
    labels_scene,
    parse_csv,
    read_csv,
    read_labels,
    scene_labels,
    sidecar_path,
    write_labels,
)
from see2sound.scene import AudioRef

DATA = Path(__file__).resolve().parents[1] / "data" / "seld"
FIVE, SIX = DATA / "starss23.csv", DATA / "starss23_dist.csv"


def unit(az, el):
    az, el = np.radians(az), np.radians(el)
    return np.array([np.cos(az) * np.cos(el), np.sin(az) * np.cos(el), np.sin(el)])


def angle_deg(a, b):
    return float(np.degrees(np.arccos(np.clip(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b), -1, 1))))


def scene_of(sources, duration=2.0):
    return Scene.from_dict({"schema": "see2sound.scene/2", "duration_s": duration, "sources": sources})


def src(sid, label, az, el=0.0, d=2.0, **extra):
    return {"id": sid, "label": label, "position": {"azimuth_deg": az, "elevation_deg": el, "distance_m": d}, **extra}


# --- the CSV itself -----------------------------------------------------------

@pytest.mark.parametrize("path, columns", [(FIVE, 5), (SIX, 6)])
def test_a_starss23_csv_reads_and_writes_back_byte_identical(path, columns):
    labels = read_csv(path)
    assert len(labels) == 34 and labels.n_frames == 15
    assert (labels.distance_cm is None) == (columns == 5)
    # The first row, as written by hand: frame 0, maleSpeech, source 0, -33 deg, 2 deg (210 cm).
    assert (labels.frame[0], labels.class_index[0], labels.track[0]) == (0, 1, 0)
    assert (labels.azimuth_deg[0], labels.elevation_deg[0]) == (-33.0, 2.0)
    assert format_csv(labels) == path.read_text()


def test_the_two_fixtures_hold_the_same_events():
    five, six = read_csv(FIVE), read_csv(SIX)
    assert format_csv(six, distance=False) == format_csv(five)


@pytest.mark.parametrize("path, distance", [(FIVE, False), (SIX, True)])
def test_a_starss23_csv_through_a_scene_comes_back_byte_identical(path, distance):
    labels = read_csv(path)
    starss = ClassMap.starss23()
    scene = labels_scene(labels, starss)
    by_id = {s.id: s for s in scene.sources}
    # One source per run: speaker 1/0, domestic 5/0, bell 11/0 twice (a gap), female 0/0, speakers 1/1, 1/2.
    assert sorted(by_id) == ["bell-0", "bell-0:2", "domesticSounds-0", "femaleSpeech-0",
                             "maleSpeech-0", "maleSpeech-1", "maleSpeech-2"]
    assert by_id["bell-0"].active_s == pytest.approx((0.3, 0.5))
    assert by_id["bell-0:2"].active_s == pytest.approx((0.7, 0.9))
    assert by_id["bell-0"].label == "bell" and by_id["bell-0:2"].extra["seld_track"] == 0
    assert scene.duration_s == pytest.approx(1.5)
    if not distance:
        assert by_id["bell-0"].position.distance_m == 1.0  # no distance column: the default
    else:
        assert by_id["bell-0"].position.distance_m == pytest.approx(4.5)
    # And back, through JSON too (the scene file keeps seld_track).
    again = Scene.from_dict(json.loads(json.dumps(scene.to_dict())))
    assert format_csv(scene_labels(again, starss), distance=distance) == path.read_text()


def test_float_labels_are_written_as_asked():
    labels = parse_csv("0,2,0,12.25,-3.5,123.4\n")
    assert format_csv(labels) == "0,2,0,12,-4,123\n"  # integers, as STARSS23 (round half to even: -3.5 -> -4)
    assert format_csv(labels, decimals=1) == "0,2,0,12.2,-3.5,123.4\n"
    assert format_csv(labels, decimals=None) == "0,2,0,12.25,-3.5,123.4\n"
    assert format_csv(labels, distance=False) == "0,2,0,12,-4\n"


@pytest.mark.parametrize("text, message", [
    ("0,1,0,10\n", "5 or 6 columns"),
    ("0,1,0,10,0\n1,1,0,10,0,100\n", "6 columns after rows of 5"),
    ("0,1,0,ten,0\n1,1,0,10,0\n", "expected numbers"),
    ("0.5,1,0,10,0\n", "whole numbers"),
    ("0,1,0,10,95\n", r"outside \[-90, 90\]"),
])
def test_bad_csv_is_refused_naming_the_line(text, message):
    with pytest.raises(InputError, match=message):
        parse_csv(text)


def test_a_header_line_is_skipped():
    assert len(parse_csv("frame,class,source,azimuth,elevation\n0,1,0,10,0\n")) == 1


# --- a scene as labels ----------------------------------------------------------

def test_a_still_and_a_moving_source_round_trip_within_one_degree_and_one_frame(tmp_path):
    scene = scene_of([
        src("dog-1", "dog", 30.0, 10.0, 3.0, active_s=[0.25, 1.5]),
        {**src("car-1", "car", -60.0, 0.0, 8.0),
         "trajectory": [{"t": 0.0, "azimuth_deg": -60.0, "elevation_deg": 0.0, "distance_m": 8.0},
                        {"t": 2.0, "azimuth_deg": 60.0, "elevation_deg": 5.0, "distance_m": 4.0}]},
        src("cat-1", "cat", 90.0, muted=True),
    ])
    csv = tmp_path / "labels.csv"
    written = write_labels(scene, csv)
    labels, class_map = read_labels(csv)
    assert class_map.classes == ["car", "cat", "dog"]  # every label, muted ones too, sorted
    assert labels.track_ids == {(0, 0): "car-1", (2, 0): "dog-1"}
    assert len(written) == len(labels)
    back = {s.id: s for s in labels_scene(labels, class_map, duration_s=2.0).sources}
    assert sorted(back) == ["car-1", "dog-1"]  # the muted cat is not heard

    # The dog is heard from 0.25 s to 1.5 s: frames whose start lies in it are 3 (0.3 s) .. 14 (1.4 s).
    dog = back["dog-1"]
    assert dog.active_s == pytest.approx((0.3, 1.5)) and not dog.trajectory
    assert angle_deg(unit(dog.position.azimuth_deg, dog.position.elevation_deg), unit(30, 10)) <= 1.0
    assert dog.position.distance_m == pytest.approx(3.0)

    # The car moves all 2 s: frames 0..19, along the great circle from (-60, 0) to (60, 5).
    car = back["car-1"]
    assert car.active_s == pytest.approx((0.0, 2.0))
    keys = {round(k.t, 6): k for k in car.trajectory}
    start, end = unit(-60, 0), unit(60, 5)
    midpoint = (start + end) / np.linalg.norm(start + end)  # at t = 1.0, half way round
    for t, expected in ((0.0, start), (1.0, midpoint)):
        k = keys[t]
        assert angle_deg(unit(k.azimuth_deg, k.elevation_deg), expected) <= 1.0
    assert keys[1.0].distance_m == pytest.approx(6.0, abs=0.01)  # distance moves linearly: 8 -> 4
    assert max(keys) == pytest.approx(1.9)  # the last frame starts at 1.9 s

    # Labelled again, the recovered scene gives the same rows (within the rounding).
    again = scene_labels(labels_scene(labels, class_map, duration_s=2.0), class_map)
    np.testing.assert_array_equal(again.frame, labels.frame)
    np.testing.assert_array_equal(again.class_index, labels.class_index)
    assert np.max(np.abs(again.azimuth_deg - labels.azimuth_deg)) < 1e-6


def test_labels_are_taken_at_frame_starts_unrounded_until_written():
    scene = scene_of([
        {**src("bee", "insect", 0.0),
         "trajectory": [{"t": 0.0, "azimuth_deg": 0.0, "elevation_deg": 0.0, "distance_m": 2.0},
                        {"t": 1.0, "azimuth_deg": 10.0, "elevation_deg": 0.0, "distance_m": 2.0}]},
    ], duration=1.0)
    labels = scene_labels(scene)
    # On the horizon the great circle is the azimuth itself: 10 deg per second, 1 deg per frame start.
    np.testing.assert_allclose(labels.azimuth_deg, np.arange(10) * 1.0, atol=1e-9)
    assert labels.frame.tolist() == list(range(10))
    assert format_csv(labels).splitlines()[5] == "5,0,0,5,0,200"


def test_a_sound_played_once_is_labelled_until_it_ends():
    scene = scene_of([src("bang", "dog", 0.0)], duration=2.0)
    # 0.75 s of sound, played from 0.2 s into it, once: heard for 0.55 s, frames 0..5 (0.0 .. 0.5 s).
    scene.sources[0].audio = AudioRef(samples=np.zeros(36000, np.float32), sample_rate=48000,
                                      loop=False, offset_s=0.2)
    assert scene_labels(scene).frame.tolist() == [0, 1, 2, 3, 4, 5]
    scene.sources[0].audio.loop = True  # looped, it fills the scene
    assert scene_labels(scene).frame.tolist() == list(range(20))


def test_sources_of_one_class_get_source_indices_in_scene_order():
    scene = scene_of([src("a", "person", 10), src("b", "dog", 20), src("c", "person", 30)], duration=0.1)
    labels = scene_labels(scene)
    assert format_csv(labels) == "0,0,0,20,0,200\n0,1,0,10,0,200\n0,1,1,30,0,200\n"


def test_a_class_map_with_starss23_classes():
    starss = ClassMap.starss23()
    assert len(starss.classes) == 13 and starss.classes[12] == "knock" and tuple(starss.classes) == STARSS23_CLASSES
    scene = scene_of([src("p", "cell phone", 0), src("b", "church bell", 45), src("x", "person", 0)], duration=0.1)
    with pytest.raises(ParameterError, match="'person' has no class"):
        scene_labels(scene, starss)
    labels = scene_labels(scene, starss, skip_unmapped=True)
    assert labels.class_index.tolist() == [3, 11]  # telephone, bell
    mine = ClassMap.from_dict({"classes": list(STARSS23_CLASSES), "labels": {**starss.labels, "person": 1}})
    assert scene_labels(scene, mine).class_index.tolist() == [1, 3, 11]


def test_the_class_map_is_written_beside_the_labels_and_read_back(tmp_path):
    scene = scene_of([src("d", "dog", 0), src("c", "car", 0)], duration=0.2)
    write_labels(scene, tmp_path / "x.csv", ClassMap(["dog", "car"], {"dog": 0, "car": 1}))
    doc = json.loads(sidecar_path(tmp_path / "x.csv").read_text())
    assert sidecar_path(tmp_path / "x.csv").name == "x.classes.json"
    assert doc["classes"] == ["dog", "car"] and doc["labels"] == {"dog": 0, "car": 1}
    assert doc["tracks"] == [{"class": 0, "track": 0, "id": "d"}, {"class": 1, "track": 0, "id": "c"}]
    (tmp_path / "list.json").write_text('["a", "b"]')
    labels, given = read_labels(tmp_path / "x.csv", tmp_path / "list.json")
    assert given.classes == ["a", "b"] and labels.track_ids[(1, 0)] == "c"
    with pytest.raises(InputError, match="not a class index"):
        ClassMap.from_dict({"classes": ["a"], "labels": {"b": 3}})


def test_two_sources_claiming_one_track_in_one_frame_are_refused():
    scene = scene_of([src("a", "dog", 0, seld_track=0), src("b", "dog", 90, seld_track=0)], duration=0.1)
    with pytest.raises(ParameterError, match="source index 0 in frame 0"):
        scene_labels(scene)
