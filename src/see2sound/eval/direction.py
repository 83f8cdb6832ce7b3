"""Where a rendered file puts its sounds, measured from the file alone.

Every format is reduced to a direction per time-frequency bin and a weight
(the bin's energy, times its directness where that is known), then:

1. the weighted directions are histogrammed and smoothed (on a sphere grid
   for FOA, over lateral angle for binaural, over azimuth for loudspeakers);
2. peaks are picked (at least ``MIN_SEPARATION_DEG`` apart, above
   ``PEAK_FLOOR`` of the highest);
3. estimated peaks are matched to the scene's sources by the Hungarian
   algorithm on angular distance (scipy's ``linear_sum_assignment``).

Per format:

- **FOA** (AmbiX): the active intensity ``Re{W* (X, Y, Z)}`` of each bin
  points at the source; directness is 1 - diffuseness, with diffuseness
  = 1 - |I| / E. Also the energy map: a cardioid beam steered over the
  sphere, compared with the intended map (von Mises-Fisher blobs at the
  sources) by correlation (CC) and AUC-Judd. HOA (9 or 16 channels) is
  measured the same way, its first four channels being first order; only
  its energy map uses every channel, through the in-phase beam of its order
  (the cardioid at first order, narrower above).
- **binaural**: below 600 Hz each bin's interaural phase difference, and
  from 1.5 to 8 kHz each frame's vector of band level differences, are
  matched to tables measured on the same HRTF (frontal horizontal plane, at
  the analysis's frequency grid) to give a lateral angle. Lateral angle is the angle from the median plane, asin(y): front
  and back, and up and down, cannot be told apart from these cues, so errors
  are reported on lateral angle only.
- **loudspeakers**: each bin's energy vector sum_i |X_i|^2 u_i / sum_i |X_i|^2
  over the layout's loudspeaker directions (horizontal; LFE left out) gives
  an azimuth.

A mixture of several sources is handled through the peaks; sources closer
than ``MIN_SEPARATION_DEG`` or much quieter than the rest merge or vanish,
which the F-score then counts. Matching by angle alone cannot see two
sources swapped or a mirrored field (the peaks are still where sources
are): with the scene's stems, :mod:`.informed` measures each source from
its own share of the file, and ``see2sound eval`` reports that as each
source's error, this matching as the position-only figure.

Contents
--------
Estimate, estimate_directions, match, fscore, energy_map_scores
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal
from scipy.ndimage import gaussian_filter1d
from scipy.optimize import linear_sum_assignment

from ..spatial import harmonics
from ..spatial.geometry import to_spherical, to_unit_vector
from ..spatial.hrtf import HRTF
from ..formats import get_format

N_FFT = 1024
MIN_SEPARATION_DEG = 20.0
PEAK_FLOOR = 0.15
DCASE_THRESHOLD_DEG = 20.0
ITD_BAND_HZ = (100.0, 600.0)
ILD_BAND_HZ = (1500.0, 8000.0)


@dataclass
class Estimate:
    """Estimated source directions: unit vectors (FOA), or angles in degrees (lateral / azimuth)."""

    kind: str  # "sphere", "lateral" or "azimuth"
    peaks: np.ndarray  # (k, 3) unit vectors, or (k,) angles
    strengths: np.ndarray  # (k,) relative weight of each peak


def _stft(audio: np.ndarray, sample_rate: int):
    f, _, z = signal.stft(audio, fs=sample_rate, nperseg=N_FFT, noverlap=N_FFT // 2, axis=-1)
    return f, z  # z: (channels, bins, frames)


def fibonacci_sphere(n: int = 2000) -> np.ndarray:
    """Nearly uniform unit vectors [shape=(n, 3)]."""
    i = np.arange(n) + 0.5
    z = 1 - 2 * i / n
    phi = np.pi * (1 + 5 ** 0.5) * i
    r = np.sqrt(1 - z * z)
    return np.column_stack([r * np.cos(phi), r * np.sin(phi), z])


def angle_between_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.degrees(np.arccos(np.clip(np.sum(a * b, axis=-1), -1.0, 1.0)))


# --- per-bin directions --------------------------------------------------------

def foa_bins(foa: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit DOA vectors [shape=(n, 3)] and weights [shape=(n,)] of AmbiX bins."""
    _, z = _stft(foa, sample_rate)
    w, y, zz, x = z
    intensity = np.stack([np.real(np.conj(w) * x), np.real(np.conj(w) * y), np.real(np.conj(w) * zz)], axis=-1)
    energy = 0.5 * (np.abs(w) ** 2 + np.abs(x) ** 2 + np.abs(y) ** 2 + np.abs(zz) ** 2)
    norm = np.linalg.norm(intensity, axis=-1)
    directness = np.clip(norm / np.maximum(energy, 1e-20), 0.0, 1.0)
    keep = norm > 1e-12 * max(norm.max(), 1e-30)
    directions = intensity[keep] / norm[keep][:, None]
    return directions, (energy * directness)[keep]


