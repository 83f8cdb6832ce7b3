"""Sources the classifier proposes: things that sound which no detector knows, named by ImageNet.

The detectors know COCO's 80 classes and 24 of Open Images; church bells,
fountains, typewriters and insects are none of them, and a clock held in a
hand is often missed. The ImageNet classifier's answer for the whole picture
(:mod:`.classify`) names them, and :func:`~see2sound.vision.analyze_picture`
already has that answer (one pass, shared with :mod:`.ambience`), so a
picture where nothing is proposed costs nothing more.

1. A label's *mass* is the summed whole-picture probability of its ImageNet
   classes (:data:`PROPOSED_CLASSES`).
2. A label is proposed when its mass is at least :data:`THRESHOLD` and no
   detection already has it (or a label in :data:`COVERED_BY`: a detected
   keyboard is the typewriter's).
3. Only then, two more classifier passes locate every proposed label at
   once: two overlapping halves of the picture along its longer side, each
   :data:`HALF` (62.5 %, the ensemble's tile fraction) of it, the whole of
   the other side. With ``a`` and ``b`` the label's mass in the first (left,
   or top) and second half, ``r = b / (a + b)`` and the position along the
   split, as a fraction of that side, is ``0.1875 + 0.625 r``: the middle of
   the part only the first half sees (0.1875) for ``r = 0``, of the overlap
   (0.5) for ``r = 1/2``, of the part only the second sees (0.8125) for
   ``r = 1``; the middle when both masses are under one step of the
   classifier's output (1/256). Across the split the position is a prior:
   for a landscape picture the height from :data:`VERTICAL_PRIOR`, for a
   tall one the middle of the width.
4. The proposal is a :class:`~see2sound.vision.detect.Detection` (``detector
   = "classifier"``, score = the mass) with a box centred there whose longer
   side is :data:`BOX_SPAN` of the picture's shorter side and whose aspect is
   the label's typical width / height (square when it has no width): a
   third, as for a source a user places by a point
   (:func:`~see2sound.vision.sources.place_source`). It then goes through
   :func:`~see2sound.vision.sources.choose_sources` like any detection, its
   distance from the label's typical size (:mod:`.vocabulary`).

The threshold (0.3) keeps false proposals rare, which are costly (a bell
ringing in a kitchen): on the fit half of tests/data/photos.json the one
photo with such a thing (clock_held.jpg, a clock, mass 0.43) and the
highest mass of a thing absent (home.jpg, a palace read as ``church``, 0.13)
leave any threshold in (0.13, 0.43] right; 0.3 is in its upper part, for
precision. docs/guide/pictures.md reports every photo.

Contents
--------
PROPOSED_CLASSES, COVERED_BY, THRESHOLD, HALF, VERTICAL_PRIOR, BOX_SPAN, CLASS_AUDIOSET
Proposal               a proposed detection and what the classifier said of it
label_masses           whole-picture probabilities -> mass per proposable label
candidates             which labels to propose, given what was detected
position_along         two halves' masses -> position along the split (fraction)
propose_sources        a picture's probabilities and detections -> proposals
annotate_proposals     the proposals' evidence onto the scene's sources
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..scene import Source
from .classify import PROBABILITY_STEP, ClassGroups, ImageClassifier, labels
from .detect import Detection
from .sources import paired_sources
from .vocabulary import KINDS

#: ImageNet-1k class indices (the model's order, data/models/imagenet_labels.txt) of each label the
#: classifier may propose. Only labels with a sound: musical instruments are left out, as neither the
#: bundled clips nor the procedural models (sound/synth.py) have one.
PROPOSED_CLASSES: dict[str, tuple[int, ...]] = {
    "church bell": (442, 497),  # bell cote, church
    "fountain": (562,),  # fountain
    "clock": (409, 530, 892),  # analog clock, digital clock, wall clock
    "typewriter": (878,),  # typewriter keyboard
    "insect": (309, 311, 312, 316),  # bee, grasshopper, cricket, cicada
}
_GROUPS = ClassGroups(PROPOSED_CLASSES)
#: A label is not proposed when a detection of any of these labels exists (its own, always).
COVERED_BY: dict[str, tuple[str, ...]] = {"typewriter": ("keyboard",)}
#: The least whole-picture mass a label is proposed at (see the module's docstring for how it was chosen).
THRESHOLD = 0.3
#: Each of the two halves spans this fraction of the picture's longer side.
HALF = 0.625
#: Where a proposed label's sound is, as a fraction of a landscape picture's height from the top: bells
#: hang in the top of a tower, which photos of churches frame high; fountains stand on the ground below
#: a standing camera's horizon; a desk's typewriter is seen from above, below the middle; clocks (on a
#: wall at eye level, or held up) and insects (close-ups centre their subject) are mid-height.
VERTICAL_PRIOR: dict[str, float] = {"church bell": 0.25, "fountain": 0.65, "clock": 0.45, "typewriter": 0.6,
                                    "insect": 0.5}
#: The proposed box's longer side, as a fraction of the picture's shorter side.
BOX_SPAN = 1 / 3
#: AudioSet classes for a source whose strongest class sounds unlike its label's (a bee buzzes), ahead of the label's.
CLASS_AUDIOSET: dict[int, tuple[str, ...]] = {309: ("Bee, wasp, etc.", "Buzz")}

# The first half's mass a is for r = 0, the second's for r = 1 (see the module's docstring).
_ONLY_FIRST = (1.0 - HALF) / 2
_ONLY_SECOND = 1.0 - _ONLY_FIRST


@dataclass(frozen=True)
class Proposal:
    """A source the classifier proposes: its ``detection`` (in the original picture's pixels), the
    ImageNet class of the label that was most probable (``imagenet``, index ``imagenet_index``), the
    label's whole-picture mass (``probability``) and its mass in the two halves (``halves``, first,
    second; the first is the left, or for a tall picture the top)."""

    detection: Detection
    imagenet: str
    imagenet_index: int
    probability: float
    halves: tuple[float, float]

    def to_json(self) -> dict[str, Any]:
        return {"imagenet": self.imagenet, "probability": round(self.probability, 3),
                "halves": [round(p, 3) for p in self.halves]}


def label_masses(probabilities: np.ndarray) -> dict[str, float]:
    """Each proposable label's mass: the summed probability [shape=(1000,)] of its :data:`PROPOSED_CLASSES`."""
    return _GROUPS.masses(probabilities)


