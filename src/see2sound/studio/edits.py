"""A user's edits of a job's scene, taken from an untrusted client.

The client sends the whole scene back (as ``GET .../scene`` gave it). Of it
the studio takes only what a user can change on the page, source by source
(matched by id):

- ``position`` (azimuth, elevation, distance; a moving source's trajectory
  is shifted by the same change of direction and scaled by the same ratio
  of distance),
- ``spread_deg``, ``audio.gain_db`` (clamped to -60..+20 dB),
- ``muted`` (true/false),
- ``sound.choice``: a key from :func:`search` (a bundled or user clip, or a
  procedural model) to swap the source's sound; its stem is made here,
- ``label``: another of :func:`labels` relabels the source (its id stays):
  its AudioSet classes become the new label's, its gain moves by the
  difference of the two labels' levels, and it gets a new sound, chosen as
  the sound stage chooses one for a detected source of that label
  (:func:`~see2sound.sound.choose.choose_sound`), unless the same edit sets
  ``sound.choice``.

A source left out is removed. A new source is asked for in the body's
``add`` list, each ``{"label": L, "point": [u, v]}`` or ``{"label": L,
"box": [x0, y0, x1, y1]}`` in pixels of the picture (``input.width`` x
``input.height``); the studio places it
(:func:`~see2sound.vision.sources.place_source`, through the scene's
camera), names it (``person-3``: its label and the next number no source or
stem of the job has used) and chooses its sound as for a relabelled one.

Everything else — above all every file path — is the server's: a client
cannot name a file. Unknown ids and bad values are errors that name the JSON
path. Every edit is checked, and every new sound made in memory, before any
file is written: a refused edit changes nothing.

Contents
--------
apply_edits, search, choices, labels, scene_camera
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from ..errors import ParameterError, See2SoundError
from ..scene import (
    MAX_SOURCES,
    AudioRef,
    Keyframe,
    Position,
    Scene,
    Source,
    wrap_azimuth_deg,
)
from ..sound.choose import (
    Choice,
    candidates,
    choose_sound,
    describe_choice,
    level_db,
    render_choice,
    write_stem,
)
from ..sound.library import SoundLibrary
from ..sound.synth import MODELS
from ..vision.camera import DEFAULT_HFOV_DEG, Camera
from ..vision.sources import place_source, source_id
from ..vision.vocabulary import KINDS, is_sounding

GAIN_RANGE_DB = (-60.0, 20.0)
DISTANCE_RANGE_M = (0.3, 1000.0)
MAX_RESULTS = 50
#: The most sources one edit may add.
MAX_ADDED = 32
ADD_KEYS = ("label", "point", "box")


def choices(library: SoundLibrary) -> dict[str, Choice]:
    """Every sound a source can be given, by key: library clips, then procedural models."""
    found = {e.id: Choice(e.origin, entry=e) for e in library.entries}
    found.update({f"synth:{name}": Choice("synth", model=name) for name in MODELS})
    return found


def labels(library: SoundLibrary) -> list[str]:
    """The vocabulary labels a source can be given (to add or relabel one): those that make a sound
    the libraries have one for, in the vocabulary's order."""
    return [label for label, kind in KINDS.items()
            if is_sounding(label) and candidates(label, kind.audioset, library)]


def search(library: SoundLibrary, query: str, limit: int = MAX_RESULTS) -> list[dict]:
    """Sounds whose key, title, labels or AudioSet classes contain every word of ``query``."""
    words = [w for w in re.split(r"\W+", query.lower()) if w][:8]
    results = []
    for key, choice in choices(library).items():
        entry = choice.entry
        labels = entry.labels if entry else MODELS[choice.model].labels
        title = (entry.title or Path(entry.path).stem) if entry else f"procedural {choice.model}"
        haystack = " ".join([key, title, *labels, *choice.audioset]).lower()
        if all(w in haystack for w in words):
            results.append({"key": key, "title": title, "origin": choice.origin, "labels": list(labels),
                            "license": entry.license if entry else "generated"})
            if len(results) >= limit:
                break
    return results


def scene_camera(scene: Scene) -> Camera | None:
    """The camera of the picture a scene was found in (its ``input`` size and ``camera`` block), or None."""
    size, block = scene.input or {}, scene.camera or {}
    width, height = size.get("width"), size.get("height")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in (width, height)):
        return None
    if block.get("projection") == "equirect":
        return Camera(width, height, "equirect", 360.0, str(block.get("fov_source", "")))
    hfov = block.get("hfov_deg", DEFAULT_HFOV_DEG)
    if not isinstance(hfov, (int, float)) or isinstance(hfov, bool) or not 1.0 <= hfov <= 179.0:
        return None
    return Camera(width, height, "perspective", float(hfov), str(block.get("fov_source", "")))


