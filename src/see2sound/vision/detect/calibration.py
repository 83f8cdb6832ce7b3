"""Calibrated fusion for the ensemble: what the members saw of an object -> the probability it is there.

Contents
--------
class_group       the class group of a label ("person", "animal", "vehicle", "other")
FEATURES          the evidence about one object, by name
Logistic          a ridge-regularised logistic regression over named features
Calibration       the fitted model, threshold and matching constants, to and from JSON
load_calibration  the shipped fit (data/models/ensemble_calibration.json)
objects           observations of every member and view -> candidate objects with their features
fuse_calibrated   observations -> detections scored by the model, above its threshold

Every member's boxes from every view (frame, mirror, tiles) are clustered
into objects: boxes of compatible labels join when they overlap by IoU >=
``fuse_iou``, or when one member's box lies mostly inside another member's
(intersection over the smaller box >= ``contain``: two members that disagree
in extent, full body vs upper body). Of each object the model sees, per
member: whether the member found it, the logit of its best raw score, the
share of its whole-frame views that found it and the number of tiles that
did; and the object's height in the picture (log of the fraction) and its
class group. One logistic regression turns that into a probability, so one
confident member in one view can be enough while a lone weak box is not, and
the members' reliabilities are weighed by data, not by hand.

Fitted by ``benchmarks/fit_ensemble.py`` on the "fit" half of
tests/data/photos.json only (the ridge strength and the threshold chosen by
leave-one-photo-out cross-validation within that half); an object is right
when it overlaps a true object of a compatible label by IoU >= 0.5; objects
mostly inside an "ignore" region are left out.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..vocabulary import REFINES
from .base import Detection, iou
from .ensemble import Observation, _compatible, containment, suppress_same_object

ANIMALS = frozenset({"bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe"})
VEHICLES = frozenset({"vehicle", "bicycle", "airplane", *REFINES["vehicle"]})
GROUPS = ("person", "animal", "vehicle", "other")
MEMBERS = ("ssd", "nanodet", "movenet")
#: The evidence about one object, in the model's order.
FEATURES = tuple(f"{m}.{what}" for m in MEMBERS for what in ("found", "logit", "whole", "tiles")) + (
    "log_height", *(f"group.{g}" for g in GROUPS))
CALIBRATION_FILE = "ensemble_calibration.json"
_EPS = 1e-4
_MIN_HEIGHT = 1e-3


def class_group(label: str) -> str:
    """"person", "animal", "vehicle" or "other"."""
    if label == "person":
        return "person"
    return "animal" if label in ANIMALS else "vehicle" if label in VEHICLES else "other"


def _logit(p: float) -> float:
    p = min(max(float(p), _EPS), 1 - _EPS)
    return math.log(p / (1 - p))


@dataclass(frozen=True)
class Logistic:
    """p = sigmoid(bias + sum of weight x feature), features by name (a feature without a weight counts 0)."""

    weights: dict[str, float]
    bias: float

    def __call__(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * features.get(name, 0.0) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-min(max(z, -60.0), 60.0)))

    @classmethod
    def fit(cls, rows: list[dict[str, float]], right: list[bool], *, ridge: float = 1.0) -> Logistic:
        """Fit to feature ``rows`` and whether each object was right (Newton's method, L2 ``ridge`` on the weights).

        A member's evidence (its features) may never count against an
        object: a weight the data would make negative is held at 0 and the
        others refitted without it.
        """
        X = np.array([[row.get(name, 0.0) for name in FEATURES] + [1.0] for row in rows], dtype=np.float64)
        y = np.asarray(right, dtype=np.float64)
        free = np.ones(X.shape[1], dtype=bool)
        evidence = np.array([name.split(".")[0] in MEMBERS for name in FEATURES] + [False])
        while True:
            theta = np.zeros(X.shape[1])
            theta[free] = _newton(X[:, free], y, ridge)
            negative = evidence & free & (theta < 0)
            if not negative.any():
                break
            free[np.argmin(np.where(negative, theta, np.inf))] = False  # the most negative first, then refit
        return cls({name: float(w) for name, w in zip(FEATURES, theta[:-1])}, float(theta[-1]))


def _newton(X: np.ndarray, y: np.ndarray, ridge: float) -> np.ndarray:
    """Ridge logistic regression's weights (the last column of ``X`` is the free bias)."""
    pull = np.full(X.shape[1], float(ridge))
    pull[-1] = 1e-6  # the bias is free
    theta = np.zeros(X.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(X @ theta, -60, 60)))
        grad = X.T @ (p - y) + pull * theta
        hess = (X * (p * (1 - p))[:, None]).T @ X + np.diag(pull)
        step = np.linalg.solve(hess, grad)
        theta -= step
        if np.abs(step).max() < 1e-9:
            break
    return theta


