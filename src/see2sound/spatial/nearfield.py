"""Sources nearer than 1 m: the distance-variation function of a spherical head.

An HRTF is measured far from the head (MIT KEMAR at 1.4 m). Closer in, the
ear nearer the source gets louder than the 1/r law at the head centre says,
the far ear is shadowed more, and the paths round the head lengthen: the
interaural level difference grows strongly, the time difference a little
(Brungart & Rabinowitz 1999). A rigid sphere shows all of it. Its response
at a point on its surface to a point source at distance r, relative to the
free field at the centre (Duda & Martens 1998, eq. 4, with mu = 2 pi f a / c
and rho = r / a)::

    H(rho, mu, theta) = -(rho / mu) exp(-i mu rho)
                        sum_m (2m + 1) P_m(cos theta) h_m(mu rho) / h_m'(mu)

and the distance-variation function (DVF) of Kan, Jin & van Schaik (2009)
is its ratio to the response at the distance where the far field starts,
``DVF = H(r) / H(r_far)``, per ear, theta being the angle between the source
(seen from the head centre) and that ear. A near source is rendered as the
measured HRTF of its direction times each ear's DVF, at the level 1/r of the
head centre relative to 1 m (:func:`~.distance.distance_gain` with
``nearest_m=NEAREST_M``): the DVF brings each ear's own level and
diffraction, so nothing is counted twice.

The DVF is tabulated once over distance (even steps of 1/r from
:data:`FAR_M` to :data:`NEAREST_M`), angle to the ear (every
:data:`ANGLE_STEP_DEG`) and the block engine's FFT bins. Its low-frequency
phase is a delay (fitted below :data:`DELAY_BAND_HZ`, like the HRTF's own
delays) which joins each ear's delay in the steering; the table keeps the
rest, smooth enough to interpolate bilinearly between its rows. The table's
first row (1 m and beyond) is exactly 1, so sources from 1 m on sound
exactly as the measured HRTF says.

Conventions: SPEC §1 (x forward, y left); the ears are at +y (left) and -y
(right) on a sphere of radius ``head_radius_m``. Spectra follow numpy's FFT
sign (a delay tau is exp(-2 pi i f tau)).

Contents
--------
sphere_response  the Duda-Martens series, any distances, angles, frequencies
NearField        the tabulated DVF of one head: ``coordinates`` and ``table``
FAR_M, NEAREST_M, HEAD_RADIUS_M
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .distance import SPEED_OF_SOUND_M_S

#: From here on a source is in the far field: the measured HRTF as it is.
FAR_M = 1.0
#: Nearer sources are rendered as if at this distance (the model needs a gap between source and ear).
NEAREST_M = 0.15
#: A spherical head's radius when the SOFA file gives none (Duda & Martens's 8.75 cm).
HEAD_RADIUS_M = 0.0875
#: Table steps: distances (even in 1/r) and angles between source and ear.
DISTANCE_STEPS = 48
ANGLE_STEP_DEG = 2.5
#: Band over which each ear's DVF delay is fitted to its phase (as the HRTF's delays, :mod:`.hrtf`).
DELAY_BAND_HZ = 1500.0
#: The series stops once its terms fall under this fraction of its first (Duda & Martens use 1e-6).
THRESHOLD = 1e-10
MAX_TERMS = 1000


def sphere_response(distance_m, angle_rad, frequency_hz, head_radius_m: float = HEAD_RADIUS_M, *,
                    threshold: float = THRESHOLD) -> np.ndarray:
    """Pressure on a rigid sphere relative to the free field at its centre [shape=(r, angles, f), complex128].

    ``distance_m`` [shape=(r,)] of the source from the centre (more than
    ``head_radius_m``), ``angle_rad`` [shape=(angles,)] between the source
    and the point on the surface, ``frequency_hz`` [shape=(f,)] above 0.
    Duda & Martens (1998): the series summed term by term until the terms
    fall under ``threshold`` of the first. Spherical Hankel functions enter
    only as ratios h_m / h_(m-1), by their upward recurrence, so nothing
    overflows at high orders.

    Examples
    --------
    >>> h = sphere_response([100.0], [0.0, np.pi], [20000.0])
    >>> bool(5.0 < 20 * np.log10(abs(h[0, 0, 0])) < 7.0)  # pressure doubling at the near ear
    True
    """
    r = np.atleast_1d(np.asarray(distance_m, dtype=np.float64))
    theta = np.atleast_1d(np.asarray(angle_rad, dtype=np.float64))
    f = np.atleast_1d(np.asarray(frequency_hz, dtype=np.float64))
    mu = (2.0 * np.pi * head_radius_m / SPEED_OF_SOUND_M_S) * f[None, :]  # (1, f)
    x = mu * (r[:, None] / head_radius_m)  # mu rho, (r, f)
    # a_m(z) = h_m(z) / h_(m-1)(z): a_1 = 1/z - i, a_(m+1) = (2m + 1)/z - 1/a_m.
    a_mu, a_x = 1.0 / mu - 1j, 1.0 / x - 1j
    growth = np.ones_like(x, dtype=np.complex128)  # prod_k a_k(mu rho) / a_k(mu), k = 1 .. m
    terms = [np.broadcast_to(-1.0 / a_mu, x.shape)]  # m = 0: h_0' = -h_1
    first = np.abs(terms[0])
    for m in range(1, MAX_TERMS):
        growth = growth * (a_x / a_mu)
        term = (2 * m + 1) * growth / (1.0 / a_mu - (m + 1) / mu)  # h_m' = h_(m-1) - (m+1)/z h_m
        terms.append(term)
        if m > 2 and np.all(np.abs(term) < threshold * first):
            break
        a_mu, a_x = (2 * m + 1) / mu - 1.0 / a_mu, (2 * m + 1) / x - 1.0 / a_x
    orders = np.arange(len(terms))
    from scipy.special import eval_legendre

    legendre = eval_legendre(orders[:, None], np.cos(theta)[None, :])  # (m, angles)
    stacked = np.stack(terms).reshape(len(terms), -1)  # (m, r * f): one complex matrix product (BLAS)
    series = (legendre.T.astype(np.complex128) @ stacked).reshape(len(theta), len(r), -1).transpose(1, 0, 2)
    # -(rho/mu) e^(-i mu rho) h_0(mu rho)/h_0(mu) = -e^(-i mu)/mu; conjugated for numpy's FFT sign.
    return np.conj(-np.exp(-1j * mu)[:, None, :] / mu[:, None, :] * series)


class NearField:
    """The DVF of a spherical head, tabulated for a render.

    Parameters
    ----------
    head_radius_m : float
    far_m : float
        Where the far field starts (the DVF is 1 from there on): :data:`FAR_M`,
        or the HRTF's measurement distance if that is nearer.
    """

    def __init__(self, head_radius_m: float = HEAD_RADIUS_M, far_m: float = FAR_M):
        if not 0.0 < head_radius_m < NEAREST_M < far_m:
            raise ValueError(f"need 0 < head radius ({head_radius_m:g}) < {NEAREST_M:g} < far_m ({far_m:g})")
        self.head_radius_m = float(head_radius_m)
        self.far_m = float(far_m)
        #: Table rows: distances [shape=(DISTANCE_STEPS,)], first FAR_M, and angles in radians.
        self.distances_m = 1.0 / np.linspace(1.0 / self.far_m, 1.0 / NEAREST_M, DISTANCE_STEPS)
        self.distances_m[0] = self.far_m
        self.angles = np.radians(np.arange(0.0, 180.0 + ANGLE_STEP_DEG / 2, ANGLE_STEP_DEG))
        self._delays_s = self._fit_delays()

    def _dvf(self, frequency_hz: np.ndarray) -> np.ndarray:
        """H(r) / H(far_m) [shape=(distances, angles, f)] at frequencies above 0."""
        h = sphere_response(np.concatenate([[self.far_m], self.distances_m[1:]]), self.angles, frequency_hz,
                            self.head_radius_m)
        return h / h[:1]

    def _fit_delays(self) -> np.ndarray:
        """Each row's delay in seconds [shape=(distances, angles)]: least squares on the phase below DELAY_BAND_HZ."""
        f = np.linspace(DELAY_BAND_HZ / 30, DELAY_BAND_HZ, 30)
        phase = np.unwrap(np.angle(self._dvf(np.concatenate([[1.0], f]))), axis=-1)
        phase = phase[..., 1:] - phase[..., :1]
        omega = 2.0 * np.pi * f
        delays = -np.sum(phase * omega, axis=-1) / np.sum(omega * omega)
        delays[0] = 0.0
        return delays

    def max_delay_samples(self, sample_rate: int) -> int:
        """The most a DVF delays an ear, in whole samples (the block engine makes room for it)."""
        return int(math.ceil(max(self._delays_s.max(), 0.0) * sample_rate))

    def table(self, n_fft: int, sample_rate: int) -> np.ndarray:
        """The DVF less its delay [shape=(distances * angles, n_fft//2+1), complex64]; row = distance * angles + angle."""
        return _table(self.head_radius_m, self.far_m, int(n_fft), int(sample_rate))

    def _compute_table(self, n_fft: int, sample_rate: int) -> np.ndarray:
        f = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
        dvf = np.ones((len(self.distances_m), len(self.angles), len(f)), dtype=np.complex64)
        far = sphere_response([self.far_m], self.angles, f[1:], self.head_radius_m)
        for lo in range(1, len(self.distances_m), 8):  # a few distances at a time: the series' terms are large
            rows = slice(lo, min(lo + 8, len(self.distances_m)))
            ratio = sphere_response(self.distances_m[rows], self.angles, f[1:], self.head_radius_m) / far
            ratio *= np.exp(2j * np.pi * f[1:] * self._delays_s[rows, :, None])
            dvf[rows, :, 1:] = ratio
        return dvf.reshape(-1, len(f))

    def coordinates(self, directions: np.ndarray, distance_m: np.ndarray):
        """Where the table is read for sources at directions [shape=(n, 3)] and distances [shape=(n,)].

        Returns rows [shape=(n, 2, 4), int32] and bilinear weights
        [shape=(n, 2, 4), float32] for the left and right ear, and each ear's
        DVF delay [shape=(n, 2)] in seconds. Sources from ``far_m`` on read
        the first row alone, with weight 1 and no delay.
        """
        d = np.atleast_2d(np.asarray(directions, dtype=np.float64))
        d = d / np.linalg.norm(d, axis=1, keepdims=True)
        r = np.clip(np.asarray(distance_m, dtype=np.float64).reshape(-1), NEAREST_M, self.far_m)
        inverse = 1.0 / self.distances_m
        pos_r = np.clip((1.0 / r - inverse[0]) / (inverse[-1] - inverse[0]) * (len(inverse) - 1), 0.0,
                        len(inverse) - 1)
        r0 = np.minimum(pos_r.astype(np.int64), len(inverse) - 2)
        fr = pos_r - r0
        theta = np.arccos(np.clip(np.stack([d[:, 1], -d[:, 1]], axis=1), -1.0, 1.0))  # to the left, right ear
        pos_a = theta / np.radians(ANGLE_STEP_DEG)
        a0 = np.minimum(pos_a.astype(np.int64), len(self.angles) - 2)
        fa = pos_a - a0
        n_a = len(self.angles)
        rows = np.stack([r0[:, None] * n_a + a0, r0[:, None] * n_a + a0 + 1,
                         (r0[:, None] + 1) * n_a + a0, (r0[:, None] + 1) * n_a + a0 + 1], axis=-1)
        fr = fr[:, None]
        weights = np.stack([(1 - fr) * (1 - fa), (1 - fr) * fa, fr * (1 - fa), fr * fa], axis=-1)
        far = np.asarray(distance_m, dtype=np.float64).reshape(-1) >= self.far_m
        rows[far], weights[far] = 0, (1.0, 0.0, 0.0, 0.0)
        delays = np.einsum("nek,nek->ne", weights, self._delays_s.reshape(-1)[rows])
        return rows.astype(np.int32), weights.astype(np.float32), delays


@functools.lru_cache(maxsize=4)
def _table(head_radius_m: float, far_m: float, n_fft: int, sample_rate: int) -> np.ndarray:
    return NearField(head_radius_m, far_m)._compute_table(n_fft, sample_rate)
