"""Both shipped detectors together, with test-time augmentation.

Each member detector runs on several views of the picture: the whole frame,
its mirror image, and (for pictures large enough) four overlapping tiles,
which see small objects at 1.6x the scale. All boxes are fused by weighted
box fusion (Solovyev et al., 2019): boxes of one label overlapping by IoU >
0.55 form a cluster whose box is the score-weighted mean and whose score is
the sum of the best score of each view that found it, divided by the number
of whole-frame views that could have (a detector that does not know the
label casts no vote). A generic label votes for a specific one in the same
place (the SSD's "vehicle" for NanoDet's "bus"). Clusters scoring at least
``threshold`` are kept; of two clusters on the same object (IoU > 0.7)
only the stronger survives.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..vocabulary import REFINES
from .base import Detection, Detector, iou

FUSE_IOU = 0.55
SAME_OBJECT_IOU = 0.7
TILE_MIN_SIDE = 480  # analysis pixels; smaller pictures are not tiled
TILE_FRACTION = 0.625  # each of the 2x2 tiles spans this much of the width and height
DEFAULT_THRESHOLD = 0.3


@dataclass
class _Cluster:
    boxes: list = field(default_factory=list)
    scores: list = field(default_factory=list)
    labels: list = field(default_factory=list)
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

    def add(self, det: Detection, run: int) -> None:
        self.boxes.append(det.box)
        self.scores.append(det.score)
        self.labels.append(det.label)
        self.runs[run] = max(self.runs.get(run, 0.0), det.score)


def _compatible(a: str, b: str) -> bool:
    return a == b or b in REFINES.get(a, ()) or a in REFINES.get(b, ())


class Ensemble(Detector):
    """Fuses ``members`` (default: SSD Open Images + NanoDet COCO) over TTA views."""

    name = "ensemble"

    def __init__(self, members: list[Detector] | None = None, *, flip: bool = True, tiles: bool = True,
                 threshold: float = DEFAULT_THRESHOLD):
        if members is None:
            from .nanodet import NanoDetCOCO
            from .ssd import SSDOpenImages

            members = [SSDOpenImages(), NanoDetCOCO()]
        self.members = members
        self.flip = flip
        self.tiles = tiles
        self.threshold = threshold
        self.labels = frozenset().union(*(m.labels for m in members))

    def _views(self, rgb: np.ndarray):
        """(image, function mapping its detections back to rgb's pixels, whole-frame?)."""
        h, w = rgb.shape[:2]
        yield rgb, lambda d: d, True
        if self.flip:
            yield np.ascontiguousarray(rgb[:, ::-1]), lambda d: d.flipped(w), True
        if self.tiles and min(h, w) >= TILE_MIN_SIDE:
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

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        found: list[tuple[Detection, int]] = []
        whole_views: dict[str, int] = {}  # member name -> whole-frame views run
        weight = {m.name: getattr(m, "weight", 1.0) for m in self.members}
        capable: dict[str, set[str]] = {m.name: set(m.labels) for m in self.members}
        run = 0
        run_member: dict[int, str] = {}
        for member in self.members:
            for image, back, whole in self._views(rgb):
                for det in member.detect(image):
                    det = back(det)
                    if det is not None:
                        found.append((det, run))
                run_member[run] = member.name
                run += 1
                whole_views[member.name] = whole_views.get(member.name, 0) + int(whole)
        clusters: list[_Cluster] = []
        for det, r in sorted(found, key=lambda item: -item[0].score):
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
            best.add(det, r)
        fused = []
        for cluster in clusters:
            label = cluster.label()
            aliases = {label} | {g for g, specific in REFINES.items() if label in specific}
            votes = sum(weight[m] * n for m, n in whole_views.items() if capable[m] & aliases)
            support = sum(weight[run_member[r]] * s for r, s in cluster.runs.items())
            score = min(1.0, support / max(votes, 1e-9))
            if score >= self.threshold:
                fused.append(Detection(tuple(map(float, cluster.box())), label, float(score), self.name))
        return _suppress_same_object(fused)


def _suppress_same_object(detections: list[Detection]) -> list[Detection]:
    keep: list[Detection] = []
    for det in sorted(detections, key=lambda d: -d.score):
        if keep and iou([det.box], [k.box for k in keep]).max() > SAME_OBJECT_IOU:
            continue
        keep.append(det)
    return keep
