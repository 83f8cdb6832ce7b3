"""A person's keypoints place their voice: mouth, distance from stature or feet, facing direction.

Synthetic people are projected through a pinhole camera from landmark
heights (so the true distance is known); real photos check what anyone can
see in them (the people in zidane.jpg and grace_hopper.jpg face the camera).
"""

import math

import numpy as np
import pytest
from PIL import Image

from see2sound.vision.camera import camera_for
from see2sound.vision.depth.priors import CAMERA_HEIGHT_M, estimate_distance
from see2sound.vision.detect.base import Detection
from see2sound.vision.detect.ensemble import Ensemble
from see2sound.vision.detect.movenet import KEYPOINTS, PoseDetection
from see2sound.vision.pose import facing_deg, feet, mouth, stature_px
from see2sound.vision.sources import choose_sources, emitter_point
from see2sound.vision.vocabulary import KINDS

W, H = 1600, 1200
CAMERA = camera_for(W, H, hfov_deg=60.0)
STATURE = 1.70
# Landmark heights in metres for a 1.70 m adult (anthropometric fractions of stature).
HEIGHTS = {"nose": 0.90, "left_eye": 0.936, "right_eye": 0.936, "left_ear": 0.92, "right_ear": 0.92,
           "left_shoulder": 0.818, "right_shoulder": 0.818, "left_elbow": 0.63, "right_elbow": 0.63,
           "left_wrist": 0.485, "right_wrist": 0.485, "left_hip": 0.53, "right_hip": 0.53,
           "left_knee": 0.285, "right_knee": 0.285, "left_ankle": 0.039, "right_ankle": 0.039}


def person(distance_m, *, u=W / 2, facing_us=True, yaw_deg=0.0, seen=None, sitting=False):
    """Keypoints [shape=(17, 3)] of a standing person ``distance_m`` ahead, projected by :data:`CAMERA`.

    ``yaw_deg`` turns the body towards the picture's left (+y); ``seen``: names scored 0.9, others 0.
    """
    f = CAMERA.focal_px
    half_shoulders = 0.259 * STATURE / 2 * math.cos(math.radians(yaw_deg))
    rows = []
    for name in KEYPOINTS:
        h = HEIGHTS[name] * STATURE
        if sitting and ("knee" in name or "ankle" in name):
            h = 0.45 * STATURE if "knee" in name else 0.05 * STATURE
        side = 0.0
        if name.startswith(("left_", "right_")):
            # Facing us, the person's left is on the picture's right (smaller azimuth).
            side = (1 if name.startswith("left_") else -1) * (half_shoulders if facing_us else -half_shoulders)
        x = u + f * side / distance_m
        if name == "nose":
            x -= f * 0.1 * math.sin(math.radians(yaw_deg)) / distance_m  # the nose turns with the head
        y = H / 2 - f * (h - CAMERA_HEIGHT_M) / distance_m
        score = 0.9 if (seen is None or name in seen) and 0 <= x < W and 0 <= y < H else 0.0
        rows.append((x, y, score))
    return np.array(rows)


def test_a_person_whose_feet_are_out_of_the_frame_has_no_ground_contact():
    assert feet(person(2.0)) is None and feet(person(9.0)) is not None


def box_of(keypoints, top_extra=0.1):
    xs, ys = keypoints[:, 0], keypoints[:, 1]
    pad = top_extra * (ys.max() - ys.min())
    return (float(xs.min()) - 20, float(ys.min() - pad), float(xs.max()) + 20, float(ys.max()))


@pytest.mark.parametrize("distance", [2.0, 4.0, 9.0])
def test_a_standing_person_s_distance_comes_from_their_stature_and_feet(distance):
    kp = person(distance)
    assert stature_px(kp) == pytest.approx(CAMERA.focal_px * STATURE / distance, rel=0.03)
    found, method = estimate_distance(box_of(kp), KINDS["person"], CAMERA, height_px=stature_px(kp),
                                      contact=feet(kp))
    assert found == pytest.approx(distance, rel=0.08)
    assert ("ground" in method) == (feet(kp) is not None)


