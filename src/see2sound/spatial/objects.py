"""A scene as objects, for a player to render (the ``objects`` formats, e.g. ``adm``; SPEC §3).

An object render is not panned: each heard source becomes one mono track,
its dry sound at the level see2sound's renderer gives it before panning, and
its positions over time go beside it as metadata. What is in a track:

- the sound's ``gain_db``, ``offset_s``, loop and ``active_s`` window, as
  in every render;
- the **distance law** (inverse distance, clamped under 0.5 m;
  :func:`.distance.distance_gain`), following the source as it moves: object
  renderers (ITU-R BS.2127, and the DAWs') have no distance law of their
  own, so it is baked in;
- the render's 10 ms fade in and out.

Left to the player: direction (the blocks), width (``spread_deg``), and
everything the renderer adds around a path: air absorption, Doppler, room
reflections and reverberation. The ambience bed is the renderer's own
first-order AmbiX rendering of it (decorrelated copies all around), as four
tracks W Y Z X after the objects.

Loudness is mastered afterwards like any render (:func:`.renderer.master`):
BS.1770 over all the tracks, each weighted 1, and the same linked true-peak
limiter, so the balance between the tracks is the renderer's.

Contents
--------
Block           one stretch of a source's path: a position reached at its end
ObjectTrack     what one track of an object render holds
object_tracks   the tracks of a scene's object render, in file order
source_blocks   a source's path as blocks
render_objects  the object render [shape=(tracks, n)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..scene import Scene, Source
from .distance import distance_gain
from .geometry import Path, to_spherical
from .options import Progress, RenderOptions, RenderReport
from .room import choose_room

#: A block moves its source at most this far: players interpolate between block positions (in gains or
#: coordinates, not along the great circle), so long arcs are cut into short ones.
MAX_BLOCK_STEP_DEG = 5.0
#: A path that moves from the start still begins with a block this long at its first position: a player has
#: nothing to interpolate from in the first block, so that one holds.
FIRST_BLOCK_S = 0.01
#: Block times are whole multiples of this (ADM writes times to 10 microseconds).
TIME_STEP_S = 1e-5
#: The distance gain is evaluated every this many samples and interpolated between (as the renderer does).
CONTROL_STEP = 256
#: Tracks are made this many samples at a time.
CHUNK = 1 << 18
#: The ambisonic channels of the bed, in file order (ACN 0..3: W Y Z X, SN3D).
BED_CHANNELS = ("W", "Y", "Z", "X")


@dataclass(frozen=True)
class Block:
    """A stretch of a path from ``start_s`` for ``duration_s``: the source reaches this position at its end.

    With ``jump`` the position holds the whole block (nothing to interpolate
    from); otherwise it moves linearly from the previous block's position.
    Directions follow SPEC §1 (azimuth counter-clockwise, +90 left).
    """

    start_s: float
    duration_s: float
    azimuth_deg: float
    elevation_deg: float
    distance_m: float
    jump: bool = False


@dataclass(frozen=True)
class ObjectTrack:
    """One track: a source (``blocks``, ``width_deg``) or one channel of the ambience bed (``acn``)."""

    name: str
    blocks: tuple[Block, ...] = ()
    width_deg: float = 0.0
    acn: int | None = None

    @property
    def is_bed(self) -> bool:
        return self.acn is not None


def object_tracks(scene: Scene) -> list[ObjectTrack]:
    """The tracks of ``scene``'s object render, in file order: each heard source, then the bed's W Y Z X."""
    from .renderer import audible_sources

    tracks = [ObjectTrack(source.id, source_blocks(source, scene.duration_s), min(source.spread_deg, 360.0))
              for source in audible_sources(scene)]
    if scene.ambience is not None and scene.ambience.audio is not None:
        tracks += [ObjectTrack(f"ambience {label}", acn=acn) for acn, label in enumerate(BED_CHANNELS)]
    return tracks


def _ticks(t_s: float) -> int:
    return int(round(t_s / TIME_STEP_S))


def source_blocks(source: Source, duration_s: float) -> tuple[Block, ...]:
    """``source``'s path over ``duration_s`` as blocks that tile it, each moving at most :data:`MAX_BLOCK_STEP_DEG`.

    A still source is one block that holds. A moving one holds its first
    position for a first block (until its first keyframe, at least
    :data:`FIRST_BLOCK_S`), then moves block by block along its keyframes
    (long arcs cut into shorter ones), and the last block reaches where it is
    at the end of the scene. Block times are whole multiples of
    :data:`TIME_STEP_S`.
    """
    path = Path.of(source)
    end = _ticks(duration_s)
    hold = max(_ticks(path.times_s[0]), _ticks(FIRST_BLOCK_S))
    if path.is_still or hold >= end:
        return (_block(path, 0, end, 0.0, jump=True),)
    points = []
    for a, b, u, v in zip(path.times_s[:-1], path.times_s[1:], path.directions[:-1], path.directions[1:]):
        angle = math.degrees(math.acos(float(np.clip(np.dot(u, v), -1.0, 1.0))))
        steps = max(1, math.ceil(angle / MAX_BLOCK_STEP_DEG))
        points += [_ticks(a + (b - a) * k / steps) for k in range(1, steps + 1)]
    grid = [hold] + sorted({p for p in points if hold < p < end}) + [end]
    blocks = [_block(path, 0, hold, 0.0, jump=True)]
    blocks += [_block(path, lo, hi, hi * TIME_STEP_S) for lo, hi in zip(grid[:-1], grid[1:])]
    return tuple(blocks)


def _block(path: Path, lo: int, hi: int, at_s: float, jump: bool = False) -> Block:
    direction, distance = path.at(np.array([at_s]))
    azimuth, elevation = to_spherical(direction[0])
    return Block(lo * TIME_STEP_S, (hi - lo) * TIME_STEP_S, float(azimuth), float(elevation), float(distance[0]),
                 jump)


def render_objects(scene: Scene, options: RenderOptions, *, out: np.ndarray | None = None,
                   progress: Progress | None = None) -> tuple[np.ndarray, RenderReport]:
    """The object render of ``scene`` [shape=(len(object_tracks(scene)), n), float32], n = round(duration_s * rate).

    Tracks as :func:`object_tracks`; nothing mastered (see the module's
    docstring for what is in a track and what is left to the player).
    """
    from .renderer import RENDER_EDGE_FADE_S, _edge_fade, audible_sources, load_clips, render_dry

    sr = options.sample_rate
    n = int(round(scene.duration_s * sr))
    tracks = object_tracks(scene)
    if out is None:
        out = np.zeros((len(tracks), n), dtype=np.float32)
    elif out.shape != (len(tracks), n):
        raise ValueError(f"out must have shape {(len(tracks), n)}")
    notes: list[str] = []
    sources = audible_sources(scene)
    clips = load_clips(scene, sr, notes)
    paths = [Path.of(source) for source in sources]
    bed = None
    if len(tracks) > len(sources):
        from ..io.buffer import DiskAudio

        # the renderer's own FOA bed; on disk when the tracks are (``out`` is then a DiskAudio, written by time range)
        bed = np.zeros((4, n), dtype=np.float32) if isinstance(out, np.ndarray) else DiskAudio(4, n)
    try:
        if bed is not None:
            render_dry(replace(scene, sources=[]), RenderOptions(format=_first_order().name, sample_rate=sr,
                                                                 room="none", loudness_lufs=None,
                                                                 true_peak_dbtp=None), out=bed)
        fade = max(1, int(RENDER_EDGE_FADE_S * sr))
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            y = np.zeros((len(tracks), stop - start), dtype=np.float32)
            for i, (source, path) in enumerate(zip(sources, paths)):
                y[i] = clips[source.id].samples(start, stop) * _distance_gain(path, start, stop, sr)
            _edge_fade(y[:len(sources)], start, n, fade)
            if bed is not None:
                y[len(sources):] = bed[:, start:stop]
            out[:, start:stop] = y
            if progress is not None:
                progress(stop / n)
    finally:
        if bed is not None and not isinstance(bed, np.ndarray):
            bed.close()
    if options.room != "auto" and choose_room(options.room, scene) is not None:  # asked for, not the default
        notes.append(f"room: {options.room} is not in an object render (its tracks are dry); "
                     "add reverberation in the player")
    if options.doppler:
        notes.append("doppler: not in an object render; the player renders positions only")
    report = RenderReport(options.format, sr, len(tracks), n, "none", loudness_lufs=None, true_peak_dbtp=None,
                          notes=notes)
    return out, report


def _first_order():
    """The registered first-order ambisonic format (the bed's: AmbiX W Y Z X, as BS.2094's HOA pack)."""
    from ..formats import FORMATS

    return next(f for f in FORMATS.values() if f.is_ambisonic and f.ambisonic_order == 1)


def _distance_gain(path: Path, start: int, stop: int, sr: int) -> np.ndarray:
    """The distance law along ``path`` for samples start..stop-1 [shape=(stop - start,), float32]."""
    if path.is_still:
        return np.full(stop - start, distance_gain(path.distances_m[0]), dtype=np.float32)
    lo = start // CONTROL_STEP * CONTROL_STEP
    grid = np.arange(lo, stop + CONTROL_STEP, CONTROL_STEP, dtype=np.float64)
    gains = distance_gain(path.at(grid / sr)[1])
    return np.interp(np.arange(start, stop, dtype=np.float64), grid, gains).astype(np.float32)
