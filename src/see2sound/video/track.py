"""From a video to a scene whose sources move.

1. Pictures are analysed at ``rate_hz`` (default 5 per second) by the same
   detectors as stills (whole frame and mirror image; tiles cost too much per
   frame).
2. ByteTrack (Zhang et al. 2022, from ``supervision``) links detections into
   tracks; a track may go unseen for ``OCCLUSION_S`` before it is dropped, so
   a brief occlusion does not restart its sound.
3. A scene cut (the colour histogram changes by more than ``CUT_DISTANCE``
   between analysed pictures) resets the tracker, and each shot decides its
   own ambience.
4. Each track that makes sound and was seen at least ``MIN_DETECTIONS``
   times, once with ``TRACK_CONFIDENCE``, becomes a source: its label is the score-weighted vote of its
   detections; its directions and distances, smoothed by a Savitzky-Golay
   filter, become ``trajectory`` keyframes; ``active_s`` is when it is heard
   (the sound stage fades it in and out there). Tracks of one label that
   pick up where another left off (an occlusion longer than the tracker
   waits) are joined into one source. A vehicle that stays put
   for ``PARKED_AFTER_S`` or more is parked and left silent.

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
from scipy.signal import savgol_filter

from ..errors import InputError, MissingExtraError, ParameterError
from ..scene import Ambience, Keyframe, Position, Scene, Segment, Source
from ..spatial.signals import ACTIVE_FADE_S
from ..vision.ambience import classify_ambience
from ..vision.camera import camera_for
from ..vision.detect.ensemble import Ensemble
from ..vision.depth.priors import estimate_distance
from ..vision.sources import EMITTER_FROM_TOP, level_at_listener_db, source_id
from ..vision.vocabulary import KINDS, is_sounding
from .decode import VideoInfo, analysis_frames, probe

OCCLUSION_S = 1.5
MIN_DETECTIONS = 3
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
CUT_DISTANCE = 0.5
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

    @property
    def label(self) -> str:
        return max(self.labels, key=self.labels.get)


def _histogram(rgb: np.ndarray) -> np.ndarray:
    small = rgb[::4, ::4].reshape(-1, 3) // 32
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


def analyze_video(path, *, rate_hz: float = DEFAULT_RATE_HZ, hfov_deg: float | None = None,
                  projection: str = "auto", max_sources: int = 6, progress=None) -> tuple[Scene, VideoInfo, list[str]]:
    """The scene of a video (sources with trajectories and ``active_s``), its info, and notes."""
    sv = _supervision()
    if not (math.isfinite(rate_hz) and 0.5 <= rate_hz <= 30):
        raise ParameterError("analysis_rate_hz", f"must be from 0.5 to 30 per second, got {rate_hz:g}")
    info = probe(path)
    camera = None
    # Per frame, the two-member vote on the whole frame: the tracker's threshold was fitted on it, and the
    # calibrated fusion's model expects the still picture's mirror and tile views.
    detector = Ensemble(flip=False, tiles=False, threshold=DETECTION_THRESHOLD, fusion="wbf")
    labels = sorted(KINDS)
    label_id = {label: i for i, label in enumerate(labels)}
    tracks: dict[tuple[int, int], _Track] = {}
    segments: list[Shot] = []
    shot, tracker, previous, shot_labels, shot_picture = 0, _tracker(rate_hz), None, [], None
    scale = 1.0
    decode_notes: list[str] = []
    for t, rgb in analysis_frames(path, rate_hz, progress=progress, duration_s=info.duration_s, notes=decode_notes):
        if camera is None:
            camera = camera_for(info.width, info.height, hfov_deg=hfov_deg, projection=projection)
            scale = rgb.shape[1] / info.width
        hist = _histogram(rgb)
        if previous is not None and 0.5 * np.abs(hist - previous).sum() > CUT_DISTANCE:
            segments.append(_close_segment(segments, t, shot_picture, shot_labels))
            shot, tracker, shot_labels = shot + 1, _tracker(rate_hz), []
        if shot_picture is None or not shot_labels:
            shot_picture = rgb
        previous = hist
        found = [d.scaled(1.0 / scale) for d in detector.detect(rgb)]
        shot_labels.extend(d.label for d in found)
        sounding = [d for d in found if is_sounding(d.label)]
        if not sounding:
            tracker.update_with_detections(sv.Detections.empty())
            continue
        detections = sv.Detections(xyxy=np.array([d.box for d in sounding], dtype=np.float32),
                                   confidence=np.array([d.score for d in sounding], dtype=np.float32),
                                   class_id=np.array([label_id[d.label] for d in sounding]))
        tracked = tracker.update_with_detections(detections)
        for box, score, cls, tid in zip(tracked.xyxy, tracked.confidence, tracked.class_id, tracked.tracker_id):
            track = tracks.setdefault((shot, int(tid)), _Track((shot, int(tid))))
            track.times.append(t)
            track.boxes.append(tuple(float(v) for v in box))
            track.scores.append(float(score))
            track.labels[labels[int(cls)]] = track.labels.get(labels[int(cls)], 0.0) + float(score)
    if camera is None:
        raise InputError(f"{path}: no picture could be decoded")
    segments.append(_close_segment(segments, info.duration_s, shot_picture, shot_labels))
    sources, notes = _sources(tracks, camera, info.duration_s, max_sources)
    notes[:0] = decode_notes
    main = max(segments, key=lambda s: s.end_s - s.start_s)
    scene = Scene(
        duration_s=info.duration_s,
        sources=sources,
        input={"path": str(path), "kind": "video", "width": info.width, "height": info.height,
               "fps": round(info.fps, 3)},
        camera=camera.to_json(),
        ambience=Ambience(kind=main.kind, confidence=round(main.confidence, 3)),
        segments=[Segment(round(s.start_s, 3), round(s.end_s, 3), s.kind) for s in segments]
        if len(segments) > 1 else [],
    )
    if len(segments) > 1:
        notes.append(f"{len(segments) - 1} scene cut(s) found; tracks restart and the ambience follows each shot")
    return scene, info, notes


def _close_segment(segments: list[Shot], end_s: float, picture, labels: list[str]) -> Shot:
    start = segments[-1].end_s if segments else 0.0
    kind, confidence = ("outdoor-nature", 0.25) if picture is None else classify_ambience(picture, labels)[:2]
    return Shot(start, end_s, kind, confidence)


def _rejoin(tracks: list[_Track]) -> list[_Track]:
    """Join same-label tracks where one ends and the next starts nearby, within REJOIN_S (same shot)."""
    from ..vision.detect.base import iou

    tracks = sorted(tracks, key=lambda tr: tr.times[0])
    joined: list[_Track] = []
    for track in tracks:
        for earlier in joined:
            if (earlier.key[0] == track.key[0] and earlier.label == track.label
                    and 0 < track.times[0] - earlier.times[-1] <= REJOIN_S
                    and iou([earlier.boxes[-1]], [track.boxes[0]])[0, 0] >= REJOIN_BOX_OVERLAP):
                earlier.times += track.times
                earlier.boxes += track.boxes
                earlier.scores += track.scores
                for label, weight in track.labels.items():
                    earlier.labels[label] = earlier.labels.get(label, 0.0) + weight
                break
        else:
            joined.append(track)
    return joined


def _is_parked(track: _Track) -> bool:
    if track.times[-1] - track.times[0] < PARKED_AFTER_S:
        return False
    boxes = np.array(track.boxes)
    centres = np.column_stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2])
    travel = np.linalg.norm(centres.max(axis=0) - centres.min(axis=0))
    return travel < PARKED_MOTION * np.median(boxes[:, 2] - boxes[:, 0])


def _sources(tracks: dict, camera, duration_s: float, max_sources: int) -> tuple[list[Source], list[str]]:
    notes: list[str] = []
    ranked = []
    parked = 0
    for track in _rejoin([t for t in tracks.values() if t.times]):
        if len(track.times) < MIN_DETECTIONS or max(track.scores) < TRACK_CONFIDENCE:
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
