"""Ambisonics, AmbiX: ACN channel order, SN3D normalisation, orders 1 to 3.

A plane wave from (azimuth, elevation) with signal s encodes as s times the
real spherical harmonics of its direction (:mod:`.harmonics`); at first order
W = s, Y = s sin(az) cos(el), Z = s sin(el), X = s cos(az) cos(el) (SPEC §3).

Binaural decoding depends on the order:

- **first order** (``foa``): a sampling decoder onto a cube of 8 virtual
  loudspeakers heard through the HRTF, dual-band (basic weights below
  ~500 Hz, max-rE above 1 kHz);
- **higher orders** (``hoa2``, ``hoa3``): magnitude least squares fitted to
  the HRTF (:mod:`.magls`).

Either way the filters are delayed by :data:`DECODER_DELAY_SAMPLES`, which
:func:`decode_binaural` takes off again.

Contents
--------
encode_gains         AmbiX gains [shape=(n, (N+1)^2)] for directions
binaural_decoder     AmbiX -> headphones filters (cube at order 1, MagLS above)
decoder_description  what the decoder of an order is, in words (render reports)
decode_binaural      a whole AmbiX signal to binaural (previewing a 360 mix)
CUBE                 the 8 virtual loudspeaker directions of the first-order decoder
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.fft as sfft

from ..errors import ParameterError
from . import harmonics
from .engine import OverlapAdd
from .geometry import to_unit_vector
from .hrtf import HRTF

#: Cube corners (a spherical 3-design: first order is decoded exactly).
CUBE = to_unit_vector([45.0, 135.0, -135.0, -45.0] * 2, [35.26439] * 4 + [-35.26439] * 4)
#: max-rE weight of the first order in 3D (Zotter & Frank, Ambisonics, 2019, eq. 4.36).
MAX_RE_ORDER1 = float(np.cos(np.radians(137.9 / 2.51)))
#: Crossover between the basic decode (exact ITD cues) and max-rE (sharp energy).
DUAL_BAND_HZ = (500.0, 1000.0)
#: The decoder filters are delayed by this much so the band split (and MagLS's ringing) stays causal.
DECODER_DELAY_SAMPLES = 64


def encode_gains(directions: np.ndarray, order: int = 1) -> np.ndarray:
    """AmbiX gains [shape=(n, (order+1)^2)] for unit vectors [shape=(n, 3)]: W, Y, Z, X at order 1."""
    if order == 1:  # the same values as harmonics.sn3d(d, 1), bit for bit as before, on the hot path
        d = np.atleast_2d(np.asarray(directions, dtype=np.float64))
        return np.column_stack([np.ones(len(d)), d[:, 1], d[:, 2], d[:, 0]])
    return harmonics.sn3d(directions, order)


def binaural_decoder(hrtf: HRTF, order: int = 1) -> np.ndarray:
    """FIR filters [shape=((order+1)^2, 2, taps)] from AmbiX channels to the left and right ear.

    Order 1: a sampling decoder onto the cube's 8 virtual loudspeakers, each
    heard through the HRTF; dual-band: basic weights below ~500 Hz, max-rE
    above 1 kHz. Higher orders: MagLS (:func:`.magls.magls_decoder`), designed
    once per HRTF and order in a process (read-only filters).
    """
    if order != 1:
        return _magls_decoder(hrtf, order)
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


@functools.lru_cache(maxsize=4)
def _magls_decoder(hrtf: HRTF, order: int) -> np.ndarray:
    from .magls import magls_decoder

    filters = magls_decoder(hrtf, order, delay_samples=DECODER_DELAY_SAMPLES)
    filters.setflags(write=False)
    return filters


def decoder_description(order: int) -> str:
    """The binaural decoder of ``order``, in words: ``"virtual cube through the HRTF"`` at order 1."""
    return "virtual cube through the HRTF" if order == 1 else "MagLS fitted to the HRTF"


def decode_binaural(audio: np.ndarray, hrtf: HRTF, chunk: int = 1 << 18, *, order: int | None = None) -> np.ndarray:
    """Binaural [shape=(2, n)] from AmbiX [shape=((order+1)^2, n)] at ``hrtf.sample_rate``.

    ``audio`` may be any array-like read as ``audio[:, a:b]`` (e.g. a disk
    buffer). ``order`` defaults to the one its channel count says (4, 9 or
    16 channels: 1, 2, 3). The output is advanced by
    :data:`DECODER_DELAY_SAMPLES` so it lines up with the input.
    """
    channels = audio.shape[0]
    if order is None:
        order = harmonics.order_for_channels(channels)
    if order is None or harmonics.channels_for_order(order) != channels:
        raise ParameterError("audio", f"{channels} channels are not AmbiX of order {order or '1, 2 or 3'} "
                                      "(4, 9 or 16 channels)")
    filt = OverlapAdd(binaural_decoder(hrtf, order))
    n = audio.shape[-1]
    out = np.empty((2, n), dtype=np.float32)
    d = DECODER_DELAY_SAMPLES
    for start in range(0, n + d, chunk):
        x = np.zeros((channels, min(chunk, n + d - start)), dtype=np.float32)
        part = np.asarray(audio[:, start:min(start + chunk, n)])
        x[:, : part.shape[-1]] = part
        y = filt.process(x)
        lo, hi = max(start, d), start + y.shape[-1]
        out[:, lo - d:hi - d] = y[:, lo - start:]
    return out
