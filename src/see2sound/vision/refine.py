"""Label refinement from the classifier: what an animal detection is, asked of ImageNet.

Detectors confuse animals of a shape (a horse called a cow, hens called a
horse, a dog called a cat). Each animal detection's crop, a square around
its box with :data:`CONTEXT` of the box's side added on every side, goes
through the ImageNet classifier
(:class:`~see2sound.vision.classify.ImageClassifier`, the process's one
instance). A vocabulary label's *mass* is the summed probability of its
ImageNet classes (:data:`IMAGENET_CLASSES`, grouped by zoology, not photo
by photo). The detection is relabelled to the label with the most mass
when that mass exceeds its own label's by at least :data:`RELABEL_MARGIN`.
Both were fitted on the "fit" half of tests/data/photos.json only
(benchmarks/eval_refine.py); the held-out half is only reported.

Only labels that ImageNet-1k can name are refined, either way: ``giraffe``
has no ImageNet class, so a giraffe is neither contested nor given; people,
vehicles and things are never looked at. At most :data:`MAX_CROPS` crops a
picture (the largest animal boxes: nearest, loudest, most pixels), ~55 ms
each on two cores.

What the crop shows is kept as evidence (:class:`Evidence`): the top
ImageNet class and its probability, the label it was refined from, a dog's
size class (from its breed: :data:`DOG_SIZES`), a bird's species and the
AudioSet classes that species' call is (:data:`BIRD_AUDIOSET`).
:func:`annotate_sources` writes it onto the scene's sources: ``refined`` (an
extra key, kept as it is by the scene file) and, for the sound stage,
``sound.size`` and ``sound.audioset``.

Contents
--------
IMAGENET_CLASSES       vocabulary label -> ImageNet class indices
DOG_SIZES              dog and wild-dog class index -> "small" | "medium" | "large"
BIRD_AUDIOSET          bird class indices -> the AudioSet classes of their calls
CONTEXT, RELABEL_MARGIN, MAX_CROPS, MIN_FAMILY_MASS
Evidence               what a crop showed, and what was made of it
label_masses           probabilities -> mass per refinable label
decide                 a label and its crop's probabilities -> Evidence
crop_box, chosen       which pixels are classified, and for which detections
refine_labels          a picture's detections -> refined detections and their evidence
annotate_sources       the evidence onto the scene's sources
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..scene import Source
from .classify import ClassGroups, ImageClassifier, labels
from .detect import Detection
from .sources import paired_sources


def _span(first: int, last: int) -> tuple[int, ...]:
    return tuple(range(first, last + 1))


#: ImageNet-1k class indices (the model's order, data/models/imagenet_labels.txt) of each vocabulary
#: label that can be refined. Whole zoological groups: every bird; the dog family (breeds, wolves,
#: coyote, dingo, dhole, African hunting dog, foxes; not the hyena); domestic cats (not the big cats,
#: which have no label); bears; the one horse class (sorrel) and the horse cart; bovines (ox, water
#: buffalo, bison) and the oxcart; sheep (ram, bighorn); elephants (tusker, Indian, African).
#: Classes of animals the vocabulary has no label for (llama, camel, antelopes) count for none.
IMAGENET_CLASSES: dict[str, tuple[int, ...]] = {
    "bird": _span(7, 24) + _span(80, 100) + _span(127, 146),
    "dog": _span(151, 275) + _span(277, 280),
    "cat": _span(281, 285),
    "bear": _span(294, 297),
    "horse": (339, 603),
    "zebra": (340,),
    "cow": (345, 346, 347, 690),
    "sheep": (348, 349),
    "elephant": (101, 385, 386),
}

# Typical adult weight by the breed standards (AKC, FCI): small under ~10 kg, large over ~25 kg.
_SMALL_DOGS = (151, 152, 153, 154, 155, 156, 157, 158, 171, 181, 182, 185, 186, 187, 188, 189, 190, 192, 193, 194,
               195, 196, 199, 201, 203, 204, 223, 230, 237, 245, 252, 253, 254, 259, 262, 265, 266,
               277, 278, 279, 280)  # the last four: foxes
_LARGE_DOGS = (159, 160, 163, 164, 165, 166, 167, 168, 169, 170, 175, 177, 178, 191, 197, 205, 206, 207, 208, 209,
               212, 213, 214, 216, 222, 224, 225, 226, 228, 229, 231, 233, 234, 235, 236, 238, 239, 242, 243, 244,
               246, 247, 248, 249, 255, 256, 257, 269, 270, 271)  # the last three: wolves
#: Each dog-family class's size class, for the pitch of its bark (larger dogs bark lower).
DOG_SIZES: dict[int, str] = {i: ("small" if i in _SMALL_DOGS else "large" if i in _LARGE_DOGS else "medium")
                             for i in IMAGENET_CLASSES["dog"]}
#: Birds whose call AudioSet names apart from song: fowl, ducks, geese and swans, owls. Other birds
#: keep the vocabulary's "Bird" classes.
BIRD_AUDIOSET: dict[tuple[int, ...], tuple[str, ...]] = {
    (7, 8): ("Chicken, rooster", "Fowl"),
    (80, 81, 82, 83, 84, 85, 86): ("Fowl",),
    (97, 98): ("Duck",),
    (99, 100): ("Goose",),
    (24,): ("Owl",),
}

_GROUPS = ClassGroups(IMAGENET_CLASSES)

#: Context added on every side of the crop's square, as a fraction of the box's longer side.
CONTEXT = 0.0
#: A detection is relabelled when another label's mass exceeds its own by at least this.
RELABEL_MARGIN = 0.55
#: At most this many crops are classified per picture (~55 ms each on two cores; with the whole
#: picture's pass for the ambience, one keeps a 1080p picture with animals within the 0.5 s analysis
#: budget, two did not: 0.53 s, benchmarks/results-analyze.md).
MAX_CROPS = 1
#: A dog's size or a bird's species is read only when its family holds at least this mass.
MIN_FAMILY_MASS = 0.3


@dataclass(frozen=True)
class Evidence:
    """What one crop showed: its top ImageNet class, and what was made of it.

    ``label``: the label kept; ``refined_from``: the detector's label when it
    was changed, else None; ``size`` (dogs), ``species`` and ``audioset``
    (birds) where the crop says.
    """

    label: str
    imagenet: str
    probability: float
    refined_from: str | None = None
    size: str | None = None
    species: str | None = None
    audioset: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out = {"imagenet": self.imagenet, "probability": round(self.probability, 3), "from": self.refined_from,
               "size": self.size, "species": self.species}
        return {k: v for k, v in out.items() if v is not None}


def label_masses(probabilities: np.ndarray) -> dict[str, float]:
    """Each refinable label's mass: the summed probability [shape=(1000,)] of its :data:`IMAGENET_CLASSES`."""
    return _GROUPS.masses(probabilities)


