"""How far away each detected object is: the DepthEstimator interface and its implementations.

Contents
--------
DepthEstimator   the interface (a registered component of kind ``depth``)
priors           SizePriors: class sizes and ground contact, offline (default)
depth_anything   Depth Anything V2, metric or relative (needs see2sound[hub])
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from ...registry import Component
from ..camera import Camera

__all__ = ["DepthEstimator"]


@runtime_checkable
class DepthEstimator(Component, Protocol):
    """Metric distance of a detected object, in metres along the ray to its sound-emitting point.

    :meth:`set_picture` is called once per picture, before any
    :meth:`distance_m` (a learned model computes its depth map there).
    :meth:`distance_m` gets the box (original pixels), the camera, the
    object's vocabulary ``label`` and, for segmenting detectors, its
    ``mask`` (relative to the box, as in
    :class:`~see2sound.vision.detect.Detection`); None means "I cannot
    tell", and the size priors answer instead. ``method`` (an attribute) says
    how the last distance was found, for the scene's ``distance_method``.
    """

    def set_picture(self, rgb: np.ndarray, scale: float) -> None:
        """The analysis picture, RGB uint8 [shape=(h, w, 3)], ``scale`` = its pixels per original pixel."""
        return None

    def distance_m(self, box: tuple[float, float, float, float], camera: Camera, *, label: str,
                   mask: np.ndarray | None = None) -> float | None: ...
