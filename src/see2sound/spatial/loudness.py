"""Loudness (ITU-R BS.1770-4 / EBU R128), true peak and a true-peak limiter.

scipy.signal, scipy.ndimage and pyloudnorm are imported when first needed,
so importing this module stays cheap.

Everything works chunk by chunk on a (channels, n) array, which may be a
disk-backed ``np.memmap``, so long renders stay within bounded memory.

The K-weighting filter coefficients for any sample rate come from
pyloudnorm; the gating (400 ms blocks, 75 % overlap, -70 LUFS absolute and
-10 LU relative gates) and the per-channel weights are applied here, because
pyloudnorm handles at most five channels and 7.1 has seven that count.

Contents
--------
channel_weights       BS.1770 weights for a loudspeaker layout's channels
LoudnessMeter         LUFS of a signal fed chunk by chunk
integrated_loudness   LUFS of a (channels, n) signal
true_peak_dbtp        4x-oversampled peak in dBTP
limit_true_peak       look-ahead limiter that holds the true peak under a ceiling
"""

from __future__ import annotations

import functools

import numpy as np

CHUNK = 1 << 18
OVERSAMPLE = 4
LIMITER_LOOKAHEAD_S = 0.0015
LIMITER_RELEASE_DB_PER_S = 20.0


def channel_weights(azimuths_deg: list[float | None], elevations_deg: list[float | None] | None = None) -> np.ndarray:
    """BS.1770-4 position-dependent channel weights (Annex 1, Table 4), LFE (azimuth None) left out.

    1.41 (+1.5 dB) for a loudspeaker under 30 deg of elevation and 60..120 deg
    off axis, 1 elsewhere (so 1 for every upper loudspeaker at 30 deg or more);
    elevations default to 0.
    """
    elevations = [0.0] * len(azimuths_deg) if elevations_deg is None else elevations_deg
    weights = []
    for az, el in zip(azimuths_deg, elevations):
        if az is None:
            weights.append(0.0)
        else:
            weights.append(1.41 if abs(el) < 30.0 and 60.0 <= abs(az) <= 120.0 else 1.0)
    return np.array(weights)


def _k_weighting_sos(sample_rate: int) -> tuple[np.ndarray, float]:
    import pyloudnorm

    meter = pyloudnorm.Meter(sample_rate)
    sos, gain = [], 1.0
    for stage in meter._filters.values():
        b, a = np.asarray(stage.b, dtype=np.float64), np.asarray(stage.a, dtype=np.float64)
        sos.append(np.concatenate([b / a[0], a / a[0]]))
        gain *= stage.passband_gain
    return np.array(sos), gain


class LoudnessMeter:
    """Integrated loudness (LUFS) of a signal fed in chunks of any length.

    ``weights`` [shape=(channels,)] defaults to 1 per channel (stereo, binaural).
    """

    def __init__(self, sample_rate: int, channels: int, weights: np.ndarray | None = None):
        self.weights = np.ones(channels) if weights is None else np.asarray(weights, dtype=np.float64)
        self.sos, self.gain = _k_weighting_sos(sample_rate)
        self.hop = int(round(0.1 * sample_rate))
        self._zi = np.zeros((self.sos.shape[0], channels, 2))
        self._pending = np.zeros((channels, 0))
        self._sums: list[np.ndarray] = []

    def feed(self, chunk: np.ndarray) -> None:
        """Add ``chunk`` [shape=(channels, n)]."""
        from scipy import signal

        y, self._zi = signal.sosfilt(self.sos, np.asarray(chunk, dtype=np.float64), axis=-1, zi=self._zi)
        y = np.concatenate([self._pending, y * self.gain], axis=1)
        k = y.shape[-1] // self.hop
        self._sums.append((y[:, : k * self.hop] ** 2).reshape(y.shape[0], k, self.hop).sum(-1))
        self._pending = y[:, k * self.hop:]

    def result(self) -> float:
        """The gated integrated loudness so far; -inf for silence or under 400 ms."""
        sums = np.concatenate(self._sums, axis=1) if self._sums else np.zeros((len(self.weights), 0))
        n_hops = sums.shape[-1]
        if n_hops < 4:
            return float("-inf")
        # 400 ms blocks = four 100 ms hops, overlapping by 75 %.
        block_power = sum(sums[:, i:n_hops - 3 + i] for i in range(4)) / (4 * self.hop)
        weighted = self.weights @ block_power
        with np.errstate(divide="ignore"):
            block_lufs = -0.691 + 10.0 * np.log10(weighted)
        gated = block_lufs > -70.0
        if not np.any(gated):
            return float("-inf")
        relative = -0.691 + 10.0 * np.log10(weighted[gated].mean()) - 10.0
        gated &= block_lufs > relative
        return float(-0.691 + 10.0 * np.log10(weighted[gated].mean()))


def integrated_loudness(audio: np.ndarray, sample_rate: int, weights: np.ndarray | None = None) -> float:
    """Integrated loudness in LUFS of ``audio`` [shape=(channels, n)]; -inf for silence."""
    meter = LoudnessMeter(sample_rate, audio.shape[0], weights)
    for start in range(0, audio.shape[-1], CHUNK):
        meter.feed(audio[:, start:start + CHUNK])
    return meter.result()