def candidates(probabilities: np.ndarray, detected: Sequence[str], *, threshold: float = THRESHOLD) -> list[str]:
    """The labels to propose for whole-picture ``probabilities`` [shape=(1000,)] and the ``detected`` labels."""
    found = set(detected)
    return [label for label, mass in label_masses(probabilities).items()
            if mass >= threshold and not found & {label, *COVERED_BY.get(label, ())}]


def position_along(first: float, second: float) -> float:
    """Position along the split, as a fraction of the side, from the label's mass in the two halves:
    ``0.1875 + 0.625 r`` with ``r = second / (first + second)``; 0.5 when both are under 1/256."""
    if first < PROBABILITY_STEP and second < PROBABILITY_STEP:
        return 0.5
    return _ONLY_FIRST + (_ONLY_SECOND - _ONLY_FIRST) * second / (first + second)


def _halves(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, w = rgb.shape[:2]
    if w >= h:
        n = round(HALF * w)
        return rgb[:, :n], rgb[:, w - n:]
    n = round(HALF * h)
    return rgb[:n], rgb[h - n:]


def _box(label: str, u: float, v: float, width: float, height: float) -> tuple[float, float, float, float]:
    kind = KINDS[label]
    aspect = kind.width_m / kind.height_m if kind.width_m and kind.height_m else 1.0
    side = BOX_SPAN * min(width, height)
    bw, bh = (side, side / aspect) if aspect >= 1.0 else (side * aspect, side)
    return (max(0.0, u - bw / 2), max(0.0, v - bh / 2), min(width, u + bw / 2), min(height, v + bh / 2))


def propose_sources(rgb: np.ndarray, detections: Sequence[Detection], probabilities: np.ndarray,
                    classifier: ImageClassifier, *, scale: float = 1.0,
                    threshold: float = THRESHOLD) -> list[Proposal]:
    """The sources the classifier proposes for a picture, as the module says.

    ``rgb``: the picture, uint8 RGB [shape=(h, w, 3)], in analysis pixels;
    ``probabilities``: ``classifier``'s answer for the whole of it
    [shape=(1000,)]; ``detections``: what the detectors found, in pixels of
    ``rgb`` / ``scale`` (:attr:`Picture.scale <see2sound.vision.image.Picture.scale>`),
    as the proposals' boxes are. ``classifier`` is asked twice when some label
    is proposed, never otherwise.
    """
    proposed = candidates(probabilities, [d.label for d in detections], threshold=threshold)
    if not proposed:
        return []
    first, second = (label_masses(classifier.probabilities(half)) for half in _halves(rgb))
    h, w = rgb.shape[:2]
    p = np.asarray(probabilities, np.float32)
    out = []
    for label in proposed:
        along = position_along(first[label], second[label])
        u, v = (along * w, VERTICAL_PRIOR[label] * h) if w >= h else (0.5 * w, along * h)
        classes = PROPOSED_CLASSES[label]
        best = int(classes[int(np.argmax(p[list(classes)]))])
        mass = label_masses(p)[label]
        box = tuple(x / scale for x in _box(label, u, v, w, h))
        out.append(Proposal(Detection(box, label, mass, detector="classifier"), labels()[best], best, mass,
                            (first[label], second[label])))
    return out


def annotate_proposals(sources: Sequence[Source], proposals: Sequence[Proposal]) -> None:
    """Write each proposal's evidence onto its source (the one with its label and box), in place.

    ``proposed``: :meth:`Proposal.to_json`, an extra key of the scene's
    source; a class that sounds unlike its label (:data:`CLASS_AUDIOSET`)
    puts its AudioSet classes ahead of the label's in ``sound.audioset``.
    """
    for source, found in paired_sources(sources, ((p.detection, p) for p in proposals)):
        source.extra["proposed"] = found.to_json()
        hint = CLASS_AUDIOSET.get(found.imagenet_index)
        if hint:
            sound = dict(source.sound or {})
            sound["audioset"] = list(dict.fromkeys([*hint, *sound.get("audioset", [])]))
            source.sound = sound
