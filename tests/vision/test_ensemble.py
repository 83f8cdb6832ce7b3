"""The ensemble: the default calibrated fusion and the vote fusion (ensemble-vote), on real photos."""

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from see2sound.vision.detect.base import Detection, iou
from see2sound.vision.detect.calibration import Calibration, Logistic, fuse_calibrated, load_calibration
from see2sound.vision.detect.ensemble import DEFAULT_FUSION, Ensemble, Observation

TRUTH = json.loads((Path(__file__).parents[1] / "data" / "photos.json").read_text())["photos"]
LEFT_PLAYER = [25, 60, 190, 480]  # basketball1.png, tests/data/photos.json: full body, left of the frame


def _rgb(path):
    return np.asarray(Image.open(path).convert("RGB"))


@lru_cache(maxsize=1)
def _default() -> Ensemble:
    return Ensemble()


@pytest.fixture(scope="module")
def calibrated():
    return Ensemble(fusion="calibrated")


def test_in_the_shipped_model_every_member_counts_and_none_counts_against():
    weights = load_calibration().model.weights
    for member in ("ssd", "nanodet", "movenet"):
        evidence = [w for name, w in weights.items() if name.startswith(f"{member}.")]
        assert min(evidence) >= 0 and max(evidence) > 0.1, member


def test_a_fit_holds_at_zero_what_would_count_against_an_object():
    rows = [{"ssd.logit": x, "nanodet.logit": x} for x in np.linspace(-3, 3, 61)]
    right = [r["ssd.logit"] > 0 for r in rows]
    rows = [{**r, "movenet.found": float(i % 2)} for i, r in enumerate(rows)]
    right = [ok and i % 4 != 1 for i, ok in enumerate(right)]  # MoveNet's finds are right less often
    model = Logistic.fit(rows, right, ridge=0.1)
    assert model.weights["movenet.found"] == 0.0 and model.weights["ssd.logit"] > 0


def test_a_logistic_fit_recovers_the_direction_of_its_evidence():
    rng = np.random.default_rng(0)
    rows = [{"ssd.logit": float(x)} for x in rng.normal(size=400)]
    right = [bool(rng.random() < 1 / (1 + np.exp(-2 * r["ssd.logit"]))) for r in rows]
    model = Logistic.fit(rows, right, ridge=0.1)
    assert 1.5 < model.weights["ssd.logit"] < 2.6 and abs(model.bias) < 0.4

def test_calibrated_scores_are_probabilities(calibrated, photos):
    for name in ("basketball1.png", "bus.jpg", "horses_running.jpg", "kite_beach.jpg"):
        found = calibrated.detect(_rgb(photos[name]))
        assert all(0.0 <= d.score <= 1.0 for d in found), name


def test_the_default_detector_finds_the_left_player(photos):
    people = [d.box for d in Ensemble().detect(_rgb(photos["basketball1.png"])) if d.label == "person"]
    assert people and iou([LEFT_PLAYER], people).max() >= 0.5


def test_the_default_is_the_calibrated_fusion_of_three_members():
    ensemble = Ensemble()
    assert DEFAULT_FUSION == "calibrated" == ensemble.fusion
    assert [m.name for m in ensemble.members] == ["ssd", "nanodet", "movenet"]


def test_people_in_the_default_detection_carry_their_keypoints(photos):
    people = [d for d in Ensemble().detect(_rgb(photos["zidane.jpg"])) if d.label == "person"]
    assert len(people) >= 2
    for person in people:
        x0, y0, x1, y1 = person.box
        nose = person.keypoints[0]
        assert x0 <= nose[0] <= x1 and y0 <= nose[1] <= y0 + 0.4 * (y1 - y0)


def _obs(box, label, score, member, view=0):
    return Observation(Detection(box, label, score, member), member, view, view < 2)


# One member's evidence only, read at face value: p = sigmoid(logit(best score)) = the best score.
FACE_VALUE = Calibration(Logistic({f"{m}.logit": 1.0 for m in ("ssd", "nanodet", "movenet")}, 0.0), {"*": 0.5})
WEIGHED = Calibration(Logistic({"ssd.found": 1.0, "nanodet.found": 1.0, "ssd.logit": 1.0, "nanodet.logit": 1.0},
                               -1.0), {"*": 0.5})


