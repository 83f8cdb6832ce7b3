"""Augmented variants of an item for training data (``--variants K``), and the field's rotation.

Variant ``k`` of ``K`` (``k = 0 .. K-1``, outputs ``NAME.vk.*``) is, with
the item's seed ``s``:

- ``k = 0``: the item as asked (seed ``s``, its room, its HRTF, no rotation);
- ``k >= 1``: seed ``s + k``; room ``VARIANT_ROOMS[(k - 1) % 4]``; the HRTF
  ``sofa[k % n]`` of the ``n`` SOFA files of ``--hrtf-dir`` sorted by name
  (``k = 0`` takes ``sofa[0]`` too); the whole field turned by a yaw drawn
  from ``numpy.random.default_rng([s, k, crc32(NAME)])`` (NAME: the item's
  output name, so items differ), uniform in [-180, 180) degrees
  and rounded to 0.1 degree (every source's azimuth and trajectory; SPEC §1:
  +azimuth is left), before rendering, so the scene and labels saved are
  those heard.

The scheme depends on nothing but (seed, k, NAME) and the SOFA file names, so the same
command gives the same variants on any machine, in any order.

Contents
--------
variant_options, rotate_scene, VARIANT_ROOMS
"""

from __future__ import annotations

import dataclasses
import zlib
from pathlib import Path

import numpy as np

from ..scene import Scene

VARIANT_ROOMS = ("small", "medium", "large", "outdoor")


def _wrap(azimuth_deg: float) -> float:
    """An azimuth in [-180, 180)."""
    return float((azimuth_deg + 180.0) % 360.0 - 180.0)


def variant_options(k: int, seed: int, hrtfs: list[Path], name: str = "") -> dict:
    """Variant ``k``'s changes to the item's options: ``seed``, ``room``, ``hrtf``, ``yaw_deg``."""
    changes: dict = {}
    if hrtfs:
        changes["hrtf"] = str(hrtfs[k % len(hrtfs)])
    if k == 0:
        return changes
    yaw = float(np.random.default_rng([seed & 0xFFFFFFFF, k, zlib.crc32(name.encode())]).uniform(-180.0, 180.0))
    return {**changes, "seed": seed + k, "room": VARIANT_ROOMS[(k - 1) % len(VARIANT_ROOMS)],
            "yaw_deg": round(yaw, 1)}


def rotate_scene(scene: Scene, yaw_deg: float) -> Scene:
    """Turn every source (position, trajectory, facing) by ``yaw_deg`` about the vertical axis, in place."""
    for source in scene.sources:
        source.position = dataclasses.replace(source.position, azimuth_deg=_wrap(source.position.azimuth_deg + yaw_deg))
        source.trajectory = [dataclasses.replace(k, azimuth_deg=_wrap(k.azimuth_deg + yaw_deg))
                             for k in source.trajectory]
        if source.facing_deg is not None:
            source.facing_deg = _wrap(source.facing_deg + yaw_deg)
    if scene.input is not None:
        scene.input["rotation_deg"] = yaw_deg
    return scene