def decide(label: str, probabilities: np.ndarray, *, margin: float = RELABEL_MARGIN) -> Evidence:
    """The evidence, and the label to keep, for a detection labelled ``label`` whose crop's
    ImageNet probabilities are ``probabilities`` [shape=(1000,)]."""
    if label not in IMAGENET_CLASSES:
        raise ParameterError("label", f"{label!r} cannot be refined; refinable: {sorted(IMAGENET_CLASSES)}")
    p = np.asarray(probabilities, np.float32)
    mass = label_masses(p)
    best = max((name for name in mass if name != label), key=lambda name: mass[name])
    final = best if mass[best] - mass[label] >= margin else label
    top = int(np.argmax(p))
    size = species = None
    audioset: tuple[str, ...] = ()
    if mass[final] >= MIN_FAMILY_MASS and final in ("dog", "bird"):
        family = np.array(IMAGENET_CLASSES[final])
        which = int(family[np.argmax(p[family])])
        if final == "dog":
            by_size = {s: float(sum(p[i] for i, z in DOG_SIZES.items() if z == s)) for s in ("small", "medium", "large")}
            size = max(by_size, key=by_size.get)
        else:
            species = labels()[which]
            audioset = next((calls for group, calls in BIRD_AUDIOSET.items() if which in group), ())
    return Evidence(final, labels()[top], float(p[top]), label if final != label else None, size, species, audioset)


