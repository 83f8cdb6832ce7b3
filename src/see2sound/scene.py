"""The scene file (``see2sound.scene/2``): what is heard, where, and when.

The vision stages write a scene, the sound stage fills in each source's audio,
the renderer reads it, and users may write one by hand (SPEC §2).

Contents
--------
Position, Keyframe     a direction and distance (SPEC §1 coordinates)
AudioRef               a sound (a file, or samples in memory) and how it is played
Source, Ambience       what makes sound, and the diffuse bed under it
Segment                a stretch of a video (a shot) with its own ambience
Scene                  the whole file: ``Scene.load``, ``Scene.save``,
                       ``Scene.from_dict``, ``Scene.to_dict``

Every validation error is a :class:`~see2sound.errors.See2SoundError` whose
message starts with the JSON path of the offending value, e.g.
``sources[2].position.distance_m``. Keys this version does not know are kept
in ``extra`` and written back unchanged.

``scene/1`` files load too: the keys that version kept loose (``muted``,
``active_s``, ``people`` on a source, ``segments`` on the scene) are read
into their typed fields, and the scene is saved as ``scene/2``.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError, See2SoundError
from .io import jsondoc

SCHEMA = "see2sound.scene/2"
#: Schemas that load (older ones are migrated on read).
READABLE_SCHEMAS = ("see2sound.scene/1", SCHEMA)

# What a scene may hold (SPEC §2.4). Beyond these a number is a mistake, not a scene: a source
# 1e39 m away overflows the distance law, a gain of 1e300 dB overflows the level, a day of 7.1
# does not fit a WAV file, and a render's memory grows with its sources.
#: The longest scene, in seconds (also the latest time a keyframe, window or segment may name).
MAX_DURATION_S = 3600.0
#: The most sources one scene may have.
MAX_SOURCES = 256
#: The farthest a source may be, in metres.
MAX_DISTANCE_M = 10_000.0
#: The range of a sound's gain, in dB.
MIN_GAIN_DB, MAX_GAIN_DB = -120.0, 60.0
#: The furthest into its sound a source may start playing, in seconds (a sound is read up to offset + duration).
MAX_OFFSET_S = 3600.0
#: The most keyframes one source's trajectory may have (a video's track at 30 per second for an hour: 108,000).
MAX_KEYFRAMES = 120_000
#: The most people a crowd source may stand for.
MAX_PEOPLE = 100_000


def wrap_azimuth_deg(azimuth_deg: float) -> float:
    """Wrap an azimuth to (-180, 180] degrees."""
    wrapped = math.fmod(azimuth_deg, 360.0)
    if wrapped > 180.0:
        wrapped -= 360.0
    elif wrapped <= -180.0:
        wrapped += 360.0
    return wrapped


class _Obj:
    """Reads one JSON object, tracking its path and the keys it consumed."""

    def __init__(self, value: Any, path: str):
        if not isinstance(value, dict):
            raise See2SoundError(f"{path}: expected an object, got {_kind(value)}")
        self.value = value
        self.path = path
        self._used: set[str] = set()

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return key in self.value and self.value[key] is not None

    def raw(self, key: str, required: bool = False) -> Any:
        self._used.add(key)
        if key not in self.value:
            if required:
                raise See2SoundError(f"{self.at(key)}: required key is missing")
            return None
        return self.value[key]

    def number(self, key: str, default: float | None = None, *, required: bool = False,
               minimum: float | None = None, maximum: float | None = None,
               exclusive_minimum: bool = False) -> float | None:
        value = self.raw(key, required)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise See2SoundError(f"{self.at(key)}: expected a number, got {_kind(value)}")
        value = float(value)
        if not math.isfinite(value):
            raise See2SoundError(f"{self.at(key)}: must be finite, got {value}")
        if minimum is not None:
            if exclusive_minimum and value <= minimum:
                raise See2SoundError(f"{self.at(key)}: must be greater than {minimum:g}, got {value:g}")
            if not exclusive_minimum and value < minimum:
                raise See2SoundError(f"{self.at(key)}: must be at least {minimum:g}, got {value:g}")
        if maximum is not None and value > maximum:
            raise See2SoundError(f"{self.at(key)}: must be at most {maximum:g}, got {value:g}")
        return value

    def string(self, key: str, default: str | None = None, *, required: bool = False,
               nonempty: bool = False) -> str | None:
        value = self.raw(key, required)
        if value is None:
            return default
        if not isinstance(value, str):
            raise See2SoundError(f"{self.at(key)}: expected a string, got {_kind(value)}")
        if nonempty and not value.strip():
            raise See2SoundError(f"{self.at(key)}: must not be empty")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise See2SoundError(f"{self.at(key)}: expected true or false, got {_kind(value)}")
        return value

    def array(self, key: str) -> list | None:
        value = self.raw(key)
        if value is None:
            return None
        if not isinstance(value, list):
            raise See2SoundError(f"{self.at(key)}: expected an array, got {_kind(value)}")
        return value

    def numbers(self, key: str, count: int, what: str) -> list[float] | None:
        """An array of exactly ``count`` numbers (``what`` names them in the error), as floats."""
        value = self.array(key)
        if value is None:
            return None
        if len(value) != count or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value):
            raise See2SoundError(f"{self.at(key)}: expected {what}")
        if not all(math.isfinite(v) for v in value):
            raise See2SoundError(f"{self.at(key)}: must be finite, got {value}")
        return [float(v) for v in value]

    def obj(self, key: str, required: bool = False) -> _Obj | None:
        value = self.raw(key, required)
        if value is None:
            return None
        return _Obj(value, self.at(key))

    def extra(self) -> dict[str, Any]:
        return {k: v for k, v in self.value.items() if k not in self._used}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "an array", dict: "an object"}.get(type(value), type(value).__name__)


def _direction(o: _Obj) -> tuple[float, float, float]:
    azimuth = o.number("azimuth_deg", required=True)
    elevation = o.number("elevation_deg", required=True, minimum=-90.0, maximum=90.0)
    distance = o.number("distance_m", required=True, minimum=0.0, exclusive_minimum=True, maximum=MAX_DISTANCE_M)
    return wrap_azimuth_deg(azimuth), elevation, distance


def _at(where: str, to_json):
    """``to_json()``, with ``where`` put in front of an error's message."""
    try:
        return to_json()
    except InputError as exc:
        raise InputError(f"{where}.audio: {exc}") from None


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


