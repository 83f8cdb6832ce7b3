"""Fitting a sound to the scene's length.

- A **loop** (a continuous bed: rain, an engine, applause) starts at a random
  point and is repeated with equal-power crossfades placed at quiet moments,
  so the seam is hard to hear.
- An **event** (a bark, a horn, a moo) happens now and then: first after a
  random short wait, then after random gaps of a few times its own length
  (never less than ``MIN_GAP_S``), each repeat a little louder or softer.
- Everything fades in and out over ``EDGE_FADE_S``.

Contents
--------
fit_loop, fit_events, fit
loop_timeline, events_timeline, fitted, edge_faded   the same, as ranged sounds (:mod:`.ranged`)
"""

from __future__ import annotations

import numpy as np

from .ranged import EdgeFaded, Timeline

CROSSFADE_S = 0.12
MIN_GAP_S = 2.0
EDGE_FADE_S = 0.05
QUIET_WINDOW_S = 0.05


def _quiet_point(x: np.ndarray, lo: int, hi: int, window: int) -> int:
    """The start of the quietest ``window`` between sample ``lo`` and ``hi``."""
    hi = max(lo + 1, min(hi, len(x) - window))
    if hi - lo <= 1:
        return lo
    # Each window's energy as a difference of running sums: O(n), where a convolution with the window is
    # O(n * window) (a tenth of a warm render). A sum of squares never decreases, so no energy is negative.
    total = np.concatenate(([0.0], np.cumsum(x[lo:hi + window].astype(np.float64) ** 2)))
    energy = total[window:window + hi - lo] - total[: hi - lo]
    return lo + int(np.argmin(energy))


def fit_loop(x: np.ndarray, n: int, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` samples of ``x`` repeated from a random start, seams crossfaded at quiet points."""
    return np.asarray(loop_timeline(x, n, sample_rate, rng))


def loop_timeline(x: np.ndarray, n: int, sample_rate: int, rng: np.random.Generator) -> Timeline:
    """:func:`fit_loop` as a :class:`~.ranged.Timeline`: each copy of ``x`` made when it is heard."""
    x = np.asarray(x, dtype=np.float32)
    xf = int(min(CROSSFADE_S * sample_rate, len(x) // 4))
    window = max(1, int(QUIET_WINDOW_S * sample_rate))
    timeline = Timeline(n)
    pos = 0
    start = int(rng.integers(0, max(1, len(x) - xf)))
    fade_in = (np.sin(np.linspace(0, np.pi / 2, xf)) if xf > 1 else np.ones(0)).astype(np.float32)

    def piece(start: int, stop: int, first: bool) -> np.ndarray:
        piece = x[start:stop + xf].copy()
        if not first and xf > 1:
            piece[:xf] *= fade_in
        if xf > 1 and len(piece) > xf:
            piece[-xf:] *= fade_in[::-1]
        return piece

    while pos < n:
        # Play from `start` to a quiet point in the last third of the clip, then cross into the next copy.
        stop = _quiet_point(x, start + (len(x) - start) * 2 // 3, len(x) - xf, window) if xf > 1 else len(x)
        length = len(x[start:stop + xf])
        timeline.add(pos, length, lambda start=start, stop=stop, first=pos == 0: piece(start, stop, first))
        pos += max(1, length - xf)
        start = _quiet_point(x, 0, len(x) // 3, window) if xf > 1 else 0
    return timeline


def fit_events(x: np.ndarray, n: int, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` samples with ``x`` occurring now and then."""
    return np.asarray(events_timeline(x, n, sample_rate, rng))


def events_timeline(x: np.ndarray, n: int, sample_rate: int, rng: np.random.Generator) -> Timeline:
    """:func:`fit_events` as a :class:`~.ranged.Timeline`."""
    x = np.asarray(x, dtype=np.float32)
    timeline = Timeline(n)
    length_s = len(x) / sample_rate
    t = rng.uniform(0.1, min(1.5, max(0.2, n / sample_rate / 3)))
    while t * sample_rate < n:
        gain = np.float32(10 ** (rng.uniform(-3.0, 1.0) / 20))
        timeline.add(int(t * sample_rate), len(x), lambda gain=gain: gain * x)
        t += length_s + max(MIN_GAP_S, rng.exponential(2.0 * length_s + 1.5))
    return timeline


def fit(x: np.ndarray, kind: str, duration_s: float, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """A mono float32 signal of exactly round(duration_s * sample_rate) samples."""
    return np.asarray(fitted(x, kind, duration_s, sample_rate, rng))


def fitted(x: np.ndarray, kind: str, duration_s: float, sample_rate: int, rng: np.random.Generator) -> EdgeFaded:
    """:func:`fit` as a ranged sound (:mod:`.ranged`): made a stretch at a time, the same samples."""
    n = max(1, int(round(duration_s * sample_rate)))
    timeline = loop_timeline(x, n, sample_rate, rng) if kind == "loop" else events_timeline(x, n, sample_rate, rng)
    return edge_faded(timeline, sample_rate)


def edge_faded(sound, sample_rate: int) -> EdgeFaded:
    """A ranged sound faded in and out as :func:`edge_fade` fades an array."""
    return EdgeFaded(sound, int(EDGE_FADE_S * sample_rate))


def edge_fade(y: np.ndarray, sample_rate: int) -> np.ndarray:
    m = min(len(y) // 2, int(EDGE_FADE_S * sample_rate))
    if m > 1:
        ramp = np.sin(np.linspace(0, np.pi / 2, m)) ** 2
        y[:m] *= ramp
        y[-m:] *= ramp[::-1]
    return y
