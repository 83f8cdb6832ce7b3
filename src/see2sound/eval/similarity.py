"""The audio similarity scores SEE-2-SOUND published, reimplemented and documented.

SEE-2-SOUND (Dagli et al., 2024) compared mono downmixes with these scores
(their ``evaluation.py`` and ``audio_similarity.py``). They are here so that
our outputs can be scored the same way; they say nothing about direction.
Features follow librosa's defaults, which the original used: 22.05 kHz mono,
pre-emphasis 0.97 (MFCC-DTW only), STFT n_fft 2048 / hop 512 / Hann, centred
with zero padding.

- **MFCC-DTW**: 13 MFCCs (128 Slaney mel bands, power in dB with an 80 dB
  floor, orthonormal DCT-II), dynamic time warping with Euclidean frame
  distance and steps (1,1), (1,0), (0,1); similarity 1 / (1 + distance).
  *Correct*: the distance is the optimal path's cost divided by its length.
  *Original* (``original=True``): the mean of the whole accumulated-cost
  matrix, which grows with the signals' length and mostly measures cells the
  path never visits.
- **ZCR**: 1 - |zcr_a - zcr_b|, zcr the fraction of sign changes (as original).
- **Chroma**: 1 - mean |chroma_a - chroma_b| over frames, chroma per frame
  scaled to a maximum of 1. The original used a constant-Q chroma; this one
  folds the STFT onto 12 pitch classes (A440, 1/3-semitone Gaussian bins),
  so values are close but not identical to the paper's.
- **Spectral contrast**: 6 octave bands from 200 Hz plus the rest, peak minus
  valley (top and bottom 2 % of each band) in dB; similarity 1 - mean |a - b|
  / max(|a|, |b|) (the original's normalisation).
- **Rhythm**: onsets from half-wave-rectified log-mel spectral flux with
  peak picking. *Correct*: rhythm is periodic structure, so the two
  onset-strength envelopes' autocorrelations (lags up to 4 s) are
  correlated, mapped to (r + 1) / 2: the same beat a few milliseconds later
  scores the same. *Original*: onsets as single-sample impulses correlated
  directly, which is near 0 unless the onsets fall in the same analysis frame.
- **SWASS** (their weighted combination): zcr 0.2, rhythm 0.2, chroma 0.2,
  spectral contrast 0.1, perceptual (STOI) 0.2 of what is available,
  renormalised. *Original*: its weight list is read one slot off, so
  spectral contrast takes the "energy envelope" weight and STOI the
  contrast's, and the weights sum to 0.8. STOI is not computed here (it
  needs pystoi); SWASS is then over the four others.

Contents
--------
mfcc, dtw, mfcc_dtw_similarity, zcr_similarity, chroma, chroma_similarity,
spectral_contrast, contrast_similarity, onset_strength, onsets,
rhythm_similarity, swass, compare
"""

from __future__ import annotations

import numpy as np
from scipy import fft as sfft
from scipy import signal

from ..io.audio import resample

RATE = 22050
N_FFT, HOP = 2048, 512
N_MELS, N_MFCC = 128, 13
SWASS_WEIGHTS = {"zcr": 0.2, "rhythm": 0.2, "chroma": 0.2, "spectral_contrast": 0.1, "perceptual": 0.2}
#: The original read its weight dict by position: [zcr, rhythm, chroma, energy_envelope, contrast, perceptual].
SWASS_ORIGINAL = {"zcr": 0.2, "rhythm": 0.2, "chroma": 0.2, "spectral_contrast": 0.1, "perceptual": 0.1}


def _power_spectrogram(y: np.ndarray, n_fft: int = N_FFT, hop: int = HOP) -> np.ndarray:
    y = np.pad(np.asarray(y, dtype=np.float64), (n_fft // 2, n_fft // 2))
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop]
    window = signal.get_window("hann", n_fft, fftbins=True)
    return (np.abs(sfft.rfft(frames * window, axis=1)) ** 2).T  # (bins, frames)


def _hz_to_mel(f):
    f = np.asarray(f, dtype=np.float64)
    lin = f / (200.0 / 3)
    return np.where(f >= 1000.0, 15.0 + np.log(np.maximum(f, 1e-9) / 1000.0) / (np.log(6.4) / 27.0), lin)


def _mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), m * (200.0 / 3))


