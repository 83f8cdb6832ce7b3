"""The shipped detectors together, with test-time augmentation, fused in one of two ways.

Each member detector runs on several views of the picture (:meth:`Ensemble.observe`):
the whole frame, its mirror image (the vote fusion only, unless asked), and
(for pictures large enough) four overlapping tiles, which see small objects
at 1.6x the scale. The views' boxes are then fused:

``fusion="calibrated"`` (default; :mod:`.calibration`): members are SSD,
NanoDet and MoveNet (people only, whole frames). Their boxes are clustered
into objects, tolerating two members' disagreement in extent (full body vs
upper body), and one logistic model, fitted on the fit half of the labelled
photos, turns what each member saw of an object (its best score, in how many
whole-frame views and tiles) and the object's size and class group into the
probability it is there. Objects at or above the fitted threshold are kept,
a person with MoveNet's keypoints.

``fusion="wbf"`` (the detector ``ensemble-vote``; the default before issue
14): weighted box fusion (Solovyev et al., 2019): boxes of one label
overlapping by IoU > 0.55 form a cluster whose box is the score-weighted
mean and whose score is the sum of the best score of each view that found
it, divided by the number of whole-frame views that could have (a detector
that does not know the label casts no vote). Held out it found more objects
(recall 0.75 against 0.65) but one in three of its sounds was wrong
(precision 0.70 against 0.87): benchmarks/results-detection.md.

In both, a generic label votes for a specific one in the same place (the
SSD's "vehicle" for NanoDet's "bus"), and of two clusters on the same
object (IoU > 0.7) only the stronger survives.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..vocabulary import REFINES
from .base import Detection, Detector, iou

FUSE_IOU = 0.55
SAME_OBJECT_IOU = 0.7
TILE_MIN_SIDE = 480  # analysis pixels; smaller pictures are not tiled
TILE_FRACTION = 0.625  # each of the 2x2 tiles spans this much of the width and height
DEFAULT_THRESHOLD = 0.3  # "wbf" fusion only; "calibrated" uses the fitted thresholds
FUSIONS = ("calibrated", "wbf")
DEFAULT_FUSION = "calibrated"  # precision 0.87 held out, against 0.70 for "wbf" (benchmarks/results-detection.md)


@dataclass(frozen=True)
class Observation:
    """One member's detection in one view, mapped back to the picture's pixels."""

    detection: Detection
    member: str
    view: int  # 0: whole frame, 1: mirror, 2..: tiles (without ``flip``, tiles start at 1)
    whole: bool  # a whole-frame view (the frame or its mirror)


@dataclass
class _Cluster:
    boxes: list = field(default_factory=list)
    scores: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    members: list = field(default_factory=list)
    runs: dict = field(default_factory=dict)  # run id -> best score

    def box(self) -> np.ndarray:
        w = np.asarray(self.scores)
        return (np.asarray(self.boxes) * w[:, None]).sum(0) / w.sum()

    def label(self) -> str:
        totals: dict[str, float] = {}
        for label, score in zip(self.labels, self.scores):
            totals[label] = totals.get(label, 0.0) + score
        specific = {k: v for k, v in totals.items() if k not in REFINES}
        pool = specific or totals
        return max(pool, key=pool.get)

    def add(self, det: Detection, run, score: float | None = None, member: str = "") -> None:
        score = det.score if score is None else score
        self.boxes.append(det.box)
        self.scores.append(score)
        self.labels.append(det.label)
        self.members.append(member)
        self.runs[run] = max(self.runs.get(run, 0.0), score)


def _compatible(a: str, b: str) -> bool:
    return a == b or b in REFINES.get(a, ()) or a in REFINES.get(b, ())


def containment(a, b) -> float:
    """Intersection over the smaller box's area, for boxes ``a`` and ``b`` as x0, y0, x1, y1."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return max(0.0, w) * max(0.0, h) / max(smaller, 1e-9)


