"""The block rendering engine: many sources, time-varying filters, no clicks.

Time is cut into blocks of ``block`` samples. Each virtual source has, at
the end of every block, either a set of filters (one transfer function per
output channel: an HRTF pair times distance and air absorption) or a set of
gains (panning). Across each block the output crossfades (cos^2, summing to
one) from the previous block's filters to the new ones, so directions and
levels glide instead of stepping.

Filtering is overlap-save in the frequency domain: one real FFT per source
and block, products summed over sources in the frequency domain, and one
inverse FFT per output channel and block (two while anything moves: the
crossfade is linear, so it is taken on the summed difference). Filters given
as a bank and its steering (:class:`~.filterbank.Steered`) are made and
multiplied in by :func:`~.filterbank.accumulate` (one fused pass where numba
is installed). Gains are applied as a batched matrix product per block.

A moving source's filters or gains are evaluated for many blocks at once
(:data:`CONTROL_WINDOW` block ends) and kept until the render passes them.

Contents
--------
VirtualSource    a signal plus its filters or gains over time
BlockEngine      renders virtual sources chunk by chunk
OverlapAdd       fixed multichannel FIR filtering, chunk by chunk (reverb, decoders)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import scipy.fft as sfft
from numpy.lib.stride_tricks import sliding_window_view

from .filterbank import Steered, Steering, accumulate
from .signals import Signal

#: Times in samples [shape=(n,)] -> transfer functions [shape=(n, channels, bins)].
FilterFn = Callable[[np.ndarray], np.ndarray]
#: Times in samples [shape=(n,)] -> gains [shape=(n, channels)].
GainFn = Callable[[np.ndarray], np.ndarray]
#: A moving source's control values are evaluated for this many block ends at a time.
CONTROL_WINDOW = 512
#: Moving sources on one bank whose transfer functions are evaluated in one go (numpy: memory grows with it).
STEERED_TOGETHER = 4


@dataclass
class VirtualSource:
    """A mono signal rendered through ``filters`` or ``gains`` (exactly one is set).

    ``filters`` is a function of time or a :class:`~.filterbank.Steered`
    bank. ``prefilter`` (with ``gains`` only) is a mono time-varying filter
    applied before panning, e.g. air absorption: filtering once and panning
    after costs the same for 2 channels or 8. ``still`` sources are evaluated
    once; moving ones at every block end.
    """

    signal: Signal
    filters: FilterFn | Steered | None = None
    gains: GainFn | None = None
    prefilter: FilterFn | Steered | None = None
    still: bool = True
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if (self.filters is None) == (self.gains is None):
            raise ValueError("a virtual source needs exactly one of filters or gains")
        if self.prefilter is not None and self.gains is None:
            raise ValueError("prefilter goes with gains")

    def function(self, kind: str = "main"):
        return {"main": self.filters if self.filters is not None else self.gains, "pre": self.prefilter}[kind]

    def at(self, times: np.ndarray, kind: str = "main") -> np.ndarray:
        """Transfer functions or gains at ``times`` (a still source's at the first time, repeated)."""
        fn = self.function(kind)
        if not self.still:
            return fn(times)
        if kind not in self._cache:
            self._cache[kind] = fn(times[:1])
        value = self._cache[kind]
        return np.broadcast_to(value, (len(times),) + value.shape[1:])

    def at_blocks(self, first: int, count: int, block: int, kind: str = "main"):
        """Filters, gains or a :class:`~.filterbank.Steering` at the ends of blocks first-1 .. first+count-2.

        That is at sample times ``first * block`` .. ``(first + count - 1) * block``; a moving
        source's are evaluated :data:`CONTROL_WINDOW` at a time and kept.
        """
        fn = self.function(kind)
        if self.still:
            return self.at(np.arange(first, first + count, dtype=np.float64) * block, kind)
        window = self._cache.get(("window", kind))
        if window is None or not (window[0] <= first and first + count <= window[0] + len(window[1])):
            times = np.arange(first, first + max(count, CONTROL_WINDOW), dtype=np.float64) * block
            window = (first, fn.steer(times) if isinstance(fn, Steered) else fn(times))
            self._cache[("window", kind)] = window
        lo, values = first - window[0], window[1]
        if isinstance(values, Steering):
            return values.rows(lo, lo + count)
        return values[lo:lo + count]


class BlockEngine:
    """Renders :class:`VirtualSource` lists into ``channels`` outputs.

    Parameters
    ----------
    channels : int
    n_fft : int
        FFT size; filters must be shorter than ``n_fft - block + 1``.
    block : int
        Hop in samples; also the crossfade length.
    """

    def __init__(self, channels: int, n_fft: int, block: int):
        if not 0 < block < n_fft:
            raise ValueError("block must be shorter than n_fft")
        self.channels = channels
        self.n_fft = n_fft
        self.block = block
        self.history = n_fft - block
        n = np.arange(block)
        self.fade_out = (np.cos(0.5 * np.pi * n / block) ** 2).astype(np.float32)

    @property
    def bins(self) -> int:
        return self.n_fft // 2 + 1

    def render(self, sources: list[VirtualSource], first_block: int, n_blocks: int) -> np.ndarray:
        """Output [shape=(channels, n_blocks * block)] for blocks first_block.. ."""
        B, nb = self.block, n_blocks
        spectral = [s for s in sources if s.filters is not None]
        panned = [s for s in sources if s.gains is not None]
        # Panning writes a fresh array in output order, which then holds the sum: with 16 channels every
        # pass over a chunk counts.
        if panned:
            out = self._pan(panned, first_block, nb)
        else:
            out = np.zeros((self.channels, nb, B), dtype=np.float32)
        if spectral:
            out += self._filter(spectral, first_block, nb, "main").transpose(1, 0, 2)
        return out.reshape(self.channels, nb * B)

    def _filter(self, sources, first_block, nb, kind, separate=False):
        """Overlap-save through per-block spectra, crossfaded: [shape=(nb, channels, block)].

        With ``separate`` each (mono) source has an output channel of its own, in order.
        """
        B, N = self.block, self.n_fft
        t0 = first_block * B
        shape = (nb, len(sources) if separate else self.channels, self.bins)
        still_now = move_now = move_prev = None  # the sums over still and over moving sources
        steered: dict[tuple, list] = {}  # moving sources on a bank, evaluated together
        for i, src in enumerate(sources):
            x = src.signal.samples(t0 - self.history, t0 + nb * B)
            frames = sliding_window_view(x, N)[::B][:nb]
            spectrum = sfft.rfft(frames, axis=-1, workers=-1)
            out = slice(i, i + 1) if separate else slice(None)
            h = src.at_blocks(first_block, nb + 1, B, kind)
            if src.still:
                if still_now is None:
                    still_now = np.zeros(shape, dtype=np.complex64)
                still_now[:, out] += spectrum[:, None, :] * h[1:]
                continue
            if move_now is None:
                move_now, move_prev = np.zeros(shape, dtype=np.complex64), np.zeros(shape, dtype=np.complex64)
            if isinstance(h, Steering):
                bank = src.function(kind).bank
                group = steered.setdefault((id(bank), h.kind), [bank, [], [], []])
                group[1].append(spectrum)
                group[2].append(h)
                group[3].append(i if separate else 0)
            else:
                move_now[:, out] += spectrum[:, None, :] * h[1:]
                move_prev[:, out] += spectrum[:, None, :] * h[:-1]
        for bank, spectra, steerings, first_channel in steered.values():
            for lo in range(0, len(spectra), STEERED_TOGETHER):
                part = slice(lo, lo + STEERED_TOGETHER)
                accumulate(spectra[part], bank, steerings[part], move_now, move_prev, first_channel[part])
        if move_now is None:
            return sfft.irfft(still_now, N, axis=-1, workers=-1)[..., self.history:].astype(np.float32, copy=False)
        move_prev -= move_now  # the crossfade's difference: previous filters minus these
        if still_now is not None:
            move_now += still_now
        out = sfft.irfft(move_now, N, axis=-1, workers=-1)[..., self.history:]
        out += self.fade_out * sfft.irfft(move_prev, N, axis=-1, workers=-1)[..., self.history:]
        return out.astype(np.float32, copy=False)

    def _pan(self, sources, first_block, nb):
        """Panned sources' output [shape=(channels, nb, block)]."""
        B = self.block
        t0 = first_block * B
        x = np.empty((nb, len(sources), B), dtype=np.float32)
        filtered = [i for i, s in enumerate(sources) if s.prefilter is not None]
        if filtered:
            x[:, filtered] = self._filter([sources[i] for i in filtered], first_block, nb, "pre", separate=True)
        for i, src in enumerate(sources):
            if src.prefilter is None:
                x[:, i] = src.signal.samples(t0, t0 + nb * B).reshape(nb, B)
        g = np.stack([s.at_blocks(first_block, nb + 1, B) for s in sources], axis=-1).astype(np.float32)  # (nb+1, C, S)
        # matmul makes (nb, channels, block); written through a transposed view, it lands in output order.
        out = np.empty((self.channels, nb, B), dtype=np.float32)
        np.matmul(g[1:], x, out=out.transpose(1, 0, 2))
        moving = [i for i, s in enumerate(sources) if not s.still]
        if moving:
            change = np.empty_like(out)
            if len(moving) == len(sources):  # no copies of the gains and samples
                np.matmul(g[:-1] - g[1:], x, out=change.transpose(1, 0, 2))
            else:
                np.matmul(g[:-1, :, moving] - g[1:, :, moving], x[:, moving], out=change.transpose(1, 0, 2))
            change *= self.fade_out
            out += change
        return out


class OverlapAdd:
    """Fixed FIR filtering of a multichannel stream, one chunk at a time.

    ``irs`` [shape=(inputs, outputs, taps)]: output o = sum over inputs i of
    input i convolved with irs[i, o]. The tail of each chunk is carried into
    the next, so chunked output equals one long convolution.
    """

    def __init__(self, irs: np.ndarray):
        self.irs = np.asarray(irs, dtype=np.float32)
        self.taps = self.irs.shape[-1]
        self._carry: np.ndarray | None = None
        self._spectra: dict[int, np.ndarray] = {}

    def process(self, x: np.ndarray) -> np.ndarray:
        """Filter x [shape=(inputs, n)] -> [shape=(outputs, n)]."""
        n = x.shape[-1]
        n_fft = sfft.next_fast_len(n + self.taps - 1, real=True)
        if n_fft not in self._spectra:
            self._spectra[n_fft] = sfft.rfft(self.irs, n_fft, axis=-1, workers=-1)
        spectra = self._spectra[n_fft]
        xs = sfft.rfft(x, n_fft, axis=-1, workers=-1)
        y = sfft.irfft(np.einsum("if,iof->of", xs, spectra), n_fft, axis=-1, workers=-1)
        y = y[:, : n + self.taps - 1].astype(np.float32)
        if self._carry is not None:  # holds taps - 1 samples; y holds n + taps - 1
            y[:, : self.taps - 1] += self._carry
        self._carry = y[:, n:].copy()
        return y[:, :n]