def crop_box(box: Sequence[float], width: int, height: int, *, context: float = CONTEXT) -> tuple[int, int, int, int]:
    """The pixels classified for a box (x0, y0, x1, y1): a square of the box's longer side plus
    ``context`` of it on each side, centred on the box, clipped to the ``width`` x ``height`` picture.
    Square, because the classifier squeezes its input to 280 x 280 without keeping the aspect."""
    x0, y0, x1, y1 = (float(v) for v in box)
    half = max(x1 - x0, y1 - y0) * (0.5 + context)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left, top = max(0, int(np.floor(cx - half))), max(0, int(np.floor(cy - half)))
    right, bottom = min(width, int(np.ceil(cx + half))), min(height, int(np.ceil(cy + half)))
    if right <= left or bottom <= top:
        raise ParameterError("box", f"{tuple(box)} has no pixels in a {width} x {height} picture")
    return left, top, right, bottom


def chosen(detections: Sequence[Detection], max_crops: int = MAX_CROPS) -> list[int]:
    """Indices of the detections that are classified: refinable labels, largest boxes first."""
    area = [(d.box[2] - d.box[0]) * (d.box[3] - d.box[1]) for d in detections]
    candidates = [i for i, d in enumerate(detections) if d.label in IMAGENET_CLASSES]
    return sorted(sorted(candidates, key=lambda i: -area[i])[:max_crops])


def refine_labels(rgb: np.ndarray, detections: Sequence[Detection], classifier: ImageClassifier, *,
                  scale: float = 1.0, max_crops: int = MAX_CROPS, context: float = CONTEXT,
                  margin: float = RELABEL_MARGIN) -> tuple[list[Detection], dict[int, Evidence]]:
    """Refine the labels of a picture's animal detections with ``classifier``.

    ``rgb``: uint8 RGB [shape=(h, w, 3)]; ``detections``' boxes are in pixels
    of ``rgb`` / ``scale`` (:attr:`Picture.scale <see2sound.vision.image.Picture.scale>`:
    analysis pixels per original pixel). Returns the detections in the same
    order, those relabelled replaced, and the evidence for each one
    classified, by index. The crops go one by one: the model's batch is 1.
    """
    out = list(detections)
    evidence: dict[int, Evidence] = {}
    h, w = rgb.shape[:2]
    for i in chosen(detections, max_crops):
        det = detections[i]
        x0, y0, x1, y1 = crop_box([v * scale for v in det.box], w, h, context=context)
        found = decide(det.label, classifier.probabilities(rgb[y0:y1, x0:x1]), margin=margin)
        evidence[i] = found
        if found.refined_from is not None:
            out[i] = replace(det, label=found.label)
    return out, evidence


def annotate_sources(sources: Sequence[Source], detections: Sequence[Detection],
                     evidence: dict[int, Evidence]) -> None:
    """Write each classified detection's evidence onto its source (the one with its label and box), in place.

    ``refined``: :meth:`Evidence.to_json`, an extra key of the scene's source.
    A dog's ``size`` and a bird's AudioSet classes join ``sound`` (the
    hints the sound stage reads), the bird's classes ahead of the label's.
    """
    for source, found in paired_sources(sources, ((detections[i], e) for i, e in evidence.items())):
        source.extra["refined"] = found.to_json()
        sound = dict(source.sound or {})
        if found.audioset:
            sound["audioset"] = list(dict.fromkeys([*found.audioset, *sound.get("audioset", [])]))
        if found.size:
            sound["size"] = found.size
        source.sound = sound or None