@dataclass
class Position:
    """A direction and distance from the listener (SPEC §1: +azimuth is left)."""

    azimuth_deg: float
    elevation_deg: float
    distance_m: float
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, o: _Obj) -> Position:
        return cls(*_direction(o), extra=o.extra())

    def to_json(self) -> dict[str, Any]:
        return {"azimuth_deg": self.azimuth_deg, "elevation_deg": self.elevation_deg,
                "distance_m": self.distance_m, **self.extra}


@dataclass
class Keyframe:
    """A position at time ``t`` seconds from the start of the scene."""

    t: float
    azimuth_deg: float
    elevation_deg: float
    distance_m: float
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, o: _Obj) -> Keyframe:
        t = o.number("t", required=True, minimum=0.0, maximum=MAX_DURATION_S)
        return cls(t, *_direction(o), extra=o.extra())

    def to_json(self) -> dict[str, Any]:
        return {"t": self.t, "azimuth_deg": self.azimuth_deg, "elevation_deg": self.elevation_deg,
                "distance_m": self.distance_m, **self.extra}


@dataclass
class AudioRef:
    """A sound: a file (``path``, relative to the scene file's folder) or ``samples`` held in memory.

    ``offset_s`` is where playback starts inside the sound at scene time 0;
    ``loop`` repeats it to fill the scene. In-memory ``samples`` (mono
    float32 [shape=(n,)] at ``sample_rate``) let stages chain without
    temporary files; such a ref has no JSON form until it is written
    (:meth:`Scene.save` refuses it). With both, the samples are used.
    """

    path: str | None = None
    gain_db: float = 0.0
    loop: bool = True
    offset_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    samples: np.ndarray | None = field(default=None, compare=False, repr=False)
    sample_rate: int | None = None

    def __post_init__(self):
        if self.samples is not None:
            self.samples = np.asarray(self.samples, dtype=np.float32)
            if self.samples.ndim != 1:
                raise See2SoundError(f"audio samples must be mono [shape=(n,)], got shape {self.samples.shape}")
            if not (isinstance(self.sample_rate, int) and self.sample_rate > 0):
                raise See2SoundError("audio samples need their sample_rate")
        elif not self.path:
            raise See2SoundError("audio needs a path or samples")

    @property
    def in_memory(self) -> bool:
        return self.samples is not None

    @classmethod
    def from_json(cls, o: _Obj) -> AudioRef:
        path = o.string("path", required=True, nonempty=True)
        if "\0" in path:
            raise See2SoundError(f"{o.at('path')}: a file name cannot hold a NUL character")
        return cls(
            path=path,
            gain_db=o.number("gain_db", 0.0, minimum=MIN_GAIN_DB, maximum=MAX_GAIN_DB),
            loop=o.boolean("loop", True),
            offset_s=o.number("offset_s", 0.0, minimum=0.0, maximum=MAX_OFFSET_S),
            extra=o.extra(),
        )

    def to_json(self) -> dict[str, Any]:
        if self.path is None:
            raise InputError("audio held in memory has no file to name: write the stems first (stems_dir)")
        return {"path": self.path, "gain_db": self.gain_db, "loop": self.loop,
                "offset_s": self.offset_s, **self.extra}


