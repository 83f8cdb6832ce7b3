"""The camera model of SPEC §1, and distances from size priors."""

import math

import numpy as np
import pytest

from see2sound.vision.camera import camera_for, hfov_from_35mm
from see2sound.vision.depth.priors import estimate_distance
from see2sound.vision.vocabulary import KINDS


def test_pinhole_directions_follow_the_spec():
    cam = camera_for(1920, 1080, hfov_deg=60.0)
    f = 960 / math.tan(math.radians(30))
    az, el = cam.direction([960, 0, 1920, 960, 300], [540, 540, 540, 0, 100])
    assert az[0] == pytest.approx(0) and el[0] == pytest.approx(0)
    assert az[1] == pytest.approx(30) and az[2] == pytest.approx(-30)  # left edge is +30 (left)
    assert el[3] == pytest.approx(math.degrees(math.atan(540 / f)))  # top is up
    assert az[4] == pytest.approx(math.degrees(math.atan2(660, f)))
    assert el[4] == pytest.approx(math.degrees(math.atan2(440, math.hypot(f, 660))))


def test_equirect_columns_and_rows():
    cam = camera_for(4000, 2000)  # 2:1 -> a 360 panorama
    assert cam.projection == "equirect" and cam.fov_source == "aspect"
    az, el = cam.direction([2000, 0, 1000, 3000], [1000, 0, 1000, 2000])
    np.testing.assert_allclose(az, [0, 180, 90, -90])
    np.testing.assert_allclose(el, [0, 90, 0, -90])
    assert camera_for(4000, 2000, projection="perspective").projection == "perspective"


def test_fov_from_exif_user_and_default():
    assert hfov_from_35mm(26.0, 4032, 3024) == pytest.approx(67.4, abs=0.3)  # a phone's main camera
    assert hfov_from_35mm(36.0 / 2 / math.tan(math.radians(45)), 3600, 2400) == pytest.approx(90.0, abs=0.01)
    cam = camera_for(4032, 3024, focal_35mm=26.0)
    assert cam.fov_source == "exif"
    assert camera_for(4032, 3024, focal_35mm=26.0, hfov_deg=50).hfov_deg == 50
    assert camera_for(100, 80).fov_source == "default" and camera_for(100, 80).hfov_deg == 65.0


def test_a_person_filling_the_frame_height_at_60_deg_is_about_2_m():
    cam = camera_for(1600, 1200, hfov_deg=60.0)
    distance, _ = estimate_distance((700, 0, 900, 1200), KINDS["person"], cam)
    assert 1.6 < distance < 2.4


def test_size_and_ground_contact_agree_and_doubling_distance_doubles_it():
    cam = camera_for(1600, 1200, hfov_deg=60.0)
    f = cam.focal_px

    def car_at(d):
        # 1.5 m tall, 3 m across, standing on the ground 1.5 m below a level camera.
        bottom = 600 + f * 1.5 / d
        return (800 - f * 1.5 / d, bottom - f * 1.5 / d, 800 + f * 1.5 / d, bottom)

    near, how = estimate_distance(car_at(10.0), KINDS["car"], cam)
    assert how == "size+ground" and 9.0 < near < 11.0
    far, _ = estimate_distance(car_at(20.0), KINDS["car"], cam)
    assert 1.9 < far / near < 2.1
