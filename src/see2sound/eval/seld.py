"""SELD labels in and out: a scene as DCASE metadata, and DCASE metadata as a scene.

The format is the STARSS23 / DCASE 2023-2024 task 3 metadata CSV
(Shimada et al., "STARSS23: An audio-visual dataset of spatial recordings
of real scenes with spatiotemporal annotations of sound events", NeurIPS
2023 Datasets and Benchmarks; DCASE 2023 and 2024 task 3 pages): no header,
one row per active event per frame::

    frame, class index, source index, azimuth, elevation[, distance]

- ``frame``: index of a 100 ms frame, from 0; frame k covers
  [0.1 k, 0.1 (k + 1)) s.
- ``class index``: into a class list (STARSS23's 13 are
  :data:`STARSS23_CLASSES`; for a see2sound scene, a :class:`ClassMap`).
- ``source index``: tells apart simultaneous events of one class; here it
  is a source's ``seld_track`` key where it has one (:func:`labels_scene`
  writes it), else the next free index of its class, in scene order.
- ``azimuth``: degrees, 0 ahead, counter-clockwise (+90 left), in
  [-180, 180]; ``elevation``: degrees, up positive, in [-90, 90]. These are
  SPEC §1's angles unchanged.
- ``distance``: centimetres, the sixth column DCASE 2024 added; STARSS23 as
  released for 2023 has five columns. Both are read and written.

STARSS23 writes integer degrees and centimetres: :func:`format_csv` rounds
to integers by default (``decimals=`` keeps fractions).

A scene to labels (:func:`scene_labels`):

- every source that is heard (not ``muted``) and whose label has a class;
  the ambience has no direction and is left out;
- active in frame k when k's **start time** 0.1 k lies in the source's
  window: the scene's ``[0, duration_s)``, narrowed to ``active_s`` (the
  whole window, its 0.3 s fades included) and, for a sound played once
  (``audio.loop`` false) whose length is known, to its end
  (length - ``offset_s``);
- its direction and distance are those at the frame's start time,
  following the trajectory (:class:`see2sound.spatial.geometry.Path`). A
  wide source (``spread_deg``) is labelled at its centre.

Labels to a scene (:func:`labels_scene`): one source per run of
consecutive frames of a (class, source index), with ``active_s`` =
[first frame's start, last frame's end), a keyframe at each frame's start
(runs of equal keyframes compacted to their ends), its class name as label,
its source index as ``seld_track`` (so the runs of a track split by a gap
keep one index), and no audio: a scene to score a recording against, not
to render. A
scene written by :func:`scene_labels` comes back within the rounding
(0.5 degree per angle) and on the same frames.

The class map is written beside the CSV (:func:`sidecar_path`,
``LABELS.classes.json``): ``{"schema": "see2sound.seld-classes/1",
"classes": [names by index], "labels": {see2sound label: index},
"tracks": [{"class", "track", "id"}]}``; ``tracks`` gives each
(class, source index) its source id back.

Contents
--------
FRAME_S, STARSS23_CLASSES
ClassMap                  see2sound labels -> class indices (default, STARSS23, JSON)
Labels                    label rows as arrays
scene_labels              Scene -> Labels
labels_scene              Labels -> Scene
parse_csv, read_csv       CSV text / file -> Labels
format_csv, write_csv     Labels -> CSV text / file
write_labels, read_labels CSV and its class map together
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError, ParameterError
from ..scene import Keyframe, Position, Scene, Source
from ..spatial.geometry import Path as SourcePath
from ..spatial.geometry import to_spherical

#: Label frame length in seconds (100 ms, DCASE 2020 onwards).
FRAME_S = 0.1
#: A labelled track without distances is placed this far away when it becomes a scene.
DEFAULT_DISTANCE_M = 1.0
CLASSES_SCHEMA = "see2sound.seld-classes/1"
#: A source's extra key holding its source index in labels (written by labels_scene, honoured by scene_labels).
SELD_TRACK_KEY = "seld_track"

#: STARSS23's 13 classes, by index (DCASE 2023 task 3).
STARSS23_CLASSES = ("femaleSpeech", "maleSpeech", "clapping", "telephone", "laughter", "domesticSounds",
                    "footsteps", "doorCnck", "music", "musicInstrument", "waterTap", "bell", "knock")

#: see2sound labels with a STARSS23 class that fits what they sound like. ``person`` has none on
#: purpose: STARSS23 splits speech by the speaker's sex, which a picture's label does not say; map it
#: in a class-map file when the scene's sounds do.
STARSS23_FROM_SEE2SOUND = {
    "cell phone": 3,    # telephone
    "footwear": 6,      # footsteps
    "microwave": 5, "oven": 5, "toaster": 5, "refrigerator": 5, "hair drier": 5,  # domesticSounds
    "sink": 10,         # waterTap
    "church bell": 11,  # bell
}


# --- class maps ---------------------------------------------------------------

@dataclass
class ClassMap:
    """Class names by index, and which see2sound label goes to which index.

    ``classes[i]`` is class i's name; ``labels`` maps a source's ``label``
    to an index (several labels may share one). A label that is itself a
    class name maps to that class unless ``labels`` says otherwise.
    """

    classes: list[str]
    labels: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        for label, index in self.labels.items():
            if not (isinstance(index, int) and 0 <= index < len(self.classes)):
                raise ParameterError("class_map", f"label {label!r} maps to {index!r}, "
                                                  f"not a class index 0..{len(self.classes) - 1}")

    @classmethod
    def from_scene(cls, scene: Scene) -> ClassMap:
        """One class per distinct label of the scene's sources (muted ones too), sorted."""
        names = sorted({s.label for s in scene.sources})
        return cls(names, {name: i for i, name in enumerate(names)})

    @classmethod
    def starss23(cls) -> ClassMap:
        """STARSS23's 13 classes, with :data:`STARSS23_FROM_SEE2SOUND`."""
        return cls(list(STARSS23_CLASSES), dict(STARSS23_FROM_SEE2SOUND))

    def index(self, label: str) -> int | None:
        if label in self.labels:
            return self.labels[label]
        return self.classes.index(label) if label in self.classes else None

    def to_dict(self) -> dict:
        return {"schema": CLASSES_SCHEMA, "classes": list(self.classes), "labels": dict(self.labels)}

    @classmethod
    def from_dict(cls, data, where: str = "class map") -> ClassMap:
        if isinstance(data, list):
            data = {"classes": data}
        if not isinstance(data, dict) or not isinstance(data.get("classes"), list) \
                or not all(isinstance(c, str) for c in data["classes"]):
            raise InputError(f"{where}: expected {{\"classes\": [names...]}} or a list of class names")
        labels = data.get("labels", {})
        if not isinstance(labels, dict):
            raise InputError(f"{where}: labels: expected an object of label -> class index")
        try:
            return cls(list(data["classes"]), dict(labels))
        except ParameterError as exc:
            raise InputError(f"{where}: {exc.detail}") from None

    @classmethod
    def load(cls, path: str | os.PathLike) -> ClassMap:
        return cls.from_dict(_read_json(path), str(path))