def _fuse(observations, cal):
    return fuse_calibrated(observations, cal, whole_views={"ssd": 2, "nanodet": 2, "movenet": 2}, height=480)


def test_one_confident_member_in_one_view_is_enough():
    found = _fuse([_obs((10, 10, 60, 200), "person", 0.8, "ssd")], FACE_VALUE)
    assert [d.label for d in found] == ["person"] and found[0].score == pytest.approx(0.8)


def test_a_full_body_and_an_upper_body_from_two_members_are_one_person():
    full, upper = (10, 10, 60, 200), (12, 10, 58, 100)  # IoU about 0.5, upper body inside the full one
    found = _fuse([_obs(full, "person", 0.4, "ssd"), _obs(upper, "person", 0.4, "nanodet")], WEIGHED)
    # Alone each would be sigmoid(1 + logit(0.4) - 1) = 0.4; together sigmoid(2 + 2 logit(0.4) - 1) ~ 0.55.
    assert len(found) == 1 and found[0].score == pytest.approx(1 / (1 + np.exp(-(1 + 2 * np.log(0.4 / 0.6)))))


def test_two_people_one_member_tells_apart_stay_two():
    adult, child = (10, 10, 110, 300), (30, 150, 80, 290)  # the child stands inside the adult's box
    found = _fuse([_obs(adult, "person", 0.9, "nanodet"), _obs(child, "person", 0.9, "nanodet")], FACE_VALUE)
    assert len(found) == 2


def test_a_weak_box_alone_stays_under_the_threshold():
    assert _fuse([_obs((10, 10, 60, 200), "dog", 0.3, "nanodet")], FACE_VALUE) == []


def test_the_vote_ensemble_is_a_registered_detector():
    from see2sound.registry import create, names

    assert "ensemble-vote" in names("detectors")
    detector = create("detectors", "ensemble-vote")
    assert detector.name == "ensemble-vote" and detector.fusion == "wbf"
    assert [m.name for m in detector.members] == ["ssd", "nanodet"]


# People at least 5 % of the picture's height whom the default detector misses today (issue 14 asks for
# none): the bus's edge is one arm and one leg; the others are held-out photos, never tuned on.
PEOPLE_MISSED = {"bus.jpg", "folk_band.webp", "brandenburg_gate.webp", "guards.jpg", "kite_beach.jpg"}
_PHOTOS_WITH_PEOPLE = sorted(name for name, t in TRUTH.items() if any(label == "person" for label, _ in t["objects"]))


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason="issue 14: missed"))
                                  if n in PEOPLE_MISSED else n for n in _PHOTOS_WITH_PEOPLE])
def test_every_person_at_least_5_percent_of_the_picture_high_is_found(name, photos):
    rgb = _rgb(photos[name])
    people = [box for label, box in TRUTH[name]["objects"] if label == "person" and box[3] - box[1] >= 0.05 * rgb.shape[0]]
    found = [d.box for d in _default().detect(rgb) if d.label == "person"]
    for box in people:
        assert found and iou([box], found).max() >= 0.5, box


class _Counting:
    """A member that finds nothing and counts the pictures it is shown."""

    labels = frozenset({"person"})

    def __init__(self, name):
        self.name, self.shapes = name, []

    def detect(self, rgb):
        self.shapes.append(rgb.shape[:2])
        return []


def test_members_run_on_the_tiles_their_calibration_was_fitted_with():
    rgb = np.zeros((720, 960, 3), dtype=np.uint8)
    for tiles in ((), ("ssd",), ("ssd", "nanodet")):
        ssd, nanodet = _Counting("ssd"), _Counting("nanodet")
        cal = Calibration.from_json({**Calibration(tiles=tiles).to_json()})  # through JSON, as shipped
        Ensemble([ssd, nanodet], fusion="calibrated", calibration=cal).detect(rgb)
        for member in (ssd, nanodet):
            assert member.shapes[0] == (720, 960)  # the whole frame, always
            tiled = member.shapes[1:]
            assert len(tiled) == (4 if member.name in tiles else 0), (tiles, member.name)
            assert all(shape == (450, 600) for shape in tiled)  # TILE_FRACTION of each side