@dataclass
class Source:
    """One sound source: where it is (``position`` or ``trajectory``) and its audio."""

    id: str
    position: Position
    label: str = ""
    confidence: float | None = None
    box: list[float] | None = None
    trajectory: list[Keyframe] = field(default_factory=list)
    audio: AudioRef | None = None
    sound: dict[str, Any] | None = None
    spread_deg: float = 0.0
    muted: bool = False
    active_s: tuple[float, float] | None = None
    people: int | None = None
    facing_deg: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_moving(self) -> bool:
        return len(self.trajectory) > 1

    @classmethod
    def from_json(cls, o: _Obj) -> Source:
        source_id = o.string("id", required=True, nonempty=True)
        position = Position.from_json(o.obj("position", required=True))
        box = o.numbers("box", 4, "four numbers [x0, y0, x1, y1]")
        trajectory = []
        keys = o.array("trajectory") or []
        if len(keys) > MAX_KEYFRAMES:
            raise See2SoundError(f"{o.at('trajectory')}: {len(keys)} keyframes; at most {MAX_KEYFRAMES}")
        for i, item in enumerate(keys):
            key = _Obj(item, f"{o.at('trajectory')}[{i}]")
            frame = Keyframe.from_json(key)
            if trajectory and frame.t <= trajectory[-1].t:
                raise See2SoundError(
                    f"{key.at('t')}: keyframe times must increase, got {frame.t:g} after {trajectory[-1].t:g}")
            trajectory.append(frame)
        audio = o.obj("audio")
        sound = o.raw("sound")
        if sound is not None and not isinstance(sound, dict):
            raise See2SoundError(f"{o.at('sound')}: expected an object, got {_kind(sound)}")
        active = o.numbers("active_s", 2, "two numbers [start_s, end_s]")
        if active is not None:
            if not 0 <= active[0] < active[1] <= MAX_DURATION_S:
                raise See2SoundError(f"{o.at('active_s')}: must be 0 <= start < end <= {MAX_DURATION_S:g}, "
                                     f"got {active}")
            active = (active[0], active[1])
        people = o.number("people", None, minimum=1.0, maximum=MAX_PEOPLE)
        if people is not None and people != int(people):
            raise See2SoundError(f"{o.at('people')}: expected a whole number, got {people:g}")
        facing = o.number("facing_deg", None)
        return cls(
            id=source_id,
            position=position,
            label=o.string("label", ""),
            confidence=o.number("confidence", None, minimum=0.0, maximum=1.0),
            box=box,
            trajectory=trajectory,
            audio=AudioRef.from_json(audio) if audio is not None else None,
            sound=sound,
            spread_deg=o.number("spread_deg", 0.0, minimum=0.0, maximum=360.0),
            muted=o.boolean("muted", False),
            active_s=active,
            people=int(people) if people is not None else None,
            facing_deg=wrap_azimuth_deg(facing) if facing is not None else None,
            extra=o.extra(),
        )

    def to_json(self) -> dict[str, Any]:
        out = _drop_none({
            "id": self.id,
            "label": self.label,
            "confidence": self.confidence,
            "box": self.box,
            "position": self.position.to_json(),
            "trajectory": [k.to_json() for k in self.trajectory] or None,
            "audio": self.audio.to_json() if self.audio else None,
            "sound": self.sound,
            "spread_deg": self.spread_deg,
            "muted": self.muted or None,
            "active_s": list(self.active_s) if self.active_s is not None else None,
            "people": self.people,
            "facing_deg": self.facing_deg,
        })
        out.update(self.extra)
        return out


