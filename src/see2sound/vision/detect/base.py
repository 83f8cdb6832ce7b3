"""What every detector returns, and the box arithmetic they share.

Contents
--------
Detection     a box with a vocabulary label and a score
Detector      the interface: ``detect(rgb) -> list[Detection]``
iou, nms      intersection over union, class-aware non-maximum suppression
model_path    where the shipped ONNX models live
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from ...registry import Component


@dataclass(frozen=True)
class Detection:
    """``box`` = (x0, y0, x1, y1) in pixels of the image given to the detector.

    ``mask``, from detectors that segment, is the object's outline as a boolean
    array [shape=(rows, cols)] spanning the box: row i covers the box's
    i-th of ``rows`` equal horizontal slices. Being relative to the box, it
    follows the box through scaling and shifting.
    """

    box: tuple[float, float, float, float]
    label: str
    score: float
    detector: str = ""
    mask: np.ndarray | None = field(default=None, compare=False, repr=False)

    def scaled(self, sx: float, sy: float | None = None, dx: float = 0.0, dy: float = 0.0) -> Detection:
        sy = sx if sy is None else sy
        x0, y0, x1, y1 = self.box
        return replace(self, box=(x0 * sx + dx, y0 * sy + dy, x1 * sx + dx, y1 * sy + dy))

    def flipped(self, width: float) -> Detection:
        x0, y0, x1, y1 = self.box
        mask = None if self.mask is None else self.mask[:, ::-1]
        return replace(self, box=(width - x1, y0, width - x0, y1), mask=mask)

    def cropped(self, x_min: float, x_max: float) -> Detection:
        """The part of the detection between columns ``x_min`` and ``x_max``."""
        x0, y0, x1, y1 = self.box
        nx0, nx1 = max(x0, x_min), min(x1, x_max)
        mask = self.mask
        if mask is not None and x1 > x0:
            cols = mask.shape[1]
            c0 = int(np.floor((nx0 - x0) / (x1 - x0) * cols))
            c1 = max(c0 + 1, int(np.ceil((nx1 - x0) / (x1 - x0) * cols)))
            mask = mask[:, c0:c1]
        return replace(self, box=(nx0, y0, nx1, y1), mask=mask)


@runtime_checkable
class Detector(Component, Protocol):
    """A detector: RGB uint8 [shape=(h, w, 3)] in, detections in its pixels out.

    ``labels``: the vocabulary labels it can return
    (:mod:`see2sound.vision.vocabulary`). Subclass it to inherit the no-op
    ``prepare()`` and ``release()``; register it with
    ``see2sound.register("detectors", NAME)`` or an entry point in
    ``see2sound.detectors``.
    """

    name: str
    labels: frozenset[str]

    def detect(self, rgb: np.ndarray) -> list[Detection]: ...


def model_path(name: str) -> Path:
    return Path(str(resources.files("see2sound") / "data" / "models" / name))


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix [shape=(len(a), len(b))] of boxes [shape=(n, 4)] as x0, y0, x1, y1."""
    a, b = np.asarray(a, dtype=np.float64).reshape(-1, 4), np.asarray(b, dtype=np.float64).reshape(-1, 4)
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def nms(detections: list[Detection], iou_threshold: float, class_aware: bool = True) -> list[Detection]:
    """Greedy non-maximum suppression, best score first."""
    keep: list[Detection] = []
    for det in sorted(detections, key=lambda d: -d.score):
        rivals = [k for k in keep if not class_aware or k.label == det.label]
        if rivals and iou([det.box], [k.box for k in rivals]).max() > iou_threshold:
            continue
        keep.append(det)
    return keep


def resize(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear resize of uint8 RGB, aspect not kept (what both models were trained on)."""
    from PIL import Image

    return np.asarray(Image.fromarray(rgb).resize((width, height), Image.Resampling.BILINEAR))


def session(name: str):
    """An onnxruntime session for a shipped model (:func:`see2sound.runtime.onnx_session`)."""
    from ...runtime import onnx_session

    return onnx_session(model_path(name))
