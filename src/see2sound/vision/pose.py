"""What a person's 17 keypoints tell about the sound: where the mouth is, how tall they stand, where they face.

Keypoints are MoveNet's (:data:`~.detect.movenet.KEYPOINTS`, COCO order:
the person's own left and right), as (x, y, score) rows in picture pixels.
A keypoint counts when its score is at least :data:`MIN_KEYPOINT_SCORE`.

- **Mouth**: below the nose by 0.6 of the eyes-to-nose drop (a frontal
  face's mouth is about that far under the nose tip), else the nose, else
  the middle of the ears or eyes. The sound comes from there.
- **Stature in pixels**: standing heights of landmarks as fractions of
  stature (Drillis & Contini's segment proportions, as tabled in D. A.
  Winter, *Biomechanics and Motor Control of Human Movement*, 4th ed.,
  2009, fig. 4.1): eye 0.936, shoulder 0.818, hip 0.530, knee 0.285, ankle
  0.039. The highest and lowest visible landmarks that are at least 0.25
  of stature apart give stature = their vertical distance / the difference
  of their fractions. Legs count only when they look straight (hip to ankle
  at least 1.2 x shoulder to hip, where standing gives 1.7); otherwise the
  person sits or crouches and the torso alone is used.
- **Feet**: the lower of the visible ankles, where the person meets the ground.
- **Facing**: a person seen from the front shows their left shoulder on the
  picture's right. The shoulders' horizontal separation against their
  expected width (0.259 of stature) gives how far the body is turned
  (cos of the yaw; square on when the stature is unknown); the nose's side
  of the shoulders' midpoint, which way.
  Returned in the scene's azimuth convention (degrees counter-clockwise, +90
  left): a person straight ahead of the listener facing them faces 180.

Contents
--------
MIN_KEYPOINT_SCORE, HEIGHT_FRACTION
mouth, stature_px, feet, facing_deg
"""

from __future__ import annotations

import math

import numpy as np

from ..scene import wrap_azimuth_deg
from .detect.movenet import KEYPOINTS

MIN_KEYPOINT_SCORE = 0.2
_I = {name: i for i, name in enumerate(KEYPOINTS)}
#: Standing height of each landmark as a fraction of stature (Drillis & Contini, in Winter 2009).
HEIGHT_FRACTION = {"eye": 0.936, "shoulder": 0.818, "hip": 0.530, "knee": 0.285, "ankle": 0.039}
SHOULDER_WIDTH = 0.259  # biacromial width as a fraction of stature (same source)
MOUTH_BELOW_NOSE = 0.6  # of the eyes-to-nose drop
MIN_SPAN = 0.25  # of stature, between the two landmarks used
STRAIGHT_LEGS = 1.2  # hip-to-ankle over shoulder-to-hip, at least, for the legs to count


def _seen(keypoints: np.ndarray, *names: str) -> list[np.ndarray]:
    return [keypoints[_I[n], :2] for n in names if keypoints[_I[n], 2] >= MIN_KEYPOINT_SCORE]


def _mean(points: list[np.ndarray]) -> np.ndarray | None:
    return np.mean(points, axis=0) if points else None


def mouth(keypoints: np.ndarray) -> tuple[float, float] | None:
    """(u, v) of the mouth, or None when no face keypoint is seen."""
    nose = _seen(keypoints, "nose")
    eyes = _mean(_seen(keypoints, "left_eye", "right_eye"))
    if nose:
        u, v = nose[0]
        if eyes is not None and eyes[1] < v:
            v += MOUTH_BELOW_NOSE * (v - eyes[1])
        return float(u), float(v)
    for pair in (("left_ear", "right_ear"), ("left_eye", "right_eye")):
        point = _mean(_seen(keypoints, *pair))
        if point is not None:
            return float(point[0]), float(point[1])
    return None


def _landmarks(keypoints: np.ndarray) -> dict[str, float]:
    """Landmark -> its mean image row (y), for those seen."""
    rows = {}
    for landmark, names in (("eye", ("left_eye", "right_eye")), ("shoulder", ("left_shoulder", "right_shoulder")),
                            ("hip", ("left_hip", "right_hip")), ("knee", ("left_knee", "right_knee")),
                            ("ankle", ("left_ankle", "right_ankle"))):
        point = _mean(_seen(keypoints, *names))
        if point is not None:
            rows[landmark] = float(point[1])
    return rows


def stature_px(keypoints: np.ndarray) -> float | None:
    """The person's standing height in pixels, from their visible landmarks (None when too few are seen)."""
    rows = _landmarks(keypoints)
    if {"shoulder", "hip", "ankle"} <= rows.keys():
        torso = rows["hip"] - rows["shoulder"]
        if torso <= 0 or rows["ankle"] - rows["hip"] < STRAIGHT_LEGS * torso:
            rows.pop("knee", None)
            rows.pop("ankle", None)
    elif "hip" in rows and ("knee" in rows or "ankle" in rows):
        rows.pop("knee", None)  # legs without shoulders to check them against
        rows.pop("ankle", None)
    ordered = sorted(rows, key=lambda k: -HEIGHT_FRACTION[k])  # top of the body first
    if len(ordered) < 2:
        return None
    top, bottom = ordered[0], ordered[-1]
    span = HEIGHT_FRACTION[top] - HEIGHT_FRACTION[bottom]
    drop = rows[bottom] - rows[top]
    if span < MIN_SPAN or drop <= 0:
        return None
    return drop / span


def feet(keypoints: np.ndarray) -> tuple[float, float] | None:
    """(u, v) where the person stands on the ground: the lower visible ankle (None when none is seen)."""
    ankles = _seen(keypoints, "left_ankle", "right_ankle")
    if not ankles:
        return None
    low = max(ankles, key=lambda p: p[1])
    return float(low[0]), float(low[1])


def facing_deg(keypoints: np.ndarray, azimuth_deg: float) -> float | None:
    """The azimuth the person at ``azimuth_deg`` faces (scene convention), or None when the shoulders are not seen.

    How far the body is turned needs their stature (:func:`stature_px`);
    without it a person is taken as square to the camera, facing it or not.

    0 relative yaw (square to the camera, left shoulder on the picture's
    right) means facing the listener: ``azimuth_deg + 180``.
    """
    left, right = _seen(keypoints, "left_shoulder"), _seen(keypoints, "right_shoulder")
    if not left or not right:
        return None
    height = stature_px(keypoints)
    dx = float(left[0][0] - right[0][0])  # > 0: the person's left is on the picture's right: facing us
    # Without a stature to measure the shoulders against, how far the body is turned is unknown: square on.
    turn = math.degrees(math.acos(min(1.0, abs(dx) / (SHOULDER_WIDTH * height)))) if height else 0.0
    nose = _seen(keypoints, "nose")
    middle = (left[0][0] + right[0][0]) / 2
    # The nose on the shoulders' left (in the picture) means turned towards the picture's left (+y).
    # Without the nose the side is unknown: taken as square on.
    side = 0.0 if not nose else (1.0 if nose[0][0] < middle else -1.0)
    if dx > 0:  # facing the listener (azimuth + 180); turning towards +y lowers that azimuth
        return wrap_azimuth_deg(azimuth_deg + 180.0 - side * turn)
    return wrap_azimuth_deg(azimuth_deg + side * turn)  # facing away, the way the listener looks