@dataclass
class Ambience:
    """The scene-level diffuse bed (rendered all around the listener)."""

    kind: str | None = None
    confidence: float | None = None
    audio: AudioRef | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, o: _Obj) -> Ambience:
        audio = o.obj("audio")
        return cls(
            kind=o.string("kind"),
            confidence=o.number("confidence", None, minimum=0.0, maximum=1.0),
            audio=AudioRef.from_json(audio) if audio is not None else None,
            extra=o.extra(),
        )

    def to_json(self) -> dict[str, Any]:
        out = _drop_none({"kind": self.kind, "confidence": self.confidence,
                          "audio": self.audio.to_json() if self.audio else None})
        out.update(self.extra)
        return out


@dataclass
class Segment:
    """A stretch of the scene (a video's shot) from ``start_s`` to ``end_s`` with its own ``ambience`` kind."""

    start_s: float
    end_s: float
    ambience: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, o: _Obj) -> Segment:
        start = o.number("start_s", required=True, minimum=0.0, maximum=MAX_DURATION_S)
        end = o.number("end_s", required=True, minimum=0.0, maximum=MAX_DURATION_S)
        if end <= start:
            raise See2SoundError(f"{o.at('end_s')}: must be after start_s ({start:g}), got {end:g}")
        return cls(start, end, o.string("ambience"), extra=o.extra())

    def to_json(self) -> dict[str, Any]:
        return {**_drop_none({"start_s": self.start_s, "end_s": self.end_s, "ambience": self.ambience}),
                **self.extra}


