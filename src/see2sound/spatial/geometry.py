"""Directions and paths around the listener (SPEC §1).

Axes are right-handed, **x forward, y left, z up**; azimuth is counter-
clockwise from the front (+90 = left), elevation up from the horizon.

Contents
--------
to_unit_vector, to_spherical   degrees <-> unit vectors
slerp                          great-circle interpolation between directions
Path                           a source's direction and distance over time
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scene import Source


def to_unit_vector(azimuth_deg, elevation_deg) -> np.ndarray:
    """Unit vectors [shape=(..., 3)] for azimuths and elevations in degrees."""
    az = np.radians(np.asarray(azimuth_deg, dtype=np.float64))
    el = np.radians(np.asarray(elevation_deg, dtype=np.float64))
    return np.stack([np.cos(az) * np.cos(el), np.sin(az) * np.cos(el), np.sin(el)], axis=-1)


def to_spherical(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth and elevation in degrees of vectors [shape=(..., 3)]."""
    v = np.asarray(vectors, dtype=np.float64)
    azimuth = np.degrees(np.arctan2(v[..., 1], v[..., 0]))
    elevation = np.degrees(np.arctan2(v[..., 2], np.hypot(v[..., 0], v[..., 1])))
    return azimuth, elevation


def slerp(u0: np.ndarray, u1: np.ndarray, frac: np.ndarray) -> np.ndarray:
    """Great-circle interpolation between unit vectors.

    ``u0``, ``u1`` [shape=(n, 3)], ``frac`` [shape=(n,)] in [0, 1]. Opposite
    directions have no unique great circle: the path then turns through the
    horizontal plane (counter-clockwise, via the left) or, for up/down, the
    front; it never passes through the listener.
    """
    u0 = np.asarray(u0, dtype=np.float64)
    u1 = np.asarray(u1, dtype=np.float64)
    frac = np.asarray(frac, dtype=np.float64)[..., None]
    cos_angle = np.clip(np.sum(u0 * u1, axis=-1, keepdims=True), -1.0, 1.0)
    angle = np.arccos(cos_angle)
    # A unit vector orthogonal to u0 in the plane of rotation.
    ortho = u1 - cos_angle * u0
    norm = np.linalg.norm(ortho, axis=-1, keepdims=True)
    opposite = norm[..., 0] < 1e-9
    if np.any(opposite):
        z = np.array([0.0, 0.0, 1.0])
        fallback = np.cross(z, u0[opposite])
        vertical = np.linalg.norm(fallback, axis=-1) < 1e-9
        fallback[vertical] = [1.0, 0.0, 0.0]
        ortho[opposite] = fallback
        norm[opposite] = np.linalg.norm(fallback, axis=-1, keepdims=True)
    ortho = ortho / np.maximum(norm, 1e-300)
    theta = angle * frac
    return np.cos(theta) * u0 + np.sin(theta) * ortho


@dataclass(frozen=True)
class Path:
    """A source's direction and distance over time.

    ``times_s`` [shape=(k,)] increasing, ``directions`` [shape=(k, 3)] unit
    vectors, ``distances_m`` [shape=(k,)]. A single keyframe is a still
    source. Before the first and after the last keyframe the source holds.
    """

    times_s: np.ndarray
    directions: np.ndarray
    distances_m: np.ndarray

    @classmethod
    def of(cls, source: Source) -> Path:
        frames = source.trajectory or [source.position]
        times = np.array([getattr(k, "t", 0.0) for k in frames], dtype=np.float64)
        directions = to_unit_vector([k.azimuth_deg for k in frames], [k.elevation_deg for k in frames])
        distances = np.array([k.distance_m for k in frames], dtype=np.float64)
        return cls(times, directions.reshape(-1, 3), distances)

    @property
    def is_still(self) -> bool:
        return len(self.times_s) == 1

    def rotated(self, azimuth_offset_deg: float) -> Path:
        """The same path turned about the vertical axis (used to widen sources)."""
        a = np.radians(azimuth_offset_deg)
        rot = np.array([[np.cos(a), -np.sin(a), 0.0], [np.sin(a), np.cos(a), 0.0], [0.0, 0.0, 1.0]])
        return Path(self.times_s, self.directions @ rot.T, self.distances_m)

    def at(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Directions [shape=(n, 3)] and distances [shape=(n,)] at times ``t_s``."""
        t = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        if self.is_still:
            return np.repeat(self.directions, len(t), axis=0), np.repeat(self.distances_m, len(t))
        times = self.times_s
        idx = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 2)
        span = times[idx + 1] - times[idx]
        frac = np.clip((t - times[idx]) / span, 0.0, 1.0)
        directions = slerp(self.directions[idx], self.directions[idx + 1], frac)
        distances = self.distances_m[idx] + frac * (self.distances_m[idx + 1] - self.distances_m[idx])
        return directions, distances
