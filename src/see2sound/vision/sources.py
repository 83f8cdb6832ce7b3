"""From detections to the sound sources of a scene.

- Only things that make sound become sources (a chair does not; see
  :mod:`.vocabulary`).
- Four or more people close together in azimuth, none of them large in the
  frame, become one ``crowd`` source whose ``spread_deg`` covers them, rather
  than a dozen separate voices.
- Sources are ranked by how loud they would be at the listener: typical
  level at 1 m, minus 20 log10(distance), plus 10 log10(confidence); the
  first ``max_sources`` are kept.
- Each source is placed at its sound-emitting point and gets a stable id:
  its label and rank (``dog-1``). A person with keypoints (MoveNet, in the
  default ensemble) speaks from the mouth, stands as tall as their visible
  landmarks say, on the ground at their ankles, and keeps the direction they
  face (``facing_deg``; :mod:`.pose`). From a box, that point is a person's head
  (12 % of the box's height from its top), else the box's centre; from a
  mask (segmenting detectors), the mean of the mask's top quarter for a
  person (head and shoulders), else the mask's centroid, which for an
  L-shaped or hollow outline is where the object is, not its box's centre.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from ..scene import MAX_DISTANCE_M, Position, Source
from .camera import Camera
from .detect import Detection
from .depth import DepthEstimator
from .depth.priors import estimate_distance
from .vocabulary import KINDS, is_sounding
from . import pose

T = TypeVar("T")
DEFAULT_MAX_SOURCES = 6
#: The nearest a source is placed, whatever the depth estimate says (the renderer's near field is 0.5 m).
NEAREST_ESTIMATE_M = 0.1
CROWD_MIN_PEOPLE = 4
CROWD_MAX_HEIGHT = 0.35  # a person taller than this fraction of the frame is near: their own source
CROWD_GAP_DEG = 12.0
CROWD_MIN_SPREAD_DEG = 15.0
#: Where in the box the sound comes from, as a fraction of its height from the top.
EMITTER_FROM_TOP = {"person": 0.12, "crowd": 0.3}


@dataclass
class Candidate:
    label: str
    box: tuple[float, float, float, float]
    confidence: float
    azimuth_deg: float
    elevation_deg: float
    distance_m: float
    distance_method: str
    spread_deg: float = 0.0
    members: int = 1
    facing_deg: float | None = None

    @property
    def level_db(self) -> float:
        return level_at_listener_db(self.label, self.distance_m, self.confidence, self.members)


def level_at_listener_db(label: str, distance_m: float, confidence: float, members: int = 1) -> float:
    """How loud a source would be at the listener, for ranking (stills and video alike).

    Its label's typical level at 1 m, minus 20 log10(distance) (distances
    under 0.5 m count as 0.5 m), plus 10 log10(confidence) and
    10 log10(members) for a crowd.
    """
    kind = KINDS[label]
    return (kind.sound or 0.0) - 20 * math.log10(max(distance_m, 0.5)) \
        + 10 * math.log10(max(confidence, 1e-3)) + 10 * math.log10(members)


def source_id(label: str, counts: dict[str, int]) -> str:
    """A stable id from a label and its rank among sources of that label (``dog-1``); counts what it hands out."""
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "source"
    counts[slug] = counts.get(slug, 0) + 1
    return f"{slug}-{counts[slug]}"


def emitter_point(det: Detection) -> tuple[float, float]:
    """Where in the picture the detection's sound comes from, (u, v) in its pixels."""
    x0, y0, x1, y1 = det.box
    keypoints = getattr(det, "keypoints", None)
    if keypoints is not None and (at := pose.mouth(keypoints)) is not None:
        return at
    top = EMITTER_FROM_TOP.get(det.label)
    mask = det.mask
    if mask is None or not mask.any():
        return (x0 + x1) / 2, y0 + (0.5 if top is None else top) * (y1 - y0)
    rows, cols = np.nonzero(mask)
    v = y0 + (rows + 0.5) * (y1 - y0) / mask.shape[0]
    u = x0 + (cols + 0.5) * (x1 - x0) / mask.shape[1]
    if top is not None:
        upper = v <= np.quantile(v, min(1.0, 2 * top))
        u, v = u[upper], v[upper]
    return float(u.mean()), float(v.mean())


