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
  procedural model) to swap the source's sound; its stem is made here.

A source left out is removed. Everything else — above all every file path —
is the server's: a client cannot name a file. Unknown ids and bad values
are errors that name the JSON path.

Contents
--------
apply_edits, search, choices
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from ..errors import See2SoundError
from ..scene import AudioRef, Keyframe, Position, Scene, Source, wrap_azimuth_deg
from ..sound.choose import Choice, describe_choice, level_db, render_choice, write_stem
from ..sound.library import SoundLibrary
from ..sound.synth import MODELS

GAIN_RANGE_DB = (-60.0, 20.0)
DISTANCE_RANGE_M = (0.3, 1000.0)
MAX_RESULTS = 50


def choices(library: SoundLibrary) -> dict[str, Choice]:
    """Every sound a source can be given, by key: library clips, then procedural models."""
    found = {e.id: Choice(e.origin, entry=e) for e in library.entries}
    found.update({f"synth:{name}": Choice("synth", model=name) for name in MODELS})
    return found


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


def apply_edits(stored: Scene, incoming: dict, library: SoundLibrary, stems: Path, *, seed: int,
                sample_rate: int) -> Scene:
    """The stored scene with the user's edits from ``incoming`` (a scene document) applied."""
    edited = Scene.from_dict(incoming)  # validates shape and types, naming the JSON path
    by_id = {s.id: s for s in stored.sources}
    kept: list[Source] = []
    for i, new in enumerate(edited.sources):
        where = f"sources[{i}]"
        old = by_id.get(new.id)
        if old is None:
            raise See2SoundError(f"{where}.id: no source {new.id!r} in this job (sources cannot be added)")
        _move(old, new.position, where)
        old.spread_deg = _number(new.spread_deg, f"{where}.spread_deg", 0.0, 360.0)
        if old.audio is not None and new.audio is not None:
            old.audio.gain_db = round(min(max(_number(new.audio.gain_db, f"{where}.audio.gain_db"),
                                              GAIN_RANGE_DB[0]), GAIN_RANGE_DB[1]), 2)
        old.muted = new.muted  # a bool: Scene.from_dict checked it
        wanted = (new.sound or {}).get("choice")
        if wanted is not None and wanted != (old.sound or {}).get("choice"):
            _swap(stored, old, wanted, library, stems, seed=seed, sample_rate=sample_rate, where=where)
        kept.append(old)
    stored.sources = kept
    return stored


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


def _swap(scene: Scene, source: Source, key: str, library: SoundLibrary, stems: Path, *, seed: int,
          sample_rate: int, where: str) -> None:
    choice = choices(library).get(key) if isinstance(key, str) else None
    if choice is None:
        raise See2SoundError(f"{where}.sound.choice: no sound {key!r} (search the library for one)")
    audio = render_choice(choice, scene.duration_s, sample_rate, seed, source.id)
    name = f"{source.id}--{re.sub(r'[^a-z0-9]+', '-', key.lower()).strip('-')[:60]}.wav"
    write_stem(stems / name, audio, sample_rate)
    gain = source.audio.gain_db if source.audio is not None else level_db(source.label)
    source.audio = AudioRef(path=f"stems/{name}", gain_db=gain, loop=False)
    source.sound = {**describe_choice(choice, source), "choice": key}
