"""Learned metric depth (Depth Anything V2) as a :class:`~see2sound.vision.distance.DepthEstimator`.

The picture is run once (shorter side resized to 518 px in multiples of 14,
ImageNet normalisation, as the model was trained); the predicted depth map
(metres along the optical axis) is scaled back to the picture. An object's
distance is the median depth over the middle of its box (the central half
in each direction, where the object rather than its background is),
converted from depth to distance along the ray through the box centre.

Licences: the Small metric checkpoints are Apache-2.0; Base and Large are
CC BY-NC 4.0 (non-commercial).

Contents
--------
DepthAnythingEstimator
"""

from __future__ import annotations

import math

import numpy as np

from ..vision.camera import Camera
from . import DEPTH_MODELS
from .runtime import device, load_model, require

INPUT_SIDE = 518
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
INNER = 0.25  # the central half of a box: 25 % in from each side


class DepthAnythingEstimator:
    """Distances from a Depth Anything V2 metric model (a hub id, a name of DEPTH_MODELS, or a folder)."""

    def __init__(self, model: str = "depth-anything-outdoor"):
        torch, transformers = require()
        self.model_id = DEPTH_MODELS.get(model, model)
        self.model = load_model(transformers.DepthAnythingForDepthEstimation, self.model_id)
        self.device, self.dtype = device()
        self.depth: np.ndarray | None = None
        self.scale = 1.0

    def prepare(self, rgb: np.ndarray, scale: float) -> None:
        """Run the model on the analysis picture (``scale`` = its pixels per original pixel)."""
        import torch

        h, w = rgb.shape[:2]
        ratio = INPUT_SIDE / min(h, w)
        size = (max(14, int(round(h * ratio / 14)) * 14), max(14, int(round(w * ratio / 14)) * 14))
        x = torch.from_numpy(((rgb.astype(np.float32) / 255.0 - MEAN) / STD).transpose(2, 0, 1))[None]
        x = torch.nn.functional.interpolate(x, size=size, mode="bicubic", align_corners=False)
        with torch.no_grad():
            pred = self.model(pixel_values=x.to(self.device, self.dtype)).predicted_depth
            pred = torch.nn.functional.interpolate(pred[:, None].float(), size=(h, w), mode="bilinear",
                                                   align_corners=False)[0, 0]
        self.depth = pred.cpu().numpy()
        self.scale = scale

    def distance_m(self, box: tuple[float, float, float, float], camera: Camera) -> float | None:
        if self.depth is None:
            return None
        x0, y0, x1, y1 = (v * self.scale for v in box)
        dx, dy = (x1 - x0) * INNER, (y1 - y0) * INNER
        h, w = self.depth.shape
        r0, r1 = int(max(0, y0 + dy)), int(min(h, math.ceil(y1 - dy)))
        c0, c1 = int(max(0, x0 + dx)), int(min(w, math.ceil(x1 - dx)))
        patch = self.depth[r0:max(r1, r0 + 1), c0:max(c1, c0 + 1)]
        z = float(np.median(patch)) if patch.size else float("nan")
        if not math.isfinite(z) or z <= 0:
            return None
        u, v = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        if camera.projection == "equirect":
            return z
        f = camera.focal_px
        return z * math.sqrt(1 + ((u - camera.width / 2) / f) ** 2 + ((v - camera.height / 2) / f) ** 2)