def _candidate(det: Detection, camera: Camera, depth: DepthEstimator | None = None) -> Candidate:
    u, v = emitter_point(det)
    az, el = camera.direction([u], [v])
    learned = None
    if depth is not None:
        learned = depth.distance_m(det.box, camera, label=det.label, mask=det.mask)
    keypoints = getattr(det, "keypoints", None)
    if learned is not None and np.isfinite(learned) and learned > 0:
        distance, method = float(learned), getattr(depth, "method", type(depth).__name__)
    elif keypoints is not None:
        distance, method = estimate_distance(det.box, KINDS[det.label], camera, height_px=pose.stature_px(keypoints),
                                             contact=pose.feet(keypoints))
        method = f"pose {method}"
    else:
        distance, method = estimate_distance(det.box, KINDS[det.label], camera)
    # An estimate, however wild, lands in the scene's range (a relative depth map can say 0).
    distance = float(np.clip(distance, NEAREST_ESTIMATE_M, MAX_DISTANCE_M))
    facing = None if keypoints is None else pose.facing_deg(keypoints, float(az[0]))
    return Candidate(det.label, det.box, det.score, float(az[0]), float(el[0]), distance, method, facing_deg=facing)


def _crowds(people: list[Candidate], camera: Camera) -> tuple[list[Candidate], list[Candidate]]:
    """(crowd sources, people who stay single)."""
    far = [p for p in people if (p.box[3] - p.box[1]) < CROWD_MAX_HEIGHT * camera.height]
    near = [p for p in people if p not in far]
    if len(far) < CROWD_MIN_PEOPLE:
        return [], people
    far.sort(key=lambda p: p.azimuth_deg)
    groups: list[list[Candidate]] = [[far[0]]]
    for p in far[1:]:
        if p.azimuth_deg - groups[-1][-1].azimuth_deg <= CROWD_GAP_DEG:
            groups[-1].append(p)
        else:
            groups.append([p])
    crowds, single = [], list(near)
    for group in groups:
        if len(group) < CROWD_MIN_PEOPLE:
            single.extend(group)
            continue
        az = np.array([p.azimuth_deg for p in group])
        boxes = np.array([p.box for p in group])
        box = (float(boxes[:, 0].min()), float(boxes[:, 1].min()), float(boxes[:, 2].max()), float(boxes[:, 3].max()))
        crowds.append(Candidate(
            "crowd", box, float(np.mean([p.confidence for p in group])), float(az.mean()),
            float(np.mean([p.elevation_deg for p in group])),
            float(np.median([p.distance_m for p in group])), "median of its people",
            spread_deg=float(max(CROWD_MIN_SPREAD_DEG, az.max() - az.min() + 5.0)), members=len(group)))
    return crowds, single


def choose_sources(detections: list[Detection], camera: Camera, max_sources: int = DEFAULT_MAX_SOURCES,
                   depth: DepthEstimator | None = None) -> list[Source]:
    """The scene's sources, loudest at the listener first.

    ``depth``, if given, measures distances; where it answers None the size
    and ground-contact estimate is used.
    """
    sounding = [_candidate(d, camera, depth) for d in detections if is_sounding(d.label)]
    people = [c for c in sounding if c.label == "person"]
    crowds, people = _crowds(people, camera)
    candidates = [c for c in sounding if c.label != "person"] + people + crowds
    candidates.sort(key=lambda c: -c.level_db)
    counts: dict[str, int] = {}
    sources = []
    for c in candidates[:max_sources]:
        kind = KINDS[c.label]
        sources.append(Source(
            id=source_id(c.label, counts),
            label=c.label,
            confidence=round(c.confidence, 3),
            box=list(_scene_box(c.box)),
            position=Position(round(c.azimuth_deg, 2), round(c.elevation_deg, 2), round(c.distance_m, 2),
                              extra={"distance_method": c.distance_method}),
            sound={"audioset": list(kind.audioset)} if kind.audioset else None,
            spread_deg=round(c.spread_deg, 1),
            people=c.members if c.label == "crowd" else None,
            facing_deg=None if c.facing_deg is None else round(c.facing_deg, 1),
        ))
    return sources



def _scene_box(box) -> tuple[float, ...]:
    """A box as a scene's source keeps it: pixels to 0.1."""
    return tuple(round(v, 1) for v in box)


def paired_sources(sources: Sequence[Source], found: Iterable[tuple[Detection, T]]) -> Iterator[tuple[Source, T]]:
    """Each source with what ``found`` says of the detection it was made from (same label and box).

    For stages that learn something about a detection (:mod:`.refine`,
    :mod:`.propose`) and write it onto its source after :func:`choose_sources`.
    """
    by_box = {(det.label, _scene_box(det.box)): value for det, value in found}
    for source in sources:
        value = by_box.get((source.label, tuple(source.box or ())))
        if value is not None:
            yield source, value