def apply_edits(stored: Scene, incoming: dict, library: SoundLibrary, stems: Path, *, seed: int,
                sample_rate: int) -> Scene:
    """The stored scene with the user's edits from ``incoming`` (a scene document, and its ``add``
    list) applied; new stems are written into ``stems`` only once every edit has been checked."""
    document = dict(incoming)
    requests = document.pop("add", None)
    edited = Scene.from_dict(document)  # validates shape and types, naming the JSON path
    by_id = {s.id: s for s in stored.sources}
    known = labels(library)
    kept: list[Source] = []
    swaps: list[tuple[Source, Choice, str]] = []  # (source, sound, the user's key for it)
    fresh: list[Source] = []  # relabelled and added sources: their sound is chosen for their label
    for i, new in enumerate(edited.sources):
        where = f"sources[{i}]"
        old = by_id.get(new.id)
        if old is None:
            raise See2SoundError(f'{where}.id: no source {new.id!r} in this job '
                                 '(a new source goes in "add", with a label and a point or box)')
        _move(old, new.position, where)
        old.spread_deg = _number(new.spread_deg, f"{where}.spread_deg", 0.0, 360.0)
        if old.audio is not None and new.audio is not None:
            old.audio.gain_db = _gain(_number(new.audio.gain_db, f"{where}.audio.gain_db"))
        old.muted = new.muted  # a bool: Scene.from_dict checked it
        wanted = (new.sound or {}).get("choice")
        swap = wanted is not None and wanted != (old.sound or {}).get("choice")
        if swap:
            swaps.append((old, _choice(wanted, library, f"{where}.sound.choice"), wanted))
        label = incoming["sources"][i].get("label")
        if label is not None and label != old.label:
            _relabel(old, _label(label, known, f"{where}.label"))
            if not swap:
                fresh.append(old)
        kept.append(old)
    added = _added(requests, stored, stems, known, len(kept))
    fresh += added
    changing = {id(s) for s in fresh} | {id(s) for s, _, _ in swaps}
    used = {_sound_key(s) for s in kept if id(s) not in changing} | {c.key for _, c, _ in swaps}
    for source in fresh:  # as the sound stage does: a clip another source has is passed over while others fit
        choice = choose_sound(source, library, seed, used)
        if choice is None:  # labels() lists only labels that have one; a library changed since
            raise See2SoundError(f"{source.id}: no sound for {source.label!r} in the libraries")
        swaps.append((source, choice, ""))
    # Every sound in memory first (a clip may fail to read), then the files.
    sounds = [render_choice(choice, stored.duration_s, sample_rate, seed, source.id, (source.sound or {}).get("size"))
              for source, choice, _ in swaps]
    for (source, choice, key), audio in zip(swaps, sounds):
        _give(source, choice, key, audio, stems, sample_rate)
    stored.sources = kept + added
    return stored


def _added(requests, stored: Scene, stems: Path, known: list[str], count: int) -> list[Source]:
    """The sources the body's ``add`` list asks for, placed and named, without sounds yet."""
    if requests is None:
        return []
    if not isinstance(requests, list):
        raise See2SoundError('add: expected a list of sources to add, [{"label": ..., "point": [u, v]}, ...]')
    if len(requests) > MAX_ADDED or count + len(requests) > MAX_SOURCES:
        raise See2SoundError(f"add: {len(requests)} sources; at most {min(MAX_ADDED, MAX_SOURCES - count)} "
                             f"more in one edit")
    camera = scene_camera(stored) if requests else None
    if requests and camera is None:
        raise See2SoundError("add: this job's scene has no picture size or camera to place sources with")
    counts = _numbers_in_use(stored, stems)
    added = []
    for i, request in enumerate(requests):
        where = f"add[{i}]"
        if not isinstance(request, dict):
            raise See2SoundError(f'{where}: expected an object {{"label": ..., "point": [u, v]}}')
        for key in request:
            if key == "id":
                raise See2SoundError(f"{where}.id: the studio names the sources it adds; leave id out")
            if key not in ADD_KEYS:
                raise See2SoundError(f"{where}.{str(key)[:40]}: not taken (an added source has "
                                     f"{', '.join(ADD_KEYS)})")
        label = _label(request.get("label"), known, f"{where}.label")
        marks = [k for k in ("point", "box") if request.get(k) is not None]
        if len(marks) != 1:
            raise See2SoundError(f"{where}: give a point [u, v] or a box [x0, y0, x1, y1], not "
                                 f"{'both' if marks else 'neither'}")
        mark = _mark(request[marks[0]], marks[0], camera, f"{where}.{marks[0]}")
        try:
            position = place_source(label, camera, **{marks[0]: mark})
        except ParameterError as exc:  # _mark checked what place_source does: a guard, not a path
            raise See2SoundError(f"{where}.{exc}") from None
        kind = KINDS[label]
        source = Source(id=source_id(label, counts), label=label, position=position,
                        box=[round(v, 1) for v in mark] if marks[0] == "box" else None,
                        sound={"audioset": list(kind.audioset)} if kind.audioset else None,
                        extra={"added": True})
        added.append(source)
    return added