def _read_json(path: str | os.PathLike):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read JSON ({exc})") from None


# --- label rows ---------------------------------------------------------------

@dataclass
class Labels:
    """SELD label rows as arrays, each [shape=(rows,)], in file order.

    ``distance_cm`` is None for five-column labels. ``track_ids`` maps
    (class, source index) to a source id where one is known.
    """

    frame: np.ndarray
    class_index: np.ndarray
    track: np.ndarray
    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray
    distance_cm: np.ndarray | None = None
    track_ids: dict[tuple[int, int], str] = field(default_factory=dict)
    frame_s: float = FRAME_S

    def __post_init__(self):
        self.frame = np.asarray(self.frame, dtype=np.int64).reshape(-1)
        self.class_index = np.asarray(self.class_index, dtype=np.int64).reshape(-1)
        self.track = np.asarray(self.track, dtype=np.int64).reshape(-1)
        self.azimuth_deg = np.asarray(self.azimuth_deg, dtype=np.float64).reshape(-1)
        self.elevation_deg = np.asarray(self.elevation_deg, dtype=np.float64).reshape(-1)
        if self.distance_cm is not None:
            self.distance_cm = np.asarray(self.distance_cm, dtype=np.float64).reshape(-1)
        n = len(self.frame)
        columns = [self.class_index, self.track, self.azimuth_deg, self.elevation_deg]
        if any(len(c) != n for c in columns + ([self.distance_cm] if self.distance_cm is not None else [])):
            raise ParameterError("labels", "every column must have one value per row")

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def n_frames(self) -> int:
        """Frames up to the last labelled one (its index + 1); 0 when empty."""
        return int(self.frame.max()) + 1 if len(self) else 0

    @classmethod
    def empty(cls, *, distance: bool = True) -> Labels:
        z = np.zeros(0)
        return cls(z, z, z, z, z, z if distance else None)

    def tracks(self) -> dict[tuple[int, int], np.ndarray]:
        """(class, source index) -> the row indices of that track, in frame order."""
        out: dict[tuple[int, int], np.ndarray] = {}
        order = np.lexsort((self.frame, self.track, self.class_index))
        keys = np.stack([self.class_index[order], self.track[order]], axis=1)
        if len(order) == 0:
            return out
        starts = np.flatnonzero(np.any(np.diff(keys, axis=0) != 0, axis=1)) + 1
        for rows in np.split(order, starts):
            out[(int(self.class_index[rows[0]]), int(self.track[rows[0]]))] = rows
        return out


