"""Real spherical harmonics, AmbiX convention (ACN order, SN3D, no Condon-Shortley phase).

The harmonic of degree n and index m (-n <= m <= n) sits in ACN channel
n^2 + n + m and is, for a direction at azimuth az and elevation el (SPEC §1),

    Y_n^m = N_n^|m| P_n^|m|(sin el) * (cos(m az) for m >= 0, sin(|m| az) for m < 0),
    N_n^|m| = sqrt((2 - delta_m0) (n - |m|)! / (n + |m|)!),

with P_n^m the associated Legendre function without the (-1)^m phase
(Nachbar, Zotter, Deleflie and Sontacchi, "AmbiX - a suggested ambisonics
format", 2011; Zotter and Frank, "Ambisonics", Springer 2019, sec. 4.5).
Order 1 is W = 1, Y = y, Z = z, X = x for a unit vector (x, y, z).

SN3D harmonics obey the addition theorem sum_m Y_n^m(u) Y_n^m(v) = P_n(u . v),
and over the sphere the mean of (Y_n^m)^2 is 1 / (2n + 1): the expected
power of each channel of degree n in an isotropic diffuse field, relative to W.

They are computed from the unit vector, without angles: cos^|m| el times
cos(m az) and sin(m az) are the real and imaginary parts of (x + iy)^|m|, and
P_n^|m|(z) / cos^|m| el is a polynomial in z, built by the usual three-term
recurrence over n.

Contents
--------
channels_for_order   (N + 1)^2
order_for_channels   N from a channel count, or None
degrees              the degree n of each ACN channel [shape=((N + 1)^2,)]
sn3d                 the harmonics [shape=(k, (N + 1)^2)] of unit vectors [shape=(k, 3)]
diffuse_weights      1 / (2n + 1) per channel: an isotropic field's channel powers
in_phase_weights     per-degree weights of the side-lobe-free beam of order N
fibonacci_grid       nearly uniform directions, equal weights (for fits over the sphere)
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ParameterError

#: The highest order see2sound computes (its formats go up to 3).
MAX_ORDER = 7


def channels_for_order(order: int) -> int:
    """(order + 1)^2 channels."""
    return (int(order) + 1) ** 2


def order_for_channels(channels: int) -> int | None:
    """The order N of an ambisonic signal with ``channels`` = (N + 1)^2 channels, else None."""
    order = math.isqrt(int(channels)) - 1
    return order if order >= 1 and channels_for_order(order) == channels else None


def degrees(order: int) -> np.ndarray:
    """The degree n of each ACN channel up to ``order`` [shape=((order + 1)^2,)]: 0, 1, 1, 1, 2, ..."""
    return np.concatenate([np.full(2 * n + 1, n) for n in range(int(order) + 1)])


def _check_order(order: int) -> int:
    if not isinstance(order, (int, np.integer)) or not 0 <= order <= MAX_ORDER:
        raise ParameterError("order", f"must be a whole number from 0 to {MAX_ORDER}, got {order!r}")
    return int(order)


def sn3d(directions: np.ndarray, order: int) -> np.ndarray:
    """ACN/SN3D real spherical harmonics [shape=(k, (order + 1)^2)] of unit vectors [shape=(k, 3)].

    A plane wave from direction u with signal s is the AmbiX signal ``sn3d(u, N)[0] * s``.

    Examples
    --------
    >>> np.round(sn3d(np.array([[0.0, 1.0, 0.0]]), 2), 3)  # from the left: W Y Z X V T R S U
    array([[ 1.   ,  1.   ,  0.   ,  0.   ,  0.   ,  0.   , -0.5  ,  0.   , -0.866]])
    """
    order = _check_order(order)
    d = np.atleast_2d(np.asarray(directions, dtype=np.float64))
    x, y, z = d[:, 0], d[:, 1], d[:, 2]
    # cos^m(el) cos(m az) and cos^m(el) sin(m az): (x + iy)^m, by recurrence.
    cos_m, sin_m = [np.ones_like(x)], [np.zeros_like(x)]
    for _ in range(order):
        c, s = cos_m[-1], sin_m[-1]
        cos_m.append(x * c - y * s)
        sin_m.append(x * s + y * c)
    # q[n][m] = P_n^m(z) / cos^m(el), without the Condon-Shortley phase.
    q = [[np.ones_like(z)]]
    for n in range(1, order + 1):
        row = []
        for m in range(n + 1):
            if m == n:
                row.append((2 * m - 1) * q[n - 1][m - 1])  # (2m - 1)!!, a constant
            elif m == n - 1:
                row.append((2 * m + 1) * z * q[n - 1][m])
            else:
                row.append(((2 * n - 1) * z * q[n - 1][m] - (n + m - 1) * q[n - 2][m]) / (n - m))
        q.append(row)
    out = np.empty((len(d), channels_for_order(order)))
    for n in range(order + 1):
        for m in range(-n, n + 1):
            a = abs(m)
            norm = math.sqrt((1 if m == 0 else 2) * math.factorial(n - a) / math.factorial(n + a))
            trig = cos_m[a] if m >= 0 else sin_m[a]
            out[:, n * n + n + m] = norm * q[n][a] * trig
    return out


def diffuse_weights(order: int) -> np.ndarray:
    """1 / (2n + 1) per ACN channel: the mean of each SN3D harmonic squared over the sphere."""
    return 1.0 / (2.0 * degrees(order) + 1.0)


def in_phase_weights(order: int) -> np.ndarray:
    """Per-degree weights a_n [shape=(order + 1,)] of the in-phase beam (no side lobes).

    a_n = N! (N + 1)! / ((N + n + 1)! (N - n)!) (Daniel 2001; Zotter and Frank
    2019, sec. 4.7); at order 1, a_1 = 1/3, which makes the beam a cardioid.
    """
    N = _check_order(order)
    return np.array([math.factorial(N) * math.factorial(N + 1)
                     / (math.factorial(N + n + 1) * math.factorial(N - n)) for n in range(N + 1)])


def fibonacci_grid(count: int) -> np.ndarray:
    """``count`` nearly uniform unit vectors [shape=(count, 3)] on a Fibonacci spiral (equal areas)."""
    i = np.arange(count) + 0.5
    z = 1.0 - 2.0 * i / count
    azimuth = np.pi * (1.0 + 5.0 ** 0.5) * i
    r = np.sqrt(1.0 - z * z)
    return np.column_stack([r * np.cos(azimuth), r * np.sin(azimuth), z])
