"""Learned metric depth (Depth Anything V2) as a :class:`~see2sound.vision.depth.DepthEstimator`.

The picture is run once (shorter side resized to 518 px in multiples of 14,
ImageNet normalisation, as the model was trained); the predicted depth map
(metres along the optical axis) is scaled back to the picture. An object's
distance is the median depth over the middle of its box (the central half
in each direction, where the object rather than its background is),
converted from depth to distance along the ray through the box centre.
For a detection with a mask, it is the median over the mask instead (robust
to the background showing through the box) along the ray through the
mask's sound-emitting point.

A relative model (``depth-anything-relative``, as the published method used)
predicts disparity, not metres: distance is taken as 1 / disparity, scaled
so that the picture's median disparity lies at 5 m. Orders and ratios of
distances are then the model's, the metres are not.

Licences: the Small metric checkpoints are Apache-2.0; Base and Large are
CC BY-NC 4.0 (non-commercial).

Contents
--------
DepthAnythingEstimator
"""

from __future__ import annotations

import math

import numpy as np

from ..camera import Camera
from ...registry import Component
from ...runtime import IMAGENET_MEAN, IMAGENET_STD, device, load_model, pixels, release, require

#: Model ids by name, with their licences (module docstring).
DEPTH_MODELS = {
    "depth-anything-outdoor": "depth-anything/Depth-Anything-V2-Metric-Outdoor-Small-hf",
    "depth-anything-indoor": "depth-anything/Depth-Anything-V2-Metric-Indoor-Small-hf",
    "depth-anything-relative": "depth-anything/Depth-Anything-V2-Small-hf",
}

INPUT_SIDE = 518
INNER = 0.25  # the central half of a box: 25 % in from each side
#: A relative model's depth is 1 / disparity, scaled so the picture's median disparity is this far.
RELATIVE_REFERENCE_M = 5.0


class DepthAnythingEstimator(Component):
    """Distances from a Depth Anything V2 metric model (a hub id, a name of DEPTH_MODELS, or a folder)."""

    def __init__(self, model: str = "depth-anything-outdoor"):
        torch, transformers = require()
        self.model_id = DEPTH_MODELS.get(model, model)
        self.model = load_model(transformers.DepthAnythingForDepthEstimation, self.model_id)
        self.device, self.dtype = device()
        self.depth: np.ndarray | None = None
        self.scale = 1.0
        #: A relative model predicts disparity (larger is nearer), not metres.
        self.relative = getattr(self.model.config, "depth_estimation_type", "relative") != "metric"
        self.reference = 1.0

    def release(self) -> None:
        """Free the model (low-memory mode); the depth map already computed stays."""
        self.model = None
        release()

    @property
    def method(self) -> str:
        """How a distance was found, for the scene's ``distance_method``."""
        return type(self).__name__ + (" (relative: 1/disparity, unscaled)" if self.relative else "")

    def _central_depth(self, box) -> float:
        """Median over the central half of the box (in each direction)."""
        x0, y0, x1, y1 = (v * self.scale for v in box)
        dx, dy = (x1 - x0) * INNER, (y1 - y0) * INNER
        h, w = self.depth.shape
        r0, r1 = int(max(0, y0 + dy)), int(min(h, math.ceil(y1 - dy)))
        c0, c1 = int(max(0, x0 + dx)), int(min(w, math.ceil(x1 - dx)))
        patch = self.depth[r0:max(r1, r0 + 1), c0:max(c1, c0 + 1)]
        return float(np.median(patch)) if patch.size else float("nan")

    def _masked_depth(self, box, mask: np.ndarray) -> float:
        """Median over the depth-map pixels whose centres fall inside the mask."""
        x0, y0, x1, y1 = (v * self.scale for v in box)
        h, w = self.depth.shape
        r0, r1 = int(max(0, math.floor(y0))), int(min(h, math.ceil(y1)))
        c0, c1 = int(max(0, math.floor(x0))), int(min(w, math.ceil(x1)))
        if r1 <= r0 or c1 <= c0 or y1 <= y0 or x1 <= x0:
            return float("nan")
        rows = ((np.arange(r0, r1) + 0.5 - y0) / (y1 - y0) * mask.shape[0]).astype(int)
        cols = ((np.arange(c0, c1) + 0.5 - x0) / (x1 - x0) * mask.shape[1]).astype(int)
        ok_r = (rows >= 0) & (rows < mask.shape[0])
        ok_c = (cols >= 0) & (cols < mask.shape[1])
        inside = np.zeros((r1 - r0, c1 - c0), dtype=bool)
        inside[np.ix_(ok_r, ok_c)] = mask[np.ix_(rows[ok_r], cols[ok_c])]
        values = self.depth[r0:r1, c0:c1][inside]
        return float(np.median(values)) if values.size else self._central_depth(box)

    def set_picture(self, rgb: np.ndarray, scale: float) -> None:
        """Run the model on the analysis picture (``scale`` = its pixels per original pixel)."""
        import torch

        h, w = rgb.shape[:2]
        ratio = INPUT_SIDE / min(h, w)
        size = (max(14, int(round(h * ratio / 14)) * 14), max(14, int(round(w * ratio / 14)) * 14))
        x = pixels(rgb, IMAGENET_MEAN, IMAGENET_STD)
        x = torch.nn.functional.interpolate(x, size=size, mode="bicubic", align_corners=False)
        with torch.no_grad():
            pred = self.model(pixel_values=x.to(self.device, self.dtype)).predicted_depth
            pred = torch.nn.functional.interpolate(pred[:, None].float(), size=(h, w), mode="bilinear",
                                                   align_corners=False)[0, 0]
        self.depth = pred.cpu().numpy()
        self.scale = scale
        if self.relative:
            positive = self.depth[self.depth > 0]
            self.reference = float(np.median(positive)) if positive.size else 1.0

    def distance_m(self, box: tuple[float, float, float, float], camera: Camera, *, label: str = "",
                   mask: np.ndarray | None = None) -> float | None:
        if self.depth is None:
            return None
        z = self._masked_depth(box, mask) if mask is not None else self._central_depth(box)
        if not math.isfinite(z) or z <= 0:
            return None
        if self.relative:
            z = RELATIVE_REFERENCE_M * self.reference / z  # disparity -> depth, up to one scale per picture
        if mask is not None:
            from ..detect import Detection
            from ..sources import emitter_point

            u, v = emitter_point(Detection(box, "", 0.0, mask=mask))
        else:
            u, v = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        if camera.projection == "equirect":
            return z
        f = camera.focal_px
        return z * math.sqrt(1 + ((u - camera.width / 2) / f) ** 2 + ((v - camera.height / 2) / f) ** 2)


def depth_anything_outdoor() -> DepthAnythingEstimator:
    """Depth Anything V2 Metric Outdoor Small (Apache-2.0)."""
    return DepthAnythingEstimator("depth-anything-outdoor")


def depth_anything_indoor() -> DepthAnythingEstimator:
    """Depth Anything V2 Metric Indoor Small (Apache-2.0)."""
    return DepthAnythingEstimator("depth-anything-indoor")


def depth_anything_relative() -> DepthAnythingEstimator:
    """Depth Anything V2 Small, relative (disparity): distances scaled to a 5 m median."""
    return DepthAnythingEstimator("depth-anything-relative")
