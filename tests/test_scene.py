"""The scene file: SPEC §2 as a specification."""

import json

import pytest

from see2sound import Scene, See2SoundError
from tests.helpers import scene_dict, source


def test_round_trip_keeps_unknown_keys(tmp_path):
    data = scene_dict([source("dog-1", 21.3, -4.0, 3.2, label="dog", confidence=0.83, box=[412, 530, 790, 1010],
                              sound={"origin": "library", "audioset": ["Dog", "Bark"]}, vendor_note="keep me")])
    data["sources"][0]["position"]["uncertainty_deg"] = 4.0
    data["sources"][0]["audio"]["license"] = "CC0"
    data["ambience"] = {"kind": "urban-street", "confidence": 0.6, "future": [1, 2]}
    data["x-tool"] = {"version": 3}
    path = tmp_path / "in.json"
    path.write_text(json.dumps(data))
    scene = Scene.load(path)
    scene.save(tmp_path / "out.json")
    again = json.loads((tmp_path / "out.json").read_text())
    assert again["x-tool"] == {"version": 3}
    assert again["sources"][0]["vendor_note"] == "keep me"
    assert again["sources"][0]["position"]["uncertainty_deg"] == 4.0
    assert again["sources"][0]["audio"]["license"] == "CC0"
    assert again["ambience"]["future"] == [1, 2]
    assert again["sources"][0]["sound"]["audioset"] == ["Dog", "Bark"]
    assert Scene.from_dict(again) == scene


def test_defaults_for_hand_written_scene():
    scene = Scene.from_dict(scene_dict([{"id": "a", "position": {"azimuth_deg": 0, "elevation_deg": 0,
                                                                  "distance_m": 1}}]))
    src = scene.sources[0]
    assert (src.label, src.spread_deg, src.audio, src.box) == ("", 0.0, None, None)
    ref = Scene.from_dict(scene_dict([source("a", 0)])).sources[0].audio
    assert (ref.gain_db, ref.loop, ref.offset_s) == (0.0, True, 0.0)


def test_azimuth_is_wrapped():
    scene = Scene.from_dict(scene_dict([source("a", 270.0), source("b", -180.0)]))
    assert scene.sources[0].position.azimuth_deg == -90.0
    assert scene.sources[1].position.azimuth_deg == 180.0


def test_facing_is_a_typed_azimuth_that_round_trips():
    data = scene_dict([source("a", 10), source("b", -10)])
    data["sources"][0]["facing_deg"] = 190.0
    scene = Scene.from_dict(data)
    assert scene.sources[0].facing_deg == -170.0 and scene.sources[1].facing_deg is None
    again = Scene.from_dict(scene.to_dict())
    assert again.sources[0].facing_deg == -170.0 and "facing_deg" not in again.to_dict()["sources"][1]
    assert "facing_deg" not in again.sources[0].extra


@pytest.mark.parametrize("mutate, where", [
    (lambda d: d.pop("schema"), "schema: required"),
    (lambda d: d.update(schema="see2sound.scene/9"), "schema: expected"),
    (lambda d: d.update(duration_s=0), "duration_s: must be greater than 0"),
    (lambda d: d.update(duration_s="10"), "duration_s: expected a number"),
    (lambda d: d["sources"][1]["position"].update(distance_m=-2), "sources[1].position.distance_m"),
    (lambda d: d["sources"][1]["position"].update(distance_m=float("nan")), "sources[1].position.distance_m: must be finite"),
    (lambda d: d["sources"][1]["position"].update(elevation_deg=91), "sources[1].position.elevation_deg"),
    (lambda d: d["sources"][1]["position"].pop("azimuth_deg"), "sources[1].position.azimuth_deg: required"),
    (lambda d: d["sources"][0].pop("position"), "sources[0].position: required"),
    (lambda d: d["sources"][1].update(id="a"), "sources[1].id: duplicate"),
    (lambda d: d["sources"][0].update(spread_deg=400), "sources[0].spread_deg"),
    (lambda d: d["sources"][0]["audio"].update(loop="yes"), "sources[0].audio.loop: expected true or false"),
    (lambda d: d["sources"][0]["audio"].update(path=""), "sources[0].audio.path: must not be empty"),
    (lambda d: d["sources"][0].update(trajectory=[{"t": 1, "azimuth_deg": 0, "elevation_deg": 0, "distance_m": 1},
                                                  {"t": 0.5, "azimuth_deg": 0, "elevation_deg": 0, "distance_m": 1}]),
     "sources[0].trajectory[1].t: keyframe times must increase"),
    (lambda d: d["sources"][0].update(trajectory=[{"t": 0, "azimuth_deg": 0, "elevation_deg": 0, "distance_m": float("inf")}]),
     "sources[0].trajectory[0].distance_m: must be finite"),
    (lambda d: d["sources"][0].update(box=[1, 2, 3]), "sources[0].box"),
    (lambda d: d["sources"][0].update(facing_deg="left"), "sources[0].facing_deg: expected a number"),
    (lambda d: d["sources"][0].update(facing_deg=float("inf")), "sources[0].facing_deg: must be finite"),
    (lambda d: d.update(sources={"a": 1}), "sources: expected an array"),
    (lambda d: d["sources"].append(3), "sources[2]: expected an object"),
])
def test_validation_errors_name_the_json_path(mutate, where):
    data = scene_dict([source("a", 10), source("b", -10)])
    mutate(data)
    with pytest.raises(See2SoundError) as err:
        Scene.from_dict(data)
    assert str(err.value).startswith(where)


def test_malformed_and_truncated_json_name_the_file_and_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(scene_dict([source("a", 0)]), indent=1)[:-30])
    with pytest.raises(See2SoundError, match=r"broken.json: invalid JSON at line \d+"):
        Scene.load(path)
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(See2SoundError, match="broken.json"):
        Scene.load(path)
