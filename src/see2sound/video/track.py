"""From a video to a scene whose sources move.

1. Pictures are analysed at ``rate_hz`` (default 5 per second), decoded by a
   thread of their own (:func:`.decode.read_ahead`) while the detectors load
   and then beside the analysis.
2. The detectors (the whole frame only: tiles and the mirror image cost too
   much per frame) run on every ``detect_every``-th analysed picture
   (default :data:`see2sound.pipeline.DEFAULT_DETECT_EVERY`) and at each scene cut; in between,
   each track is followed by its looks (:mod:`.follow`), so it still has a
   box, and a direction, at every analysed picture. ``detect_every=1``
   detects on every picture, as before issue 16.
3. ByteTrack (Zhang et al. 2022, from ``supervision``) links the boxes into
   tracks (see :class:`_Analysis` for how followed boxes are weighed); a
   track may go unseen for ``OCCLUSION_S`` before it is dropped, so a brief
   occlusion does not restart its sound.
4. A scene cut (the colour histogram changes by more than ``CUT_DISTANCE``
   between analysed pictures) resets the tracker, and each shot decides its
   own ambience.
5. Each track that makes sound and was seen at least ``MIN_DETECTIONS``
   times, at least ``MIN_DETECTED`` of them by the detectors and once with
   ``TRACK_CONFIDENCE``, becomes a source: its label is the score-weighted
   vote of its detections; its directions and distances, smoothed by a
   Savitzky-Golay filter, become ``trajectory`` keyframes; ``active_s`` is
   when it is heard (the sound stage fades it in and out there). Tracks of
   one label that pick up where another left off, or where it was heading
   (an occlusion longer than the tracker waits), are joined into one
   source. A vehicle that stays put for ``PARKED_AFTER_S`` or more is parked
   and left silent.

Contents
--------
analyze_video, Shot
"""

from __future__ import annotations

import math
import threading
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, MissingExtraError, ParameterError
from ..pipeline import DEFAULT_DETECT_EVERY, check_detect_every
from ..scene import Ambience, Keyframe, Position, Scene, Segment, Source
from ..spatial.signals import ACTIVE_FADE_S
from ..vision.ambience import classify_ambience
from ..vision.camera import camera_for
from ..vision.depth.priors import estimate_distance
from ..vision.detect.base import iou
from ..vision.detect.ensemble import Ensemble
from ..vision.sources import EMITTER_FROM_TOP, level_at_listener_db, source_id
from ..vision.vocabulary import KINDS, is_sounding
from .decode import AnalysisPicture, VideoInfo, analysis_pictures, probe, read_ahead
from .follow import FOLLOW_S, SMALL_SIDE, Follower

OCCLUSION_S = 1.5
#: A source's track was seen this many times (detected, or followed between detections) ...
MIN_DETECTIONS = 3
#: ... this many of them by the detectors (with detect_every=1 every sighting is a detection).
MIN_DETECTED = 2
#: Tracking takes weaker detections than a still (0.3): persistence over frames filters
#: noise, and a track must include at least one detection of TRACK_CONFIDENCE.
DETECTION_THRESHOLD = 0.15
TRACK_CONFIDENCE = 0.3
#: A vehicle seen this long whose centre moves less than PARKED_MOTION box widths is parked: silent.
VEHICLES = {"car", "bus", "truck", "motorcycle", "bicycle", "vehicle", "train", "airplane", "boat"}
PARKED_AFTER_S = 3.0
PARKED_MOTION = 0.5
#: Tracks of one label are joined when one starts within REJOIN_S of the other's end, near where it ended.
REJOIN_S = 10.0
REJOIN_BOX_OVERLAP = 0.3
#: ... or near where it was heading, when one starts within REJOIN_MOVING_S.
REJOIN_MOVING_S = 3.0
CUT_DISTANCE = 0.5
#: Cuts are found on pictures this small (longer side, pixels).
HISTOGRAM_SIDE = 320
#: A detection overlapping a followed box by this much (IoU) is that track's sighting.
FOLLOWED_OVERLAP = 0.3
DEFAULT_RATE_HZ = 5.0


