"""The labelled photos (tests/data/photos.json) are a sound benchmark: valid labels, boxes, sources and split."""

import hashlib
import json
import re
from pathlib import Path

from PIL import Image

from see2sound.vision.ambience import AMBIENCE_KINDS
from see2sound.vision.vocabulary import KINDS, REFINES, is_sounding

DOC = json.loads((Path(__file__).parent / "data" / "photos.json").read_text())
TRUTH = DOC["photos"]
SPLIT = DOC["split"]
#: Photos labelled before the split: they keep the half MoveNet's threshold was fitted with.
BEFORE_THE_SPLIT = (
    "bus.jpg", "zidane.jpg", "chelsea.png", "motorcycle_left.png", "astronaut.png", "coffee.png", "rocket.jpg",
    "grace_hopper.jpg", "messi5.jpg", "home.jpg", "basketball1.png", "licenseplate_motion.jpg", "squirrel_cls.jpg",
    "leuvenA.jpg", "portrait.jpg", "trees.jpg", "night_city.jpg",
)
ANIMALS = {"bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe"}
VEHICLES = {"vehicle", *REFINES["vehicle"], "bicycle", "airplane"}


def _name_digest(name):
    return hashlib.sha256(name.encode("utf-8")).hexdigest()


def _stratum(photo):
    labels = {label for label, _ in photo["objects"]}
    if "person" in labels:
        return "people"
    if labels & ANIMALS:
        return "animals"
    return "vehicles" if labels & VEHICLES else "none"


def _boxes(photo):
    return [box for _, box in photo["objects"]] + photo["ignore"]


def test_at_least_40_photos_with_at_least_120_sound_sources():
    assert len(TRUTH) >= 40
    assert sum(len(photo["objects"]) for photo in TRUTH.values()) >= 120


def test_every_object_is_a_sounding_label_of_the_vocabulary():
    for name, photo in TRUTH.items():
        for label, _ in photo["objects"]:
            assert label in KINDS and is_sounding(label), (name, label)


def test_every_box_is_four_pixel_coordinates_of_a_non_empty_region():
    for name, photo in TRUTH.items():
        for box in _boxes(photo):
            assert len(box) == 4 and all(isinstance(v, int) and v >= 0 for v in box), (name, box)
            assert box[0] < box[2] and box[1] < box[3], (name, box)


def test_ambience_is_a_kind_the_project_renders_or_none():
    for name, photo in TRUTH.items():
        assert photo["ambience"] is None or photo["ambience"] in AMBIENCE_KINDS, name


def test_every_photo_names_its_registry_package_and_licence_and_a_sha256():
    for name, photo in TRUTH.items():
        assert re.match(r"(PyPI|Debian|npm) \S+", photo["source"]), name
        assert re.search(r"\(.+\)", photo["source"]), f"{name}: no licence in its source"
        assert re.fullmatch(r"[0-9a-f]{64}", photo["sha256"]), name


def test_the_split_covers_every_photo_exactly_once():
    fit, held_out = SPLIT["fit"], SPLIT["held_out"]
    assert len(set(fit)) == len(fit) and len(set(held_out)) == len(held_out)
    assert not set(fit) & set(held_out)
    assert set(fit) | set(held_out) == set(TRUTH)


def test_the_split_follows_its_documented_rule():
    half = {name: "fit" if int(_name_digest(name)[0], 16) < 8 else "held_out" for name in BEFORE_THE_SPLIT}
    strata = {}
    for name, photo in TRUTH.items():
        if name not in BEFORE_THE_SPLIT:
            strata.setdefault(_stratum(photo), []).append(name)
    for names in strata.values():
        for k, name in enumerate(sorted(names, key=_name_digest)):
            half[name] = "held_out" if k % 2 == 0 else "fit"
    assert {name for name, h in half.items() if h == "fit"} == set(SPLIT["fit"])
    assert {name for name, h in half.items() if h == "held_out"} == set(SPLIT["held_out"])


def test_both_halves_have_people_animals_vehicles_and_every_ambience():
    for half in ("fit", "held_out"):
        photos = [TRUTH[name] for name in SPLIT[half]]
        labels = {label for photo in photos for label, _ in photo["objects"]}
        assert "person" in labels and labels & ANIMALS and labels & VEHICLES, half
        assert {photo["ambience"] for photo in photos} >= set(AMBIENCE_KINDS), half
        assert 0.4 <= len(photos) / len(TRUTH) <= 0.6, half


def test_boxes_lie_inside_the_fetched_pictures_which_are_the_labelled_files(photos):
    for name, path in photos.items():
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == TRUTH[name]["sha256"], f"{name} is not the file labelled"
        with Image.open(path) as picture:
            width, height = picture.size
        for box in _boxes(TRUTH[name]):
            assert box[2] <= width and box[3] <= height, (name, box, (width, height))