@functools.cache
def _interpolator() -> tuple[np.ndarray, float]:
    """A 4-phase interpolation filter and its gain bound.

    The filter is scipy's resample_poly design (81-tap Kaiser, beta 5), longer
    than BS.1770-4's 48-tap example, so that full-band material is not under-read.

    The bound is the largest sum of |taps| over the phases: no interpolated
    sample can exceed the sample peak times it, so quieter stretches need no
    oversampling at all.
    """
    from scipy import signal

    taps = signal.firwin(2 * 10 * OVERSAMPLE + 1, 1.0 / OVERSAMPLE, window=("kaiser", 5.0)) * OVERSAMPLE
    bound = max(np.abs(taps[p::OVERSAMPLE]).sum() for p in range(OVERSAMPLE))
    return taps, float(bound)


def _oversampled_peak_envelope(x: np.ndarray) -> np.ndarray:
    """Per-sample maximum over channels and the OVERSAMPLE points around each sample."""
    from scipy import signal

    taps, _ = _interpolator()
    delay = (len(taps) - 1) // 2  # of the interpolated signal, in oversampled samples
    up = signal.upfirdn(taps, x, up=OVERSAMPLE, axis=-1)[..., delay:delay + x.shape[-1] * OVERSAMPLE]
    return np.abs(up).max(axis=0).reshape(-1, OVERSAMPLE).max(axis=1)


def _chunks(n: int, margin: int):
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        yield start, stop, max(0, start - margin), min(n, stop + margin)


PEAK_BLOCK = 4096


def true_peak_dbtp(audio: np.ndarray) -> float:
    """True peak in dBTP of ``audio`` [shape=(channels, n)], 4x oversampled (BS.1770-4 Annex 2).

    Blocks are oversampled loudest first, and only while their sample peak
    times the interpolator's bound could still beat the largest true peak found.
    """
    n = audio.shape[-1]
    sample_peaks = []
    for start in range(0, n, CHUNK):
        x = np.abs(np.asarray(audio[:, start:start + CHUNK])).max(axis=0)
        pad = (-len(x)) % PEAK_BLOCK
        sample_peaks.append(np.pad(x, (0, pad)).reshape(-1, PEAK_BLOCK).max(axis=1))
    block_peak = np.concatenate(sample_peaks) if sample_peaks else np.zeros(0)
    best = 0.0
    bound = _interpolator()[1]
    for k in np.argsort(block_peak)[::-1]:
        if block_peak[k] * bound <= best or block_peak[k] == 0.0:
            break
        lo, hi = k * PEAK_BLOCK, min(n, (k + 1) * PEAK_BLOCK)
        x = np.asarray(audio[:, max(0, lo - 16):min(n, hi + 16)], dtype=np.float64)
        env = _oversampled_peak_envelope(x)[lo - max(0, lo - 16):][: hi - lo]
        best = max(best, float(env.max()))
    return 20.0 * np.log10(best) if best > 0 else float("-inf")


def limit_true_peak(audio: np.ndarray, sample_rate: int, ceiling_dbtp: float) -> float:
    """Hold the true peak of ``audio`` [shape=(channels, n)] at or below the ceiling, in place.

    A linked look-ahead limiter: the gain needed at every sample is taken as
    the minimum over a look-ahead window, released at a fixed dB rate, and
    smoothed so it never exceeds what any nearby peak allows. Returns the
    largest gain reduction in dB (0 when nothing was touched).
    """
    from scipy import ndimage

    ceiling = 10.0 ** (ceiling_dbtp / 20.0)
    bound = _interpolator()[1]
    look = max(1, int(LIMITER_LOOKAHEAD_S * sample_rate))
    release = LIMITER_RELEASE_DB_PER_S / sample_rate
    n = audio.shape[-1]
    margin = 4 * look + 64
    carry = -np.inf  # max over earlier samples j of (reduction[j] + release * j)
    worst = 0.0
    unlimited = None  # the previous chunk's last samples as they were before limiting
    for start, stop, lo, hi in _chunks(n, margin):
        x = np.array(audio[:, lo:hi], dtype=np.float64)
        if unlimited is not None:
            x[:, : unlimited.shape[-1]] = unlimited
        unlimited = None
        if np.abs(x).max(initial=0.0) * bound <= ceiling:
            if carry - release * lo <= 0.0:  # nothing over the ceiling, nothing left to release
                carry = max(carry, release * (max(0, stop - margin) - 1))
                continue
            reduction = np.zeros(hi - lo)
        else:
            env = _oversampled_peak_envelope(x)
            reduction = np.maximum(0.0, 20.0 * np.log10(np.maximum(env, 1e-12) / ceiling))
            reduction = ndimage.maximum_filter1d(reduction, size=2 * look + 1)
        index = np.arange(lo, hi, dtype=np.float64)
        # Release at a fixed rate: r[i] = max over j <= i of reduction[j] - release * (i - j).
        ramp = reduction + release * index
        ramp[0] = max(ramp[0], carry)
        acc = np.maximum.accumulate(ramp)
        released = acc - release * index
        # A centred mean no wider than the look-ahead keeps every peak under the ceiling.
        gain_db = -ndimage.uniform_filter1d(released, size=look + 1 - (look % 2))
        keep = slice(start - lo, stop - lo)
        worst = max(worst, float(-gain_db[keep].min(initial=0.0)))
        audio[:, start:stop] = (x[:, keep] * 10.0 ** (gain_db[keep] / 20.0)).astype(audio.dtype)
        next_lo = max(0, stop - margin)
        if next_lo > lo:
            carry = float(acc[next_lo - 1 - lo])
        unlimited = x[:, next_lo - lo:stop - lo]
    return worst