@dataclass
class Shot:
    """A shot between two cuts, and its ambience."""

    start_s: float
    end_s: float
    kind: str = ""
    confidence: float = 0.0


@dataclass
class _Track:
    key: tuple[int, int]  # (shot, tracker id)
    times: list[float] = field(default_factory=list)
    boxes: list[tuple[float, ...]] = field(default_factory=list)
    labels: dict[str, float] = field(default_factory=dict)
    scores: list[float] = field(default_factory=list)
    detected: list[bool] = field(default_factory=list)  # per sighting: by the detectors, or followed by its looks
    class_id: int = -1

    @property
    def label(self) -> str:
        return max(self.labels, key=self.labels.get)


def _histogram(small: np.ndarray) -> np.ndarray:
    """512-bin colour histogram (8 levels a channel) of a small RGB picture (HISTOGRAM_SIDE), summing to 1."""
    small = small.reshape(-1, 3) // 32
    index = small[:, 0].astype(int) * 64 + small[:, 1] * 8 + small[:, 2]
    hist = np.bincount(index, minlength=512).astype(np.float64)
    return hist / hist.sum()


#: supervision's warnings are not the user's business: one lock, as warning filters are process-wide.
_QUIET = threading.Lock()


def _supervision():
    """supervision, imported without its warning that OpenCV is missing (no OpenCV path is used here).

    Its import also sets a process-wide filter for its own warnings; the
    ``catch_warnings`` block undoes that.
    """
    try:
        with _QUIET, warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"OpenCV \(`opencv-python`\) is not installed",
                                    category=UserWarning, module=r"supervision\.")
            import supervision as sv
    except ImportError:
        raise MissingExtraError("video", "video") from None
    return sv


def _tracker(rate_hz: float):
    sv = _supervision()
    # supervision starts a track at activation + 0.1: 0.2 here, so weak but steady detections can.
    # lost_track_buffer counts frames at 30 per second whatever frame_rate is (supervision scales it).
    with _QUIET, warnings.catch_warnings():
        # Deprecated since supervision 0.28 and gone in 0.31: the video extra pins supervision below 0.31.
        warnings.filterwarnings("ignore", message=r"The `ByteTrack` was deprecated", category=FutureWarning)
        return sv.ByteTrack(track_activation_threshold=0.1, lost_track_buffer=int(OCCLUSION_S * 30),
                            minimum_matching_threshold=0.8, frame_rate=max(1, int(round(rate_hz))),
                            minimum_consecutive_frames=1)


def analyze_video(path, *, rate_hz: float = DEFAULT_RATE_HZ, detect_every: int = DEFAULT_DETECT_EVERY,
                  hfov_deg: float | None = None, projection: str = "auto", max_sources: int = 6,
                  progress=None) -> tuple[Scene, VideoInfo, list[str]]:
    """The scene of a video (sources with trajectories and ``active_s``), its info, and notes.

    Pictures are analysed ``rate_hz`` times a second; the detectors run on
    every ``detect_every``-th of them (and at each scene cut), and tracks are
    followed by their looks in between (:mod:`.follow`). ``detect_every=1``
    detects on every analysed picture.
    """
    if not (math.isfinite(rate_hz) and 0.5 <= rate_hz <= 30):
        raise ParameterError("analysis_rate_hz", f"must be from 0.5 to 30 per second, got {rate_hz:g}")
    check_detect_every(detect_every)
    info = probe(path)
    decode_notes: list[str] = []
    # Decoding starts now, in a thread of its own, while the tracker and the detectors load, then beside them.
    with read_ahead(analysis_pictures(path, rate_hz, notes=decode_notes)) as pictures:
        run = _Analysis(_supervision(), info, rate_hz, detect_every, hfov_deg, projection)
        for picture in pictures:
            run.add(picture)
            if progress is not None and info.duration_s:
                progress(min(1.0, picture.t / info.duration_s))
    if run.camera is None:
        raise InputError(f"{path}: no picture could be decoded")
    segments = run.segments + [_close_segment(run.segments, info.duration_s, run.shot_picture, run.shot_labels)]
    sources, notes = _sources(run.tracks, run.camera, info.duration_s, max_sources)
    notes[:0] = decode_notes
    main = max(segments, key=lambda s: s.end_s - s.start_s)
    scene = Scene(
        duration_s=info.duration_s,
        sources=sources,
        input={"path": str(path), "kind": "video", "width": info.width, "height": info.height,
               "fps": round(info.fps, 3)},
        camera=run.camera.to_json(),
        ambience=Ambience(kind=main.kind, confidence=round(main.confidence, 3)),
        segments=[Segment(round(s.start_s, 3), round(s.end_s, 3), s.kind) for s in segments]
        if len(segments) > 1 else [],
    )
    if len(segments) > 1:
        notes.append(f"{len(segments) - 1} scene cut(s) found; tracks restart and the ambience follows each shot")
    return scene, info, notes