# --- scene -> labels ----------------------------------------------------------

def _frame_range(start_s: float, end_s: float, frame_s: float) -> range:
    """Frames whose start time lies in [start_s, end_s)."""
    eps = 1e-9
    return range(max(0, math.ceil(start_s / frame_s - eps)), max(0, math.ceil(end_s / frame_s - eps)))


def _played_s(scene: Scene, source: Source) -> float | None:
    """How long a sound played once lasts in the scene (its length after ``offset_s``), if known."""
    ref = source.audio
    if ref is None or ref.loop:
        return None
    if ref.in_memory:
        length_s = len(ref.samples) / ref.sample_rate
    else:
        import soundfile as sf

        try:
            info = sf.info(str(scene.resolve(ref.path)))
        except (OSError, RuntimeError):  # soundfile's LibsndfileError is a RuntimeError
            return None  # unreadable here: the renderer will say so; label the whole window
        length_s = info.frames / info.samplerate
    return max(0.0, length_s - ref.offset_s)


def _seld_track(source: Source, i: int) -> int | None:
    value = source.extra.get(SELD_TRACK_KEY)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 0:
        raise ParameterError("scene", f"sources[{i}].{SELD_TRACK_KEY}: expected a whole number >= 0, got {value!r}")
    return int(value)


def scene_labels(scene: Scene, class_map: ClassMap | None = None, *, frame_s: float = FRAME_S,
                 skip_unmapped: bool = False) -> Labels:
    """The SELD labels of a scene's heard sources (rules in the module docstring).

    Parameters
    ----------
    scene : Scene
    class_map : ClassMap, optional
        Default :meth:`ClassMap.from_scene`.
    frame_s : float
        Label frame length (DCASE: 0.1 s).
    skip_unmapped : bool
        Leave out sources whose label has no class instead of refusing.

    Returns
    -------
    Labels, sorted by frame, then class, then source index; unrounded
    angles (azimuth in [-180, 180)) and distances in cm; ``track_ids`` set.

    Examples
    --------
    >>> scene = Scene.from_dict({"schema": "see2sound.scene/2", "duration_s": 0.3, "sources": [
    ...     {"id": "d", "label": "dog", "position": {"azimuth_deg": 90, "elevation_deg": 0, "distance_m": 2}}]})
    >>> print(format_csv(scene_labels(scene)), end="")
    0,0,0,90,0,200
    1,0,0,90,0,200
    2,0,0,90,0,200
    """
    if not frame_s > 0:
        raise ParameterError("frame_s", f"must be positive, got {frame_s!r}")
    class_map = class_map or ClassMap.from_scene(scene)
    columns: list[list] = [[] for _ in range(6)]
    track_ids: dict[tuple[int, int], str] = {}
    heard = []
    for i, source in enumerate(scene.sources):
        if source.muted:
            continue
        cls = class_map.index(source.label)
        if cls is None:
            if skip_unmapped:
                continue
            raise ParameterError("class_map", f"sources[{i}] ({source.id!r}): label {source.label!r} has no class")
        heard.append((source, cls, _seld_track(source, i)))
    next_track: dict[int, int] = {}
    for _, cls, given in heard:
        if given is not None:
            next_track[cls] = max(next_track.get(cls, 0), given + 1)
    for source, cls, track in heard:
        if track is None:
            track = next_track.get(cls, 0)
            next_track[cls] = track + 1
        track_ids.setdefault((cls, track), source.id)
        start_s, end_s = 0.0, scene.duration_s
        if source.active_s is not None:
            start_s, end_s = max(start_s, source.active_s[0]), min(end_s, source.active_s[1])
        played = _played_s(scene, source)
        if played is not None:
            end_s = min(end_s, played)
        frames = np.array(_frame_range(start_s, end_s, frame_s), dtype=np.int64)
        if len(frames) == 0:
            continue
        directions, distances_m = SourcePath.of(source).at(frames * frame_s)
        azimuth, elevation = to_spherical(directions)
        for column, values in zip(columns, (frames, np.full(len(frames), cls), np.full(len(frames), track),
                                            (azimuth + 180.0) % 360.0 - 180.0, elevation, distances_m * 100.0)):
            column.append(values)
    stacked = [np.concatenate(c) if c else np.zeros(0) for c in columns]
    order = np.lexsort((stacked[2], stacked[1], stacked[0]))
    keys = np.stack(stacked[:3], axis=1)[order]
    twice = np.flatnonzero(np.all(keys[1:] == keys[:-1], axis=1)) if len(keys) > 1 else []
    if len(twice):
        frame, cls, track = (int(v) for v in keys[twice[0]])
        raise ParameterError("scene", f"two sources are class {cls}, source index {track} in frame {frame} "
                                      f"(their {SELD_TRACK_KEY!r} keys)")
    return Labels(*(c[order] for c in stacked), track_ids=track_ids, frame_s=frame_s)