def mel_filterbank(sr: int, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """Slaney-style mel filters [shape=(n_mels, n_fft//2+1)], area-normalised (librosa's default)."""
    freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sr / 2), n_mels + 2))
    lower = (freqs[None, :] - edges[:-2, None]) / np.diff(edges)[:-1, None]
    upper = (edges[2:, None] - freqs[None, :]) / np.diff(edges)[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    return weights * (2.0 / (edges[2:] - edges[:-2]))[:, None]


def _power_to_db(s: np.ndarray, top_db: float = 80.0) -> np.ndarray:
    db = 10.0 * np.log10(np.maximum(s, 1e-10))
    return np.maximum(db, db.max() - top_db)


def mfcc(y: np.ndarray, sr: int = RATE, n_mfcc: int = N_MFCC) -> np.ndarray:
    """MFCCs [shape=(n_mfcc, frames)] as librosa.feature.mfcc computes them by default."""
    mel = mel_filterbank(sr) @ _power_spectrogram(y)
    return sfft.dct(_power_to_db(mel), axis=0, type=2, norm="ortho")[:n_mfcc]


def dtw(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, int]:
    """Accumulated cost [shape=(n, m)] of Euclidean frame distance, and the optimal path's length.

    ``x`` [shape=(features, n)], ``y`` [shape=(features, m)]; steps (1,1), (1,0), (0,1), all weight 1.
    """
    cost = np.sqrt(np.maximum(((x.T[:, None, :] - y.T[None, :, :]) ** 2).sum(-1), 0.0))
    n, m = cost.shape
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    steps = np.zeros((n + 1, m + 1), dtype=np.int64)
    # Anti-diagonals depend only on the two before them: vectorise along each.
    for k in range(2, n + m + 1):
        i = np.arange(max(1, k - m), min(n, k - 1) + 1)
        j = k - i
        options = np.stack([acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1]])
        best = np.argmin(options, axis=0)
        acc[i, j] = cost[i - 1, j - 1] + options[best, np.arange(len(i))]
        prev = np.stack([steps[i - 1, j - 1], steps[i - 1, j], steps[i, j - 1]])
        steps[i, j] = prev[best, np.arange(len(i))] + 1
    return acc[1:, 1:], int(steps[n, m])


def _mono(y: np.ndarray, sr: int) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim > 1:
        y = y.mean(axis=0)
    return resample(y, sr, RATE) if sr != RATE else y


def mfcc_dtw_similarity(a: np.ndarray, b: np.ndarray, sr: int, *, original: bool = False) -> float:
    a, b = _mono(a, sr), _mono(b, sr)
    n = max(len(a), len(b))
    a, b = (np.pad(s, (0, n - len(s))) for s in (a, b))
    pre = [np.append(s[0], s[1:] - 0.97 * s[:-1]) for s in (a, b)]  # pre-emphasis
    acc, length = dtw(mfcc(pre[0]), mfcc(pre[1]))
    distance = float(np.mean(acc)) if original else float(acc[-1, -1] / max(length, 1))
    return 1.0 / (1.0 + distance)


def zcr(y: np.ndarray) -> float:
    return float(np.mean(np.abs(np.diff(np.sign(y))) > 0))


def zcr_similarity(a: np.ndarray, b: np.ndarray, sr: int) -> float:
    return 1.0 - abs(zcr(_mono(a, sr)) - zcr(_mono(b, sr)))


def chroma(y: np.ndarray, sr: int = RATE) -> np.ndarray:
    """STFT chroma [shape=(12, frames)], each frame scaled to a maximum of 1."""
    power = _power_spectrogram(y)
    freqs = np.linspace(0, sr / 2, power.shape[0])
    valid = freqs > 30.0
    pitch = 12 * np.log2(freqs[valid] / 440.0) + 69.0  # MIDI number
    classes = np.arange(12)
    dist = (pitch[None, :] - classes[:, None]) % 12
    dist = np.minimum(dist, 12 - dist)
    weights = np.exp(-0.5 * (dist / (1 / 3)) ** 2)  # 1/3-semitone Gaussian per pitch class
    c = weights @ power[valid]
    return c / np.maximum(c.max(axis=0, keepdims=True), 1e-12)


def chroma_similarity(a: np.ndarray, b: np.ndarray, sr: int) -> float:
    ca, cb = chroma(_mono(a, sr)), chroma(_mono(b, sr))
    n = min(ca.shape[1], cb.shape[1])
    return float(1.0 - np.mean(np.abs(ca[:, :n] - cb[:, :n])))