#: A source placed from a point alone, with no ground to go by, is put where its label's typical
#: size would span this fraction of the picture's height.
POINT_SPAN_OF_HEIGHT = 1 / 3
#: Where the ray through a point meets the emitter's height above the ground is trusted only when
#: that height is this far from the camera's (metres) and the ray this far from level (degrees).
POINT_MIN_HEIGHT_GAP_M, POINT_MIN_SLOPE_DEG = 0.25, 0.5


def place_source(label: str, camera: Camera, *, point: tuple[float, float] | None = None,
                 box: tuple[float, float, float, float] | None = None) -> Position:
    """Where a source of ``label`` that a user marked on the picture is (SPEC §1: azimuth + left).

    Give ``box`` = (x0, y0, x1, y1) or ``point`` = (u, v), in pixels of the
    ``camera.width`` x ``camera.height`` picture (u right, v down).

    - From a box: as a detection of that box would be — the direction of
      its emitter point (:func:`emitter_point`: a person's head), the
      distance from the label's size and ground contact
      (:func:`~.depth.priors.estimate_distance`).
    - From a point: the direction of the ray through it. The distance, for
      a label that stands on the ground and has a typical height, is where
      that ray meets the height its sound comes from (a dog's middle at
      0.28 m, a car's at 0.75 m; :data:`EMITTER_FROM_TOP` for people), the
      camera being level at ``CAMERA_HEIGHT_M`` (1.5 m) — when that height
      is at least :data:`POINT_MIN_HEIGHT_GAP_M` from the camera's and the
      ray rises or falls towards it by at least :data:`POINT_MIN_SLOPE_DEG`.
      Otherwise (a person's head is at eye level; a bird does not stand) it
      is where the label's typical height (else width) would span
      :data:`POINT_SPAN_OF_HEIGHT` of the picture's height; a label of no
      typical size is put at ``DEFAULT_DISTANCE_M`` (5 m).

    ``Position.extra["distance_method"]`` says which estimate was used. Raises
    :class:`~see2sound.errors.ParameterError` for a label that makes no sound,
    for neither or both of ``point`` and ``box``, and for coordinates that are
    not finite or not inside the picture.
    """
    from ..errors import ParameterError
    from .depth import priors

    if not is_sounding(label):
        raise ParameterError("label", f"{label!r} is not a vocabulary label that makes sound")
    if (point is None) == (box is None):
        raise ParameterError("point", "give a point (u, v) or a box (x0, y0, x1, y1), not both or neither")
    name, given = ("box", box) if box is not None else ("point", point)
    count = 4 if box is not None else 2
    try:
        values = [float(x) for x in given]
    except (TypeError, ValueError):
        values = []
    if len(values) != count or not all(math.isfinite(x) for x in values):
        raise ParameterError(name, f"expected {count} finite numbers, got {given!r}")
    limits = [camera.width, camera.height] * 2
    if any(not 0 <= x <= hi for x, hi in zip(values, limits)) or (
            box is not None and not (values[0] < values[2] and values[1] < values[3])):
        raise ParameterError(name, f"{values} is not inside the {camera.width} x {camera.height} picture")
    kind = KINDS[label]
    if box is not None:
        x0, y0, x1, y1 = values
        u, v = emitter_point(Detection((x0, y0, x1, y1), label, 1.0))
        distance, method = estimate_distance((x0, y0, x1, y1), kind, camera)
    else:
        (u, v), distance, method = values, None, ""
    az, el = (float(a[0]) for a in camera.direction([u], [v]))
    if box is None and kind.grounded and kind.height_m:
        gap = kind.height_m * (1.0 - EMITTER_FROM_TOP.get(label, 0.5)) - priors.CAMERA_HEIGHT_M
        if abs(gap) >= POINT_MIN_HEIGHT_GAP_M and abs(el) >= POINT_MIN_SLOPE_DEG and gap * el > 0:
            horizontal = gap / math.tan(math.radians(el))
            distance, method = horizontal / math.cos(math.radians(el)), "height along the ray"
    if distance is None:
        size = kind.height_m or kind.width_m
        if size:
            span = math.radians(camera.vfov_deg * POINT_SPAN_OF_HEIGHT)
            distance = size / (2.0 * math.tan(span / 2.0))
            method = f"size (assumed {POINT_SPAN_OF_HEIGHT:.2g} of the picture's height)"
        else:
            distance, method = priors.DEFAULT_DISTANCE_M, "default"
    distance = float(np.clip(distance, NEAREST_ESTIMATE_M, priors.MAX_DISTANCE_M))
    return Position(round(az, 2), round(el, 2), round(distance, 2), extra={"distance_method": method})
