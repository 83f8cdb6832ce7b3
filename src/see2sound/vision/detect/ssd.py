"""MediaPipe's SSD MobileNetV2 trained on 24 Open Images V4 classes.

Input 1x300x300x3 in [-1, 1], aspect not kept. Outputs are raw: box
encodings (y, x, h, w) against 1917 anchors and per-class logits; decoding
and non-maximum suppression follow MediaPipe's SsdAnchorsCalculator and
TensorsToDetectionsCalculator options for this model (see RESOURCES).
"""

from __future__ import annotations

import math

import numpy as np

from ..vocabulary import OIV4_24
from .base import Detection, Detector, nms, resize, session

INPUT = 300
SCALES = (10.0, 10.0, 5.0, 5.0)  # y, x, h, w
MIN_SCORE = 0.3  # MediaPipe uses 0.5 alone; the ensemble votes lower-scoring boxes in


def ssd_anchors() -> np.ndarray:
    """The 1917 anchors [shape=(1917, 4)] as (y_center, x_center, h, w), normalised."""
    num_layers, min_scale, max_scale = 6, 0.2, 0.95
    strides = (16, 32, 64, 128, 256, 512)
    ratios = (1.0, 2.0, 0.5, 3.0, 0.3333)

    def scale(i):
        return min_scale + (max_scale - min_scale) * i / (num_layers - 1.0)

    anchors = []
    for layer, stride in enumerate(strides):
        if layer == 0:  # reduce_boxes_in_lowest_layer
            sizes = [(0.1, 1.0), (scale(0), 2.0), (scale(0), 0.5)]
        else:
            nxt = 1.0 if layer == num_layers - 1 else scale(layer + 1)
            sizes = [(scale(layer), r) for r in ratios] + [(math.sqrt(scale(layer) * nxt), 1.0)]
        fm = math.ceil(INPUT / stride)
        for y in range(fm):
            for x in range(fm):
                for s, r in sizes:
                    anchors.append(((y + 0.5) / fm, (x + 0.5) / fm, s / math.sqrt(r), s * math.sqrt(r)))
    return np.array(anchors, dtype=np.float32)


class SSDOpenImages(Detector):
    name = "ssd"
    weight = 0.5  # its vote in the ensemble (see ensemble.py)
    labels = frozenset(label for label in OIV4_24 if label)

    def __init__(self):
        self._session = session("ssd_mobilenetv2_oidv4.onnx")
        self._input = self._session.get_inputs()[0].name
        self._anchors = ssd_anchors()

    def detect(self, rgb: np.ndarray, min_score: float = MIN_SCORE) -> list[Detection]:
        h, w = rgb.shape[:2]
        x = resize(rgb, INPUT, INPUT).astype(np.float32) / 127.5 - 1.0
        boxes, logits = self._session.run(None, {self._input: x[None]})
        a = self._anchors
        enc = boxes[0]
        yc = enc[:, 0] / SCALES[0] * a[:, 2] + a[:, 0]
        xc = enc[:, 1] / SCALES[1] * a[:, 3] + a[:, 1]
        bh = np.exp(enc[:, 2] / SCALES[2]) * a[:, 2]
        bw = np.exp(enc[:, 3] / SCALES[3]) * a[:, 3]
        scores = 1.0 / (1.0 + np.exp(-logits[0][:, 1:]))
        best = scores.argmax(axis=1)
        best_score = scores[np.arange(len(best)), best]
        found = []
        for i in np.flatnonzero(best_score >= min_score):
            label = OIV4_24[best[i] + 1]
            box = ((xc[i] - bw[i] / 2) * w, (yc[i] - bh[i] / 2) * h, (xc[i] + bw[i] / 2) * w, (yc[i] + bh[i] / 2) * h)
            found.append(Detection(tuple(float(np.clip(v, 0, m)) for v, m in zip(box, (w, h, w, h))),
                                   label, float(best_score[i]), self.name))
        return nms(found, 0.5, class_aware=False)  # MediaPipe: class-agnostic, IoU 0.5
