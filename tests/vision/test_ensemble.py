"""The ensemble: calibrated fusion (fusion="calibrated") and the default vote fusion, on real photos."""

import numpy as np
import pytest
from PIL import Image

from see2sound.vision.detect.base import Detection, iou
from see2sound.vision.detect.calibration import Calibration, Platt, fuse_calibrated, load_calibration
from see2sound.vision.detect.ensemble import DEFAULT_FUSION, Ensemble, Observation

LEFT_PLAYER = [25, 60, 190, 480]  # basketball1.png, tests/data/photos.json: full body, left of the frame


def _rgb(path):
    return np.asarray(Image.open(path).convert("RGB"))


@pytest.fixture(scope="module")
def calibrated():
    return Ensemble(fusion="calibrated")


def test_every_shipped_calibration_map_rises_with_score_and_views():
    scores = np.linspace(0.01, 0.99, 99)
    for key, platt in load_calibration().maps.items():
        for views in (1, 2, 4, 6):
            p = platt(scores, views)
            assert np.all(np.diff(p) >= 0), key
            assert np.all(platt(scores, views + 1) >= p), key


def test_a_fitted_map_never_falls_even_when_the_data_do():
    platt = Platt.fit([0.9, 0.8, 0.7, 0.3, 0.2, 0.1], [False, False, False, True, True, True])
    assert platt.a >= 0 and platt.c >= 0


def test_calibrated_scores_are_probabilities(calibrated, photos):
    for name in ("basketball1.png", "bus.jpg", "horses_running.jpg", "kite_beach.jpg"):
        found = calibrated.detect(_rgb(photos[name]))
        assert all(0.0 <= d.score <= 1.0 for d in found), name


def test_the_calibrated_ensemble_finds_the_left_player(calibrated, photos):
    people = [d.box for d in calibrated.detect(_rgb(photos["basketball1.png"])) if d.label == "person"]
    assert people and iou([LEFT_PLAYER], people).max() >= 0.5


@pytest.mark.xfail(strict=True, reason="issue 14: the default ('wbf') fusion drops him; 'calibrated' is not "
                                       "the default, as it did not beat 'wbf' on the held-out half")
def test_the_default_detector_finds_the_left_player(photos):
    people = [d.box for d in Ensemble().detect(_rgb(photos["basketball1.png"])) if d.label == "person"]
    assert people and iou([LEFT_PLAYER], people).max() >= 0.5


def test_the_default_is_still_the_vote_fusion_of_two_members():
    ensemble = Ensemble()
    assert DEFAULT_FUSION == "wbf" == ensemble.fusion
    assert [m.name for m in ensemble.members] == ["ssd", "nanodet"]


def _obs(box, label, score, member, view=0):
    return Observation(Detection(box, label, score, member), member, view, view < 2)


FLAT = Calibration(maps={}, thresholds={"*": 0.5})  # no maps: raw scores are the probabilities


def test_one_confident_member_in_one_view_is_enough():
    found = fuse_calibrated([_obs((10, 10, 60, 200), "person", 0.8, "ssd")], FLAT)
    assert [d.label for d in found] == ["person"]


def test_a_full_body_and_an_upper_body_from_two_members_are_one_person():
    full, upper = (10, 10, 60, 200), (12, 10, 58, 100)  # IoU about 0.5, upper body inside the full one
    found = fuse_calibrated([_obs(full, "person", 0.4, "ssd"), _obs(upper, "person", 0.4, "nanodet")], FLAT)
    assert len(found) == 1 and found[0].score == pytest.approx(1 - 0.6 * 0.6)  # noisy-OR: 0.64 >= 0.5


def test_two_people_one_member_tells_apart_stay_two():
    adult, child = (10, 10, 110, 300), (30, 150, 80, 290)  # the child stands inside the adult's box
    found = fuse_calibrated([_obs(adult, "person", 0.9, "nanodet"), _obs(child, "person", 0.9, "nanodet")], FLAT)
    assert len(found) == 2


def test_movenet_does_not_make_a_person_of_a_confident_animal():
    bear = (100, 100, 400, 300)
    found = fuse_calibrated([_obs(bear, "bear", 0.9, "nanodet"), _obs((110, 90, 390, 310), "person", 0.9, "movenet")],
                            FLAT)
    assert [d.label for d in found] == ["bear"]


def test_the_calibrated_ensemble_is_a_registered_detector():
    from see2sound.registry import create, names

    assert "ensemble-calibrated" in names("detectors")
    detector = create("detectors", "ensemble-calibrated")
    assert detector.name == "ensemble-calibrated" and detector.fusion == "calibrated"
    assert "person" in detector.labels
