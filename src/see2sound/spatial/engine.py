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
crossfade is linear, so it is taken on the summed difference). Gains are
applied as a batched matrix product per block.

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

from .signals import Signal

#: Times in samples [shape=(n,)] -> transfer functions [shape=(n, channels, bins)].
FilterFn = Callable[[np.ndarray], np.ndarray]
#: Times in samples [shape=(n,)] -> gains [shape=(n, channels)].
GainFn = Callable[[np.ndarray], np.ndarray]


@dataclass
class VirtualSource:
    """A mono signal rendered through ``filters`` or ``gains`` (exactly one is set).

    ``prefilter`` (with ``gains`` only) is a mono time-varying filter applied
    before panning, e.g. air absorption: filtering once and panning after
    costs the same for 2 channels or 8. ``still`` sources are evaluated once;
    moving ones at every block end.
    """

    signal: Signal
    filters: FilterFn | None = None
    gains: GainFn | None = None
    prefilter: FilterFn | None = None
    still: bool = True
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if (self.filters is None) == (self.gains is None):
            raise ValueError("a virtual source needs exactly one of filters or gains")
        if self.prefilter is not None and self.gains is None:
            raise ValueError("prefilter goes with gains")

    def at(self, times: np.ndarray, kind: str = "main") -> np.ndarray:
        fn = {"main": self.filters if self.filters is not None else self.gains, "pre": self.prefilter}[kind]
        if not self.still:
            return fn(times)
        if kind not in self._cache:
            self._cache[kind] = fn(times[:1])
        value = self._cache[kind]
        return np.broadcast_to(value, (len(times),) + value.shape[1:])


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
        t0 = first_block * B
        # Filters/gains at the ends of blocks first_block-1 .. first_block+nb-1.
        ends = np.arange(first_block, first_block + nb + 1, dtype=np.float64) * B
        out = np.zeros((nb, self.channels, B), dtype=np.float32)
        spectral = [s for s in sources if s.filters is not None]
        if spectral:
            out += self._filter(spectral, t0, nb, ends, self.channels, "main")
        panned = [s for s in sources if s.gains is not None]
        if panned:
            out += self._pan(panned, t0, nb, ends)
        return out.transpose(1, 0, 2).reshape(self.channels, nb * B)

    def _filter(self, sources, t0, nb, ends, channels, kind):
        """Overlap-save through per-block spectra, crossfaded: [shape=(nb, channels, block)]."""
        B, N = self.block, self.n_fft
        y_now = np.zeros((nb, channels, self.bins), dtype=np.complex64)
        y_diff = None
        for src in sources:
            x = src.signal.samples(t0 - self.history, t0 + nb * B)
            frames = sliding_window_view(x, N)[::B][:nb]
            spectrum = sfft.rfft(frames, axis=-1, workers=-1)[:, None, :]
            h = src.at(ends, kind)
            y_now += spectrum * h[1:]
            if not src.still:
                if y_diff is None:
                    y_diff = np.zeros_like(y_now)
                y_diff += spectrum * (h[:-1] - h[1:])
        out = sfft.irfft(y_now, N, axis=-1, workers=-1)[..., self.history:]
        if y_diff is not None:
            out += self.fade_out * sfft.irfft(y_diff, N, axis=-1, workers=-1)[..., self.history:]
        return out.astype(np.float32, copy=False)

    def _pan(self, sources, t0, nb, ends):
        B = self.block
        x = np.empty((nb, len(sources), B), dtype=np.float32)
        for i, src in enumerate(sources):
            if src.prefilter is not None:
                x[:, i] = self._filter([src], t0, nb, ends, 1, "pre")[:, 0]
            else:
                x[:, i] = src.signal.samples(t0, t0 + nb * B).reshape(nb, B)
        g = np.stack([s.at(ends) for s in sources], axis=-1).astype(np.float32)  # (nb+1, C, S)
        out = np.matmul(g[1:], x)
        moving = [i for i, s in enumerate(sources) if not s.still]
        if moving:
            dg = g[:-1, :, moving] - g[1:, :, moving]
            out += self.fade_out * np.matmul(dg, x[:, moving])
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