@dataclass
class Scene:
    """A ``see2sound.scene/2`` scene.

    ``base_dir`` is the folder that relative audio paths are resolved
    against: the scene file's folder after :meth:`load`, else the current one.
    """

    duration_s: float
    sources: list[Source] = field(default_factory=list)
    input: dict[str, Any] | None = None
    camera: dict[str, Any] | None = None
    ambience: Ambience | None = None
    segments: list[Segment] = field(default_factory=list)
    schema: str = SCHEMA
    extra: dict[str, Any] = field(default_factory=dict)
    base_dir: Path = field(default_factory=Path, compare=False, repr=False)

    @classmethod
    def from_dict(cls, data: Any, *, base_dir: str | os.PathLike = ".") -> Scene:
        """Validate a parsed JSON document and build a scene from it."""
        o = _Obj(data, "")
        schema = o.string("schema", required=True)
        if schema not in READABLE_SCHEMAS:
            raise See2SoundError(f"schema: expected {SCHEMA!r} (or an older {READABLE_SCHEMAS[0]!r}), got {schema!r}")
        duration = o.number("duration_s", required=True, minimum=0.0, exclusive_minimum=True,
                            maximum=MAX_DURATION_S)
        sources = []
        seen: set[str] = set()
        items = o.array("sources") or []
        if len(items) > MAX_SOURCES:
            raise See2SoundError(f"sources: {len(items)} sources; a scene may have at most {MAX_SOURCES}")
        for i, item in enumerate(items):
            source = Source.from_json(_Obj(item, f"sources[{i}]"))
            if source.id in seen:
                raise See2SoundError(f"sources[{i}].id: duplicate id {source.id!r}")
            seen.add(source.id)
            sources.append(source)
        scene_input = o.raw("input")
        camera = o.raw("camera")
        for key, value in (("input", scene_input), ("camera", camera)):
            if value is not None and not isinstance(value, dict):
                raise See2SoundError(f"{key}: expected an object, got {_kind(value)}")
        ambience = o.obj("ambience")
        segments = []
        for i, item in enumerate(o.array("segments") or []):
            segment = Segment.from_json(_Obj(item, f"segments[{i}]"))
            if segments and segment.start_s < segments[-1].end_s:
                raise See2SoundError(f"segments[{i}].start_s: segments must not overlap or go back in time")
            segments.append(segment)
        return cls(
            duration_s=duration,
            sources=sources,
            input=scene_input,
            camera=camera,
            ambience=Ambience.from_json(ambience) if ambience is not None else None,
            segments=segments,
            schema=SCHEMA,
            extra=o.extra(),
            base_dir=Path(base_dir),
        )

    def to_dict(self) -> dict[str, Any]:
        out = _drop_none({
            "schema": self.schema,
            "duration_s": self.duration_s,
            "input": self.input,
            "camera": self.camera,
            "sources": [_at(f"sources[{i}]", s.to_json) for i, s in enumerate(self.sources)],
            "ambience": _at("ambience", self.ambience.to_json) if self.ambience else None,
            "segments": [s.to_json() for s in self.segments] or None,
        })
        out.update(self.extra)
        return out

    @classmethod
    def load(cls, path: str | os.PathLike) -> Scene:
        """Read and validate a scene file; errors name the file and JSON path."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise See2SoundError(f"{path}: no such scene file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise See2SoundError(f"{path}: cannot read scene file ({exc})") from None
        data = jsondoc.loads(text, what=str(path))
        try:
            return cls.from_dict(data, base_dir=path.parent)
        except See2SoundError as exc:
            raise See2SoundError(f"{path}: {exc}") from None

    def save(self, path: str | os.PathLike) -> None:
        """Write the scene as JSON (atomically: a temporary file, then a rename)."""
        from .io.files import atomic_output

        with atomic_output(path) as tmp:
            Path(tmp).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    def audio_refs(self) -> list[tuple[str, AudioRef]]:
        """(JSON path, ref) of every sound the scene names: each source's that has one, then the ambience's."""
        refs = [(f"sources[{i}].audio", s.audio) for i, s in enumerate(self.sources) if s.audio is not None]
        if self.ambience is not None and self.ambience.audio is not None:
            refs.append(("ambience.audio", self.ambience.audio))
        return refs

    def check_limits(self) -> None:
        """Raise :class:`See2SoundError` naming the path of any number beyond the scene limits.

        :meth:`from_dict` checks these as it reads; this is for scenes built in
        code, checked again before they are rendered.
        """
        def within(path: str, value: float, low: float, high: float) -> None:
            if not (math.isfinite(value) and low <= value <= high):
                raise See2SoundError(f"{path}: must be from {low:g} to {high:g}, got {value:g}")

        within("duration_s", self.duration_s, 0.0, MAX_DURATION_S)
        if len(self.sources) > MAX_SOURCES:
            raise See2SoundError(f"sources: {len(self.sources)} sources; a scene may have at most {MAX_SOURCES}")
        for where, ref in self.audio_refs():
            within(f"{where}.gain_db", ref.gain_db, MIN_GAIN_DB, MAX_GAIN_DB)
            within(f"{where}.offset_s", ref.offset_s, 0.0, MAX_OFFSET_S)
            if ref.in_memory:
                within(f"{where}.sample_rate", ref.sample_rate, 1000, 768_000)
                if not (len(ref.samples) and np.all(np.isfinite(ref.samples))):
                    raise See2SoundError(f"{where}.samples: must hold at least one sample, all finite")
        for i, source in enumerate(self.sources):
            within(f"sources[{i}].spread_deg", source.spread_deg, 0.0, 360.0)
            if source.facing_deg is not None:
                within(f"sources[{i}].facing_deg", source.facing_deg, -math.inf, math.inf)
            if source.active_s is not None:
                within(f"sources[{i}].active_s[0]", source.active_s[0], 0.0, source.active_s[1])
                within(f"sources[{i}].active_s[1]", source.active_s[1], 0.0, MAX_DURATION_S)
            if len(source.trajectory) > MAX_KEYFRAMES:
                raise See2SoundError(f"sources[{i}].trajectory: {len(source.trajectory)} keyframes; "
                                     f"at most {MAX_KEYFRAMES}")
            places = [("position", source.position)] + [(f"trajectory[{k}]", key)
                                                       for k, key in enumerate(source.trajectory)]
            for where, place in places:
                within(f"sources[{i}].{where}.distance_m", place.distance_m, 1e-9, MAX_DISTANCE_M)
                within(f"sources[{i}].{where}.elevation_deg", place.elevation_deg, -90.0, 90.0)
                within(f"sources[{i}].{where}.azimuth_deg", place.azimuth_deg, -math.inf, math.inf)
                if isinstance(place, Keyframe):
                    within(f"sources[{i}].{where}.t", place.t, 0.0, MAX_DURATION_S)

    def resolve(self, relative: str) -> Path:
        """The path of a file named in the scene, relative to its folder."""
        p = Path(relative)
        return p if p.is_absolute() else self.base_dir / p