# --- labels -> scene ----------------------------------------------------------

def _runs(frames: np.ndarray) -> list[np.ndarray]:
    """Positions in ``frames`` (increasing) split where a frame is missing."""
    breaks = np.flatnonzero(np.diff(frames) != 1) + 1
    return np.split(np.arange(len(frames)), breaks)


def _compact(keys: list[tuple[float, float, float, float]]) -> list[tuple[float, float, float, float]]:
    """Keyframes (t, az, el, d) without the inner ones of runs of equal positions."""
    out = []
    for i, key in enumerate(keys):
        same_before = i > 0 and keys[i - 1][1:] == key[1:]
        same_after = i + 1 < len(keys) and keys[i + 1][1:] == key[1:]
        if not (same_before and same_after):
            out.append(key)
    return out[:1] if all(k[1:] == out[0][1:] for k in out) else out


def labels_scene(labels: Labels, class_map: ClassMap | None = None, *, duration_s: float | None = None,
                 default_distance_m: float = DEFAULT_DISTANCE_M) -> Scene:
    """A scene with one source per labelled run (rules in the module docstring).

    Parameters
    ----------
    labels : Labels
    class_map : ClassMap, optional
        Names the sources' labels; without one, a label is ``class<i>``.
    duration_s : float, optional
        Default: up to the end of the last labelled frame.
    default_distance_m : float
        For five-column labels, and distances of 0 or less.

    Returns
    -------
    Scene whose sources have no audio; ids from ``labels.track_ids``, else
    ``<label>-<source index>``, a later run of the same track adding ``:2``, ``:3``...
    """
    fs = labels.frame_s
    end_s = labels.n_frames * fs
    duration_s = end_s if duration_s is None else float(duration_s)
    if not duration_s > 0:
        raise ParameterError("duration_s", f"must be positive (are the labels empty?), got {duration_s!r}")
    if end_s > duration_s + 1e-9:
        raise ParameterError("duration_s", f"{duration_s:g} s is shorter than the labels ({end_s:g} s)")
    sources: list[Source] = []
    for (cls, track), rows in sorted(labels.tracks().items()):
        name = class_map.classes[cls] if class_map and cls < len(class_map.classes) else f"class{cls}"
        base = labels.track_ids.get((cls, track), f"{name}-{track}")
        frames = labels.frame[rows]
        if len(np.unique(frames)) != len(frames):
            raise InputError(f"labels: class {cls}, source {track} has two rows in one frame")
        for n, run in enumerate(_runs(frames), start=1):
            r = rows[run]
            if labels.distance_cm is None:
                distance = np.full(len(r), default_distance_m)
            else:
                distance = labels.distance_cm[r] / 100.0
                distance = np.where(distance > 0, distance, default_distance_m)
            keys = _compact([(round(f * fs, 9), float(a), float(e), float(d)) for f, a, e, d in
                             zip(labels.frame[r], labels.azimuth_deg[r], labels.elevation_deg[r], distance)])
            first = keys[0]
            sources.append(Source(
                id=base if n == 1 else f"{base}:{n}",
                label=name,
                position=Position(first[1], first[2], first[3]),
                trajectory=[Keyframe(*k) for k in keys] if len(keys) > 1 else [],
                active_s=(round(labels.frame[r[0]] * fs, 9), round((labels.frame[r[-1]] + 1) * fs, 9)),
                extra={SELD_TRACK_KEY: int(track)},
            ))
    scene = Scene(duration_s=duration_s, sources=sources)
    scene.check_limits()
    return scene