def _numbers_in_use(stored: Scene, stems: Path) -> dict[str, int]:
    """Per id prefix (``person``), the highest number any source or stem of the job has used."""
    names = [s.id for s in stored.sources] + [p.stem.split("--")[0] for p in stems.glob("*.wav")]
    counts: dict[str, int] = {}
    for name in names:
        found = re.fullmatch(r"(.+)-(\d{1,9})", name)
        if found:
            counts[found[1]] = max(counts.get(found[1], 0), int(found[2]))
    return counts


def _mark(value, name: str, camera: Camera, where: str) -> tuple[float, ...]:
    count = 4 if name == "box" else 2
    if not isinstance(value, list) or len(value) != count:
        raise See2SoundError(f"{where}: expected {count} numbers, "
                             f"{'[x0, y0, x1, y1]' if count == 4 else '[u, v]'} in the picture's pixels")
    limits = [camera.width, camera.height] * 2
    numbers = tuple(_number(v, f"{where}[{k}]", 0.0, limits[k]) for k, v in enumerate(value))
    if count == 4 and not (numbers[0] < numbers[2] and numbers[1] < numbers[3]):
        raise See2SoundError(f"{where}: x0 < x1 and y0 < y1, got {list(value)}")
    return numbers


def _label(value, known: list[str], where: str) -> str:
    if not isinstance(value, str) or value not in KINDS:
        shown = repr(value)[:60] if isinstance(value, str) else "no label"
        raise See2SoundError(f"{where}: {shown} is not in the vocabulary (GET /api/labels lists the labels)")
    if not is_sounding(value):
        raise See2SoundError(f"{where}: {value!r} makes no sound (GET /api/labels lists the labels that do)")
    if value not in known:
        raise See2SoundError(f"{where}: the libraries have no sound for {value!r} (GET /api/labels lists "
                             "the labels that have one)")
    return value


def _relabel(source: Source, label: str) -> None:
    """A source's label, AudioSet classes and level become ``label``'s (its sound is chosen after)."""
    if source.audio is not None:
        source.audio.gain_db = _gain(source.audio.gain_db + level_db(label) - level_db(source.label))
    source.label = label
    source.sound = {"audioset": list(KINDS[label].audioset)} if KINDS[label].audioset else None
    if label != "crowd":
        source.people = None
    # What the picture said of the old label (a breed's size, a proposal's evidence, a person's facing) is not
    # true of the new one.
    source.facing_deg = None
    for key in ("refined", "proposed"):
        source.extra.pop(key, None)


def _gain(value: float) -> float:
    return round(min(max(value, GAIN_RANGE_DB[0]), GAIN_RANGE_DB[1]), 2)


def _sound_key(source: Source) -> str | None:
    sound = source.sound or {}
    return sound.get("choice") or sound.get("clip") or (f"synth:{sound['model']}" if sound.get("model") else None)


def _choice(key, library: SoundLibrary, where: str) -> Choice:
    choice = choices(library).get(key) if isinstance(key, str) else None
    if choice is None:
        raise See2SoundError(f"{where}: no sound {key!r} (search the library for one)")
    return choice


def _number(value, where: str, lo: float | None = None, hi: float | None = None) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise See2SoundError(f"{where}: expected a finite number")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise See2SoundError(f"{where}: must be from {lo:g} to {hi:g}, got {value:g}")
    return float(value)


def _move(source: Source, to: Position, where: str) -> None:
    az = wrap_azimuth_deg(_number(to.azimuth_deg, f"{where}.position.azimuth_deg"))
    el = _number(to.elevation_deg, f"{where}.position.elevation_deg", -90.0, 90.0)
    dist = _number(to.distance_m, f"{where}.position.distance_m", *DISTANCE_RANGE_M)
    before = source.position
    d_az, d_el = az - before.azimuth_deg, el - before.elevation_deg
    ratio = dist / before.distance_m if before.distance_m > 0 else 1.0
    if source.trajectory and (abs(d_az) > 1e-9 or abs(d_el) > 1e-9 or abs(ratio - 1) > 1e-9):
        source.trajectory = [
            Keyframe(k.t, wrap_azimuth_deg(k.azimuth_deg + d_az), min(90.0, max(-90.0, k.elevation_deg + d_el)),
                     min(DISTANCE_RANGE_M[1], max(DISTANCE_RANGE_M[0], k.distance_m * ratio)), dict(k.extra))
            for k in source.trajectory]
    source.position = Position(round(az, 2), round(el, 2), round(dist, 3), extra={**before.extra, "edited": True})


def _give(source: Source, choice: Choice, key: str, audio: np.ndarray, stems: Path, sample_rate: int) -> None:
    """Write ``audio`` as the source's new stem and point the source at it (``key``: the user's choice)."""
    slug = re.sub(r"[^a-z0-9]+", "-", choice.key.lower()).strip("-")[:60]
    name = f"{source.id}--{slug}.wav"
    write_stem(stems / name, audio, sample_rate)
    gain = source.audio.gain_db if source.audio is not None else round(level_db(source.label), 1)
    source.audio = AudioRef(path=f"stems/{name}", gain_db=gain, loop=False)
    source.sound = {**describe_choice(choice, source), **({"choice": key} if key else {})}
