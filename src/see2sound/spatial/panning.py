"""Loudspeaker layouts and vector-base amplitude panning (VBAP, Pulkki 1997).

Each format's own :class:`see2sound.formats.Layout` says where its
loudspeakers are (SPEC §3). The LFE channel is not a direction and gets no
panned signal. Gains always have unit total power.

**Horizontal layouts** (stereo, 5.1, 7.1: every loudspeaker at elevation 0)
are panned in 2D: a source's elevation is folded onto the horizon, and its
azimuth is panned between the two loudspeakers around it. A layout with a
gap of 180 deg or more (stereo) first mirrors rear directions to the front,
then holds directions outside the pair at the nearest loudspeaker, so a
source at +90 comes from L alone.

**Layouts with elevated loudspeakers** (5.1.4, 7.1.4) are panned in 3D over
triangles of loudspeakers (the convex hull of their directions) by
vector-base intensity panning (VBIP, Pernaux, Boussard & Jot 1998): the
triangle's solution gives each loudspeaker's power, so the energy vector
(sum of g_k^2 u_k) points at the source, which plain VBAP misses by up to
25 deg with loudspeakers this far apart. Two kinds of virtual loudspeaker
hand their power on to real ones:

- where no loudspeaker is below the horizon, one at the nadir. Its power goes
  to the lowest layer (the ear-level ring) in equal parts, so a source
  below the horizon comes from the ear-level loudspeakers only: from those
  around its azimuth just under the horizon, from all of them alike
  straight down.
- one at the centre of every hull face with more than three corners (the
  flat top of four upper loudspeakers, the trapezoid between an ear-level
  pair and the upper pair above it). A quad split along one diagonal would
  pan the left and the right of the room differently; the centre point
  splits it symmetrically. Its power goes to the face's corners in equal
  parts scaled by 1/|sum of their unit vectors|, so the energy vector still
  points exactly at the source.

Contents
--------
vbap_gains           gains [shape=(n, channels)] for directions
triangulation        the 3D triangles of a layout and how virtual loudspeakers map to channels
"""

from __future__ import annotations

import functools

import numpy as np

from ..errors import ParameterError
from ..formats import Layout

#: Hull facets whose plane equations agree this closely are one flat face.
_COPLANAR_TOL = 1e-9


def vbap_gains(layout: Layout, directions: np.ndarray) -> np.ndarray:
    """Panning gains [shape=(n, channels)] for unit vectors [shape=(n, 3)] (SPEC §1 axes).

    2D VBAP for a horizontal layout, 3D VBAP for one with elevated loudspeakers.
    """
    d = np.atleast_2d(np.asarray(directions, dtype=np.float64))
    if not layout.is_horizontal:
        return _vbap_3d(layout, d)
    azimuth = np.degrees(np.arctan2(d[:, 1], d[:, 0]))
    speakers = layout.speakers
    spk_az = np.array([layout.azimuths_deg[i] for i in speakers])
    order = np.argsort(spk_az)
    spk_az, speakers = spk_az[order], [speakers[i] for i in order]
    gaps = np.diff(np.concatenate([spk_az, spk_az[:1] + 360.0]))
    if gaps.max() >= 180.0:
        # Frontal pair: mirror the rear half to the front, hold outside the pair.
        azimuth = np.where(np.abs(azimuth) > 90.0, np.sign(azimuth) * 180.0 - azimuth, azimuth)
        lo = spk_az[(np.argmax(gaps) + 1) % len(spk_az)]
        hi = lo + 360.0 - gaps.max()
        span = hi - lo
        rel = (azimuth - lo) % 360.0
        outside = rel > span
        nearer_hi = (rel - span) < (360.0 - rel)
        rel = np.where(outside, np.where(nearer_hi, span, 0.0), rel)
        azimuth = rel + lo
    # Pair k spans spk_az[k] .. spk_az[k+1] (the last pair wraps around).
    rel = (azimuth[:, None] - spk_az[None, :]) % 360.0
    k = np.argmin(np.where(rel < gaps[None, :] + 1e-9, rel, np.inf), axis=1)
    a1 = np.radians(spk_az[k])
    a2 = np.radians(spk_az[(k + 1) % len(spk_az)])
    t = np.radians(azimuth)
    det = np.cos(a1) * np.sin(a2) - np.sin(a1) * np.cos(a2)
    g1 = (np.cos(t) * np.sin(a2) - np.sin(t) * np.cos(a2)) / det
    g2 = (np.cos(a1) * np.sin(t) - np.sin(a1) * np.cos(t)) / det
    g1, g2 = np.clip(g1, 0.0, None), np.clip(g2, 0.0, None)
    norm = np.sqrt(g1 ** 2 + g2 ** 2)
    gains = np.zeros((len(d), len(layout.channels)))
    idx = np.array(speakers)
    rows = np.arange(len(d))
    gains[rows, idx[k]] += g1 / norm
    gains[rows, idx[(k + 1) % len(idx)]] += g2 / norm
    return gains