@dataclass
class Calibration:
    """The fitted ``model``, its ``thresholds`` (label or group or "*" -> probability) and matching constants.

    ``fuse_iou``/``contain``: boxes join an object by IoU, or (a member not
    yet in it) by intersection over the smaller box's area. ``tiles``: the
    members run on the tiles as well as the whole frame.
    """

    model: Logistic = field(default_factory=lambda: Logistic({}, 0.0))
    thresholds: dict[str, float] = field(default_factory=lambda: {"*": 0.5})
    fuse_iou: float = 0.55
    contain: float = 0.7
    about: str = ""
    #: The members that ran on the tiles when the model was fitted (its ``tiles`` evidence means that).
    tiles: tuple[str, ...] = ("ssd", "nanodet")

    def threshold(self, label: str) -> float:
        for key in (label, class_group(label), "*"):
            if key in self.thresholds:
                return self.thresholds[key]
        return 0.5

    def to_json(self) -> dict:
        return {"about": self.about, "fuse_iou": self.fuse_iou, "contain": self.contain,
                "thresholds": self.thresholds, "tiles": list(self.tiles), "bias": round(self.model.bias, 4),
                "weights": {k: round(v, 4) for k, v in self.model.weights.items()}}

    @classmethod
    def from_json(cls, data: dict) -> Calibration:
        return cls(model=Logistic(dict(data["weights"]), float(data["bias"])), thresholds=dict(data["thresholds"]),
                   fuse_iou=data["fuse_iou"], contain=data["contain"], about=data.get("about", ""),
                   tiles=tuple(data.get("tiles", ("ssd", "nanodet"))))


def load_calibration(path: str | Path | None = None) -> Calibration:
    """The calibration at ``path`` (default: the shipped fit)."""
    from .base import model_path

    path = model_path(CALIBRATION_FILE) if path is None else Path(path)
    return Calibration.from_json(json.loads(Path(path).read_text()))


@dataclass
class CandidateObject:
    """One object as the members saw it: its box (score-weighted mean of the boxes that overlap by IoU)."""

    core: list = field(default_factory=list)  # (box, raw score)
    labels: dict = field(default_factory=dict)  # label -> summed raw score
    best: dict = field(default_factory=dict)  # member -> its best detection
    views: dict = field(default_factory=dict)  # member -> {view: whole?}

    def box(self) -> np.ndarray:
        boxes = np.array([b for b, _ in self.core])
        w = np.array([s for _, s in self.core])
        return (boxes * w[:, None]).sum(0) / max(w.sum(), 1e-12)

    def add(self, obs: Observation, core: bool) -> None:
        det = obs.detection
        self.views.setdefault(obs.member, {})[obs.view] = obs.whole
        if core:
            self.core.append((det.box, det.score))
        self.labels[det.label] = self.labels.get(det.label, 0.0) + det.score
        if obs.member not in self.best or det.score > self.best[obs.member].score:
            self.best[obs.member] = det

    def label(self) -> str:
        specific = {k: v for k, v in self.labels.items() if k not in REFINES}
        pool = specific or self.labels
        return max(pool, key=pool.get)

    def features(self, whole_views: dict[str, int], height: float) -> dict[str, float]:
        """The model's evidence (:data:`FEATURES`); ``whole_views``: each member's whole-frame views run."""
        out: dict[str, float] = {}
        for member, det in self.best.items():
            views = self.views[member]
            whole = sum(1 for w in views.values() if w)
            out[f"{member}.found"] = 1.0
            out[f"{member}.logit"] = _logit(det.score)
            out[f"{member}.whole"] = whole / max(1, whole_views.get(member, 1))
            out[f"{member}.tiles"] = float(len(views) - whole)
        box = self.box()
        out["log_height"] = math.log(max((box[3] - box[1]) / max(height, 1.0), _MIN_HEIGHT))
        out[f"group.{class_group(self.label())}"] = 1.0
        return out


def objects(observations: list[Observation], cal: Calibration) -> list[CandidateObject]:
    """Cluster every member's boxes from every view into objects, strongest first."""
    found: list[CandidateObject] = []
    for obs in sorted(observations, key=lambda o: -o.detection.score):
        det = obs.detection
        best, best_key, core = None, 0.0, False
        for obj in found:
            if not any(_compatible(det.label, label) for label in obj.labels):
                continue
            box = obj.box()
            overlap = iou([det.box], [box])[0, 0]
            # Containment joins only a member not yet in the object: two people one member tells
            # apart (a child before an adult) stay two; two members' extents of one person fuse.
            inside = containment(det.box, box) if obs.member not in obj.best else 0.0
            if overlap >= cal.fuse_iou and overlap + 1 > best_key:
                best, best_key, core = obj, overlap + 1, True
            elif inside >= cal.contain and inside > best_key:
                best, best_key, core = obj, inside, False
        if best is None:
            best, core = CandidateObject(), True
            found.append(best)
        best.add(obs, core)
    return found


def fuse_calibrated(observations: list[Observation], cal: Calibration, *, whole_views: dict[str, int],
                    height: float, name: str = "ensemble") -> list[Detection]:
    """Detections [scores: probabilities in [0, 1]] from every member's observations in every view.

    ``whole_views``: how many whole-frame views each member ran;
    ``height``: the picture's height in the observations' pixels.
    """
    fused = []
    for obj in objects(observations, cal):
        label = obj.label()
        p = cal.model(obj.features(whole_views, height))
        if p < cal.threshold(label):
            continue
        box = tuple(map(float, obj.box()))
        pose = obj.best.get("movenet")
        if pose is not None:  # keep the person's keypoints (a PoseDetection) with the fused box
            fused.append(replace(pose, box=box, label=label, score=p, detector=name))
        else:
            fused.append(Detection(box, label, p, name))
    return suppress_same_object(fused)