class Ensemble(Detector):
    """Fuses ``members`` over TTA views (default members: SSD + NanoDet, and MoveNet when calibrated).

    The calibrated fusion's model knows the shipped members by name
    (``ssd``, ``nanodet``, ``movenet``); another member's boxes join objects
    but add no evidence of their own (fit a calibration with it, or use "wbf").

    ``fusion``: "calibrated" (one logistic model's probabilities and its
    threshold, from ``calibration``, default the shipped fit) or "wbf" (vote fraction
    against ``threshold``). ``flip``: add the mirror image as a view (None:
    for "wbf" only: under the calibrated fusion it found no object more on
    the fit half, cross-validated, and cost a sixth of the time). ``member_tiles``: the members that also run
    on the tiles (None: under the calibrated fusion, those its calibration was fitted with; under "wbf", all
    but MoveNet, whose people are big enough for its whole frame).
    """

    name = "ensemble"

    def __init__(self, members: list[Detector] | None = None, *, flip: bool | None = None, tiles: bool = True,
                 threshold: float = DEFAULT_THRESHOLD, fusion: str = DEFAULT_FUSION, calibration=None,
                 member_tiles: set[str] | None = None):
        if fusion not in FUSIONS:
            raise ValueError(f"fusion={fusion!r}: one of {FUSIONS}")
        if members is None:
            from .nanodet import NanoDetCOCO
            from .ssd import SSDOpenImages

            members = [SSDOpenImages(), NanoDetCOCO()]
            if fusion == "calibrated":
                from .movenet import MoveNet

                members.append(MoveNet())
        self.members = members
        self.flip = (fusion == "wbf") if flip is None else flip
        self.tiles = tiles
        self.threshold = threshold
        self.fusion = fusion
        self.member_tiles = member_tiles
        self._calibration = calibration
        self.labels = frozenset().union(*(m.labels for m in members))

    @property
    def calibration(self):
        if self._calibration is None:
            from .calibration import load_calibration

            self._calibration = load_calibration()
        return self._calibration

    def _views(self, rgb: np.ndarray, tiles: bool = True):
        """(image, function mapping its detections back to rgb's pixels, whole-frame?)."""
        h, w = rgb.shape[:2]
        yield rgb, lambda d: d, True
        if self.flip:
            yield np.ascontiguousarray(rgb[:, ::-1]), lambda d: d.flipped(w), True
        if tiles and self.tiles and min(h, w) >= TILE_MIN_SIDE:
            tw, th = int(w * TILE_FRACTION), int(h * TILE_FRACTION)
            for x0 in (0, w - tw):
                for y0 in (0, h - th):
                    def back(d, x0=x0, y0=y0, tw=tw, th=th):
                        bx0, by0, bx1, by1 = d.box
                        # A box cut by an inner tile edge is a fragment: the other views see it whole.
                        cut = ((bx0 <= 1 and x0 > 0) or (bx1 >= tw - 1 and x0 + tw < w)
                               or (by0 <= 1 and y0 > 0) or (by1 >= th - 1 and y0 + th < h))
                        return None if cut else d.scaled(1.0, 1.0, x0, y0)
                    yield rgb[y0:y0 + th, x0:x0 + tw], back, False

    def _tiles_for(self, member: Detector) -> bool:
        if self.member_tiles is not None:
            return member.name in self.member_tiles
        if self.fusion == "calibrated":
            return member.name in self.calibration.tiles
        return member.name != "movenet"

    def observe(self, rgb: np.ndarray, *, seconds: dict | None = None) -> tuple[list[Observation], dict[str, int]]:
        """Every member's detections in every view, and each member's number of whole-frame views.

        ``seconds``, if given, gathers the time each member spends, keyed (member, "whole" or "tiles").
        """
        found: list[Observation] = []
        whole_views: dict[str, int] = {}
        for member in self.members:
            for view, (image, back, whole) in enumerate(self._views(rgb, self._tiles_for(member))):
                start = time.perf_counter()
                detections = member.detect(image)
                if seconds is not None:
                    key = (member.name, "whole" if whole else "tiles")
                    seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - start
                for det in detections:
                    det = back(det)
                    if det is not None:
                        found.append(Observation(det, member.name, view, whole))
                whole_views[member.name] = whole_views.get(member.name, 0) + int(whole)
        return found, whole_views

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        observations, whole_views = self.observe(rgb)
        if self.fusion == "wbf":
            return self.fuse_wbf(observations, whole_views)
        return self.fuse_calibrated(observations, whole_views, rgb.shape[0])

    def fuse_calibrated(self, observations: list[Observation], whole_views: dict[str, int], height: float,
                        calibration=None) -> list[Detection]:
        """Calibrated fusion (see the module's docstring); scores are probabilities in [0, 1]."""
        from .calibration import fuse_calibrated

        return fuse_calibrated(observations, calibration or self.calibration, whole_views=whole_views,
                               height=height, name=self.name)

    def fuse_wbf(self, observations: list[Observation], whole_views: dict[str, int]) -> list[Detection]:
        weight = {m.name: getattr(m, "weight", 1.0) for m in self.members}
        capable: dict[str, set[str]] = {m.name: set(m.labels) for m in self.members}
        clusters: list[_Cluster] = []
        for obs in sorted(observations, key=lambda o: -o.detection.score):
            det = obs.detection
            best, best_iou = None, FUSE_IOU
            for cluster in clusters:
                if not any(_compatible(det.label, label) for label in set(cluster.labels)):
                    continue
                overlap = iou([det.box], [cluster.box()])[0, 0]
                if overlap > best_iou:
                    best, best_iou = cluster, overlap
            if best is None:
                best = _Cluster()
                clusters.append(best)
            best.add(det, (obs.member, obs.view), member=obs.member)
        fused = []
        for cluster in clusters:
            label = cluster.label()
            aliases = {label} | {g for g, specific in REFINES.items() if label in specific}
            votes = sum(weight[m] * n for m, n in whole_views.items() if capable[m] & aliases)
            support = sum(weight[m] * s for (m, _), s in cluster.runs.items())
            score = min(1.0, support / max(votes, 1e-9))
            if score >= self.threshold:
                fused.append(Detection(tuple(map(float, cluster.box())), label, float(score), self.name))
        return suppress_same_object(fused)


def suppress_same_object(detections: list[Detection]) -> list[Detection]:
    """Of detections on the same object (IoU > ``SAME_OBJECT_IOU``, any label), the best-scoring."""
    keep: list[Detection] = []
    for det in sorted(detections, key=lambda d: -d.score):
        if keep and iou([det.box], [k.box for k in keep]).max() > SAME_OBJECT_IOU:
            continue
        keep.append(det)
    return keep


def vote_ensemble(**options) -> Ensemble:
    """The ``ensemble-vote`` detector: SSD and NanoDet fused by weighted box fusion (the default before issue 14)."""
    ensemble = Ensemble(fusion="wbf", **options)
    ensemble.name = "ensemble-vote"
    return ensemble
