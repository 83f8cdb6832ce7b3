"""From pixels to directions (SPEC §1): the camera is the listener.

Perspective pictures are a pinhole camera, principal point at the centre,
focal length ``f = (W/2) / tan(hfov/2)`` in pixels, level (no pitch or
roll is known). Equirectangular 360 deg frames map columns to azimuth and
rows to elevation linearly, the centre column straight ahead.

Contents
--------
Camera           projection, field of view and where it came from
camera_for       the camera of a picture (user choice > EXIF > default)
DEFAULT_HFOV_DEG
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError

#: A typical phone main camera (26 mm equivalent) sees ~65-70 deg across.
DEFAULT_HFOV_DEG = 65.0
#: Diagonal of a 36 x 24 mm frame: what "35 mm-equivalent" focal lengths refer to.
FULL_FRAME_DIAGONAL_MM = math.hypot(36.0, 24.0)
EQUIRECT_ASPECT_TOLERANCE = 0.005


@dataclass(frozen=True)
class Camera:
    """How pixels of a ``width`` x ``height`` picture map to directions."""

    width: int
    height: int
    projection: str = "perspective"
    hfov_deg: float = DEFAULT_HFOV_DEG
    fov_source: str = "default"

    @property
    def focal_px(self) -> float:
        return (self.width / 2.0) / math.tan(math.radians(self.hfov_deg) / 2.0)

    @property
    def vfov_deg(self) -> float:
        if self.projection == "equirect":
            return 180.0
        return 2.0 * math.degrees(math.atan((self.height / 2.0) / self.focal_px))

    def direction(self, u, v) -> tuple[np.ndarray, np.ndarray]:
        """Azimuth and elevation in degrees of pixel coordinates (u right, v down)."""
        u = np.asarray(u, dtype=np.float64)
        v = np.asarray(v, dtype=np.float64)
        if self.projection == "equirect":
            return 180.0 - 360.0 * u / self.width, 90.0 - 180.0 * v / self.height
        cx, cy, f = self.width / 2.0, self.height / 2.0, self.focal_px
        azimuth = np.degrees(np.arctan2(cx - u, f))
        elevation = np.degrees(np.arctan2(cy - v, np.hypot(f, u - cx)))
        return azimuth, elevation

    def to_json(self) -> dict:
        out = {"projection": self.projection, "fov_source": self.fov_source}
        if self.projection == "perspective":
            out["hfov_deg"] = round(self.hfov_deg, 3)
        return out


def hfov_from_35mm(focal_35mm: float, width: int, height: int) -> float:
    """Horizontal FOV of a picture whose 35 mm-equivalent focal length is known.

    The equivalent focal length refers to the 43.3 mm diagonal of a full
    frame; the picture's own diagonal is scaled onto it, so any aspect works.
    """
    width_mm = FULL_FRAME_DIAGONAL_MM * width / math.hypot(width, height)
    return 2.0 * math.degrees(math.atan(width_mm / (2.0 * focal_35mm)))


def camera_for(width: int, height: int, *, hfov_deg: float | None = None, projection: str = "auto",
               focal_35mm: float | None = None, gpano_equirect: bool = False) -> Camera:
    """The camera model of a picture: user's choices first, then metadata, then defaults.

    ``projection`` is ``perspective``, ``equirect`` or ``auto`` (equirect when
    XMP GPano says so or the picture is 2:1).
    """
    if projection not in ("auto", "perspective", "equirect"):
        raise ParameterError("projection", f"unknown projection {projection!r} (auto, perspective, equirect)")
    if projection == "auto":
        two_to_one = abs(width / height - 2.0) <= 2.0 * EQUIRECT_ASPECT_TOLERANCE
        projection = "equirect" if gpano_equirect or two_to_one else "perspective"
        source = "gpano" if gpano_equirect else ("aspect" if two_to_one else None)
    else:
        source = "user"
    if projection == "equirect":
        return Camera(width, height, "equirect", 360.0, source or "user")
    if hfov_deg is not None:
        if not (isinstance(hfov_deg, (int, float)) and 1.0 <= hfov_deg <= 179.0):
            raise ParameterError("hfov_deg", f"must be between 1 and 179 degrees, got {hfov_deg}")
        return Camera(width, height, "perspective", float(hfov_deg), "user")
    if focal_35mm:
        return Camera(width, height, "perspective", hfov_from_35mm(focal_35mm, width, height), "exif")
    return Camera(width, height, "perspective", DEFAULT_HFOV_DEG, "default")
