"""MoveNet MultiPose finds people in real photos, with boxes and 17 keypoints in the picture's pixels."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from see2sound.registry import create
from see2sound.vision.detect.base import iou, session
from see2sound.vision.detect.movenet import KEYPOINTS, MoveNet, PoseDetection, letterbox

TRUTH = json.loads((Path(__file__).parents[1] / "data" / "photos.json").read_text())["photos"]
ANIMALS = {"bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe"}
# MoveNet alone takes some animals for people (see MIN_SCORE): the test is on the other photos.
WITHOUT_PEOPLE = sorted(name for name, t in TRUTH.items()
                        if all(label != "person" and label not in ANIMALS for label, _ in t["objects"]))
NOSE = KEYPOINTS.index("nose")
CUT_BY_THE_EDGE = ("bus.jpg", [0, 550, 75, 875])  # one arm and one leg in the picture


@pytest.fixture(scope="module")
def movenet():
    return MoveNet()


@pytest.fixture(scope="module")
def people(movenet, photos):
    """name -> (picture, detections) for every labelled photo."""
    found = {}
    for name, path in photos.items():
        rgb = np.asarray(Image.open(path).convert("RGB"))
        found[name] = rgb, movenet.detect(rgb)
    return found


def _persons(name):
    return [box for label, box in TRUTH[name]["objects"] if label == "person"]


def test_the_converted_graph_gives_what_the_tfjs_graph_gives(photos):
    # Reference: the original TFJS graph run by @tensorflow/tfjs 4.22 (CPU backend) on the same input.
    x, _ = letterbox(np.asarray(Image.open(photos["basketball1.png"]).convert("RGB")))
    assert x.shape == (1, 192, 256, 3) and x.dtype == np.int32
    out = session("movenet_multipose.onnx").run(None, {"input": x})[0][0]
    np.testing.assert_allclose(out[:, 55], [0.66963, 0.29589, 0.04011, 0.01104, 0.00936, 0.0], atol=1e-4)
    np.testing.assert_allclose(out[:2, 51:55], [[0.16702, 0.04981, 0.99391, 0.25621],
                                                [0.05295, 0.67666, 0.99668, 0.99125]], atol=1e-4)
    np.testing.assert_allclose(out[:2, :3], [[0.23472, 0.14789, 0.7129], [0.19173, 0.79345, 0.47771]], atol=1e-4)


def test_the_input_keeps_the_aspect_in_multiples_of_32():
    for h, w, shape in ((1080, 1920, (1, 160, 256, 3)), (1080, 810, (1, 256, 192, 3)), (600, 512, (1, 256, 224, 3))):
        x, scale = letterbox(np.full((h, w, 3), 200, np.uint8))
        assert x.shape == shape and scale == pytest.approx(256 / max(h, w))
        rows, cols = round(h * scale), round(w * scale)
        assert (x[0, :rows, :cols] == 200).all() and x[0, rows:].sum() == 0 and x[0, :, cols:].sum() == 0


def test_both_players_in_the_grey_photo_with_full_body_boxes(people):
    rgb, found = people["basketball1.png"]
    assert len(found) == 2 and all(d.label == "person" and d.detector == "movenet" for d in found)
    for truth in _persons("basketball1.png"):  # the left player (25..190 px) included
        match = max(found, key=lambda d: iou([d.box], [truth])[0, 0])
        assert iou([match.box], [truth])[0, 0] >= 0.7
        assert match.box[3] - match.box[1] >= 0.8 * rgb.shape[0]  # head to feet


@pytest.mark.parametrize("name", ["bus.jpg", "zidane.jpg", "basketball1.png", "grace_hopper.jpg",
                                  "messi5.jpg", "astronaut.png", "portrait.jpg"])
def test_each_labelled_person_is_found(people, name):
    _, found = people[name]
    truth = [box for box in _persons(name) if (name, box) != CUT_BY_THE_EDGE]
    best = iou(truth, [d.box for d in found]).max(axis=1)
    assert (best >= 0.5).all(), best


@pytest.mark.xfail(strict=True, reason="MoveNet misses the man cut by bus.jpg's left edge (raw score 0.05)")
def test_the_man_cut_by_the_left_edge_of_the_bus_photo(people):
    name, box = CUT_BY_THE_EDGE
    assert iou([box], [d.box for d in people[name][1]]).max() >= 0.5


@pytest.mark.parametrize("name", WITHOUT_PEOPLE)
def test_nobody_in_photos_without_people(people, name):
    ignored = TRUTH[name]["ignore"]
    found = [d for d in people[name][1]
             if not any(r[0] <= (d.box[0] + d.box[2]) / 2 <= r[2] and r[1] <= (d.box[1] + d.box[3]) / 2 <= r[3]
                        for r in ignored)]
    assert found == []


def test_keypoints_lie_in_their_box_with_the_nose_above_the_shoulders(people):
    for name in ("bus.jpg", "zidane.jpg", "basketball1.png", "grace_hopper.jpg", "astronaut.png", "portrait.jpg"):
        for det in people[name][1]:
            x0, y0, x1, y1 = det.box
            kp = det.keypoints
            assert isinstance(det, PoseDetection) and kp.shape == (17, 3)
            sure = kp[kp[:, 2] >= 0.3]
            margin_x, margin_y = 0.1 * (x1 - x0), 0.1 * (y1 - y0)
            assert ((sure[:, 0] >= x0 - margin_x) & (sure[:, 0] <= x1 + margin_x)).all(), name
            assert ((sure[:, 1] >= y0 - margin_y) & (sure[:, 1] <= y1 + margin_y)).all(), name
            # Busts and close-ups too: the nose in the box's upper half, above both shoulders.
            shoulders = kp[[KEYPOINTS.index("left_shoulder"), KEYPOINTS.index("right_shoulder")]]
            assert kp[NOSE, 2] >= 0.3 and (kp[NOSE, 1] - y0) / (y1 - y0) < 0.5, name
            assert (kp[NOSE, 1] < shoulders[shoulders[:, 2] >= 0.3, 1]).all(), name


def test_standing_people_have_their_nose_at_the_top_and_ankles_at_the_bottom(people):
    for name in ("basketball1.png", "bus.jpg"):
        for det in people[name][1][:2]:
            _, y0, _, y1 = det.box
            height = y1 - y0
            assert det.keypoints[NOSE, 1] - y0 < 0.15 * height
            ankles = det.keypoints[[KEYPOINTS.index("left_ankle"), KEYPOINTS.index("right_ankle")], 1]
            assert (y1 - ankles < 0.15 * height).all()


def test_keypoints_follow_scaling_and_a_mirror_image(movenet, people):
    rgb, found = people["basketball1.png"]
    det = found[0]
    half = det.scaled(0.5, dx=10.0)
    np.testing.assert_allclose(half.keypoints[:, :2], det.keypoints[:, :2] * 0.5 + [10.0, 0.0])
    np.testing.assert_allclose(half.keypoints[:, 2], det.keypoints[:, 2])
    # The mirror image, detected and flipped back: the same joints (left and right swapped back).
    width = rgb.shape[1]
    mirrored = max(movenet.detect(np.ascontiguousarray(rgb[:, ::-1])), key=lambda d: d.score).flipped(width)
    assert iou([mirrored.box], [det.box])[0, 0] > 0.9
    sure = (det.keypoints[:, 2] >= 0.5) & (mirrored.keypoints[:, 2] >= 0.5)
    distance = np.hypot(*(mirrored.keypoints[sure, :2] - det.keypoints[sure, :2]).T)
    assert sure.sum() >= 10 and np.median(distance) < 0.02 * (det.box[3] - det.box[1])


def test_movenet_is_a_registered_detector():
    detector = create("detectors", "movenet")
    assert isinstance(detector, MoveNet) and detector.labels == {"person"}
    detector.release()


@pytest.mark.slow
def test_render_with_movenet_from_the_command_line(photos, tmp_path):
    run = subprocess.run([sys.executable, "-m", "see2sound.cli", "render", str(photos["basketball1.png"]),
                          "--detector", "movenet", "-o", str(tmp_path / "out.wav")],
                         check=False, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count(" person ") == 2