def spectral_contrast(y: np.ndarray, sr: int = RATE, n_bands: int = 6, fmin: float = 200.0,
                      quantile: float = 0.02) -> np.ndarray:
    """Octave-band spectral contrast in dB [shape=(n_bands + 1, frames)], librosa's definition.

    Bands: [0, fmin], then octaves up to fmin * 2**n_bands, the last running to
    Nyquist; each band borrows one bin below it. Peak and valley are the means
    of the top and bottom ``quantile`` of a band's magnitudes, converted with
    10 log10 as librosa does (it treats the magnitudes as power).
    """
    mag = np.sqrt(_power_spectrogram(y))
    freqs = np.linspace(0, sr / 2, mag.shape[0])
    edges = np.concatenate([[0.0], fmin * 2.0 ** np.arange(n_bands + 1)])
    peaks, valleys = [], []
    for k in range(n_bands + 1):
        band = (freqs >= edges[k]) & (freqs <= edges[k + 1])
        idx = np.flatnonzero(band)
        if k > 0:
            band[idx[0] - 1] = True
        if k == n_bands:
            band[idx[-1] + 1:] = True
        sub = mag[band]
        if k < n_bands:
            sub = sub[:-1]
        q = int(max(np.rint(quantile * band.sum()), 1))
        ordered = np.sort(sub, axis=0)
        valleys.append(ordered[:q].mean(0))
        peaks.append(ordered[-q:].mean(0))
    return _power_to_db(np.array(peaks)) - _power_to_db(np.array(valleys))


def contrast_similarity(a: np.ndarray, b: np.ndarray, sr: int) -> float:
    ca, cb = spectral_contrast(_mono(a, sr)), spectral_contrast(_mono(b, sr))
    n = min(ca.shape[1], cb.shape[1])
    ca, cb = ca[:, :n], cb[:, :n]
    return float(1.0 - np.mean(np.abs(ca - cb)) / max(np.max(np.abs(ca)), np.max(np.abs(cb)), 1e-12))


def onset_strength(y: np.ndarray, sr: int = RATE) -> np.ndarray:
    """Half-wave-rectified log-mel spectral flux [shape=(frames,)], mean over bands."""
    mel = _power_to_db(mel_filterbank(sr) @ _power_spectrogram(y))
    flux = np.maximum(0.0, np.diff(mel, axis=1)).mean(axis=0)
    return np.concatenate([[0.0], flux])


def onsets(y: np.ndarray, sr: int = RATE) -> np.ndarray:
    """Onset times in samples: local maxima of the onset strength above its mean + 0.5 std."""
    env = onset_strength(y, sr)
    if env.max() <= 0:
        return np.zeros(0, dtype=np.int64)
    peaks, _ = signal.find_peaks(env, height=env.mean() + 0.5 * env.std(), distance=3)
    return peaks * HOP


RHYTHM_MAX_LAG_S = 4.0


def _autocorrelation(envelope: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation of an onset envelope at lags 1 .. 4 s (in frames)."""
    x = envelope - envelope.mean()
    n = len(x)
    spectrum = np.fft.rfft(x, 2 * n)
    ac = np.fft.irfft(np.abs(spectrum) ** 2)[:n]
    lags = min(n, int(RHYTHM_MAX_LAG_S * RATE / HOP))
    return ac[1:lags] / ac[0] if ac[0] > 0 else np.zeros(max(0, lags - 1))


def rhythm_similarity(a: np.ndarray, b: np.ndarray, sr: int, *, original: bool = False) -> float:
    a, b = _mono(a, sr), _mono(b, sr)
    if original:
        n = min(len(a), len(b))
        va, vb = np.zeros(n), np.zeros(n)
        va[onsets(a)[onsets(a) < n]] = 1.0
        vb[onsets(b)[onsets(b) < n]] = 1.0
    else:
        va, vb = _autocorrelation(onset_strength(a)), _autocorrelation(onset_strength(b))
        n = min(len(va), len(vb))
        va, vb = va[:n], vb[:n]
    if va.std() == 0 or vb.std() == 0:
        return 0.5
    return float((np.corrcoef(va, vb)[0, 1] + 1.0) / 2.0)


def swass(scores: dict[str, float], *, original: bool = False) -> float:
    """The weighted combination of the available scores (see module docstring)."""
    weights = SWASS_ORIGINAL if original else SWASS_WEIGHTS
    used = {k: w for k, w in weights.items() if scores.get(k) is not None}
    total = sum(used[k] * scores[k] for k in used)
    return float(total if original else total / max(sum(used.values()), 1e-12))


def compare(a: np.ndarray, b: np.ndarray, sr: int, *, original: bool = False) -> dict[str, float]:
    """All scores between two signals [shape=(..., n)] at ``sr``, and their SWASS."""
    scores = {
        "mfcc_dtw": mfcc_dtw_similarity(a, b, sr, original=original),
        "zcr": zcr_similarity(a, b, sr),
        "rhythm": rhythm_similarity(a, b, sr, original=original),
        "chroma": chroma_similarity(a, b, sr),
        "spectral_contrast": contrast_similarity(a, b, sr),
    }
    scores["swass"] = swass(scores, original=original)
    return scores
