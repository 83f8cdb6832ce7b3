"""Placing a source a user marked on the picture: a box as a detection would be, a point by its ray."""

import math

import pytest

from see2sound.errors import ParameterError
from see2sound.vision.camera import Camera
from see2sound.vision.depth.priors import CAMERA_HEIGHT_M, DEFAULT_DISTANCE_M
from see2sound.vision.detect import Detection
from see2sound.vision.sources import (
    EMITTER_FROM_TOP,
    POINT_SPAN_OF_HEIGHT,
    choose_sources,
    place_source,
)
from see2sound.vision.vocabulary import KINDS

CAM = Camera(640, 480, hfov_deg=65.0)


def _pixel(camera: Camera, x_left: float, height: float, forward: float) -> tuple[float, float]:
    """Where a point ``x_left`` m to the left, ``height`` m above the ground and ``forward`` m ahead is seen."""
    f = camera.focal_px
    return camera.width / 2 - f * x_left / forward, camera.height / 2 - f * (height - CAMERA_HEIGHT_M) / forward


@pytest.mark.parametrize("label, box", [("person", (25, 60, 190, 470)), ("dog", (300, 300, 420, 380)),
                                        ("car", (10, 200, 200, 330))])
def test_a_box_is_placed_as_the_same_detection_would_be(label, box):
    placed = place_source(label, CAM, box=box)
    [found] = choose_sources([Detection(box, label, 0.9)], CAM)
    assert (placed.azimuth_deg, placed.elevation_deg) == pytest.approx(
        (found.position.azimuth_deg, found.position.elevation_deg), abs=0.01)
    assert placed.distance_m == pytest.approx(found.position.distance_m, abs=0.01)
    assert placed.extra["distance_method"] == found.position.extra["distance_method"]


def test_a_point_gives_the_direction_of_its_ray():
    left = place_source("person", CAM, point=(107, 110))
    az, el = CAM.direction([107], [110])
    assert (left.azimuth_deg, left.elevation_deg) == pytest.approx((float(az[0]), float(el[0])), abs=0.01)
    assert left.azimuth_deg > 20 and left.elevation_deg > 10  # left of centre (+azimuth) and above it
    right = place_source("person", CAM, point=(600, 240))
    assert right.azimuth_deg < -25 and right.elevation_deg == pytest.approx(0, abs=0.01)


@pytest.mark.parametrize("label, forward", [("dog", 3.0), ("dog", 12.0), ("car", 8.0), ("cow", 6.0)])
def test_a_grounded_point_is_where_its_ray_meets_the_height_its_sound_comes_from(label, forward):
    kind = KINDS[label]
    emitter_height = kind.height_m * (1 - EMITTER_FROM_TOP.get(label, 0.5))
    u, v = _pixel(CAM, 1.0, emitter_height, forward)
    placed = place_source(label, CAM, point=(u, v))
    assert placed.extra["distance_method"] == "height along the ray"
    assert placed.distance_m == pytest.approx(math.sqrt(forward ** 2 + 1.0 + (emitter_height - CAMERA_HEIGHT_M) ** 2),
                                              rel=0.01)


def test_without_ground_to_go_by_a_point_gets_a_distance_from_the_label_s_size():
    # A person's head is at eye level: its ray meets that height anywhere; a bird does not stand.
    span = math.radians(CAM.vfov_deg * POINT_SPAN_OF_HEIGHT)
    for label, point in (("person", (320, 230)), ("bird", (320, 60)), ("dog", (320, 100))):  # the dog: above
        placed = place_source(label, CAM, point=point)
        assert placed.extra["distance_method"].startswith("size")
        assert placed.distance_m == pytest.approx(KINDS[label].height_m / (2 * math.tan(span / 2)), abs=0.01)
    airplane = place_source("airplane", CAM, point=(320, 50))  # no typical size
    assert airplane.distance_m == DEFAULT_DISTANCE_M and airplane.extra["distance_method"] == "default"


def test_a_panorama_point_is_placed_by_its_column_and_row():
    pano = Camera(2000, 1000, "equirect", 360.0, "aspect")
    placed = place_source("car", pano, point=(500, 600))
    assert placed.azimuth_deg == pytest.approx(90.0) and placed.elevation_deg == pytest.approx(-18.0)
    assert placed.extra["distance_method"] == "height along the ray"


@pytest.mark.parametrize("kwargs, words", [
    ({"label": "chair", "point": (10, 10)}, "label: 'chair' is not a vocabulary label that makes sound"),
    ({"label": "dragon", "point": (10, 10)}, "label: 'dragon'"),
    ({"label": "dog"}, "point: give a point"),
    ({"label": "dog", "point": (1, 1), "box": (0, 0, 5, 5)}, "not both or neither"),
    ({"label": "dog", "point": (float("nan"), 10)}, "point: expected 2 finite numbers"),
    ({"label": "dog", "point": ("a", 10)}, "point: expected 2 finite numbers"),
    ({"label": "dog", "point": (1, 2, 3)}, "point: expected 2 finite numbers"),
    ({"label": "dog", "point": (641, 10)}, "is not inside the 640 x 480 picture"),
    ({"label": "dog", "point": (10, -1)}, "is not inside the 640 x 480 picture"),
    ({"label": "dog", "box": (50, 10, 40, 20)}, "box: [50.0, 10.0, 40.0, 20.0] is not inside"),
    ({"label": "dog", "box": (0, 0, 700, 20)}, "is not inside the 640 x 480 picture"),
])
def test_bad_marks_are_refused(kwargs, words):
    label = kwargs.pop("label")
    with pytest.raises(ParameterError) as caught:
        place_source(label, CAM, **kwargs)
    assert words in str(caught.value)
