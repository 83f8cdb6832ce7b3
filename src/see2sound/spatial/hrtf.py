"""Head-related transfer functions from SOFA files, interpolated in direction.

A SOFA ``SimpleFreeFieldHRIR`` file (AES69) is read with h5py, resampled to
the output rate and split into a minimum-phase filter and a pure delay per
ear. Between measured directions both parts are interpolated with spherical
barycentric weights over a triangulation of the measurement grid (the VBAP
idea applied to HRTFs), which avoids the comb filtering of interpolating raw
HRIRs whose onsets differ.

The delay of each ear is fitted to the low-frequency (< 1.5 kHz) excess
phase, so the interaural time difference that a listener (or GCC-PHAT) hears
is the measured one. Where the grid leaves a pole uncovered (KEMAR stops at
-40 deg elevation) a synthetic pole is added: the mean of the nearest ring.

Conventions: SOFA's spherical ``SourcePosition`` is (azimuth CCW, elevation,
radius), the same as SPEC §1. Ears are ordered left, right.

Contents
--------
HRTF              a prepared HRIR set; ``HRTF.load(path, sample_rate)``
DEFAULT_SOFA      the bundled MIT KEMAR file
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path

import h5py
import numpy as np
import scipy.fft as sfft
from scipy.spatial import ConvexHull, cKDTree

from ..errors import See2SoundError
from ..io.audio import resample
from .geometry import to_unit_vector

DEFAULT_SOFA = "mit_kemar_normal_pinna.sofa"
#: Directions prepared at a time (each holds a few complex spectra of n_fft bins per ear).
PREPARE_BATCH = 64
#: The largest HRTF set read: measurements (dense research sets have about 10,000) and taps per response.
MAX_MEASUREMENTS, MAX_TAPS = 100_000, 16_384
#: Low band over which each ear's delay is fitted to the excess phase.
ITD_BAND_HZ = 1500.0
#: Fraction of each filter's energy that the truncated minimum-phase filter keeps.
ENERGY_KEPT = 0.9999
#: Every response starts at least this many samples late, so that zero-phase
#: gains applied on top (air absorption) stay causal in block convolution.
LEAD_IN_SAMPLES = 16
#: A pole with no measured direction nearer than this gets a synthetic one.
POLE_GAP_DEG = 20.0


def default_sofa_path() -> Path:
    return Path(str(resources.files("see2sound") / "data" / "hrtf" / DEFAULT_SOFA))


def _attr_text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        return _attr_text(value.flat[0]) if value.size else ""
    return str(value)


def read_sofa(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Read a SimpleFreeFieldHRIR SOFA file.

    Returns
    -------
    hrir : np.ndarray [shape=(m, 2, n)]
    directions : np.ndarray [shape=(m, 3)] unit vectors, SPEC §1 axes
    sample_rate : float
    delays : np.ndarray [shape=(m, 2)] the file's Data.Delay in samples
    """
    path = Path(path)
    if not path.is_file():
        raise See2SoundError(f"{path}: {'not a regular file' if path.exists() else 'no such SOFA file'}")
    try:
        f = h5py.File(path, "r")
    except OSError:
        raise See2SoundError(f"{path}: not a SOFA file (SOFA files are HDF5)") from None
    with f:
        convention = _attr_text(f.attrs.get("SOFAConventions", b""))
        if convention != "SimpleFreeFieldHRIR":
            raise See2SoundError(
                f"{path}: SOFA convention is {convention or 'missing'!r}; need SimpleFreeFieldHRIR")
        shape = getattr(f.get("Data.IR"), "shape", ())
        if len(shape) == 3 and (shape[0] > MAX_MEASUREMENTS or shape[2] > MAX_TAPS):
            raise See2SoundError(f"{path}: {shape[0]} measurements of {shape[2]} taps; an HRTF may have at most "
                                 f"{MAX_MEASUREMENTS} of at most {MAX_TAPS}")
        try:
            ir = np.asarray(f["Data.IR"][()], dtype=np.float64)
            positions = np.asarray(f["SourcePosition"][()], dtype=np.float64)
            rate = float(np.asarray(f["Data.SamplingRate"][()]).ravel()[0])
            pos_type = _attr_text(f["SourcePosition"].attrs.get("Type", b"spherical")).lower()
            delay = np.asarray(f["Data.Delay"][()], dtype=np.float64) if "Data.Delay" in f else np.zeros((1, 2))
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise See2SoundError(f"{path}: incomplete SOFA file ({exc})") from None
    if ir.ndim != 3 or ir.shape[1] != 2 or ir.shape[2] < 8:
        raise See2SoundError(f"{path}: Data.IR must have shape (M, 2, N), got {ir.shape}")
    m = ir.shape[0]
    if positions.ndim != 2 or positions.shape[1] != 3 or positions.shape[0] not in (1, m):
        raise See2SoundError(f"{path}: SourcePosition must have shape ({m}, 3), got {positions.shape}")
    if not (np.all(np.isfinite(ir)) and np.all(np.isfinite(positions))):
        raise See2SoundError(f"{path}: Data.IR or SourcePosition holds NaN or infinite values")
    if not 8000 <= rate <= 384000:
        raise See2SoundError(f"{path}: unsupported HRIR sample rate {rate:g} Hz")
    positions = np.broadcast_to(positions, (m, 3))
    if pos_type.startswith("cart"):
        directions = positions / np.maximum(np.linalg.norm(positions, axis=1, keepdims=True), 1e-12)
    else:
        directions = to_unit_vector(positions[:, 0], positions[:, 1])
    delays = np.broadcast_to(delay.reshape(-1, 2) if delay.size in (2, 2 * m) else np.zeros((1, 2)), (m, 2))
    return ir, directions, rate, np.array(delays, dtype=np.float64)


