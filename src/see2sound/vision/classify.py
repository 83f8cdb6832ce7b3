"""What a picture, or a part of it, shows: Google's EfficientNet-Lite3 over the 1000 ImageNet classes.

The model (int8, from TF Hub ``tensorflow/lite-model/efficientnet/lite3/int8/2``,
Apache-2.0; ``scripts/build_classifier.sh``) takes uint8 RGB 0-255
[shape=(1, 280, 280, 3)]: the whole picture or crop resized to 280 x 280,
aspect not kept, as TensorFlow Lite's image classifier feeds it. It returns
softmax probabilities [shape=(1, 1000)] as uint8 in steps of 1/256, so a
probability is a multiple of :data:`PROBABILITY_STEP` and the smaller ones
tie often. The graph is quantised (QuantizeLinear / DequantizeLinear):
:func:`see2sound.runtime.onnx_session` runs it float-simulated, so answers
do not depend on the CPU's int8 instructions.

Labels are ImageNet's short class names in the model's order (its own label
file). Two names occur twice, for different classes: ``crane`` (the bird,
134; the machine, 517) and ``maillot`` (638, 639); use
:meth:`ImageClassifier.probabilities` where the index matters.

Contents
--------
INPUT_SIDE, PROBABILITY_STEP   the model's input side and output step
labels                         the 1000 class names, in the model's order
model_input                    a picture -> the model's input
ImageClassifier                classify(rgb), classify_boxes(rgb, boxes), probabilities(rgb)
shared_classifier              the process's one ImageClassifier (ambience and label refinement share it)
ClassGroups                    named groups of classes -> a picture's probability summed over each group
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np

from ..errors import ParameterError
from ..registry import Component
from .detect.base import model_path, resize, session

MODEL = "efficientnet_lite3_int8.onnx"
LABELS = "imagenet_labels.txt"
INPUT_SIDE = 280
#: The output's quantisation: probability = uint8 value x 1/256 (zero point 0).
PROBABILITY_STEP = 1.0 / 256


@lru_cache(maxsize=1)
def labels() -> tuple[str, ...]:
    """The 1000 ImageNet class names, index i naming the model's i-th output."""
    return tuple(model_path(LABELS).read_text(encoding="utf-8").splitlines())


def model_input(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB [shape=(h, w, 3)] -> the model's input, uint8 [shape=(1, 280, 280, 3)] (bilinear, aspect not kept)."""
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8 or min(rgb.shape[:2]) < 1:
        raise ParameterError("rgb", f"must be a uint8 RGB array of shape (h, w, 3), got {rgb.dtype} {rgb.shape}")
    return resize(np.ascontiguousarray(rgb), INPUT_SIDE, INPUT_SIDE)[None]


class ImageClassifier(Component):
    """EfficientNet-Lite3 (ImageNet-1k): ``classify(rgb) -> [(label, probability), ...]``, best first.

    The session loads on first use (or :meth:`prepare`); :meth:`release` drops it.

    Examples
    --------
    >>> from PIL import Image
    >>> rgb = np.asarray(Image.open("coffee.png").convert("RGB"))  # doctest: +SKIP
    >>> ImageClassifier().classify(rgb, top=2)  # doctest: +SKIP
    [('espresso', 0.8515625), ('cup', 0.0546875)]
    """

    name = "efficientnet-lite3"

    def __init__(self):
        self._session = None

    @property
    def labels(self) -> tuple[str, ...]:
        return labels()

    def prepare(self) -> None:
        if self._session is None:
            self._session = session(MODEL)
            self._input = self._session.get_inputs()[0].name

    def release(self) -> None:
        self._session = None

    def probabilities(self, rgb: np.ndarray) -> np.ndarray:
        """Probability of each class [shape=(1000,)] float32 for uint8 RGB ``rgb`` [shape=(h, w, 3)]."""
        x = model_input(rgb)
        self.prepare()
        return self._session.run(None, {self._input: x})[0][0].astype(np.float32) * np.float32(PROBABILITY_STEP)

    def classify(self, rgb: np.ndarray, top: int = 5) -> list[tuple[str, float]]:
        """The ``top`` most probable (label, probability) for ``rgb`` [shape=(h, w, 3)] uint8, best first.

        Ties go to the lower class index. Classes whose probability rounds to
        0 (under 1/512) are left out, so fewer than ``top`` may come back.
        """
        if not 1 <= top <= len(self.labels):
            raise ParameterError("top", f"must be between 1 and {len(self.labels)}, got {top}")
        p = self.probabilities(rgb)
        best = np.argsort(-p, kind="stable")[:top]
        return [(self.labels[i], float(p[i])) for i in best if p[i] > 0]

    def classify_boxes(self, rgb: np.ndarray, boxes: Sequence[Sequence[float]] | np.ndarray,
                       top: int = 5) -> list[list[tuple[str, float]]]:
        """:meth:`classify` for each box (x0, y0, x1, y1) in ``rgb``'s pixels: detections' crops, tiles.

        A box is widened to whole pixels and clipped to the picture. One
        picture at a time: the model's batch is 1, and on a CPU a larger
        batch is no faster.
        """
        rgb = np.asarray(rgb)
        h, w = rgb.shape[:2]
        crops = []
        for box in np.asarray(boxes, dtype=np.float64).reshape(-1, 4):
            x0, y0 = np.floor(np.maximum(box[:2], 0)).astype(int)
            x1, y1 = np.ceil(np.minimum(box[2:], [w, h])).astype(int)
            if not (x1 > x0 and y1 > y0):
                raise ParameterError("boxes", f"box {tuple(box.tolist())} has no pixels in a {w} x {h} picture")
            crops.append(rgb[y0:y1, x0:x1])
        return [self.classify(crop, top) for crop in crops]


_shared_lock = threading.Lock()


@lru_cache(maxsize=1)
def _shared() -> ImageClassifier:
    classifier = ImageClassifier()
    classifier.prepare()
    return classifier


def shared_classifier() -> ImageClassifier:
    """The process's one :class:`ImageClassifier`, loaded on first use: the ambience, the label
    refinement, pictures and video shots all ask it, so the model loads once."""
    with _shared_lock:
        return _shared()


def release_shared_classifier() -> None:
    """Free the shared classifier's model if it was loaded (it loads again when next asked)."""
    with _shared_lock:
        if _shared.cache_info().currsize:
            _shared().release()


class ClassGroups:
    """Named groups of ImageNet classes, each given by index or by name (a name means its first index).

    :meth:`masses` sums a probability vector over each group: how strongly a
    picture shows a vocabulary label (:mod:`.refine`, :mod:`.propose`) or a
    kind of place (:mod:`.ambience`). The sum is one matrix product, the
    matrix made on first use.
    """

    def __init__(self, groups: Mapping[str, Sequence[int | str]]):
        self.groups = {name: tuple(members) for name, members in groups.items()}
        self._matrix: np.ndarray | None = None

    def _made(self) -> np.ndarray:
        if self._matrix is None:
            names = labels()
            matrix = np.zeros((len(self.groups), len(names)), dtype=np.float32)
            for k, members in enumerate(self.groups.values()):
                for member in members:
                    matrix[k, member if isinstance(member, int) else names.index(member)] = 1.0
            self._matrix = matrix
        return self._matrix

    def masses(self, probabilities: np.ndarray) -> dict[str, float]:
        """Each group's summed probability, for ``probabilities`` [shape=(1000,)], in the groups' order."""
        return dict(zip(self.groups, (self._made() @ np.asarray(probabilities, np.float32)).tolist()))
