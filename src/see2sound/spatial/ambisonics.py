"""First-order ambisonics, AmbiX: ACN channel order W, Y, Z, X with SN3D.

A plane wave from (azimuth, elevation) with signal s encodes as
W = s, Y = s sin(az) cos(el), Z = s sin(el), X = s cos(az) cos(el) (SPEC §3).

Contents
--------
encode_gains         FOA gains [shape=(n, 4)] for directions
binaural_decoder     FOA -> headphones filters through virtual loudspeakers
decode_binaural      a whole FOA signal to binaural (previewing a 360 mix)
CUBE                 the 8 virtual loudspeaker directions of the decoder
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft

from .engine import OverlapAdd
from .geometry import to_unit_vector
from .hrtf import HRTF

#: Cube corners (a spherical 3-design: first order is decoded exactly).
CUBE = to_unit_vector([45.0, 135.0, -135.0, -45.0] * 2, [35.26439] * 4 + [-35.26439] * 4)
#: max-rE weight of the first order in 3D (Zotter & Frank, Ambisonics, 2019, eq. 4.36).
MAX_RE_ORDER1 = float(np.cos(np.radians(137.9 / 2.51)))
#: Crossover between the basic decode (exact ITD cues) and max-rE (sharp energy).
DUAL_BAND_HZ = (500.0, 1000.0)
#: The decoder filters are delayed by this much so the band split stays causal.
DECODER_DELAY_SAMPLES = 64


def encode_gains(directions: np.ndarray) -> np.ndarray:
    """AmbiX gains [shape=(n, 4)] (W, Y, Z, X) for unit vectors [shape=(n, 3)]."""
    d = np.atleast_2d(np.asarray(directions, dtype=np.float64))
    return np.column_stack([np.ones(len(d)), d[:, 1], d[:, 2], d[:, 0]])


def binaural_decoder(hrtf: HRTF) -> np.ndarray:
    """FIR filters [shape=(4, 2, taps)] from AmbiX channels to the left and right ear.

    A sampling decoder onto the cube's 8 virtual loudspeakers, each heard
    through the HRTF; dual-band: basic weights below ~500 Hz, max-rE above 1 kHz.
    """
    n_fft = int(2 ** np.ceil(np.log2(hrtf.length + 4 * DECODER_DELAY_SAMPLES)))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / hrtf.sample_rate)
    lo, hi = DUAL_BAND_HZ
    x = np.clip(np.log(np.maximum(freqs, 1.0) / lo) / np.log(hi / lo), 0.0, 1.0)
    order1_weight = 1.0 + (MAX_RE_ORDER1 - 1.0) * np.sin(0.5 * np.pi * x) ** 2
    speakers = hrtf.spectra(CUBE, n_fft)  # (8, 2, bins)
    k = len(CUBE)
    # Speaker feed k = (W + 3 a1(f) u_k . (X, Y, Z)) / K, as rows over (W, Y, Z, X).
    rows = np.stack([np.ones(k), 3 * CUBE[:, 1], 3 * CUBE[:, 2], 3 * CUBE[:, 0]])  # (4, 8)
    weights = np.where(np.arange(4)[:, None] == 0, 1.0, order1_weight[None, :])  # (4, bins)
    spectra = np.einsum("ck,cf,kef->cef", rows / k, weights, speakers)
    spectra *= np.exp(-2j * np.pi * np.arange(len(freqs)) * DECODER_DELAY_SAMPLES / n_fft)
    return sfft.irfft(spectra, n_fft, axis=-1).astype(np.float32)


def decode_binaural(foa: np.ndarray, hrtf: HRTF, chunk: int = 1 << 18) -> np.ndarray:
    """Binaural [shape=(2, n)] from AmbiX [shape=(4, n)] at ``hrtf.sample_rate``.

    ``foa`` may be any array-like read as ``foa[:, a:b]`` (e.g. a disk buffer).
    The output is advanced by :data:`DECODER_DELAY_SAMPLES` so it lines up with the input.
    """
    filt = OverlapAdd(binaural_decoder(hrtf))
    n = foa.shape[-1]
    out = np.empty((2, n), dtype=np.float32)
    d = DECODER_DELAY_SAMPLES
    for start in range(0, n + d, chunk):
        x = np.zeros((4, min(chunk, n + d - start)), dtype=np.float32)
        part = np.asarray(foa[:, start:min(start + chunk, n)])
        x[:, : part.shape[-1]] = part
        y = filt.process(x)
        lo, hi = max(start, d), start + y.shape[-1]
        out[:, lo - d:hi - d] = y[:, lo - start:]
    return out