# --- CSV ----------------------------------------------------------------------

def parse_csv(text: str, *, where: str = "labels") -> Labels:
    """Labels from STARSS23-style CSV text (five or six columns, no header; a header line is skipped)."""
    rows: list[list[float]] = []
    width = None
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        fields = [f.strip() for f in line.split(",")]
        try:
            values = [float(f) for f in fields]
        except ValueError:
            if number == 1 and not fields[0].lstrip("+-").replace(".", "", 1).isdigit():
                continue  # a header
            raise InputError(f"{where}: line {number}: expected numbers, got {line!r}") from None
        if len(values) not in (5, 6):
            raise InputError(f"{where}: line {number}: expected 5 or 6 columns "
                             f"(frame, class, source, azimuth, elevation[, distance]), got {len(values)}")
        if width is not None and len(values) != width:
            raise InputError(f"{where}: line {number}: {len(values)} columns after rows of {width}")
        width = len(values)
        if not all(math.isfinite(v) for v in values):
            raise InputError(f"{where}: line {number}: a value is not finite")
        if any(v != int(v) or v < 0 for v in values[:3]):
            raise InputError(f"{where}: line {number}: frame, class and source must be whole numbers >= 0")
        if not -90.0 <= values[4] <= 90.0:
            raise InputError(f"{where}: line {number}: elevation {values[4]:g} is outside [-90, 90]")
        rows.append(values)
    if not rows:
        return Labels.empty(distance=True)
    a = np.array(rows, dtype=np.float64)
    return Labels(a[:, 0], a[:, 1], a[:, 2], a[:, 3], a[:, 4], a[:, 5] if a.shape[1] == 6 else None)


