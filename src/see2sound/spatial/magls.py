"""Binaural decoding of higher-order ambisonics by magnitude least squares (MagLS).

A binaural decoder is a pair of filters per AmbiX channel. It is fitted, bin
by bin, so that a plane wave encoded at order N and decoded comes out as the
HRTF of its direction, over a nearly uniform grid of :data:`GRID_POINTS`
directions (the HRTF in use, interpolated there; equal weights):

- **below** :data:`CUTOFF_HZ`: least squares on the complex HRTFs,
  D(f) = H(f) Y^+ with Y the grid's SN3D harmonics [shape=(grid, (N+1)^2)]. At
  low frequencies the HRTFs are smooth over the sphere, so order 3 fits them
  closely, interaural time differences included.
- **above**: least squares on the magnitudes only (Schörkhuber, Zaunschirm and
  Höldrich, "Binaural rendering of Ambisonic signals via magnitude least
  squares", DAGA 2018; Zotter and Frank, "Ambisonics", 2019, sec. 4.11.2).
  There the HRTFs' phase varies too fast over direction for order N to follow,
  and what is heard is the magnitude (the interaural level difference,
  spectral colour). Each bin's target is |H(f)| with the phase that the
  previous bin's decoder gives on the grid, so the phase stays continuous
  over frequency and the filters short.
- **diffuse-field covariance constraint** (optional, off by default;
  Zaunschirm, Schörkhuber and Höldrich, "Binaural rendering of Ambisonic
  signals by head-related impulse response time alignment and a diffuseness
  constraint", JASA 2018; Zotter and Frank sec. 4.11.3): a 2 x 2 matrix K(f) per bin mixes the two ears'
  filters so that in an isotropic diffuse field the decode has the HRTF
  set's ear powers and interaural coherence, R = E_grid[H H^H]. With
  R = L L^H and the decoder's own covariance R^ = L^ L^^H (Cholesky factors),
  K = L Q L^^-1 meets K R^ K^H = R for any unitary Q; Q = V U^H from the
  SVD L^^H L = U S V^H is the one that changes the decode least
  (maximises Re tr(K R^)). Below the cutoff K is the identity to within a
  few per cent. It is off by default because it costs plane waves their
  level differences: with the bundled KEMAR set at order 3 it moves the ILD
  of a source at 60 deg azimuth 1.6 dB from the HRTF's, against 0.3 dB
  without it (benchmarks/results-hoa.md).

No max-rE weighting is applied: with MagLS at order 3 the high band is
already fitted to the HRTF magnitudes rather than panned over virtual
loudspeakers (max-rE belongs to the loudspeaker-style decoder of
:mod:`.ambisonics`, which first order keeps).

Contents
--------
magls_spectra    decoder transfer functions [shape=((N+1)^2, 2, bins)]
magls_decoder    decoder filters [shape=((N+1)^2, 2, taps)]
CUTOFF_HZ, GRID_POINTS
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft

from . import harmonics
from .hrtf import HRTF

#: Least squares on the complex HRTFs below, on their magnitudes above (Schörkhuber et al. use 2 kHz).
CUTOFF_HZ = 2000.0
#: Directions of the fit: enough for order 7 to be sampled several times over.
GRID_POINTS = 1024
#: The filters' tail fades out over this fraction of their length (cos^2).
FADE_FRACTION = 0.15


def magls_spectra(hrtf: HRTF, order: int, n_fft: int, *, cutoff_hz: float = CUTOFF_HZ,
                  covariance: bool = False) -> np.ndarray:
    """MagLS decoder transfer functions [shape=((order+1)^2, 2, n_fft//2+1), complex128], AmbiX in, ears out.

    Ear e of the decode is sum over channels c of channel c filtered by
    ``result[c, e]``. The HRTF's own delays (lead-in and interaural) are kept.
    """
    grid = harmonics.fibonacci_grid(GRID_POINTS)
    y = harmonics.sn3d(grid, order)  # (G, C)
    y_pinv = np.linalg.solve(y.T @ y, y.T)  # (C, G); the grid samples order N many times over
    freqs = np.fft.rfftfreq(n_fft, 1.0 / hrtf.sample_rate)
    # The fit is made without the HRTFs' common delay, and the delay put back after: the phase that
    # the magnitude fit carries from bin to bin then stays near that of the HRTFs' onset.
    common = np.exp(-2j * np.pi * freqs * _common_delay_samples(hrtf) / hrtf.sample_rate)
    target = hrtf.spectra(grid, n_fft) * common.conj()  # (G, 2, F)
    k_cut = int(np.searchsorted(freqs, cutoff_hz))
    decoder = np.empty((len(freqs), 2, y.shape[1]), dtype=np.complex128)  # (F, 2, C)
    decoder[:k_cut] = np.einsum("cg,gef->fec", y_pinv, target[..., :k_cut])
    magnitude = np.abs(target)
    for k in range(k_cut, len(freqs)):
        phase = np.angle(decoder[k - 1] @ y.T)  # (2, G): the previous bin's decode on the grid
        decoder[k] = (magnitude[..., k].T * np.exp(1j * phase)) @ y_pinv.T
    if covariance:
        decoder = _diffuse_covariance(decoder, target, y)
    return decoder.transpose(2, 1, 0) * common


def _common_delay_samples(hrtf: HRTF) -> float:
    """The median of the HRTF set's per-ear delays, in samples: where its responses start."""
    return float(np.median(hrtf.delays))


def _diffuse_covariance(decoder: np.ndarray, target: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``decoder`` [shape=(F, 2, C)] mixed per bin so its diffuse-field ear covariance is the HRTF set's."""
    g = len(y)
    wanted = np.einsum("gef,ghf->feh", target, target.conj()) / g  # (F, 2, 2) = E[H H^H]
    decoded = decoder @ y.T  # (F, 2, G)
    have = decoded @ decoded.conj().transpose(0, 2, 1) / g
    floor = 1e-12 * np.trace(wanted, axis1=1, axis2=2).real[:, None, None] * np.eye(2)
    lw = np.linalg.cholesky(wanted + floor)
    lh = np.linalg.cholesky(have + floor)
    u, _, vh = np.linalg.svd(lh.conj().transpose(0, 2, 1) @ lw)
    q = vh.conj().transpose(0, 2, 1) @ u.conj().transpose(0, 2, 1)
    mix = lw @ q @ np.linalg.inv(lh)
    return mix @ decoder


def magls_decoder(hrtf: HRTF, order: int, *, delay_samples: int = 0, covariance: bool = False) -> np.ndarray:
    """MagLS decoder filters [shape=((order+1)^2, 2, taps), float32] for AmbiX of ``order``.

    ``delay_samples`` delays every filter (room for what rings before the
    HRTF's onset). The filters are ``taps`` long, the power of two that holds
    the HRTF's length and four times the delay; their tail fades out over
    :data:`FADE_FRACTION`. They are fitted on twice as many bins.
    """
    taps = int(2 ** np.ceil(np.log2(hrtf.length + 4 * delay_samples)))
    n_fft = 2 * taps
    spectra = magls_spectra(hrtf, order, n_fft, covariance=covariance)
    bins = np.arange(spectra.shape[-1])
    spectra = spectra * np.exp(-2j * np.pi * bins * delay_samples / n_fft)
    filters = sfft.irfft(spectra, n_fft, axis=-1)[..., :taps]
    fade = max(1, int(FADE_FRACTION * taps))
    filters[..., taps - fade:] *= np.cos(0.5 * np.pi * np.arange(1, fade + 1) / fade) ** 2
    return filters.astype(np.float32)
