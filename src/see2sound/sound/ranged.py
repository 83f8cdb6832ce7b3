"""Sounds read by range: a long sound made a block at a time, never whole.

A video's sources last as long as the video, and ten minutes of one mono
sound at 48 kHz is 115 MB of float32; a scene holds several, and its
ambience bed too. So the sound stage describes each sound by what it is
made of (a clip placed now and then, a loop's copies, a model's segments)
and makes any stretch of it on demand; the stem is written a block at a
time (:func:`write_stem`), so memory holds a block and the pieces that
sound in it, whatever the scene's length. The samples are those the whole
array would hold, to the bit: pieces are added in the same order, and
fades are applied by absolute position.

Every ranged sound has ``n`` (its length in samples) and ``read(start,
stop)`` (float32 samples [shape=(stop - start,)], ``0 <= start <= stop <=
n``); ``np.asarray`` gives the whole array.

Contents
--------
RangedSound  what every ranged sound has
Samples      an array as a ranged sound
Timeline     pieces placed in time, each made when first heard and dropped once past
EdgeFaded    a ranged sound faded in and out at its ends
as_array     the whole samples of an array or a ranged sound
write_stem   an array or a ranged sound into a float WAV file, a block at a time
BLOCK
"""

from __future__ import annotations

import os
from typing import Callable

import numpy as np

#: Stems are written, and ranged sounds read, this many samples at a time (about 22 s at 48 kHz, 4 MB).
BLOCK = 1 << 20


class RangedSound:
    """A ranged sound: ``n`` samples, ``read(start, stop)``; the whole array when asked for (``np.asarray``)."""

    n: int

    def read(self, start: int, stop: int) -> np.ndarray:
        raise NotImplementedError

    def __len__(self) -> int:
        return self.n

    def forget(self) -> None:
        """Drop what is kept for the next stretch (a sound that will not be read on)."""

    def __array__(self, dtype=None, copy=None):
        whole = self.read(0, self.n)
        return whole if dtype is None else whole.astype(dtype, copy=False)


class Samples(RangedSound):
    """An array [shape=(n,), float32] as a ranged sound (its stretches are copies: a reader may change them)."""

    def __init__(self, samples: np.ndarray):
        self.samples, self.n = samples, len(samples)

    def read(self, start: int, stop: int) -> np.ndarray:
        return self.samples[start:stop].copy()


class Timeline(RangedSound):
    """``n`` samples of silence with pieces added in: ``add(at, length, make)``, ``make()`` giving the piece
    [shape=(length,), float32] that starts at sample ``at``.

    A stretch is zeros plus every piece that overlaps it, in the order they
    were added (so the sums are those of adding each piece into a whole
    array in turn). A piece is made when a stretch needs it and kept only
    while it reaches past that stretch: reading in order makes each piece
    once and holds at most the pieces that cross one boundary.
    """

    def __init__(self, n: int):
        self.n = int(n)
        self._pieces: list[tuple[int, int, Callable[[], np.ndarray]]] = []
        self._made: dict[int, np.ndarray] = {}

    def add(self, at: int, length: int, make: Callable[[], np.ndarray]) -> None:
        if length > 0 and at < self.n:
            self._pieces.append((int(at), int(length), make))

    def read(self, start: int, stop: int) -> np.ndarray:
        out = np.zeros(stop - start, dtype=np.float32)
        for i, (at, length, make) in enumerate(self._pieces):
            end = min(at + length, self.n)
            if end <= start or at >= stop:
                continue
            piece = self._made.pop(i, None)
            if piece is None:
                piece = make()
            lo, hi = max(start, at), min(stop, end)
            out[lo - start:hi - start] += piece[lo - at:hi - at]
            if end > stop:  # heard in the next stretch too
                self._made[i] = piece
        return out

    def forget(self) -> None:
        self._made.clear()


class EdgeFaded(RangedSound):
    """``sound`` faded in over its first and out over its last ``m`` samples (sin^2, as :func:`.fit.edge_fade`)."""

    def __init__(self, sound, m: int):
        self.sound, self.n = sound, len(sound)
        self.m = min(self.n // 2, m)
        self._ramp = np.sin(np.linspace(0, np.pi / 2, self.m)) ** 2 if self.m > 1 else None

    def forget(self) -> None:
        self.sound.forget()

    def read(self, start: int, stop: int) -> np.ndarray:
        y = self.sound.read(start, stop)
        if self._ramp is not None:
            m, n = self.m, self.n
            if start < m:
                y[: min(stop, m) - start] *= self._ramp[start:min(stop, m)]
            if stop > n - m:
                lo = max(start, n - m)
                y[lo - start:] *= self._ramp[::-1][lo - (n - m):stop - (n - m)]
        return y


def as_array(audio) -> np.ndarray:
    """The whole samples [shape=(n,), float32] of a ranged sound; an array as it is."""
    return audio if isinstance(audio, np.ndarray) else np.asarray(audio)


def write_stem(path: str | os.PathLike, audio, sample_rate: int) -> None:
    """``audio`` (an array or a ranged sound) as a mono 32-bit float WAV at ``path``, atomically, a block at a
    time; its PEAK chunk's time zeroed, so the samples alone decide the bytes."""
    import soundfile as sf

    from ..io.audio import zero_peak_timestamp
    from ..io.files import atomic_output

    n = len(audio)
    with atomic_output(path) as tmp:
        with sf.SoundFile(str(tmp), "w", sample_rate, 1, "FLOAT", format="WAV") as f:
            for start in range(0, n, BLOCK):
                stop = min(n, start + BLOCK)
                f.write(audio[start:stop] if isinstance(audio, np.ndarray) else audio.read(start, stop))
        zero_peak_timestamp(tmp)