class LateralMap:
    """Interaural cues against lateral angle, measured on an HRTF (by default its frontal horizontal plane).

    Tables are made at the analysis's own frequency grid, so a bin is compared
    with exactly what the HRTF does at that frequency: the interaural phase
    difference of each low bin, and the vector of band level differences.
    ``directions`` ((azimuth, elevation) pairs in degrees) measures other
    directions; ``angles`` is then each one's lateral angle, asin(y), and
    several directions share one (a cone of confusion).
    """

    def __init__(self, hrtf: HRTF, sample_rate: int, directions: np.ndarray | None = None):
        if directions is None:
            self.angles = np.arange(-90.0, 90.5, 1.0)
            directions = np.column_stack([self.angles, np.zeros(len(self.angles))])
        else:
            directions = np.asarray(directions, dtype=np.float64).reshape(-1, 2)
            y = to_unit_vector(directions[:, 0], directions[:, 1])[:, 1]
            self.angles = np.degrees(np.arcsin(np.clip(y, -1.0, 1.0)))
        freqs = np.fft.rfftfreq(N_FFT, 1.0 / sample_rate)
        self.low = (freqs >= ITD_BAND_HZ[0]) & (freqs <= ITD_BAND_HZ[1])
        self.band_edges = np.geomspace(ILD_BAND_HZ[0], min(ILD_BAND_HZ[1], 0.45 * sample_rate), 9)
        self.bands = [(freqs >= lo) & (freqs < hi) for lo, hi in zip(self.band_edges[:-1], self.band_edges[1:])]
        spectra = np.array([np.fft.rfft(hrtf.hrir(az, el), N_FFT * 4, axis=-1)[:, ::4] for az, el in directions])
        self.ipd = np.angle(spectra[:, 0, self.low] * np.conj(spectra[:, 1, self.low]))  # (angles, low bins)
        power = np.abs(spectra) ** 2
        self.ear_power = power  # (angles, ears, bins): each ear's power response at the analysis's frequencies
        self.ild = np.array([[10 * np.log10(power[i, 0, band].sum() / max(power[i, 1, band].sum(), 1e-20))
                              for band in self.bands] for i in range(len(self.angles))])  # (angles, bands)