def test_a_person_cut_at_the_waist_is_not_placed_at_an_upper_bound():
    upper = ("nose", "left_eye", "right_eye", "left_shoulder", "right_shoulder", "left_hip", "right_hip")
    kp = person(3.0, seen=upper)
    box = box_of(kp[[KEYPOINTS.index(n) for n in upper]])
    box = (box[0], box[1], box[2], H)  # the frame cuts the person at the bottom
    from_box, how = estimate_distance(box, KINDS["person"], CAMERA)
    from_pose, _ = estimate_distance(box, KINDS["person"], CAMERA, height_px=stature_px(kp), contact=feet(kp))
    assert "upper bound" in how and from_box > 3.3  # a torso taken for a whole person: too far
    assert from_pose == pytest.approx(3.0, rel=0.08)


def test_a_sitting_person_s_legs_do_not_shrink_them():
    kp = person(3.0, sitting=True)
    assert stature_px(kp) == pytest.approx(CAMERA.focal_px * STATURE / 3.0, rel=0.05)


def test_the_voice_comes_from_the_mouth_below_the_nose():
    kp = person(3.0)
    u, v = mouth(kp)
    nose, eye = kp[KEYPOINTS.index("nose")], kp[KEYPOINTS.index("left_eye")]
    assert u == pytest.approx(nose[0]) and nose[1] < v < kp[KEYPOINTS.index("left_shoulder"), 1]
    assert v - nose[1] == pytest.approx(0.6 * (nose[1] - eye[1]))
    assert mouth(person(3.0, seen=("left_ear", "right_ear"))) is not None
    assert mouth(person(3.0, seen=("left_hip",))) is None


@pytest.mark.parametrize("u, yaw, facing_us, expected", [
    (W / 2, 0.0, True, 180.0),  # straight ahead, square to us: faces the listener
    (W / 2, 0.0, False, 0.0),  # straight ahead, back to us: faces where we look
    (W / 2, 50.0, True, 130.0),  # turned towards the picture's left (+y): from 180 towards 90
    (W / 2, -50.0, True, -130.0),
    (W / 2, 50.0, False, 50.0),
])
def test_the_direction_a_person_faces(u, yaw, facing_us, expected):
    kp = person(3.0, u=u, yaw_deg=yaw, facing_us=facing_us, seen=None if facing_us else [
        n for n in KEYPOINTS if n not in ("left_eye", "right_eye")])
    got = facing_deg(kp, azimuth_deg=0.0)
    assert abs((got - expected + 180) % 360 - 180) < 8


def test_a_person_on_the_left_facing_us_faces_back_across_the_listener():
    assert facing_deg(person(3.0), azimuth_deg=30.0) == pytest.approx(-150.0, abs=3)


def test_a_detection_with_keypoints_speaks_from_its_mouth_and_one_without_from_its_head():
    kp = person(3.0)
    box = box_of(kp)
    with_pose = PoseDetection(box, "person", 0.9, keypoints=kp)
    assert emitter_point(with_pose) == pytest.approx(mouth(kp))
    plain = emitter_point(Detection(box, "person", 0.9))
    assert plain[1] == pytest.approx(box[1] + 0.12 * (box[3] - box[1]))


def test_sources_from_posed_people_carry_distance_and_facing():
    kp = person(4.0, u=W * 0.3)
    source, = choose_sources([PoseDetection(box_of(kp), "person", 0.9, keypoints=kp)], CAMERA)
    assert source.position.distance_m == pytest.approx(4.0, rel=0.1)
    assert source.position.extra["distance_method"].startswith("pose")
    assert abs((source.facing_deg - (source.position.azimuth_deg + 180) + 180) % 360 - 180) < 10


@pytest.mark.parametrize("name", ["zidane.jpg", "grace_hopper.jpg"])
def test_people_who_face_the_camera_in_real_photos_face_the_listener(name, photos):
    rgb = np.asarray(Image.open(photos[name]).convert("RGB"))
    camera = camera_for(rgb.shape[1], rgb.shape[0])
    people = [s for s in choose_sources(Ensemble().detect(rgb), camera) if s.label == "person"]
    assert people
    for source in people:
        assert source.facing_deg is not None, source.id
        toward_listener = source.position.azimuth_deg + 180.0
        assert abs((source.facing_deg - toward_listener + 180) % 360 - 180) <= 60, source.id