@functools.lru_cache(maxsize=None)
def triangulation(layout: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The upper-hemisphere VBAP triangles of ``layout``: (inverses, corners, to_channels).

    ``inverses`` [shape=(t, 3, 3)]: for triangle k with corner unit vectors as
    the rows of L_k, inv(L_k), so that corner gains are ``p @ inverses[k]``.
    ``corners`` [shape=(t, 3)]: the points (loudspeakers, then virtual ones)
    at each triangle's corners. ``to_channels`` [shape=(points, channels)]:
    how a point's gain reaches the channels (a single 1 for a loudspeaker).

    The triangles are the faces of the convex hull of the loudspeaker
    directions with the ear-level ring as its rim, found as the Delaunay
    triangulation of their stereographic projection from the nadir (which
    maps the hull's faces to Delaunay triangles and the ring to the
    boundary). A face of four or more corners is split around a virtual
    loudspeaker at its centre.
    """
    speakers = layout.speakers
    units = layout.speaker_directions()
    if units[:, 2].min() < -1e-12:
        raise ParameterError("layout", f"{layout.name}: 3D panning needs every loudspeaker at or above the horizon")
    to_channels = np.zeros((len(speakers), len(layout.channels)))
    to_channels[np.arange(len(speakers)), speakers] = 1.0
    points, rows = list(units), list(to_channels)
    triangles = []
    for face in _flat_faces(units):
        if len(face) == 3:
            triangles.append(face)
            continue
        # A flat face of four or more: a fan of triangles around a virtual loudspeaker at its centre.
        total = units[face].sum(0)
        centre = len(points)
        points.append(total / np.linalg.norm(total))
        rows.append(to_channels[face].sum(0) / np.linalg.norm(total))
        ring = _around(units[face], total)
        triangles += [[centre, face[a], face[b]] for a, b in zip(ring, np.roll(ring, -1))]
    corners = np.array(triangles)
    inverses = np.linalg.inv(np.array(points)[corners])
    return inverses, corners, np.array(rows)


def _around(face: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Indices of the points of a flat face [shape=(m, 3)] in order around ``axis``."""
    centre = face.mean(0)
    e1 = face[0] - centre
    e2 = np.cross(axis, e1)
    return np.argsort(np.arctan2((face - centre) @ e2, (face - centre) @ e1))


def _delaunay(points: np.ndarray) -> np.ndarray:
    """Triangles [shape=(t, 3)] over unit vectors at or above the horizon (stereographic projection).

    The ear-level loudspeakers must be the rim: every other one projects inside their polygon.
    """
    from scipy.spatial import Delaunay

    tri = Delaunay(points[:, :2] / (1.0 + points[:, 2:3]))
    rim = np.unique(tri.convex_hull)
    if np.any(points[rim, 2] > 1e-9):
        raise ParameterError("layout", "3D panning needs the ear-level loudspeakers all around the upper ones")
    return tri.simplices


def _flat_faces(points: np.ndarray) -> list[list[int]]:
    """The hull's faces as lists of point indices: triangles that lie in one plane merged."""
    faces: list[tuple[np.ndarray, set[int]]] = []
    for simplex in _delaunay(points):
        a, b, c = points[simplex]
        normal = np.cross(b - a, c - a)
        normal /= np.linalg.norm(normal)
        plane = np.append(normal, normal @ a)
        for known, members in faces:
            if np.allclose(known, plane, atol=_COPLANAR_TOL):
                members.update(simplex.tolist())
                break
        else:
            faces.append((plane, set(simplex.tolist())))
    return [sorted(members) for _, members in faces]


def _ear_level(layout: Layout) -> Layout:
    """The lowest layer of ``layout`` alone (the other channels as if LFE: no direction)."""
    lowest = min(layout.elevations_deg[i] for i in layout.speakers)
    azimuths = tuple(a if e == lowest else None for a, e in zip(layout.azimuths_deg, layout.elevations_deg))
    return Layout(f"{layout.name} ear level", layout.channels, azimuths)


def _vbap_3d(layout: Layout, d: np.ndarray) -> np.ndarray:
    """3D panning gains [shape=(n, channels)] for unit vectors ``d`` [shape=(n, 3)], unit power.

    Vector-base *intensity* panning: the triangle's solution sets each
    loudspeaker's power, not its amplitude, so the energy vector (sum of
    g_k^2 u_k) points at the source.
    """
    powers = np.zeros((len(d), len(layout.channels)))
    up = d[:, 2] >= 0.0
    if np.any(up):
        powers[up] = _upper_powers(layout, d[up])
    if not np.all(up):
        # Below the horizon: the triangle (the ear-level pair of the horizontal direction, a virtual
        # loudspeaker at the nadir), whose power the ear-level ring shares equally.
        low = d[~up]
        horizontal = np.hypot(low[:, 0], low[:, 1])
        flat = np.column_stack([low[:, :2] / np.maximum(horizontal, 1e-12)[:, None], np.zeros(len(low))])
        lower = _upper_powers(layout, flat) * horizontal[:, None]
        ring = _ear_level(layout).speakers
        lower[:, ring] += (-low[:, 2] / len(ring))[:, None]
        powers[~up] = lower
    gains = np.sqrt(np.where(powers > 1e-15, powers, 0.0))  # rounding's 1e-17 is no loudspeaker at -170 dB
    return gains / np.linalg.norm(gains, axis=1, keepdims=True)


def _upper_powers(layout: Layout, d: np.ndarray) -> np.ndarray:
    """Channel powers [shape=(n, channels)] for directions at or above the horizon: d = sum of p_k u_k."""
    inverses, corners, to_channels = triangulation(layout)
    p = np.einsum("nd,tde->nte", d, inverses)  # (n, triangles, 3)
    # The triangle the direction passes through has no negative weight; take the most inside one.
    k = np.argmax(p.min(axis=2), axis=1)
    rows = np.arange(len(p))
    point_powers = np.zeros((len(p), to_channels.shape[0]))
    np.add.at(point_powers, (rows[:, None], corners[k]), np.clip(p[rows, k], 0.0, None))
    return point_powers @ to_channels