class _Analysis:
    """The analysis of one video, a picture at a time: cuts, detections on schedule, following, tracks.

    Every box goes through ByteTrack, which keeps the tracks' ids, waits for
    the lost and starts the new. A box the follower found (:mod:`.follow`) is
    shown to it with score 1: found by its looks where its track was heading,
    it is as sure as a box can be, and the tracker weighs a match by the
    box's score. On a detection picture the tracks are followed too, and a
    detection that overlaps a track's followed box by :data:`FOLLOWED_OVERLAP`
    is that track's sighting, however far the tracker's motion model (slow
    to turn) expected it to be. A detection the tracker holds back (ByteTrack
    starts a track on a second sighting, which may be seconds away) is
    followed until the tracker takes it up or the next detection.
    """

    def __init__(self, sv, info: VideoInfo, rate_hz: float, detect_every: int, hfov_deg, projection):
        self.sv, self.info, self.rate_hz, self.detect_every = sv, info, rate_hz, detect_every
        self.hfov_deg, self.projection = hfov_deg, projection
        # Per frame, the two-member vote on the whole frame: the tracker's threshold was fitted on it, and the
        # calibrated fusion's model expects the still picture's mirror and tile views.
        self.detector = Ensemble(flip=False, tiles=False, threshold=DETECTION_THRESHOLD, fusion="wbf")
        self.labels = sorted(KINDS)
        self.label_id = {label: i for i, label in enumerate(self.labels)}
        self.tracks: dict[tuple[int, int], _Track] = {}
        self.segments: list[Shot] = []
        self.shot, self.tracker, self.previous = 0, _tracker(rate_hz), None
        self.shot_labels: list[str] = []
        self.shot_picture = None
        self.camera = None
        # Follower key -> (t, box, score, class) of a detection the tracker has not yet made a track; keys are < 0.
        self.pending: dict[int, tuple] = {}
        self.follower = Follower(max(FOLLOW_S, (detect_every + 0.5) / rate_hz)) if detect_every > 1 else None
        self.since_detection = detect_every  # the first picture is detected

    def add(self, picture: AnalysisPicture) -> None:
        t = picture.t
        if self.camera is None:
            self.camera = camera_for(self.info.width, self.info.height, hfov_deg=self.hfov_deg,
                                     projection=self.projection)
        hist = _histogram(picture.rgb(HISTOGRAM_SIDE))
        cut = self.previous is not None and 0.5 * np.abs(hist - self.previous).sum() > CUT_DISTANCE
        self.previous = hist
        if cut:
            self.segments.append(_close_segment(self.segments, t, self.shot_picture, self.shot_labels))
            self.shot, self.tracker, self.shot_labels = self.shot + 1, _tracker(self.rate_hz), []
            if self.follower is not None:
                self.follower.reset()
            self.pending.clear()
        detect = cut or self.since_detection >= self.detect_every - 1
        self.since_detection = 0 if detect else self.since_detection + 1
        grey = picture.grey(SMALL_SIDE) if self.follower is not None else None
        scale = grey.shape[1] / self.info.width if grey is not None else 1.0
        if detect:
            self._let_go_of_pending()
        found = self._detect(picture) if detect else []
        followed = self._followed(t, grey, scale)
        boxes = self._boxes(found, followed)
        if boxes is None:
            self.tracker.update_with_detections(self.sv.Detections.empty())
            return
        taken = self._record(t, found, self.tracker.update_with_detections(boxes), grey, scale)
        if detect and self.follower is not None:
            for i, det in enumerate(found):
                if i not in taken:
                    key = -1 - len(self.pending)
                    self.pending[key] = (t, det.box, det.score, self.label_id[det.label])
                    self.follower.detected(key, det.box, t, grey, scale)

    def _let_go_of_pending(self) -> None:
        for key in self.pending:
            self.follower.forget(key)
        self.pending.clear()

    def _detect(self, picture: AnalysisPicture) -> list:
        """The sounding detections of the picture, in display pixels (and the shot's labels and picture)."""
        rgb = picture.rgb()
        scale = rgb.shape[1] / self.info.width
        # The shot's ambience is judged on its first picture, or the first after which something was detected.
        if self.shot_picture is None or not self.shot_labels:
            self.shot_picture = rgb
        found = [d.scaled(1.0 / scale) for d in self.detector.detect(rgb)]
        self.shot_labels.extend(d.label for d in found)
        return [d for d in found if is_sounding(d.label)]

    def _followed(self, t: float, grey, scale: float) -> list[tuple[int, tuple]]:
        """(key, box) of the tracks and held-back detections the follower finds on this picture."""
        if self.follower is None:
            return []
        return [(key, box) for key, box, _ in self.follower.follow(t, grey, scale)
                if key in self.pending or (self.shot, key) in self.tracks]

    def _boxes(self, found: list, followed: list):
        """What the tracker is shown: followed boxes (each with the detection that overlaps it, if any), then the
        detections that overlap none. ``data``: ``key`` (the follower's, or -1), ``det`` (index in ``found``, or -1)."""
        det_of = {}
        if found and followed:
            overlap = iou([box for _, box in followed], [d.box for d in found])
            for i, j in sorted(np.argwhere(overlap >= FOLLOWED_OVERLAP), key=lambda ij: -overlap[ij[0], ij[1]]):
                if i not in det_of and j not in det_of.values() and followed[i][0] not in self.pending:
                    det_of[int(i)] = int(j)
        loose = [j for j in range(len(found)) if j not in det_of.values()]
        if not followed and not loose:
            return None
        xyxy = [box for _, box in followed] + [found[j].box for j in loose]
        # A held-back detection keeps its score unless it could make a track (TRACK_CONFIDENCE): a weak one is
        # taken up as the tracker would on seeing it detected again, not because it was followed.
        scores = [self._followed_score(key) for key, _ in followed] + [found[j].score for j in loose]
        classes = [self._class_of(key) for key, _ in followed] + [self.label_id[found[j].label] for j in loose]
        keys = [key for key, _ in followed] + [-1] * len(loose)
        dets = [det_of.get(i, -1) for i in range(len(followed))] + loose
        return self.sv.Detections(xyxy=np.array(xyxy, dtype=np.float32), confidence=np.array(scores, dtype=np.float32),
                                  class_id=np.array(classes), data={"key": np.array(keys), "det": np.array(dets)})

    def _followed_score(self, key: int) -> float:
        if key in self.pending:
            score = self.pending[key][2]
            return 1.0 if score >= TRACK_CONFIDENCE else score
        return 1.0

    def _class_of(self, key: int) -> int:
        return self.pending[key][3] if key in self.pending else self.tracks[(self.shot, key)].class_id

    def _record(self, t: float, found: list, tracked, grey, scale: float) -> set[int]:
        """Add the tracker's answer to the tracks; the indices of the detections it took."""
        taken: set[int] = set()
        if not len(tracked):
            return taken
        for box, tid, key, det in zip(tracked.xyxy, tracked.tracker_id, tracked.data["key"], tracked.data["det"]):
            tid, key, det = int(tid), int(key), int(det)
            if key in self.pending:  # a held-back detection, taken up: its detection is the track's first sighting
                if (self.shot, tid) in self.tracks:  # the box went to another track: not this one's
                    continue
                self._sighting(tid, *self.pending.pop(key))
                self.follower.rename(key, tid)
            elif key >= 0 and tid != key:  # the tracker gave one track's looks to another: not a sighting
                continue
            if det >= 0:
                taken.add(det)
                d = found[det]
                self._sighting(tid, t, d.box, d.score, self.label_id[d.label])
                if self.follower is not None:
                    self.follower.detected(tid, d.box, t, grey, scale)
            else:
                box = tuple(float(v) for v in box)
                self._sighting(tid, t, box, self.tracks[(self.shot, tid)].scores[-1], None)
                self.follower.followed(tid, box, t)
        return taken

    def _sighting(self, tid: int, t: float, box, score: float, cls: int | None) -> None:
        """A sighting of track ``tid``: detected (with its class) or followed (``cls`` None)."""
        track = self.tracks.setdefault((self.shot, tid), _Track((self.shot, tid)))
        track.times.append(t)
        track.boxes.append(tuple(float(v) for v in box))
        track.scores.append(float(score))
        track.detected.append(cls is not None)
        if cls is not None:
            label = self.labels[cls]
            track.labels[label] = track.labels.get(label, 0.0) + float(score)
            track.class_id = cls