def read_csv(path: str | os.PathLike) -> Labels:
    """Labels from a STARSS23-style CSV file."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such labels file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read labels ({exc})") from None
    return parse_csv(text, where=str(path))


def _number(value: float, decimals: int | None) -> str:
    if decimals is None:
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if decimals == 0:
        return str(round(float(value)))
    return f"{value:.{decimals}f}"


def format_csv(labels: Labels, *, decimals: int | None = 0, distance: bool | None = None) -> str:
    """STARSS23-style CSV text, one line per row in ``labels``' order.

    Parameters
    ----------
    decimals : int or None
        Angles and distances rounded to this many decimals; 0 (the default)
        writes integers as STARSS23 does; None writes each value exactly
        (integers without a point, others as Python's shortest repr).
    distance : bool, optional
        Write the sixth column (DCASE 2024); default when ``labels`` has distances.
    """
    if decimals is not None and (not isinstance(decimals, int) or decimals < 0):
        raise ParameterError("decimals", f"expected a whole number >= 0 or None, got {decimals!r}")
    distance = labels.distance_cm is not None if distance is None else distance
    if distance and labels.distance_cm is None:
        raise ParameterError("distance", "these labels have no distances")
    lines = []
    for i in range(len(labels)):
        fields = [str(labels.frame[i]), str(labels.class_index[i]), str(labels.track[i]),
                  _number(labels.azimuth_deg[i], decimals), _number(labels.elevation_deg[i], decimals)]
        if distance:
            fields.append(_number(labels.distance_cm[i], decimals))
        lines.append(",".join(fields) + "\n")
    return "".join(lines)


def write_csv(labels: Labels, path: str | os.PathLike, *, decimals: int | None = 0,
              distance: bool | None = None) -> None:
    """Write :func:`format_csv`'s text to ``path`` (atomically)."""
    from ..io.files import atomic_output

    text = format_csv(labels, decimals=decimals, distance=distance)
    with atomic_output(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8", newline="")


def sidecar_path(csv_path: str | os.PathLike) -> Path:
    """Where a labels CSV's class map goes: ``LABELS.csv`` -> ``LABELS.classes.json``."""
    p = Path(csv_path)
    return p.with_name(p.stem + ".classes.json")


def write_labels(scene: Scene, path: str | os.PathLike, class_map: ClassMap | None = None, *,
                 decimals: int | None = 0, distance: bool = True, skip_unmapped: bool = False) -> Labels:
    """Write a scene's labels to ``path`` and its class map (with track ids) beside it; returns the labels."""
    from ..io.files import atomic_output

    class_map = class_map or ClassMap.from_scene(scene)
    labels = scene_labels(scene, class_map, skip_unmapped=skip_unmapped)
    doc = class_map.to_dict()
    doc["frame_s"] = labels.frame_s
    doc["tracks"] = [{"class": c, "track": t, "id": sid} for (c, t), sid in sorted(labels.track_ids.items())]
    write_csv(labels, path, decimals=decimals, distance=distance)
    with atomic_output(sidecar_path(path)) as tmp:
        Path(tmp).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return labels


def read_labels(path: str | os.PathLike, class_map: ClassMap | str | os.PathLike | None = None
                ) -> tuple[Labels, ClassMap | None]:
    """Labels from ``path``, with the class map given (object or JSON file) or found beside it.

    Track ids in the sidecar are read into ``Labels.track_ids``, even when
    another class map is given.
    """
    labels = read_csv(path)
    side = sidecar_path(path)
    doc = _read_json(side) if side.is_file() else None
    if isinstance(doc, dict):
        for item in doc.get("tracks") or []:
            try:
                labels.track_ids[(int(item["class"]), int(item["track"]))] = str(item["id"])
            except (KeyError, TypeError, ValueError):
                raise InputError(f"{side}: tracks: expected {{\"class\", \"track\", \"id\"}} items") from None
    if class_map is None and doc is not None:
        class_map = ClassMap.from_dict(doc, str(side))
    elif class_map is not None and not isinstance(class_map, ClassMap):
        class_map = ClassMap.load(class_map)
    return labels, class_map
