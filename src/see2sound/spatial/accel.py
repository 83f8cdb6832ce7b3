"""The optional numba accelerator of the block engine (``pip install see2sound[fast]``).

One fused kernel does, for one moving source, what :func:`.filterbank.accumulate`
does with numpy: every block end's transfer function (mixed spectra, delay,
air, near field) is made once, in a buffer of one channel's bins, and multiplied into the
two sums that use it, instead of going through memory several times, each
time with a new array. It follows the numpy code's order of operations, so
the two agree to float32 rounding (tests/spatial/test_engine.py checks it).

numba is imported on first use, and only if installed; ``SEE2SOUND_NUMBA=0``
in the environment turns the kernel off (numpy everywhere).

Contents
--------
kernel     the compiled kernel, or None (numba missing or turned off)
available  whether numba can be imported at all
"""

from __future__ import annotations

import math
import os

import numpy as np

#: The environment variable that turns the kernel off when set to 0.
ENV = "SEE2SOUND_NUMBA"
_compiled = None  # None: not tried yet; False: numba is missing


def available() -> bool:
    """Whether numba is installed (whatever :data:`ENV` says)."""
    return _compile() is not False


def kernel():
    """The compiled accumulate kernel, or None where numba is missing or ``SEE2SOUND_NUMBA=0``."""
    if os.environ.get(ENV, "").strip().lower() in ("0", "off", "false", "no"):
        return None
    return _compile() or None


def _compile():
    global _compiled
    if _compiled is None:
        try:
            import numba
        except ImportError:
            _compiled = False
        else:
            _compiled = numba.njit(cache=True, nogil=True, fastmath=True)(_accumulate)
    return _compiled


def _accumulate(x_spectra, spectra, flat, index, weight, delay, air, near, near_index, near_weight, n_fft,
                first_channel, y_now, y_prev):
    """One source of :func:`.filterbank.accumulate`: x_spectra [shape=(nb, bins)], index and weight
    [shape=(n, k)], delay [shape=(n, channels)], air [shape=(n, bins)] (empty: none), the near-field
    table ``near`` [shape=(rows, bins)] read at near_index with near_weight [shape=(n, channels, j)]
    (empty: none), the sums' channels from ``first_channel`` on; ``spectra`` is not read if ``flat``."""
    nb, bins = x_spectra.shape
    n, k_count = index.shape
    channels = delay.shape[1]
    step = int(math.ceil(math.sqrt(bins)))
    n_coarse = (bins + step - 1) // step
    fine = np.empty(step, dtype=np.complex64)
    h = np.empty(bins, dtype=np.complex64)
    for b in range(n):
        for c in range(channels):
            if flat:
                total = np.float32(0.0)
                for k in range(k_count):
                    total += weight[b, k]
                for f in range(bins):
                    h[f] = total
            else:
                row, w = index[b, 0], weight[b, 0]
                for f in range(bins):
                    h[f] = w * spectra[row, c, f]
                for k in range(1, k_count):
                    row, w = index[b, k], weight[b, k]
                    for f in range(bins):
                        h[f] += w * spectra[row, c, f]
            # The delay's phasors as in delay_phasors: coarse and fine tables by recurrence in complex128.
            r = np.exp(-2j * np.pi * delay[b, c] / n_fft)
            p = 1.0 + 0.0j
            for j in range(step):
                fine[j] = np.complex64(p)
                p *= r
            big = np.exp(-2j * np.pi * (delay[b, c] * step) / n_fft)
            q = 1.0 + 0.0j
            for i in range(n_coarse):
                cq = np.complex64(q)
                lo = i * step
                for j in range(min(step, bins - lo)):
                    h[lo + j] *= cq * fine[j]
                q *= big
            if air.shape[0] > 0:
                for f in range(bins):
                    h[f] *= air[b, f]
            if near_index.shape[0] > 0:  # as FilterBank.near_response: the rows summed in order
                for f in range(bins):
                    v = near_weight[b, c, 0] * near[near_index[b, c, 0], f]
                    for j in range(1, near_index.shape[2]):
                        v += near_weight[b, c, j] * near[near_index[b, c, j], f]
                    h[f] *= v
            # Block b - 1 ends with this filter, block b starts with it.
            out = first_channel + c
            if 1 <= b < nb:
                for f in range(bins):
                    v = h[f]
                    y_now[b - 1, out, f] += x_spectra[b - 1, f] * v
                    y_prev[b, out, f] += x_spectra[b, f] * v
            elif b >= 1:
                for f in range(bins):
                    y_now[b - 1, out, f] += x_spectra[b - 1, f] * h[f]
            else:
                for f in range(bins):
                    y_prev[b, out, f] += x_spectra[b, f] * h[f]
