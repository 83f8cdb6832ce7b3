"""How far away a detected object is, in metres, without a depth network.

Two estimates, combined in the log domain (errors are proportional):

- **size**: distance = focal length x real size / size in pixels, from the
  class's typical height (weight 1) and width (weight 0.5, since it depends
  on the view). A side cut by the picture's edge gives only an upper bound.
  A person's height in pixels comes from their keypoints when they have
  them (:mod:`see2sound.vision.pose`), not cut even when only the torso is
  in the frame.
- **ground contact**: for things that stand on the ground, the box's bottom
  edge (a person's lower ankle, when seen) is where they touch it. With the camera level at ``CAMERA_HEIGHT_M``
  (a hand-held phone), the angle below the horizon gives the distance:
  d = h / tan(angle). It counts fully once the contact is 5 deg or more
  below the horizon and not at all at the horizon, where it blows up.

A learned :class:`~see2sound.vision.depth.DepthEstimator` can replace both (``depth=``).

Contents
--------
SizePriors        the default DepthEstimator
estimate_distance, CAMERA_HEIGHT_M
"""

from __future__ import annotations

import math

import numpy as np

from ..camera import Camera
from ...registry import Component
from ..vocabulary import Kind

CAMERA_HEIGHT_M = 1.5
MIN_DISTANCE_M, MAX_DISTANCE_M = 0.3, 300.0
DEFAULT_DISTANCE_M = 5.0
EDGE_PX = 2.0


def _ray_scale(camera: Camera, u: float, v: float) -> float:
    """Distance along the ray through (u, v) per metre of depth along the optical axis."""
    f = camera.focal_px
    return math.sqrt(1.0 + ((u - camera.width / 2) / f) ** 2 + ((v - camera.height / 2) / f) ** 2)


def _angular_size_deg(camera: Camera, a: float, b: float, axis: int, at: float) -> float:
    if axis == 0:
        az, _ = camera.direction([a, b], [at, at])
        return abs(float(az[0] - az[1]))
    _, el = camera.direction([at, at], [a, b])
    return abs(float(el[0] - el[1]))


def estimate_distance(box: tuple[float, float, float, float], kind: Kind, camera: Camera, *,
                      height_px: float | None = None,
                      contact: tuple[float, float] | str | None = "box") -> tuple[float, str]:
    """(distance in metres along the ray through the box centre, how it was found).

    ``height_px``: the object's full height in pixels when known better than
    from its box (a person's stature from their keypoints,
    :mod:`see2sound.vision.pose`): it replaces the box's height and is never
    cut by the frame. ``contact``: where it touches the ground, (u, v) in
    pixels; "box" (default) for the middle of the box's bottom edge; None
    when that is not known (no ground estimate).
    """
    x0, y0, x1, y1 = box
    uc, vc = (x0 + x1) / 2, (y0 + y1) / 2
    estimates: list[tuple[float, float]] = []  # (log distance, weight)
    bounds: list[float] = []
    measured = height_px is not None and height_px >= 1.0
    for size, (a, b), lo_edge, hi_edge, axis, weight in (
        (kind.height_m, (vc - height_px / 2, vc + height_px / 2) if measured else (y0, y1), 0.0, camera.height, 1, 1.0),
        (kind.width_m, (x0, x1), 0.0, camera.width, 0, 0.5),
    ):
        if not size or b - a < 1.0:
            continue
        if camera.projection == "equirect":
            angle = math.radians(_angular_size_deg(camera, a, b, axis, uc if axis else vc))
            d = size / (2.0 * math.tan(min(angle, 3.0) / 2.0))
        else:
            d = camera.focal_px * size / (b - a) * _ray_scale(camera, uc, vc)
        cut = (a <= lo_edge + EDGE_PX or b >= hi_edge - EDGE_PX) and camera.projection != "equirect"
        if cut and not (measured and axis == 1):
            bounds.append(d)  # more of it is outside the frame: it is at most this far
        else:
            estimates.append((math.log(d), weight))
    method = "size"
    ground = (uc, y1) if contact == "box" else contact
    if kind.grounded and ground is not None and ground[1] < camera.height - EDGE_PX:
        _, el_bottom = camera.direction([ground[0]], [ground[1]])
        below = -float(el_bottom[0])
        if below > 0.5:
            trust = min(1.0, below / 5.0)
            horizontal = CAMERA_HEIGHT_M / math.tan(math.radians(below))
            _, el_centre = camera.direction([uc], [vc])
            d = horizontal / max(0.05, math.cos(math.radians(float(el_centre[0]))))
            estimates.append((math.log(d), 1.5 * trust))
            method = "size+ground" if len(estimates) > 1 else "ground"
    if estimates:
        total = sum(w for _, w in estimates)
        distance = math.exp(sum(v * w for v, w in estimates) / total)
        if bounds:
            distance = min(distance, min(bounds))
    elif bounds:
        distance, method = min(bounds), "size (cut by the frame: upper bound)"
    else:
        distance, method = DEFAULT_DISTANCE_M, "default"
    return float(np.clip(distance, MIN_DISTANCE_M, MAX_DISTANCE_M)), method


class SizePriors(Component):
    """Distances from each class's typical size and where it meets the ground (offline, no model).

    As a :class:`~see2sound.vision.depth.DepthEstimator` it has no map to
    read: :meth:`distance_m` answers None, and the source stage uses
    :func:`estimate_distance` itself, with what only it knows (a person's
    keypoints, :mod:`see2sound.vision.pose`).
    """

    name = "priors"
    method = "size"

    def set_picture(self, rgb: np.ndarray, scale: float) -> None:
        return None

    def distance_m(self, box: tuple[float, float, float, float], camera: Camera, *, label: str,
                   mask: np.ndarray | None = None) -> float | None:
        return None