def binaural_bins(audio: np.ndarray, sample_rate: int, lateral: LateralMap) -> tuple[np.ndarray, np.ndarray]:
    """Lateral angles in degrees [shape=(n,)] and weights, from low bins (phase) and frames (band levels)."""
    _, z = _stft(audio, sample_rate)
    left, right = z
    # Low frequencies: each bin's phase difference, matched to the table at its own frequency.
    ipd = np.angle(left[lateral.low] * np.conj(right[lateral.low]))  # (low bins, frames)
    diff = np.angle(np.exp(1j * (ipd[None, :, :] - lateral.ipd[:, :, None])))  # (angles, bins, frames)
    low_angles = lateral.angles[np.argmin(np.abs(diff), axis=0)].ravel()
    low_weights = (np.abs(left[lateral.low]) ** 2 + np.abs(right[lateral.low]) ** 2).ravel()
    # High frequencies: each frame's vector of band level differences, matched across bands.
    el = np.array([(np.abs(left[b]) ** 2).sum(0) for b in lateral.bands])  # (bands, frames)
    er = np.array([(np.abs(right[b]) ** 2).sum(0) for b in lateral.bands])
    ild = 10 * np.log10(np.maximum(el, 1e-20) / np.maximum(er, 1e-20))
    band_weight = el + er
    misfit = (band_weight[None] * (ild[None] - lateral.ild[:, :, None]) ** 2).sum(1)  # (angles, frames)
    high_angles = lateral.angles[np.argmin(misfit, axis=0)]
    high_weights = band_weight.sum(0)
    # Low and high each get half the say, whatever their energy.
    low_weights = low_weights / max(low_weights.sum(), 1e-20)
    high_weights = high_weights / max(high_weights.sum(), 1e-20)
    return np.concatenate([low_angles, high_angles]), np.concatenate([low_weights, high_weights])


