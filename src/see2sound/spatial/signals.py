"""Mono source signals, read by absolute sample time.

Every signal answers ``samples(start, stop)`` for any range, negative times
included (silence before the scene starts), without state. That lets the
renderer work in chunks of any size, read the history that block
convolution needs, and keep memory bounded whatever the scene's length.

Contents
--------
Clip           a decoded sound placed in the scene (gain, offset, loop)
FileClip       a long sound read from its file as it is needed
Delayed        a signal delayed by a time-varying amount (propagation, images)
Decorrelated   a signal through a short all-pass-like FIR (for wide sources)
Windowed       a signal heard only within a time window (a source's ``active_s``)
active_gain    the window's gain at given times
Silence
"""

from __future__ import annotations

import copy
import tempfile
from typing import Callable, Protocol

import numpy as np

#: Length of the equal-power crossfade that hides a loop's seam.
LOOP_CROSSFADE_S = 0.05
#: Length of a decorrelation filter.
DECORRELATOR_S = 0.008
#: A source with ``active_s`` fades in and out over this long (cos^2) at the window's ends.
ACTIVE_FADE_S = 0.3


class Signal(Protocol):
    def samples(self, start: int, stop: int) -> np.ndarray:
        """float32 samples [shape=(stop - start,)] at absolute times start..stop-1."""


def active_gain(t_s: np.ndarray, start_s: float, end_s: float, fade_s: float = ACTIVE_FADE_S) -> np.ndarray:
    """Gain [shape like t_s, float32] of a window from ``start_s`` to ``end_s``: 0 outside, rising and falling
    as sin^2 over ``fade_s`` inside its ends."""
    ramp = np.clip(np.minimum(t_s - start_s, end_s - t_s) / fade_s, 0.0, 1.0)
    return (np.sin(0.5 * np.pi * ramp) ** 2).astype(np.float32)


class Windowed:
    """``base`` heard only from ``start_s`` to ``end_s`` of the scene, faded at both ends."""

    def __init__(self, base: Clip | FileClip, sample_rate: int, start_s: float, end_s: float):
        self.base, self.sample_rate, self.start_s, self.end_s = base, sample_rate, start_s, end_s

    def _gain(self, times: np.ndarray) -> np.ndarray:
        return active_gain(np.asarray(times, dtype=np.float64) / self.sample_rate, self.start_s, self.end_s)

    def samples(self, start: int, stop: int) -> np.ndarray:
        return self.base.samples(start, stop) * self._gain(np.arange(start, stop))

    def read(self, times: np.ndarray) -> np.ndarray:
        """Samples at (possibly fractional) scene times, as :meth:`Clip.read`."""
        return self.base.read(times) * self._gain(times)


class Silence:
    def samples(self, start: int, stop: int) -> np.ndarray:
        return np.zeros(stop - start, dtype=np.float32)


