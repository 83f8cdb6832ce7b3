"""NanoDet (RangiLyu/nanodet) trained on the 80 COCO classes.

Input 1x3x416x416, aspect not kept, normalised as NanoDet was trained:
BGR channel order, minus mean (103.53, 116.28, 123.675), over std (57.375,
57.12, 58.395). (The TFJS wrapper it ships with feeds RGB / 255; on real
photos that turns a bus into a train and a motorcycle into a vase, while the
training normalisation finds both.) Per stride 8, 16, 32 (52^2,
26^2, 13^2 cells): class scores (already sigmoid) and GFL box distributions,
4 sides (left, top, right, bottom) x 11 bins; the expected bin times the
stride is the distance of that side from the cell centre.
"""

from __future__ import annotations

import numpy as np

from ..vocabulary import COCO80
from .base import Detection, Detector, nms, resize, session

INPUT = 416
STRIDES = (8, 16, 32)
BINS = 11
MIN_SCORE = 0.25
MEAN_BGR = np.array([103.53, 116.28, 123.675], dtype=np.float32).reshape(3, 1, 1)
STD_BGR = np.array([57.375, 57.12, 58.395], dtype=np.float32).reshape(3, 1, 1)


class NanoDetCOCO(Detector):
    name = "nanodet"
    labels = frozenset(COCO80)

    def __init__(self):
        self._session = session("nanodet_coco.onnx")
        self._input = self._session.get_inputs()[0].name
        self._centres = {}
        for stride in STRIDES:
            n = INPUT // stride
            ys, xs = np.mgrid[0:n, 0:n]
            self._centres[n * n] = (np.stack([xs.ravel(), ys.ravel()], axis=1) + 0.5) * stride, stride

    def detect(self, rgb: np.ndarray, min_score: float = MIN_SCORE) -> list[Detection]:
        h, w = rgb.shape[:2]
        bgr = resize(rgb, INPUT, INPUT)[..., ::-1].astype(np.float32).transpose(2, 0, 1)
        x = ((bgr - MEAN_BGR) / STD_BGR)[None]
        outputs = self._session.run(None, {self._input: x})
        by_cells: dict[int, dict[int, np.ndarray]] = {}
        for out in outputs:
            by_cells.setdefault(out.shape[1], {})[out.shape[2]] = out[0]
        found = []
        sx, sy = w / INPUT, h / INPUT
        for cells, parts in by_cells.items():
            scores, dist = parts[len(COCO80)], parts[4 * BINS]
            centres, stride = self._centres[cells]
            best = scores.argmax(axis=1)
            best_score = scores[np.arange(cells), best]
            keep = np.flatnonzero(best_score >= min_score)
            if not len(keep):
                continue
            logits = dist[keep].reshape(-1, 4, BINS)
            prob = np.exp(logits - logits.max(axis=2, keepdims=True))
            prob /= prob.sum(axis=2, keepdims=True)
            sides = (prob * np.arange(BINS)).sum(axis=2) * stride  # left, top, right, bottom
            c = centres[keep]
            boxes = np.stack([c[:, 0] - sides[:, 0], c[:, 1] - sides[:, 1],
                              c[:, 0] + sides[:, 2], c[:, 1] + sides[:, 3]], axis=1)
            boxes = np.clip(boxes * [sx, sy, sx, sy], 0, [w, h, w, h])
            for box, label, score in zip(boxes, best[keep], best_score[keep]):
                found.append(Detection(tuple(map(float, box)), COCO80[label], float(score), self.name))
        return nms(found, 0.6)
