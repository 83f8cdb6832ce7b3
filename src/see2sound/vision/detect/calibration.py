"""Calibrated fusion for the ensemble: raw detector scores -> probabilities -> one score per object.

Contents
--------
class_group      the class group a label's calibration and threshold fall back to
Platt            a monotonic map from a raw score to a probability (Platt scaling)
Calibration      the fitted maps, thresholds and matching constants, to and from JSON
load_calibration the shipped fit (data/models/ensemble_calibration.json)
fuse_calibrated  observations of every member and view -> detections with probabilities

Calibration maps are keyed "member/label" where the fit half had enough of
that label, else "member/group" (group from :func:`class_group`), else
"member/*". Fitted by ``benchmarks/fit_ensemble.py`` on the "fit" half of
tests/data/photos.json only: a detection is right when it overlaps a
true object of a compatible label by IoU >= 0.5; detections mostly inside
an "ignore" region are left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..vocabulary import REFINES
from .base import Detection, iou
from .ensemble import Observation, _compatible, containment, suppress_same_object

ANIMALS = frozenset({"bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe"})
VEHICLES = frozenset({"vehicle", "bicycle", "airplane", *REFINES["vehicle"]})
CALIBRATION_FILE = "ensemble_calibration.json"
_EPS = 1e-4


def class_group(label: str) -> str:
    """"person", "animal", "vehicle" or "other"."""
    if label == "person":
        return "person"
    return "animal" if label in ANIMALS else "vehicle" if label in VEHICLES else "other"


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class Platt:
    """p = sigmoid(a * logit(score) + c * (views - 1) + b), with ``a``, ``c`` >= 0 so the map never decreases.

    ``score``: a member's best raw score for an object over the views it ran
    on; ``views``: in how many of those views it found the object.
    """

    a: float
    b: float
    c: float = 0.0

    def __call__(self, score, views=1):
        z = self.a * _logit(score) + self.c * (np.asarray(views, dtype=np.float64) - 1) + self.b
        return 1.0 / (1.0 + np.exp(-z))

    @classmethod
    def fit(cls, scores, hits, views=None, *, ridge: float = 0.5) -> Platt:
        """Fit to raw ``scores`` [shape=(n,)] (and ``views`` [shape=(n,)]) and whether each was right, ``hits``.

        Platt's smoothed targets ((N+ + 1) / (N+ + 2) and 1 / (N- + 2)) keep
        small samples from fitting certainties; ``ridge`` pulls ``a`` towards 1
        (the raw score's own logit). A falling fit is replaced by the flat
        base rate.
        """
        x, y = _logit(scores), np.asarray(hits, dtype=bool)
        v = np.zeros_like(x) if views is None else np.asarray(views, dtype=np.float64) - 1
        n_pos, n_neg = int(y.sum()), int((~y).sum())
        t = np.where(y, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
        X = np.column_stack([x, v, np.ones_like(x)])
        prior = np.array([1.0, 0.0, 0.0])
        pull = np.array([ridge, ridge, 1e-6])  # a towards 1, c towards 0, b free
        theta = prior.copy()
        for _ in range(100):
            p = 1 / (1 + np.exp(-(X @ theta)))
            grad = X.T @ (p - t) + pull * (theta - prior)
            hess = (X * (p * (1 - p))[:, None]).T @ X + np.diag(pull)
            step = np.linalg.solve(hess, grad)
            theta -= step
            if np.abs(step).max() < 1e-8:
                break
        if theta[0] < 0 or theta[1] < 0:  # never let a higher score or more views lower the probability
            theta = np.array([max(theta[0], 0.0), 0.0, 0.0])
            theta[2] = float(_logit(t.mean())) - theta[0] * float(np.mean(x))
        return cls(float(theta[0]), float(theta[2]), float(theta[1]))


@dataclass
class Calibration:
    """Fitted maps (key -> :class:`Platt`), thresholds (label or group or "*" -> probability) and constants.

    ``fuse_iou``/``contain``: boxes join a cluster by IoU or by
    intersection over the smaller box's area; ``veto``: an animal cluster at
    least this probable overlapping a person seen by MoveNet takes MoveNet's
    vote away from that person.
    """

    maps: dict[str, Platt] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=lambda: {"*": 0.5})
    fuse_iou: float = 0.55
    contain: float = 0.7
    veto: float = 0.5
    about: str = ""

    def map_for(self, member: str, label: str) -> Platt | None:
        for key in (f"{member}/{label}", f"{member}/{class_group(label)}", f"{member}/*"):
            if key in self.maps:
                return self.maps[key]
        return None

    def probability(self, member: str, label: str, score: float, views: int = 1) -> float:
        """The calibrated probability that ``member``'s ``label`` object, best raw ``score`` in ``views`` views, is there."""
        platt = self.map_for(member, label)
        return float(score) if platt is None else float(platt(score, views))

    def threshold(self, label: str) -> float:
        for key in (label, class_group(label), "*"):
            if key in self.thresholds:
                return self.thresholds[key]
        return 0.5

    def to_json(self) -> dict:
        return {"about": self.about, "fuse_iou": self.fuse_iou, "contain": self.contain, "veto": self.veto,
                "thresholds": self.thresholds,
                "maps": {k: {"a": round(m.a, 4), "b": round(m.b, 4), "c": round(m.c, 4)} for k, m in sorted(self.maps.items())}}

    @classmethod
    def from_json(cls, data: dict) -> Calibration:
        return cls(maps={k: Platt(v["a"], v["b"], v.get("c", 0.0)) for k, v in data["maps"].items()},
                   thresholds=dict(data["thresholds"]), fuse_iou=data["fuse_iou"], contain=data["contain"],
                   veto=data["veto"], about=data.get("about", ""))


def load_calibration(path: str | Path | None = None) -> Calibration:
    """The calibration at ``path`` (default: the shipped fit)."""
    from .base import model_path

    path = model_path(CALIBRATION_FILE) if path is None else Path(path)
    return Calibration.from_json(json.loads(Path(path).read_text()))


@dataclass
class _Group:
    """A cluster: its core boxes (those overlapping the seed by IoU) set its box; all vote."""

    core: list = field(default_factory=list)  # (box, probability)
    members: dict = field(default_factory=dict)  # member -> best probability
    labels: dict = field(default_factory=dict)  # label -> summed probability
    best: dict = field(default_factory=dict)  # member -> (probability, detection)
    views: dict = field(default_factory=dict)  # member -> views that found it

    def box(self) -> np.ndarray:
        boxes = np.array([b for b, _ in self.core])
        w = np.array([p for _, p in self.core])
        return (boxes * w[:, None]).sum(0) / max(w.sum(), 1e-12)

    def add(self, det: Detection, member: str, p: float, core: bool, view: int = 0) -> None:
        self.views.setdefault(member, set()).add(view)
        if core:
            self.core.append((det.box, p))
        self.labels[det.label] = self.labels.get(det.label, 0.0) + p
        if p > self.members.get(member, -1.0):
            self.members[member] = p
            self.best[member] = (p, det)

    def label(self) -> str:
        specific = {k: v for k, v in self.labels.items() if k not in REFINES}
        pool = specific or self.labels
        return max(pool, key=pool.get)

    def probability(self, without: str | None = None) -> float:
        """Noisy-OR of each member's best probability (members treated as independent witnesses)."""
        miss = np.prod([1 - p for m, p in self.members.items() if m != without])
        return float(1 - miss)


def _cluster(observations: list[Observation], cal: Calibration) -> list[_Group]:
    scored = [(cal.probability(o.member, o.detection.label, o.detection.score), o) for o in observations]
    groups: list[_Group] = []
    for p, obs in sorted(scored, key=lambda item: -item[0]):
        det = obs.detection
        best, best_key, core = None, 0.0, False
        for group in groups:
            if not any(_compatible(det.label, label) for label in group.labels):
                continue
            box = group.box()
            overlap = iou([det.box], [box])[0, 0]
            # Containment joins only a member not yet in the cluster: two people one member tells
            # apart (a child before an adult) stay two; two members' extents of one person fuse.
            inside = containment(det.box, box) if obs.member not in group.members else 0.0
            if overlap >= cal.fuse_iou and overlap + 1 > best_key:
                best, best_key, core = group, overlap + 1, True
            elif inside >= cal.contain and inside > best_key:
                best, best_key, core = group, inside, False
        if best is None:
            best, core = _Group(), True
            groups.append(best)
        best.add(det, obs.member, p, core, obs.view)
    for group in groups:  # each member's best, now with the number of its views that agree
        for member, (_, det) in group.best.items():
            group.members[member] = cal.probability(member, det.label, det.score, len(group.views[member]))
    return groups


def fuse_calibrated(observations: list[Observation], cal: Calibration, *, name: str = "ensemble") -> list[Detection]:
    """Detections [scores: probabilities in [0, 1]] from every member's observations in every view."""
    groups = _cluster(observations, cal)
    labels = [g.label() for g in groups]
    animals = [(g.box(), g.probability()) for g, label in zip(groups, labels) if label in ANIMALS]
    fused = []
    for group, label in zip(groups, labels):
        box = group.box()
        p = group.probability()
        if label == "person" and "movenet" in group.members:
            seen_as_animal = any(q >= cal.veto and (iou([box], [abox])[0, 0] >= 0.3 or containment(box, abox) >= 0.7)
                                 for abox, q in animals)
            if seen_as_animal:
                p = group.probability(without="movenet")
        if p < cal.threshold(label):
            continue
        det = Detection(tuple(map(float, box)), label, p, name)
        if "movenet" in group.best:  # keep the person's keypoints (a PoseDetection) with the fused box
            det = replace(group.best["movenet"][1], box=det.box, score=p, detector=name)
        fused.append(det)
    return suppress_same_object(fused)