def _minimum_phase(hrir: np.ndarray, n_fft: int) -> np.ndarray:
    """Minimum-phase spectra [shape=(..., n_fft//2+1)] with the magnitude of ``hrir``."""
    magnitude = np.abs(sfft.rfft(hrir, n_fft, axis=-1, workers=-1))
    log_mag = np.log(np.maximum(magnitude, 1e-8 * magnitude.max(axis=-1, keepdims=True) + 1e-30))
    cepstrum = sfft.irfft(log_mag, n_fft, axis=-1, workers=-1)
    fold = np.zeros(n_fft)
    fold[0] = 1.0
    fold[1:n_fft // 2] = 2.0
    fold[n_fft // 2] = 1.0
    return np.exp(sfft.rfft(cepstrum * fold, n_fft, axis=-1, workers=-1))


def _excess_delay(hrir: np.ndarray, minphase: np.ndarray, n_fft: int, sample_rate: float) -> np.ndarray:
    """Delay in samples [shape=(...)] that best fits the low-band excess phase."""
    spectrum = sfft.rfft(hrir, n_fft, axis=-1, workers=-1)
    k_max = max(2, int(ITD_BAND_HZ / sample_rate * n_fft))
    k = np.arange(1, k_max + 1)
    excess = np.unwrap(np.angle(spectrum[..., : k_max + 1] / minphase[..., : k_max + 1]), axis=-1)
    excess = (excess - excess[..., :1])[..., 1:]  # a polarity flip shows as pi at DC
    omega = 2 * np.pi * k / n_fft
    # Least squares through the origin: phase = -omega * delay.
    return -np.sum(excess * omega, axis=-1) / np.sum(omega * omega)


class HRTF:
    """An HRIR set prepared for rendering at one sample rate.

    Use :meth:`load`; :meth:`spectra` gives the interpolated transfer
    functions for any directions, :meth:`hrir` a time-domain pair.

    Attributes
    ----------
    sample_rate : int
    directions : np.ndarray [shape=(m, 3)] grid directions (synthetic poles included)
    minphase : np.ndarray [shape=(m, 2, taps)] minimum-phase filters
    delays : np.ndarray [shape=(m, 2)] per-ear delays in samples (>= LEAD_IN_SAMPLES)
    length : int  taps needed to hold any interpolated response
    source : str  where the set came from
    """

    def __init__(self, hrir: np.ndarray, directions: np.ndarray, rate_in: float, sample_rate: int,
                 file_delays: np.ndarray | None = None, source: str = ""):
        self.sample_rate = int(sample_rate)
        self.source = source
        hrir = resample(hrir, int(round(rate_in)), self.sample_rate) if round(rate_in) != sample_rate else hrir
        n = hrir.shape[-1]
        n_fft = int(2 ** np.ceil(np.log2(max(4 * n, 2048))))
        minphase, delays = np.empty(hrir.shape), np.empty(hrir.shape[:-1])
        for lo in range(0, len(hrir), PREPARE_BATCH):  # in batches: the spectra of a dense set are large
            part = hrir[lo:lo + PREPARE_BATCH]
            spectra_min = _minimum_phase(part, n_fft)
            delays[lo:lo + PREPARE_BATCH] = _excess_delay(part, spectra_min, n_fft, self.sample_rate)
            minphase[lo:lo + PREPARE_BATCH] = sfft.irfft(spectra_min, n_fft, axis=-1, workers=-1)[..., :n]
        if file_delays is not None:
            delays = delays + file_delays * self.sample_rate / rate_in
        energy = np.cumsum(minphase ** 2, axis=-1)
        needed = np.argmax(energy >= ENERGY_KEPT * energy[..., -1:], axis=-1).max() + 1
        taps = int(min(n, 32 * np.ceil(needed / 32)))
        fade = np.ones(taps)
        tail = max(4, taps // 16)
        fade[-tail:] = np.cos(np.linspace(0, np.pi / 2, tail)) ** 2
        minphase = minphase[..., :taps] * fade
        delays = delays - delays.min() + LEAD_IN_SAMPLES
        directions, minphase, delays = self._dedupe(directions, minphase, delays)
        directions, minphase, delays = self._add_poles(directions, minphase, delays)
        self.directions = directions
        self.minphase = minphase.astype(np.float32)
        self.delays = delays
        self.length = taps + int(np.ceil(delays.max())) + 2
        self._build_triangulation()

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, sample_rate: int = 48000) -> HRTF:
        """Load a SOFA file (default: bundled MIT KEMAR) prepared for ``sample_rate``."""
        resolved = Path(path).resolve() if path is not None else default_sofa_path()
        stat = resolved.stat() if resolved.is_file() else None
        key = (str(resolved), stat.st_mtime_ns if stat else 0, int(sample_rate))
        return _load_cached(*key)

    @staticmethod
    def _dedupe(directions, minphase, delays):
        _, keep = np.unique(np.round(directions, 6), axis=0, return_index=True)
        keep = np.sort(keep)
        return directions[keep], minphase[keep], delays[keep]

    @staticmethod
    def _add_poles(directions, minphase, delays):
        """Add a synthetic zenith/nadir where the grid leaves the pole uncovered."""
        elevation = np.degrees(np.arcsin(np.clip(directions[:, 2], -1, 1)))
        extra_dirs, extra_ir, extra_delays = [], [], []
        for sign in (1.0, -1.0):
            nearest = np.max(sign * elevation)
            if 90.0 - nearest <= POLE_GAP_DEG:
                continue
            ring = np.abs(sign * elevation - nearest) < 1.0
            extra_dirs.append([0.0, 0.0, sign])
            extra_ir.append(minphase[ring].mean(axis=0))
            extra_delays.append(np.full(2, delays[ring].mean()))
        if not extra_dirs:
            return directions, minphase, delays
        return (np.vstack([directions, extra_dirs]), np.concatenate([minphase, np.array(extra_ir)]),
                np.vstack([delays, extra_delays]))

    def _build_triangulation(self) -> None:
        try:
            hull = ConvexHull(self.directions)
        except Exception as exc:  # scipy raises QhullError for degenerate grids
            raise See2SoundError(f"{self.source}: HRTF directions do not cover the sphere ({exc})") from None
        tri = hull.simplices
        corners = self.directions[tri]  # (k, 3 corners, 3 xyz)
        det = np.abs(np.linalg.det(corners))
        tri, corners = tri[det > 1e-10], corners[det > 1e-10]
        self._triangles = tri
        self._inverse = np.linalg.inv(np.transpose(corners, (0, 2, 1)))
        centroids = corners.mean(axis=1)
        self._tree = cKDTree(centroids / np.linalg.norm(centroids, axis=1, keepdims=True))

    def weights(self, directions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Grid indices [shape=(n, 3)] and barycentric weights [shape=(n, 3)] for directions [shape=(n, 3)]."""
        d = np.atleast_2d(np.asarray(directions, dtype=np.float64))
        d = d / np.linalg.norm(d, axis=1, keepdims=True)
        k = min(16, len(self._triangles))
        _, cand = self._tree.query(d, k=k)
        cand = cand.reshape(len(d), k)
        g = np.einsum("nkij,nj->nki", self._inverse[cand], d)
        best = np.argmax(g.min(axis=2), axis=1)
        rows = np.arange(len(d))
        w = np.clip(g[rows, best], 0.0, None)
        w /= np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
        return self._triangles[cand[rows, best]], w

    def interpolate(self, directions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Minimum-phase filters [shape=(n, 2, taps)] and delays [shape=(n, 2)] in samples."""
        idx, w = self.weights(directions)
        filters = np.einsum("nk,nkeh->neh", w.astype(np.float32), self.minphase[idx])
        delays = np.einsum("nk,nke->ne", w, self.delays[idx])
        return filters, delays

    def spectra(self, directions: np.ndarray, n_fft: int) -> np.ndarray:
        """Transfer functions [shape=(n, 2, n_fft//2+1), complex64] for directions [shape=(n, 3)]."""
        filters, delays = self.interpolate(directions)
        spectra = sfft.rfft(filters, n_fft, axis=-1, workers=-1)
        spectra *= delay_phasors(delays, n_fft)
        return spectra.astype(np.complex64, copy=False)

    def hrir(self, azimuth_deg: float, elevation_deg: float, n_fft: int | None = None) -> np.ndarray:
        """The interpolated impulse response pair [shape=(2, length)] for one direction."""
        n_fft = n_fft or int(2 ** np.ceil(np.log2(self.length)))
        spectra = self.spectra(to_unit_vector([azimuth_deg], [elevation_deg]), n_fft)[0]
        return np.fft.irfft(spectra, n_fft, axis=-1)[:, : self.length].astype(np.float32)


def delay_phasors(delays: np.ndarray, n_fft: int) -> np.ndarray:
    """exp(-2j pi k d / n_fft) for bins k = 0..n_fft//2 and delays d [shape=(...)] in samples.

    Factorised as an outer product of a coarse and a fine phasor table, so only
    ~2 sqrt(n_bins) complex exponentials are evaluated per delay.
    """
    n_bins = n_fft // 2 + 1
    step = int(np.ceil(np.sqrt(n_bins)))
    coarse_k = np.arange(0, n_bins + step, step)[: -(-n_bins // step)]
    fine_k = np.arange(step)
    d = np.asarray(delays, dtype=np.float64)[..., None]
    coarse = np.exp(-2j * np.pi * coarse_k * d / n_fft).astype(np.complex64)
    fine = np.exp(-2j * np.pi * fine_k * d / n_fft).astype(np.complex64)
    table = coarse[..., :, None] * fine[..., None, :]
    return table.reshape(*d.shape[:-1], -1)[..., :n_bins]


@functools.lru_cache(maxsize=4)
def _load_cached(path: str, _mtime: int, sample_rate: int) -> HRTF:
    hrir, directions, rate, delays = read_sofa(path)
    return HRTF(hrir, directions, rate, sample_rate, file_delays=delays, source=path)
