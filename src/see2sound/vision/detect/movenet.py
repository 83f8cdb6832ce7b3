"""Google's MoveNet MultiPose Lightning: up to six people, each with a box and 17 keypoints.

Input int32 [shape=(1, H, W, 3)], RGB 0-255, H and W multiples of 32 with
the longer side 256: the picture is resized with its aspect kept and padded
with black at the bottom or right. Output [shape=(1, 6, 56)]: per person
slot, 17 x (y, x, score) keypoints, then the box (ymin, xmin, ymax, xmax),
then the person's score; coordinates are fractions of the padded input.
The model does no non-maximum suppression; a light one is applied here.

Contents
--------
KEYPOINTS      the 17 COCO keypoint names, in the model's order
PoseDetection  a person :class:`~.base.Detection` with its keypoints
MoveNet        the detector (registered as ``movenet``)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .base import Detection, Detector, nms, resize, session

#: The person's own left and right, as COCO names them.
KEYPOINTS = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)
#: Index order that swaps every left keypoint with its right one (a mirror image's).
MIRRORED = (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15)
INPUT_SIDE = 256
STRIDE = 32
# The best F1 on the fit half of tests/data/photos.json (27 photos, 19 people): 15 of 19
# people found, 3 animals taken for people (a polar bear 0.26, a Pekinese 0.17, a kitten 0.16).
# MoveNet alone takes some animals for people; held out (28 photos, 27 people) it finds 14 with
# 4 false: it is a people detector to be checked against the others, not a detector alone.
MIN_SCORE = 0.14
NMS_IOU = 0.5  # slots rarely overlap; when two do, it is the same person seen twice


@dataclass(frozen=True)
class PoseDetection(Detection):
    """A person with ``keypoints`` [shape=(17, 3)]: (x, y, score) per :data:`KEYPOINTS` entry.

    x and y are in the same pixels as ``box``, and follow it through
    :meth:`scaled` and :meth:`flipped` (where left and right swap too).
    """

    keypoints: np.ndarray | None = field(default=None, compare=False, repr=False)

    def scaled(self, sx: float, sy: float | None = None, dx: float = 0.0, dy: float = 0.0) -> PoseDetection:
        moved = super().scaled(sx, sy, dx, dy)
        if self.keypoints is None:
            return moved
        sy = sx if sy is None else sy
        kp = self.keypoints * [sx, sy, 1.0] + [dx, dy, 0.0]
        return replace(moved, keypoints=kp)

    def flipped(self, width: float) -> PoseDetection:
        moved = super().flipped(width)
        if self.keypoints is None:
            return moved
        kp = self.keypoints[list(MIRRORED)].copy()
        kp[:, 0] = width - kp[:, 0]
        return replace(moved, keypoints=kp)


def letterbox(rgb: np.ndarray, side: int = INPUT_SIDE) -> tuple[np.ndarray, float]:
    """The model's input [shape=(1, H, W, 3)] int32 and the scale from the picture to it.

    The longer side becomes ``side``, the aspect is kept, and black fills
    the bottom or right up to the next multiple of 32.
    """
    h, w = rgb.shape[:2]
    scale = side / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    padded = np.zeros((-(-nh // STRIDE) * STRIDE, -(-nw // STRIDE) * STRIDE, 3), dtype=np.int32)
    padded[:nh, :nw] = resize(rgb, nw, nh)
    return padded[None], scale


class MoveNet(Detector):
    """People, with 17 keypoints each (:class:`PoseDetection`); MoveNet MultiPose Lightning."""

    name = "movenet"
    labels = frozenset({"person"})

    def __init__(self, *, min_score: float = MIN_SCORE):
        self.min_score = min_score
        self._session = None

    def prepare(self) -> None:
        if self._session is None:
            self._session = session("movenet_multipose.onnx")
            self._input = self._session.get_inputs()[0].name

    def release(self) -> None:
        self._session = None

    def detect(self, rgb: np.ndarray, min_score: float | None = None) -> list[PoseDetection]:
        """People in ``rgb`` [shape=(h, w, 3)] uint8, boxes and keypoints in its pixels."""
        self.prepare()
        min_score = self.min_score if min_score is None else min_score
        h, w = rgb.shape[:2]
        x, scale = letterbox(rgb)
        out = self._session.run(None, {self._input: x})[0][0]
        in_h, in_w = x.shape[1:3]
        to_px = np.array([in_w, in_h]) / scale  # fraction of the padded input -> picture pixels
        found = []
        for slot in out[out[:, 55] >= min_score]:
            kp = slot[:51].reshape(17, 3)
            keypoints = np.column_stack([kp[:, 1] * to_px[0], kp[:, 0] * to_px[1], kp[:, 2]])
            y0, x0, y1, x1 = slot[51:55]
            box = np.clip([x0 * to_px[0], y0 * to_px[1], x1 * to_px[0], y1 * to_px[1]], 0, [w, h, w, h])
            found.append(PoseDetection(tuple(map(float, box)), "person", float(slot[55]), self.name,
                                       keypoints=keypoints))
        return nms(found, NMS_IOU)