class Clip:
    """A sound placed at scene time 0, at gain 1 from its start; :meth:`placed` sets both.

    With ``loop`` the sound repeats (its seam crossfaded at equal power),
    otherwise it plays once and then is silent. :meth:`placed` gives the same
    decoded sound at another gain and offset (where in the sound playback
    starts) without copying it, so sources that share a file share its memory.
    """

    def __init__(self, data: np.ndarray, sample_rate: int, *, loop: bool = True):
        data = np.asarray(data, dtype=np.float32)
        self.loop = loop
        if loop:
            xf = min(int(LOOP_CROSSFADE_S * sample_rate), len(data) // 4)
            if xf > 1:
                ramp = np.linspace(0.0, np.pi / 2, xf, dtype=np.float32)
                head = data[:xf] * np.sin(ramp) + data[-xf:] * np.cos(ramp)
                data = np.concatenate([head, data[xf:-xf]])
            self.data = np.concatenate([data, data[:1]])  # the sample after the last is the first
        elif len(data):
            self.data = data  # not copied (a video's stems are long): read() takes the sample after the last as 0
        else:
            self.data = np.zeros(1, np.float32)
        self.length = len(data)
        self.gain = np.float32(1.0)
        self.offset = 0

    def placed(self, gain: float, offset_samples: int) -> Clip:
        """This sound at ``gain`` from ``offset_samples`` on, sharing its samples."""
        other = copy.copy(self)
        other.gain, other.offset = np.float32(gain), int(offset_samples)
        return other

    @property
    def nbytes(self) -> int:
        return self.data.nbytes

    def samples(self, start: int, stop: int) -> np.ndarray:
        # Slices, not a gather: silence before the scene starts and after a sound that plays once,
        # whole copies of the loop for one that loops.
        out = np.zeros(stop - start, dtype=np.float32)
        filled = max(0, min(stop, 0) - start)
        if not self.loop:
            lo = min(max(start, 0) + self.offset, self.length)
            hi = min(stop + self.offset, self.length) if stop > 0 else lo
            out[filled:filled + hi - lo] = self.data[lo:hi]
            return out if self.gain == 1 else out * self.gain
        first = (max(start, 0) + self.offset) % self.length
        body = self.data[: self.length]
        while filled < len(out):
            piece = body[first: first + len(out) - filled]
            out[filled: filled + len(piece)] = piece
            filled += len(piece)
            first = 0
        return out if self.gain == 1 else out * self.gain

    def read(self, times: np.ndarray) -> np.ndarray:
        """Samples at (possibly fractional) scene times, linearly interpolated."""
        times = np.asarray(times)
        if times.dtype.kind == "f":
            whole = np.floor(times)
            frac = (times - whole).astype(np.float32)
            whole = whole.astype(np.int64)
        else:
            whole, frac = times.astype(np.int64), None
        before = whole < 0
        pos = whole + self.offset
        if self.loop:
            pos = np.mod(pos, self.length)
            valid = ~before
        else:
            valid = ~before & (pos < self.length)
            pos = np.clip(pos, 0, self.length - 1)
        out = self.data[pos]
        if frac is not None:
            out = out + frac * (self._after(pos) - out)
        out[~valid] = 0.0
        return out if self.gain == 1 else out * self.gain

    def _after(self, pos: np.ndarray) -> np.ndarray:
        """The samples after ``pos`` (indices of samples): the loop's first after its last, else silence."""
        if len(self.data) > self.length:
            return self.data[pos + 1]
        after = self.data[np.minimum(pos + 1, self.length - 1)]
        after[pos + 1 >= self.length] = 0.0
        return after

    def to_disk(self, sample_rate: int) -> FileClip:
        """The same sound, kept in a temporary file and read as needed (memory no longer held)."""
        import soundfile as sf

        spill = tempfile.TemporaryFile(prefix=".see2sound-sound-")
        sf.write(spill, self.data[: self.length], sample_rate, format="WAV", subtype="FLOAT")
        spill.seek(0)
        return FileClip(spill, gain=float(self.gain), loop=self.loop, offset_samples=self.offset)


class FileClip:
    """A mono sound at the render's rate, read from its file by range as it is needed.

    Used for long sounds (a video's stems, or any sound that would not fit
    the render's memory budget) so memory does not grow with their length.
    ``path`` is a file name or an open binary file.
    """

    def __init__(self, path, *, gain: float = 1.0, loop: bool = False, offset_samples: int = 0):
        import soundfile as sf

        self._file = sf.SoundFile(path if hasattr(path, "read") else str(path))
        self.length = self._file.frames
        self.gain = np.float32(gain)
        self.offset = int(offset_samples)
        self.loop = loop

    def placed(self, gain: float, offset_samples: int) -> FileClip:
        """This sound at ``gain`` from ``offset_samples`` on, reading the same file."""
        other = copy.copy(self)
        other.gain, other.offset = np.float32(gain), int(offset_samples)
        return other

    nbytes = 0

    def _read(self, start: int, count: int) -> np.ndarray:
        self._file.seek(start)
        return self._file.read(count, dtype="float32", always_2d=True)[:, 0]

    def _range(self, lo: int, hi: int) -> np.ndarray:
        """File samples lo..hi-1 (zeros outside the file, or the file repeated if it loops)."""
        out = np.zeros(hi - lo, dtype=np.float32)
        if self.loop:
            at, filled = lo % self.length, 0
            while filled < len(out):
                piece = self._read(at, min(len(out) - filled, self.length - at))
                out[filled: filled + len(piece)] = piece
                filled += len(piece)
                at = 0
        else:
            a, b = max(lo, 0), min(hi, self.length)
            if b > a:
                data = self._read(a, b - a)
                out[a - lo:a - lo + len(data)] = data
        return out * self.gain

    def samples(self, start: int, stop: int) -> np.ndarray:
        out = self._range(start + self.offset, stop + self.offset)
        if start < 0:
            out[: min(len(out), -start)] = 0.0  # nothing before the scene starts
        return out

    def read(self, times: np.ndarray) -> np.ndarray:
        times = np.asarray(times, dtype=np.float64) + self.offset
        lo = int(np.floor(times.min())) if len(times) else 0
        hi = int(np.floor(times.max())) + 2 if len(times) else 0
        block = self._range(lo, hi)
        pos = times - lo
        whole = np.clip(np.floor(pos).astype(np.int64), 0, max(0, len(block) - 2))
        frac = (pos - whole).astype(np.float32)
        out = block[whole] + frac * (block[np.minimum(whole + 1, len(block) - 1)] - block[whole])
        out[times - self.offset < 0] = 0.0
        return out


class Delayed:
    """``base`` delayed by ``delay(t)`` samples, read with linear interpolation.

    ``delay`` maps absolute sample times (float64 array) to delays in samples;
    a changing delay gives the Doppler shift of a moving source.
    """

    def __init__(self, base: Clip | FileClip, delay: Callable[[np.ndarray], np.ndarray]):
        self.base = base
        self.delay = delay

    def samples(self, start: int, stop: int) -> np.ndarray:
        t = np.arange(start, stop, dtype=np.float64)
        return self.base.read(t - self.delay(t))


class Decorrelated:
    """``base`` through a short random-phase FIR: same spectrum envelope, low coherence."""

    def __init__(self, base: Signal, sample_rate: int, seed: int):
        n = max(16, int(DECORRELATOR_S * sample_rate))
        rng = np.random.default_rng(seed)
        phase = rng.uniform(-np.pi, np.pi, n // 2 + 1)
        phase[0] = 0.0
        phase[-1] = 0.0
        fir = np.fft.irfft(np.exp(1j * phase), n)
        taper = np.ones(n)
        tail = n // 4
        taper[-tail:] = np.cos(np.linspace(0, np.pi / 2, tail)) ** 2
        fir *= taper
        fir /= np.sqrt(np.sum(fir ** 2))
        self.fir = fir.astype(np.float32)
        self.base = base

    def samples(self, start: int, stop: int) -> np.ndarray:
        from scipy import signal as sps

        n = len(self.fir)
        x = self.base.samples(start - n + 1, stop)
        return sps.oaconvolve(x, self.fir, mode="valid").astype(np.float32, copy=False)
