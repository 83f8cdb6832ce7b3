"""Head-related transfer functions from SOFA files, interpolated in direction.

A SOFA ``SimpleFreeFieldHRIR`` file (AES69) is read with h5py, resampled to
the output rate and split into a minimum-phase filter and a pure delay per
ear. Between measured directions both parts are interpolated with spherical
barycentric weights over a triangulation of the measurement grid (the VBAP
idea applied to HRTFs), which avoids the comb filtering of interpolating raw
HRIRs whose onsets differ. A lookup table over azimuth and elevation names
the few triangles that may hold a direction.

The minimum-phase part is interpolated in the frequency domain, between the
grid's spectra, computed once per FFT size (:meth:`HRTF.bank`): the FFT is
linear, so this equals interpolating the filters and transforming them. The
block engine reads the bank through a :class:`~.filterbank.Steering`.

The delay of each ear is fitted to the low-frequency (< 1.5 kHz) excess
phase, so the interaural time difference that a listener (or GCC-PHAT) hears
is the measured one. Where the grid leaves a pole uncovered (KEMAR stops at
-40 deg elevation) a synthetic pole is added: the mean of the nearest ring.

Sources nearer than :data:`~.nearfield.FAR_M` (or the measurement
distance, if that is nearer) get each ear's near-field distance-variation
function on top (:mod:`.nearfield`): a spherical head of the SOFA file's
ear distance (its ``ReceiverPosition``), else of 8.75 cm.

A prepared set is also kept on disk, in ``user_dir("cache") / "hrtf"``,
keyed by the SOFA file's SHA-256, the sample rate and :data:`CACHE_FORMAT`;
an entry that cannot be read is ignored and written again.

Conventions: SOFA's spherical ``SourcePosition`` is (azimuth CCW, elevation,
radius), the same as SPEC §1. Ears are ordered left, right.

Contents
--------
HRTF              a prepared HRIR set; ``HRTF.load(path, sample_rate)``
read_sofa         the arrays of a SOFA file
sofa_geometry     the measurement distance and head radius a SOFA file gives
DEFAULT_SOFA      the bundled MIT KEMAR file
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import threading
from importlib import resources
from pathlib import Path

import numpy as np
import scipy.fft as sfft

from ..errors import See2SoundError
from ..io.audio import resample
from ..userdirs import user_dir
from .filterbank import FilterBank, Steering, delay_phasors  # noqa: F401 (delay_phasors: also from here)
from .geometry import to_spherical, to_unit_vector
from .nearfield import FAR_M, HEAD_RADIUS_M, NEAREST_M, NearField

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
#: Cell size of the direction -> candidate triangles table.
LOOKUP_CELL_DEG = 2.0
#: Version of the prepared arrays kept on disk; raise it when preparation changes.
CACHE_FORMAT = 2
#: A SOFA file's ears are taken as a head's radius when they are this far from its centre (m).
HEAD_RADIUS_RANGE_M = (0.05, 0.12)


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
    import h5py

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


def sofa_geometry(path: str | os.PathLike) -> tuple[float | None, float]:
    """(measurement distance in m or None, head radius in m) of a SOFA file.

    The distance is the median of ``SourcePosition``'s radius (None where
    the file gives none); the head radius is the mean distance of the two
    ``ReceiverPosition`` ears from the centre when they are cartesian, on
    the interaural axis and within :data:`HEAD_RADIUS_RANGE_M`, else
    :data:`~.nearfield.HEAD_RADIUS_M`.
    """
    import h5py

    with h5py.File(path, "r") as f:
        positions = np.asarray(f["SourcePosition"][()], dtype=np.float64).reshape(-1, 3)
        pos_type = _attr_text(f["SourcePosition"].attrs.get("Type", b"spherical")).lower()
        units = _attr_text(f["SourcePosition"].attrs.get("Units", b"metre")).lower()
        ears = np.asarray(f["ReceiverPosition"][()], dtype=np.float64) if "ReceiverPosition" in f else None
        ear_type = _attr_text(f["ReceiverPosition"].attrs.get("Type", b"cartesian")).lower() if ears is not None \
            else ""
    radius = np.linalg.norm(positions, axis=1) if pos_type.startswith("cart") else positions[:, 2]
    distance = float(np.median(radius)) if "met" in units or pos_type.startswith("cart") else None
    distance = distance if distance is not None and np.isfinite(distance) and distance > 0 else None
    head = HEAD_RADIUS_M
    if ears is not None and ear_type.startswith("cart") and ears.size >= 6:
        ears = ears.reshape(ears.shape[0], 3, -1)[:2, :, 0]
        lo, hi = HEAD_RADIUS_RANGE_M
        a = np.abs(ears[:, 1])
        if np.allclose(ears[:, [0, 2]], 0.0) and ears[0, 1] > 0 > ears[1, 1] and np.all((lo <= a) & (a <= hi)):
            head = float(a.mean())
    return distance, head


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
    functions for any directions, :meth:`hrir` a time-domain pair,
    :meth:`bank` and :meth:`steering` the same as a bank and its steering
    (what the block engine reads).

    Attributes
    ----------
    sample_rate : int
    directions : np.ndarray [shape=(m, 3)] grid directions (synthetic poles included)
    minphase : np.ndarray [shape=(m, 2, taps)] minimum-phase filters
    delays : np.ndarray [shape=(m, 2)] per-ear delays in samples (>= LEAD_IN_SAMPLES)
    length : int  taps needed to hold any interpolated response
    source : str  where the set came from
    near_field : NearField or None  the near-field model (None: a set measured nearer than it)
    """

    def __init__(self, directions: np.ndarray, minphase: np.ndarray, delays: np.ndarray, sample_rate: int,
                 source: str = "", distance_m: float | None = None, head_radius_m: float = HEAD_RADIUS_M):
        self.sample_rate = int(sample_rate)
        self.source = source
        self.distance_m = distance_m
        self.head_radius_m = float(head_radius_m)
        far = FAR_M if distance_m is None else min(FAR_M, distance_m)
        self.near_field = NearField(self.head_radius_m, far) if far > NEAREST_M + 0.05 else None
        self.directions = np.asarray(directions, dtype=np.float64)
        self.minphase = np.asarray(minphase, dtype=np.float32)
        self.delays = np.asarray(delays, dtype=np.float64)
        self.length = self.minphase.shape[-1] + int(np.ceil(self.delays.max())) + 2
        self._banks: dict[int, FilterBank] = {}
        self._lock = threading.Lock()
        self._cells: np.ndarray | None = None
        self._build_triangulation()

    @classmethod
    def prepare(cls, hrir: np.ndarray, directions: np.ndarray, rate_in: float, sample_rate: int,
                file_delays: np.ndarray | None = None, source: str = "", distance_m: float | None = None,
                head_radius_m: float = HEAD_RADIUS_M) -> HRTF:
        """Split HRIRs [shape=(m, 2, n)] measured at ``rate_in`` into minimum-phase filters and delays."""
        sample_rate = int(sample_rate)
        hrir = resample(hrir, int(round(rate_in)), sample_rate) if round(rate_in) != sample_rate else hrir
        n = hrir.shape[-1]
        n_fft = int(2 ** np.ceil(np.log2(max(4 * n, 2048))))
        minphase, delays = np.empty(hrir.shape), np.empty(hrir.shape[:-1])
        for lo in range(0, len(hrir), PREPARE_BATCH):  # in batches: the spectra of a dense set are large
            part = hrir[lo:lo + PREPARE_BATCH]
            spectra_min = _minimum_phase(part, n_fft)
            delays[lo:lo + PREPARE_BATCH] = _excess_delay(part, spectra_min, n_fft, sample_rate)
            minphase[lo:lo + PREPARE_BATCH] = sfft.irfft(spectra_min, n_fft, axis=-1, workers=-1)[..., :n]
        if file_delays is not None:
            delays = delays + file_delays * sample_rate / rate_in
        energy = np.cumsum(minphase ** 2, axis=-1)
        needed = np.argmax(energy >= ENERGY_KEPT * energy[..., -1:], axis=-1).max() + 1
        taps = int(min(n, 32 * np.ceil(needed / 32)))
        fade = np.ones(taps)
        tail = max(4, taps // 16)
        fade[-tail:] = np.cos(np.linspace(0, np.pi / 2, tail)) ** 2
        minphase = minphase[..., :taps] * fade
        delays = delays - delays.min() + LEAD_IN_SAMPLES
        directions, minphase, delays = cls._dedupe(directions, minphase, delays)
        directions, minphase, delays = cls._add_poles(directions, minphase, delays)
        return cls(directions, minphase.astype(np.float32), delays, sample_rate, source=source,
                   distance_m=distance_m, head_radius_m=head_radius_m)

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, sample_rate: int = 48000) -> HRTF:
        """Load a SOFA file (default: bundled MIT KEMAR) prepared for ``sample_rate``.

        Kept in memory (the last few) and on disk (see the module docstring).
        """
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

    # --- where a direction falls on the grid ------------------------------------------------------

    def _build_triangulation(self) -> None:
        from scipy.spatial import ConvexHull

        try:
            hull = ConvexHull(self.directions)
        except Exception as exc:  # scipy raises QhullError for degenerate grids
            raise See2SoundError(f"{self.source}: HRTF directions do not cover the sphere ({exc})") from None
        tri = hull.simplices
        corners = self.directions[tri]  # (k, 3 corners, 3 xyz)
        det = np.abs(np.linalg.det(corners))
        tri, corners = tri[det > 1e-10], corners[det > 1e-10]
        self._triangles = tri.astype(np.int32)
        self._inverse = np.linalg.inv(np.transpose(corners, (0, 2, 1)))

    def _lookup(self) -> np.ndarray:
        """Candidate triangles [shape=(cells, k)]: those whose azimuth-elevation box overlaps each cell.

        A triangle's box spans its corners, edge midpoints and centre, one
        cell wider on each side (great-circle edges bow toward the poles); a
        triangle that holds a pole spans every azimuth. A direction that no
        candidate holds is looked up among all triangles (:meth:`weights`).
        """
        if self._cells is None:
            n_el, n_az = _lookup_shape()
            corners = self.directions[self._triangles]  # (t, 3, 3)
            mids = corners + corners[:, [1, 2, 0]]
            points = np.concatenate([corners, mids, corners.sum(axis=1, keepdims=True)], axis=1)
            points /= np.linalg.norm(points, axis=-1, keepdims=True)
            az, el = to_spherical(points)
            centre_az = az[:, -1:]
            rel = (az - centre_az + 180.0) % 360.0 - 180.0
            rel[np.abs(points[..., 2]) > 1 - 1e-9] = np.nan  # a pole has no azimuth
            az_lo, az_hi = centre_az[:, 0] + np.nanmin(rel, axis=1), centre_az[:, 0] + np.nanmax(rel, axis=1)
            poles = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, -1.0]])
            holds_pole = (np.einsum("kij,pj->kpi", self._inverse, poles).min(axis=2) > 1e-9).any(axis=1)
            row_lo = np.floor((el.min(axis=1) + 90.0) / LOOKUP_CELL_DEG).astype(int) - 1
            row_hi = np.floor((el.max(axis=1) + 90.0) / LOOKUP_CELL_DEG).astype(int) + 1
            col_lo = np.floor((az_lo + 180.0) / LOOKUP_CELL_DEG).astype(int) - 1
            col_hi = np.floor((az_hi + 180.0) / LOOKUP_CELL_DEG).astype(int) + 1
            col_lo[holds_pole], col_hi[holds_pole] = 0, n_az - 1
            pairs = []
            for t in range(len(self._triangles)):
                rows = np.arange(max(row_lo[t], 0), min(row_hi[t], n_el - 1) + 1)
                cols = np.unique(np.arange(col_lo[t], min(col_hi[t], col_lo[t] + n_az - 1) + 1) % n_az)
                pairs.append(np.stack([(rows[:, None] * n_az + cols[None, :]).ravel(),
                                       np.full(len(rows) * len(cols), t)], axis=1))
            cell, tri = np.concatenate(pairs).T
            order = np.argsort(cell, kind="stable")
            cell, tri = cell[order], tri[order]
            counts = np.bincount(cell, minlength=n_el * n_az)
            width = max(1, int(counts.max()))
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
            slot = np.arange(len(cell)) - starts[cell]
            cells = np.full((n_el * n_az, width), -1, dtype=np.int64)
            cells[cell, slot] = tri
            empty = cells[:, 0] < 0  # (none, for a grid that covers the sphere)
            cells[empty, 0] = 0
            cells = np.where(cells < 0, cells[:, :1], cells)  # pad each row with its first candidate
            self._cells = cells.astype(np.int32)
        return self._cells

    def _search_all(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Best triangle of the whole grid and its barycentric weights, for a few directions [shape=(n, 3)]."""
        tri = np.empty(len(d), dtype=np.int64)
        g = np.empty((len(d), 3))
        for lo in range(0, len(d), 256):
            part = np.einsum("kij,nj->nki", self._inverse, d[lo:lo + 256])
            best = np.argmax(part.min(axis=2), axis=1)
            tri[lo:lo + 256], g[lo:lo + 256] = best, part[np.arange(len(best)), best]
        return tri, g

    @staticmethod
    def _cell_of(d: np.ndarray) -> np.ndarray:
        n_el, n_az = _lookup_shape()
        el = np.degrees(np.arcsin(np.clip(d[:, 2], -1.0, 1.0)))
        az = np.degrees(np.arctan2(d[:, 1], d[:, 0]))
        row = np.clip(((el + 90.0) / LOOKUP_CELL_DEG).astype(np.int64), 0, n_el - 1)
        col = ((az + 180.0) / LOOKUP_CELL_DEG).astype(np.int64) % n_az
        return row * n_az + col

    def _best_of(self, d: np.ndarray, cand: np.ndarray):
        """The candidate [shape=(n, k)] whose barycentric weights are the least negative, those weights, their minimum."""
        g = np.matmul(self._inverse[cand], d[:, None, :, None])[..., 0]  # (n, k, 3)
        score = g.min(axis=2)
        best = np.argmax(score, axis=1)
        rows = np.arange(len(d))
        return cand[rows, best], g[rows, best], score[rows, best]

    def weights(self, directions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Grid indices [shape=(n, 3)] and barycentric weights [shape=(n, 3)] for directions [shape=(n, 3)].

        The triangle is the one that holds the direction, among the few that
        the lookup table names for its cell (among all, for the rare direction none of those holds).
        """
        d = np.atleast_2d(np.asarray(directions, dtype=np.float64))
        d = d / np.linalg.norm(d, axis=1, keepdims=True)
        tri, g, score = self._best_of(d, self._lookup()[self._cell_of(d)])
        outside = score < -1e-9
        if np.any(outside):
            tri[outside], g[outside] = self._search_all(d[outside])
        w = np.clip(g, 0.0, None)
        w /= np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
        return self._triangles[tri], w

    # --- interpolated responses --------------------------------------------------------------------

    def interpolate(self, directions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Minimum-phase filters [shape=(n, 2, taps)] and delays [shape=(n, 2)] in samples."""
        idx, w = self.weights(directions)
        filters = np.einsum("nk,nkeh->neh", w.astype(np.float32), self.minphase[idx])
        delays = np.einsum("nk,nke->ne", w, self.delays[idx])
        return filters, delays

    def bank(self, n_fft: int) -> FilterBank:
        """The grid's minimum-phase spectra for an FFT of ``n_fft`` (computed once per size)."""
        with self._lock:
            if n_fft not in self._banks:
                if n_fft < self.minphase.shape[-1]:
                    raise ValueError(f"n_fft {n_fft} is shorter than the filters ({self.minphase.shape[-1]} taps)")
                spectra = sfft.rfft(self.minphase, n_fft, axis=-1, workers=-1).astype(np.complex64)
                self._banks[n_fft] = FilterBank(spectra, n_fft, self.sample_rate, near_field=self.near_field)
            return self._banks[n_fft]

    def steering(self, directions: np.ndarray, gain: np.ndarray | float = 1.0,
                 distance_m: np.ndarray | None = None, *, near_m: np.ndarray | None = None) -> Steering:
        """Where :meth:`bank` is read for directions [shape=(n, 3)], at linear ``gain`` [shape=(n,) or scalar].

        ``distance_m`` [shape=(n,)] adds air absorption over that path;
        ``near_m`` [shape=(n,)], the source's distance from the head centre,
        each ear's near-field response where any is nearer than the far
        field (:mod:`.nearfield`; the gain stays the caller's).
        """
        idx, w = self.weights(directions)
        delays = np.einsum("nk,nke->ne", w, self.delays[idx])
        weight = (w * np.asarray(gain, dtype=np.float64).reshape(-1, 1)).astype(np.float32)
        distance = None if distance_m is None else np.asarray(distance_m, dtype=np.float32).reshape(-1)
        near = self.near_field
        if near is None or near_m is None or not np.any(np.asarray(near_m) < near.far_m):
            return Steering(idx.astype(np.int32), weight, delays, distance)
        rows, near_weight, near_delay_s = near.coordinates(directions, near_m)
        return Steering(idx.astype(np.int32), weight, delays + near_delay_s * self.sample_rate, distance,
                        rows, near_weight)

    def spectra(self, directions: np.ndarray, n_fft: int) -> np.ndarray:
        """Transfer functions [shape=(n, 2, n_fft//2+1), complex64] for directions [shape=(n, 3)]."""
        return self.bank(n_fft).transfer(self.steering(directions))

    def hrir(self, azimuth_deg: float, elevation_deg: float, n_fft: int | None = None) -> np.ndarray:
        """The interpolated impulse response pair [shape=(2, length)] for one direction."""
        n_fft = n_fft or int(2 ** np.ceil(np.log2(self.length)))
        spectra = self.spectra(to_unit_vector([azimuth_deg], [elevation_deg]), n_fft)[0]
        return np.fft.irfft(spectra, n_fft, axis=-1)[:, : self.length].astype(np.float32)

    # --- kept on disk ------------------------------------------------------------------------------

    def arrays(self) -> dict[str, np.ndarray]:
        """What :meth:`from_arrays` needs, and the lookup table, as plain arrays."""
        return {"directions": self.directions, "minphase": self.minphase, "delays": self.delays,
                "sample_rate": np.array(self.sample_rate), "cells": self._lookup(),
                "distance_m": np.array(np.nan if self.distance_m is None else self.distance_m),
                "head_radius_m": np.array(self.head_radius_m), "format": np.array(CACHE_FORMAT)}

    @classmethod
    def from_arrays(cls, arrays, source: str = "") -> HRTF:
        """An HRTF from :meth:`arrays` (a dict or an open npz)."""
        if int(arrays["format"]) != CACHE_FORMAT:
            raise ValueError("another cache format")
        m = len(arrays["directions"])
        if (arrays["directions"].shape != (m, 3) or arrays["minphase"].ndim != 3
                or arrays["minphase"].shape[:2] != (m, 2) or arrays["delays"].shape != (m, 2)
                or not all(np.all(np.isfinite(arrays[k])) for k in ("directions", "minphase", "delays"))):
            raise ValueError("arrays do not fit together")
        distance = float(arrays["distance_m"])
        hrtf = cls(arrays["directions"], arrays["minphase"], arrays["delays"], int(arrays["sample_rate"]),
                   source=source, distance_m=distance if np.isfinite(distance) else None,
                   head_radius_m=float(arrays["head_radius_m"]))
        cells = np.asarray(arrays["cells"])
        if cells.ndim != 2 or len(cells) != np.prod(_lookup_shape()) or cells.min(initial=0) < 0 \
                or cells.max(initial=0) >= len(hrtf._triangles):
            raise ValueError("lookup table does not fit the triangulation")
        hrtf._cells = cells.astype(np.int32)
        return hrtf


def _lookup_shape() -> tuple[int, int]:
    """Rows (elevation) and columns (azimuth) of the lookup table."""
    return int(round(180 / LOOKUP_CELL_DEG)), int(round(360 / LOOKUP_CELL_DEG))


def _cache_file(digest: str, sample_rate: int) -> Path:
    return user_dir("cache") / "hrtf" / f"{digest[:40]}-{sample_rate}-v{CACHE_FORMAT}.npz"


def _read_cache(file: Path, sample_rate: int, source: str) -> HRTF | None:
    """The HRTF kept in ``file``, or None if it is missing or cannot be read whole (it is then written again)."""
    try:
        with np.load(file, allow_pickle=False) as arrays:
            hrtf = HRTF.from_arrays(arrays, source=source)
    except Exception:  # missing, truncated, corrupt, another format: prepare it again
        return None
    return hrtf if hrtf.sample_rate == sample_rate else None


def _write_cache(file: Path, hrtf: HRTF) -> None:
    """Write atomically (a temporary file, then a rename); a cache that cannot be written is skipped."""
    tmp = None
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=file.parent, prefix=".hrtf-", suffix=".tmp", delete=False) as out:
            tmp = out.name
            np.savez(out, **hrtf.arrays())
        os.replace(tmp, file)
        tmp = None
    except OSError:
        pass  # a read-only or full disk: render without the cache
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


@functools.lru_cache(maxsize=4)
def _load_cached(path: str, _mtime: int, sample_rate: int) -> HRTF:
    file = Path(path)
    try:
        digest = hashlib.sha256(file.read_bytes()).hexdigest() if file.is_file() else None
    except OSError:
        digest = None  # read_sofa says what is wrong
    cached = _cache_file(digest, sample_rate) if digest else None
    hrtf = _read_cache(cached, sample_rate, path) if cached else None
    if hrtf is None:
        hrir, directions, rate, delays = read_sofa(path)
        distance, head = sofa_geometry(path)
        hrtf = HRTF.prepare(hrir, directions, rate, sample_rate, file_delays=delays, source=path,
                            distance_m=distance, head_radius_m=head)
        if cached:
            _write_cache(cached, hrtf)
    return hrtf