def _close_segment(segments: list[Shot], end_s: float, picture, labels: list[str]) -> Shot:
    start = segments[-1].end_s if segments else 0.0
    kind, confidence = ("outdoor-nature", 0.25) if picture is None else classify_ambience(picture, labels)[:2]
    return Shot(start, end_s, kind, confidence)


def _rejoin(tracks: list[_Track]) -> list[_Track]:
    """Join same-label tracks where one ends and the next starts nearby, within REJOIN_S (same shot)."""

    tracks = sorted(tracks, key=lambda tr: tr.times[0])
    joined: list[_Track] = []
    for track in tracks:
        for earlier in joined:
            if (earlier.key[0] == track.key[0] and earlier.label == track.label
                    and 0 < track.times[0] - earlier.times[-1] <= REJOIN_S
                    and _continues(earlier, track)):
                earlier.times += track.times
                earlier.boxes += track.boxes
                earlier.scores += track.scores
                earlier.detected += track.detected
                for label, weight in track.labels.items():
                    earlier.labels[label] = earlier.labels.get(label, 0.0) + weight
                break
        else:
            joined.append(track)
    return joined


def _continues(earlier: _Track, later: _Track) -> bool:
    """Whether ``later`` starts where ``earlier`` ended (box overlap REJOIN_BOX_OVERLAP), or where it was heading
    (its last second's velocity carried on, for gaps up to REJOIN_MOVING_S): something that passed behind another."""
    last, first = earlier.boxes[-1], later.boxes[0]
    if iou([last], [first])[0, 0] >= REJOIN_BOX_OVERLAP:
        return True
    gap = later.times[0] - earlier.times[-1]
    recent = [i for i, t in enumerate(earlier.times) if t >= earlier.times[-1] - 1.0]
    if gap > REJOIN_MOVING_S or len(recent) < 3:
        return False
    t0, t1 = earlier.times[recent[0]], earlier.times[-1]
    b0, b1 = np.array(earlier.boxes[recent[0]]), np.array(last)
    velocity = ((b1[0] + b1[2]) - (b0[0] + b0[2])) / 2 / (t1 - t0), ((b1[1] + b1[3]) - (b0[1] + b0[3])) / 2 / (t1 - t0)
    ahead = b1 + gap * np.array([velocity[0], velocity[1], velocity[0], velocity[1]])
    return iou([ahead], [first])[0, 0] >= REJOIN_BOX_OVERLAP