def speaker_bins(audio: np.ndarray, sample_rate: int, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """Azimuths in degrees [shape=(n,)] and weights of loudspeaker-feed bins (energy vectors)."""
    layout = get_format(fmt).layout
    idx = layout.speakers
    _, z = _stft(audio[idx], sample_rate)
    power = np.abs(z) ** 2  # (speakers, bins, frames)
    u = layout.speaker_directions()
    total = power.sum(0)
    vec = np.einsum("sbt,sd->btd", power, u) / np.maximum(total, 1e-20)[..., None]
    azimuth = np.degrees(np.arctan2(vec[..., 1], vec[..., 0]))
    return azimuth.ravel(), total.ravel()


# --- peaks and matching --------------------------------------------------------

def _circular_peaks(angles, weights, lo, hi, periodic, smooth_deg=4.0):
    """Peaks of the weighted histogram of angles (1 deg bins), strongest first."""
    edges = np.arange(lo, hi + 1.0, 1.0)
    hist, _ = np.histogram(angles, bins=edges, weights=weights)
    hist = gaussian_filter1d(hist.astype(np.float64), smooth_deg, mode="wrap" if periodic else "nearest")
    centres = (edges[:-1] + edges[1:]) / 2
    if periodic:
        left, right = np.roll(hist, 1), np.roll(hist, -1)
    else:
        left = np.concatenate([[-np.inf], hist[:-1]])
        right = np.concatenate([hist[1:], [-np.inf]])
    top = hist.max() if len(hist) else 0.0
    peaks, strengths = [], []
    for i in np.argsort(hist)[::-1]:
        if top <= 0 or hist[i] < PEAK_FLOOR * top:
            break
        if hist[i] < left[i] or hist[i] < right[i]:
            continue
        if any(_angle_diff(centres[i], p, periodic) < MIN_SEPARATION_DEG for p in peaks):
            continue
        peaks.append(centres[i])
        strengths.append(hist[i] / top)
    return np.array(peaks), np.array(strengths)


def _angle_diff(a, b, periodic):
    d = abs(a - b)
    return min(d, 360.0 - d) if periodic else d


REFINE_DEG = 10.0


def _refine_circular(peaks, angles, weights, periodic):
    """Each peak moved to the weighted mean of the bin angles within REFINE_DEG of it."""
    refined = []
    for p in peaks:
        d = angles - p
        if periodic:
            d = (d + 180.0) % 360.0 - 180.0
        near = np.abs(d) <= REFINE_DEG
        shift = np.sum(d[near] * weights[near]) / max(np.sum(weights[near]), 1e-30) if near.any() else 0.0
        value = p + shift
        refined.append((value + 180.0) % 360.0 - 180.0 if periodic else value)
    return np.array(refined)


def _refine_sphere(peaks, directions, weights):
    """Each peak moved to the weighted mean direction of the bins within REFINE_DEG of it."""
    refined = []
    cos_limit = np.cos(np.radians(REFINE_DEG))
    for p in peaks:
        near = directions @ p >= cos_limit
        mean = (directions[near] * weights[near, None]).sum(0) if near.any() else p
        refined.append(mean / max(np.linalg.norm(mean), 1e-30))
    return np.array(refined).reshape(-1, 3)


def _sphere_peaks(directions, weights, grid):
    # Each bin votes for the grid points within ~10 deg (a vMF kernel), via a KD-tree-free dot product in chunks.
    kappa = 1.0 / (1 - np.cos(np.radians(8.0)))
    density = np.zeros(len(grid))
    for start in range(0, len(directions), 20000):
        d = directions[start:start + 20000]
        density += np.exp(kappa * (d @ grid.T - 1.0)).T @ weights[start:start + 20000]
    peaks, strengths = [], []
    top = density.max() if len(density) else 0.0
    neighbours = grid @ grid.T > np.cos(np.radians(MIN_SEPARATION_DEG))
    for i in np.argsort(density)[::-1]:
        if density[i] < PEAK_FLOOR * top:
            break
        if density[i] < density[neighbours[i]].max():
            continue
        if peaks and angle_between_deg(np.array(peaks), grid[i]).min() < MIN_SEPARATION_DEG:
            continue
        peaks.append(grid[i])
        strengths.append(density[i] / top)
    return np.array(peaks).reshape(-1, 3), np.array(strengths)


def estimate_directions(audio: np.ndarray, sample_rate: int, fmt: str, hrtf: HRTF | None = None) -> Estimate:
    """Estimated source directions of a rendered file [shape=(channels, n)] of format ``fmt``."""
    output = get_format(fmt)
    if output.is_ambisonic:  # the first four ACN/SN3D channels are first order at any order
        d, w = foa_bins(audio[:4], sample_rate)
        peaks, strengths = _sphere_peaks(d, w, fibonacci_sphere(2000))
        return Estimate("sphere", _refine_sphere(peaks, d, w), strengths)
    if output.is_binaural:
        lateral = LateralMap(hrtf or HRTF.load(sample_rate=sample_rate), sample_rate)
        angles, w = binaural_bins(audio, sample_rate, lateral)
        peaks, strengths = _circular_peaks(angles, w, -90.0, 90.0, periodic=False)
        return Estimate("lateral", _refine_circular(peaks, angles, w, False), strengths)
    angles, w = speaker_bins(audio, sample_rate, fmt)
    peaks, strengths = _circular_peaks(angles, w, -180.0, 180.0, periodic=True)
    return Estimate("azimuth", _refine_circular(peaks, angles, w, True), strengths)


def intended(kind: str, directions: np.ndarray) -> np.ndarray:
    """The scene's directions [shape=(k, 3)] in the estimate's terms."""
    if kind == "sphere":
        return directions
    if kind == "lateral":
        return np.degrees(np.arcsin(np.clip(directions[:, 1], -1, 1)))
    return to_spherical(directions)[0]


def errors(kind: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise angular errors in degrees [shape=(len(a), len(b))]."""
    if kind == "sphere":
        return angle_between_deg(a[:, None, :], b[None, :, :])
    diff = np.abs(a[:, None] - b[None, :])
    return np.minimum(diff, 360.0 - diff) if kind == "azimuth" else diff


def match(estimate: Estimate, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hungarian matching: (error in degrees per target, NaN if unmatched; matched peak index or -1)."""
    goal = intended(estimate.kind, targets)
    k = len(goal)
    err = np.full(k, np.nan)
    which = np.full(k, -1)
    if len(estimate.peaks) == 0 or k == 0:
        return err, which
    cost = errors(estimate.kind, goal, estimate.peaks)
    rows, cols = linear_sum_assignment(cost)
    err[rows] = cost[rows, cols]
    which[rows] = cols
    return err, which


def fscore(estimate: Estimate, targets: np.ndarray, threshold_deg: float = DCASE_THRESHOLD_DEG) -> dict:
    """DCASE-style localisation F-score: a hit is a matched pair within ``threshold_deg``."""
    err, _ = match(estimate, targets)
    tp = int(np.sum(err <= threshold_deg))
    fn = len(targets) - tp
    fp = len(estimate.peaks) - tp
    f = 2 * tp / max(1, 2 * tp + fp + fn)
    return {"f_score": f, "true_positives": tp, "false_positives": fp, "false_negatives": fn,
            "threshold_deg": threshold_deg}


# --- energy maps (FOA) ---------------------------------------------------------

def steered_power_map(ambix: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Mean power of an in-phase beam steered to each grid direction [shape=(len(grid),)].

    ``ambix`` [shape=((N+1)^2, n)] is AmbiX of order N (4, 9 or 16 channels).
    The beam is sum_n (2n+1) a_n P_n(cos angle) / sum_n (2n+1) a_n with the
    in-phase weights a_n (:func:`~see2sound.spatial.harmonics.in_phase_weights`):
    ((1 + cos angle) / 2)^N, the cardioid at first order.
    """
    audio = np.asarray(ambix, dtype=np.float64)
    order = harmonics.order_for_channels(audio.shape[0])
    if order is None:
        raise ValueError(f"expected AmbiX of 4, 9 or 16 channels, got {audio.shape[0]}")
    second_moment = audio @ audio.T / audio.shape[1]
    n = harmonics.degrees(order)
    per_degree = (2 * np.arange(order + 1) + 1) * harmonics.in_phase_weights(order)
    # SN3D addition theorem: sum_m Y_nm(u) Y_nm(v) = P_n(u.v), so these gains steer the beam to u.
    steer = harmonics.sn3d(grid, order) * (per_degree / per_degree.sum())[n]
    return np.einsum("gi,ij,gj->g", steer, second_moment, steer)


def intended_map(grid: np.ndarray, targets: np.ndarray, weights: np.ndarray | None = None,
                 spread_deg: float = 30.0) -> np.ndarray:
    """Von Mises-Fisher blobs at the scene's directions (first order cannot resolve finer)."""
    kappa = 1.0 / (1 - np.cos(np.radians(spread_deg)))
    weights = np.ones(len(targets)) if weights is None else np.asarray(weights)
    return np.exp(kappa * (grid @ targets.T - 1.0)) @ weights


def auc_judd(saliency: np.ndarray, fixations: np.ndarray) -> float:
    """AUC-Judd: thresholds at each fixation's saliency; TPR over fixations, FPR over the rest."""
    fixated = np.zeros(len(saliency), bool)
    fixated[fixations] = True
    values = np.sort(saliency[fixated])[::-1]
    others = saliency[~fixated]
    tpr, fpr = [0.0], [0.0]
    for k, thr in enumerate(values, start=1):
        tpr.append(k / len(values))
        fpr.append(float(np.mean(others >= thr)))
    tpr.append(1.0)
    fpr.append(1.0)
    trapezoid = getattr(np, "trapezoid", None) or np.trapz  # numpy < 2 calls it trapz
    return float(trapezoid(tpr, fpr))


def energy_map_scores(ambix: np.ndarray, targets: np.ndarray, weights: np.ndarray | None = None) -> dict:
    """CC and AUC-Judd of the energy map of AmbiX (FOA, or HOA through its every channel) against the intended map."""
    grid = fibonacci_sphere(2000)
    measured = steered_power_map(ambix, grid)
    wanted = intended_map(grid, targets, weights)
    cc = float(np.corrcoef(measured, wanted)[0, 1])
    fixations = np.argmax(grid @ targets.T, axis=0)
    return {"cc": cc, "auc_judd": auc_judd(measured, fixations)}
