"""Transfer functions read from a bank of spectra, steered block by block.

A bank holds spectra [shape=(m, channels, bins)] for an FFT of ``n_fft``: an
HRTF's measurement grid (:meth:`~.hrtf.HRTF.bank`), or none at all, a flat
response (:meth:`FilterBank.flat`). A :class:`Steering` says, at each of n
times, which entries to mix with which weights, by how many samples to delay
each channel, and how far the sound travelled through air::

    H[n, c, f] = sum_k weight[n, k] spectra[index[n, k], c, f]        (1 for a flat bank)
                 * exp(-2 pi i f delay[n, c] / n_fft)                  (a fractional delay)
                 * exp(-distance[n] * nepers[f])                       (air absorption, if distance)
                 * sum_j near_weight[n, c, j] near[near_index[n, c, j], f]  (near field, if near_index)

The near-field rows are the bank's :attr:`FilterBank.near` table (each
ear's distance-variation function, :mod:`.nearfield`), read only for
steerings that carry ``near_index``. Gains go into the weights. Mixing spectra equals mixing the filters and
transforming them (the FFT is linear), so a grid's spectra are computed once
and every block's filter is a weighted sum of three of them.

:func:`accumulate` adds moving sources' filtered blocks to the engine's
sums; it runs the fused kernel of :mod:`.accel` where numba is installed
(``see2sound[fast]``) and the numpy code here otherwise. Both compute the
same sums in the same order, so they agree to float32 rounding.

Contents
--------
FilterBank      the spectra and the air absorption per bin; ``transfer(steering)``
Steering        entries, weights, delays and distances at n times
Steered         a bank and the function of time that steers it (a source's filters)
delay_phasors   spectra of fractional delays
accumulate      moving sources' blocks into the engine's sums
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import accel
from .distance import air_absorption_db


def delay_phasors(delays: np.ndarray, n_fft: int) -> np.ndarray:
    """exp(-2j pi k d / n_fft) [shape=(..., n_fft//2+1), complex64] for delays d [shape=(...)] in samples.

    Factorised as the outer product of a coarse and a fine table (bins
    k = step * i + j), each filled by recurrence in complex128: two complex
    exponentials per delay, and one complex64 product per bin.
    """
    n_bins = n_fft // 2 + 1
    step, n_coarse = phasor_steps(n_bins)
    d = np.asarray(delays, dtype=np.float64)[..., None]
    fine = _powers(np.exp(-2j * np.pi * d / n_fft), step).astype(np.complex64)
    coarse = _powers(np.exp(-2j * np.pi * (d * step) / n_fft), n_coarse).astype(np.complex64)
    table = np.multiply(coarse[..., :, None], fine[..., None, :])
    return table.reshape(*d.shape[:-1], -1)[..., :n_bins]


def phasor_steps(n_bins: int) -> tuple[int, int]:
    """The fine and coarse table lengths of :func:`delay_phasors` for ``n_bins`` bins."""
    step = int(math.ceil(math.sqrt(n_bins)))
    return step, -(-n_bins // step)


def _powers(base: np.ndarray, count: int) -> np.ndarray:
    """base ** 0 .. base ** (count - 1) along a new last axis, by repeated multiplication; base [shape=(..., 1)]."""
    out = np.empty(base.shape[:-1] + (count,), dtype=np.complex128)
    out[..., 0] = 1.0
    out[..., 1:] = base
    return np.cumprod(out, axis=-1)


@dataclass
class Steering:
    """Where a bank is read at n times.

    index [shape=(n, k), int32] bank entries; weight [shape=(n, k), float32]
    their weights, gains included; delay [shape=(n, channels), float64] in
    samples; distance_m [shape=(n,), float32] the path through air, or None
    for no air absorption; near_index [shape=(n, channels, j), int32] and
    near_weight [shape=(n, channels, j), float32] rows of the bank's
    near-field table and their weights, or None for none.
    """

    index: np.ndarray
    weight: np.ndarray
    delay: np.ndarray
    distance_m: np.ndarray | None = None
    near_index: np.ndarray | None = None
    near_weight: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.weight)

    @property
    def kind(self) -> tuple[bool, bool]:
        """(with air, with near field): steerings are evaluated together only with others of their kind."""
        return self.distance_m is not None, self.near_index is not None

    def rows(self, lo: int, hi: int) -> Steering:
        """The steering at times lo .. hi - 1."""
        return Steering(*(None if v is None else v[lo:hi] for v in (
            self.index, self.weight, self.delay, self.distance_m, self.near_index, self.near_weight)))


class FilterBank:
    """Spectra [shape=(m, channels, bins), complex64] for an FFT of ``n_fft`` at ``sample_rate``.

    ``spectra=None`` is a flat bank of ``channels`` channels: steering
    weights then scale a pure delay (and air absorption).
    """

    def __init__(self, spectra: np.ndarray | None, n_fft: int, sample_rate: int, channels: int | None = None,
                 near_field=None):
        #: The :class:`~.nearfield.NearField` whose table :attr:`near` is, or None.
        self.near_field = near_field
        self.spectra = None if spectra is None else np.ascontiguousarray(spectra, dtype=np.complex64)
        self.n_fft = int(n_fft)
        self.sample_rate = int(sample_rate)
        self.channels = channels if spectra is None else self.spectra.shape[1]
        self.bins = self.n_fft // 2 + 1
        if self.spectra is not None and self.spectra.shape[-1] != self.bins:
            raise ValueError(f"spectra have {self.spectra.shape[-1]} bins; an FFT of {n_fft} has {self.bins}")
        freqs = np.fft.rfftfreq(self.n_fft, 1.0 / self.sample_rate)
        #: Air absorption in nepers per metre at each bin (ISO 9613-1; see :mod:`.distance`).
        self.nepers = (air_absorption_db(freqs) * (np.log(10.0) / 20.0)).astype(np.float32)
        self._nepers_pairs = np.repeat(self.nepers, 2)
        self._rows: np.ndarray | None = None

    @property
    def near(self) -> np.ndarray:
        """The near-field table [shape=(rows, bins), complex64] (computed on first use)."""
        if self.near_field is None:
            raise ValueError("this bank has no near-field table")
        return self.near_field.table(self.n_fft, self.sample_rate)

    def near_response(self, steering: Steering) -> np.ndarray:
        """sum_j near_weight[n, c, j] near[near_index[n, c, j]] [shape=(n, channels, bins), complex64]."""
        from scipy.sparse import csr_matrix

        table, index = self.near, steering.near_index
        n, channels, j = index.shape
        # As in mix(): a sparse matrix of weights times the table as real pairs, each row summed in order.
        mixer = csr_matrix((np.asarray(steering.near_weight, dtype=np.float32).ravel(),
                            np.asarray(index, dtype=np.int32).ravel(), np.arange(0, n * channels * j + 1, j)),
                           shape=(n * channels, len(table)))
        pairs = table.view(np.float32)
        return np.ascontiguousarray(mixer @ pairs).view(np.complex64).reshape(n, channels, self.bins)

    @classmethod
    def flat(cls, n_fft: int, sample_rate: int, channels: int = 1) -> FilterBank:
        return cls(None, n_fft, sample_rate, channels)

    @property
    def is_flat(self) -> bool:
        return self.spectra is None

    def air(self, distance_m: np.ndarray) -> np.ndarray:
        """Air absorption [shape=(n, bins), float32] over distances [shape=(n,)]."""
        d = np.atleast_1d(np.asarray(distance_m, dtype=np.float32))
        return np.exp(-d[:, None] * self.nepers[None, :])

    def mix(self, steering: Steering) -> np.ndarray:
        """sum_k weight[n, k] spectra[index[n, k]] [shape=(n, channels, bins), complex64]."""
        n, k = steering.index.shape
        weight = np.asarray(steering.weight, dtype=np.float32)
        if self.is_flat:
            return np.broadcast_to(weight.sum(axis=1)[:, None, None], (n, self.channels, self.bins)) \
                .astype(np.complex64)
        from scipy.sparse import csr_matrix

        # A sparse (n, m) matrix of weights times the grid's spectra as real pairs: one pass, no gather.
        if self._rows is None:
            self._rows = self.spectra.view(np.float32).reshape(len(self.spectra), -1)
        mixer = csr_matrix((weight.ravel(), np.asarray(steering.index, dtype=np.int32).ravel(),
                            np.arange(0, n * k + 1, k)), shape=(n, len(self.spectra)))
        return np.ascontiguousarray(mixer @ self._rows).view(np.complex64).reshape(n, self.channels, self.bins)

    def transfer(self, steering: Steering) -> np.ndarray:
        """Transfer functions [shape=(n, channels, bins), complex64] (the formula of the module docstring)."""
        h = self.mix(steering)
        h *= delay_phasors(steering.delay, self.n_fft)
        if steering.distance_m is not None:
            # A real gain: scale the real and imaginary parts as float32 pairs (numpy has no mixed loop).
            d = np.asarray(steering.distance_m, dtype=np.float32)
            pairs = np.exp(-d[:, None] * self._nepers_pairs[None, :])[:, None, :]  # = air(), each value twice
            np.multiply(h.view(np.float32), pairs, out=h.view(np.float32))
        if steering.near_index is not None:
            h *= self.near_response(steering)
        return h


@dataclass
class Steered:
    """A source's filters as a bank and its steering: ``steer(times)`` -> :class:`Steering` at those times."""

    bank: FilterBank
    steer: Callable[[np.ndarray], Steering]

    def __call__(self, times: np.ndarray) -> np.ndarray:
        """Transfer functions [shape=(n, channels, bins)] at times [shape=(n,)] (as a plain filter function)."""
        return self.bank.transfer(self.steer(times))


def accumulate(x_spectra: list[np.ndarray], bank: FilterBank, steerings: list[Steering], y_now: np.ndarray,
               y_prev: np.ndarray, first_channel: list[int] | None = None) -> None:
    """Add moving sources' filtered blocks to the engine's sums, in place.

    ``x_spectra``: each source's block spectra [shape=(nb, bins), complex64];
    ``steerings``: each source's at the nb + 1 block ends (the end of the
    block before the first, then each block's), all with air or all without.
    Source i adds y_now[b] += X[b] H[b + 1] and y_prev[b] += X[b] H[b] to the
    channels of y_now and y_prev [shape=(nb, channels, bins), complex64] from
    ``first_channel[i]`` (default 0) on.
    """
    first_channel = [0] * len(steerings) if first_channel is None else first_channel
    kernel = accel.kernel()
    if kernel is not None:
        _accumulate_fused(kernel, x_spectra, bank, steerings, y_now, y_prev, first_channel)
    elif bank.is_flat and all(np.all(st.delay == st.delay[:1]) for st in steerings):
        _accumulate_fixed_delay(x_spectra, bank, steerings, y_now, y_prev, first_channel)
    else:
        h = bank.transfer(_stacked(steerings)).reshape(len(steerings), -1, bank.channels, bank.bins)
        product = np.empty((len(x_spectra[0]), bank.channels, bank.bins), dtype=np.complex64)
        for i, x in enumerate(x_spectra):
            out = slice(first_channel[i], first_channel[i] + bank.channels)
            y_now[:, out] += np.multiply(x[:, None, :], h[i, 1:], out=product)
            y_prev[:, out] += np.multiply(x[:, None, :], h[i, :-1], out=product)


def _stacked(steerings: list[Steering]) -> Steering:
    """One steering of all their rows, in order."""
    fields = zip(*((st.index, st.weight, st.delay, st.distance_m, st.near_index, st.near_weight) for st in steerings))
    return Steering(*(None if parts[0] is None else np.concatenate(parts) for parts in fields))


def _accumulate_fused(kernel, x_spectra, bank: FilterBank, steerings: list[Steering], y_now, y_prev, first_channel):
    """:func:`accumulate` through the numba kernel, one source at a time (air for all at once)."""
    count, n = len(steerings), len(steerings[0])
    together = _stacked(steerings)
    air = np.zeros((count, 0, 0), dtype=np.float32) if together.distance_m is None else \
        bank.air(together.distance_m).reshape(count, n, bank.bins)
    spectra = bank.spectra if bank.spectra is not None else np.zeros((1, 1, 1), dtype=np.complex64)
    index = together.index.astype(np.int32, copy=False).reshape(count, n, -1)
    weight = together.weight.astype(np.float32, copy=False).reshape(count, n, -1)
    delay = together.delay.astype(np.float64, copy=False).reshape(count, n, -1)
    if together.near_index is None:
        near = np.zeros((1, 1), dtype=np.complex64)
        near_index, near_weight = np.zeros((count, 0, 1, 1), np.int32), np.zeros((count, 0, 1, 1), np.float32)
    else:
        near = bank.near
        near_index = together.near_index.astype(np.int32, copy=False).reshape(
            (count, n) + together.near_index.shape[1:])
        near_weight = together.near_weight.astype(np.float32, copy=False).reshape(
            (count, n) + together.near_weight.shape[1:])
    for i, x in enumerate(x_spectra):
        kernel(x, spectra, bank.is_flat, index[i], weight[i], delay[i], air[i], near, near_index[i], near_weight[i],
               bank.n_fft, first_channel[i], y_now, y_prev)


def _accumulate_fixed_delay(x_spectra, bank: FilterBank, steerings: list[Steering], y_now, y_prev, first_channel):
    """:func:`accumulate` in numpy for a flat bank whose delays do not change (the lead-in before air absorption).

    H[b, c] = w[b] air[b] P[c]: the phasors are applied to the input once, and
    the real gains w[b] air[b] as float32 pairs, without complex products.
    """
    for i, (x, st) in enumerate(zip(x_spectra, steerings)):
        gain = st.weight.astype(np.float32).sum(axis=1)[:, None]
        if st.distance_m is not None:
            gain = gain * np.exp(-np.asarray(st.distance_m, dtype=np.float32)[:, None] * bank._nepers_pairs[None, :])
        gain = np.broadcast_to(gain, (len(st), 2 * bank.bins))[:, None, :]
        shifted = (x[:, None, :] * delay_phasors(st.delay[0], bank.n_fft)[None]).view(np.float32)
        product = np.empty_like(shifted)
        out = slice(first_channel[i], first_channel[i] + bank.channels)
        y_now[:, out].view(np.float32)[...] += np.multiply(shifted, gain[1:], out=product)
        y_prev[:, out].view(np.float32)[...] += np.multiply(shifted, gain[:-1], out=product)