def _is_parked(track: _Track) -> bool:
    if track.times[-1] - track.times[0] < PARKED_AFTER_S:
        return False
    boxes = np.array(track.boxes)
    centres = np.column_stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2])
    travel = np.linalg.norm(centres.max(axis=0) - centres.min(axis=0))
    return travel < PARKED_MOTION * np.median(boxes[:, 2] - boxes[:, 0])


def _sources(tracks: dict, camera, duration_s: float, max_sources: int) -> tuple[list[Source], list[str]]:
    from scipy.signal import savgol_filter  # imported when needed: it takes about a second

    notes: list[str] = []
    ranked = []
    parked = 0
    for track in _rejoin([t for t in tracks.values() if t.times]):
        if len(track.times) < MIN_DETECTIONS or sum(track.detected) < MIN_DETECTED \
                or max(track.scores) < TRACK_CONFIDENCE:
            continue
        label = track.label
        if label in VEHICLES and _is_parked(track):
            parked += 1
            continue
        kind = KINDS[label]
        boxes = np.array(track.boxes)
        u = (boxes[:, 0] + boxes[:, 2]) / 2
        v = boxes[:, 1] + EMITTER_FROM_TOP.get(label, 0.5) * (boxes[:, 3] - boxes[:, 1])
        az, el = camera.direction(u, v)
        az = np.degrees(np.unwrap(np.radians(az)))
        dist = np.log([estimate_distance(tuple(b), kind, camera)[0] for b in boxes])
        if len(track.times) >= 5:
            window = min(len(track.times) - (1 - len(track.times) % 2), 7)
            az, el, dist = (savgol_filter(x, window, 2) for x in (az, el, dist))
        # Ranked as a still's source at the track's typical distance, plus 3 dB per doubling of its
        # detections: a track seen for long is more surely there and heard for longer.
        level = level_at_listener_db(label, float(np.exp(np.mean(dist))), float(np.mean(track.scores)))
        ranked.append((level + 3 * np.log2(len(track.times)), track, az, el, np.exp(dist)))
    if parked:
        notes.append(f"{parked} vehicle(s) never moved: parked, so silent")
    ranked.sort(key=lambda item: -item[0])
    if len(ranked) > max_sources:
        notes.append(f"{len(ranked)} sounding tracks; the {max_sources} loudest kept")
    counts: dict[str, int] = {}
    sources = []
    for _, track, az, el, dist in ranked[:max_sources]:
        label = track.label
        times = np.array(track.times)
        frames = [Keyframe(round(float(t), 3), round(float((a + 180) % 360 - 180), 2),
                           round(float(np.clip(e, -90, 90)), 2), round(float(np.clip(d, 0.3, 300)), 2))
                  for t, a, e, d in zip(times, az, el, dist)]
        first = frames[0]
        start, end = max(0.0, times[0] - ACTIVE_FADE_S), min(duration_s, times[-1] + ACTIVE_FADE_S)
        sources.append(Source(
            id=source_id(label, counts), label=label, confidence=round(float(np.mean(track.scores)), 3),
            box=[round(v, 1) for v in track.boxes[0]],
            position=Position(first.azimuth_deg, first.elevation_deg, first.distance_m),
            trajectory=frames if len(frames) > 1 else [],
            sound={"audioset": list(KINDS[label].audioset)} if KINDS[label].audioset else None,
            active_s=(round(start, 3), round(end, 3)), extra={"track": list(track.key)},
        ))
    return sources, notes
