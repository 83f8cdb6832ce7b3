"""Each source's direction, measured from its own share of a rendered file (informed by the scene's stems).

The scene knows every source's dry sound and path, so the evaluator need
not guess which direction in the file belongs to which source:

1. **Expected power.** Each heard source's stem is read as the renderer
   reads it (gain, offset, loop, ``active_s``:
   :func:`~see2sound.spatial.renderer.load_clips`) and its power in each
   STFT bin (``N_FFT`` = 1024, hop 512, Hann) is scaled by the distance law
   and air absorption along its path: ``P_k(f, t) = |S_k(f, t)|^2
   g(d_k(t))^2 a(f, d_k(t))^2``. The ambience bed is one more sound (1 m, no
   air). The file's lag behind the stems (an HRTF's onset, a codec's
   priming) is found first, by GCC-PHAT, and the stems are read that much
   later. ``m_k = P_k / (sum_j P_j + P_bed)`` is source k's oracle ratio
   mask, how much it dominates the bin, and ``m_k P_k`` its *dominant
   energy* there.
2. **Signatures.** In each segment (``SEGMENT_S`` = 1 s; a last piece
   shorter than half a segment joins the one before), every statistic of
   the file that adds up over uncorrelated sources (the FOA active intensity
   ``Re{W* (X, Y, Z)}``, each loudspeaker's power, the binaural cross-spectrum
   ``L R*`` and each ear's power) is modelled as ``y(f, t) = sum_k P_k(f, t)
   c_k`` (plus the bed's term) and the sources' signatures ``c_k`` are solved
   by least squares over the segment's bins. This is the ratio mask made
   exact: a bin one source dominates speaks for it alone, and a bin several
   share is divided among them by their expected powers instead of pulling
   each toward the others (weighting bins by their masks instead leaves two
   equal broadband noises 90 deg apart 18 deg off in FOA; least squares
   leaves 0.2 deg). A moving source also gets the regressor
   ``P_k(f, t) (t - t_mid)``, so its signature may change across the
   segment; it is read at the source's power-weighted mean time. When a
   heard source's stem (or the bed's) cannot be read, its sound is in the
   file but not in the model, and would be laid on the others: each bin then
   also gets a constant over the segment's frames, which takes up its steady
   part (a steady tone among the modelled sources is then lost with it).
3. **Directions**, in the terms each format can show:

   - **FOA** (AmbiX W Y Z X): the direction of the source's intensity
     signature; the error is the angle to the intended direction.
   - **loudspeakers**: the source's gain on each loudspeaker,
     ``g_i = sqrt(c_ki)``, and its amplitude vector ``sum_i g_i u_i`` over
     the layout's directions (LFE left out); the error is on azimuth. For
     amplitude panning this is Gerzon's velocity vector, which points where
     VBAP aims; the energy vector ``sum_i g_i^2 u_i`` leans to the nearer
     loudspeaker (12 deg at +50 deg in 5.1), so a correct render would not
     score 0 with it.
   - **binaural**: the phase of the source's ``L R*`` signature from 100 to
     600 Hz, and its pair of ear-power signatures in 8 bands from 1.5 to
     8 kHz, are compared with the HRTF's on the horizontal half-circle
     (front or back) at the elevation the source is meant to be at (see
     :func:`_binaural_estimates`); the error is on lateral angle
     ``asin(y)``, since front and back, up and down, cannot be told apart
     from these cues. The source's intended half-circle is used because its
     cues, not its lateral angle, change front to back and with elevation.

   The **intended** direction of a segment is the source's path over the
   segment's frames averaged with the weight of its expected power per frame
   (unit vectors averaged then normalised; lateral angles averaged).
4. **Per source**: ``error = sum_s W_s e_s / sum_s W_s``, the mean of the
   per-segment errors ``e_s`` weighted by the source's dominant energy in
   each, ``W_s = sum m_k P_k`` over the segment's bins: the segments where it
   is loud and stands out count most. A segment where ``W_s`` is below
   ``QUIET`` (-30 dB) of the source's largest is listed without an error
   and does not count.

Not modelled: Doppler's changing delay; rooms (reflections follow their
source's power and pull its signature toward them, as they would pull a
listener; the diffuse tail adds no intensity). A source that is never
heard on its own in a range of frequencies is measured poorly there: a
binaural source with little below 600 Hz near +-90 deg can be read at
+-40 deg, where the KEMAR level differences are nearly the same.

Contents
--------
SEGMENT_S, Segment, SourceDirection, Informed, informed_directions, load_stems, file_latency
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import ParameterError, See2SoundError
from ..formats import get_format
from ..scene import Scene
from ..spatial.distance import air_absorption_gain, distance_gain
from ..spatial.geometry import Path, to_spherical, to_unit_vector
from ..spatial.hrtf import HRTF
from ..spatial.renderer import load_clips
from ..spatial.signals import Signal
from .direction import N_FFT, LateralMap, angle_between_deg

#: Length of the segments a source's direction is measured over.
SEGMENT_S = 1.0
#: A segment where a source's dominant energy is below this fraction of its largest segment's is not scored.
QUIET = 1e-3
#: The file may lag its stems by at most this much (HRTF onsets, codec priming).
LATENCY_MAX_S = 0.1
#: Binaural level differences are measured over this many blocks of a segment.
LEVEL_BLOCKS = 4
#: Sources whose expected powers correlate above this (cosine) play the same sound: they are not told apart.
ALIKE = 0.999
#: Binaural cue tables are made at elevations this far apart.
CONE_STEP_DEG = 10.0
HOP = N_FFT // 2
_WINDOW = np.hanning(N_FFT + 1)[:-1]  # periodic Hann, as scipy.signal.stft's default
_TINY = 1e-30


@dataclass
class Segment:
    """One time segment of a source: its intended and estimated direction, in the measure's terms.

    Directions are unit vectors [shape=(3,)] for ``"sphere"``, angles in
    degrees otherwise; ``estimated`` and ``error_deg`` are None where the
    source is too quiet to score (``QUIET``); ``weight`` is the segment's part
    of the source's per-source error, ``share`` the source's part of the
    segment's expected energy (how much of the segment is its).
    """

    t0_s: float
    t1_s: float
    intended: np.ndarray | float
    estimated: np.ndarray | float | None
    error_deg: float | None
    weight: float
    share: float


@dataclass
class SourceDirection:
    """A source's informed direction: the weighted mean error over its segments and an overall estimate.

    ``alike``: the sources whose expected powers matched this one's in some
    segment (the same sound at the same offset). Such sources cannot be told
    apart; each is given their common direction there.
    """

    id: str
    error_deg: float | None
    estimated: np.ndarray | float | None
    segments: list[Segment] = field(default_factory=list)
    alike: list[str] = field(default_factory=list)  # sources playing the same sound: not told apart


@dataclass
class Informed:
    """The informed measurement of a file: ``kind`` (``"sphere"``, ``"lateral"`` or ``"azimuth"``), each measured
    source by id, why the others were not measured (id -> reason), and the file's lag behind its stems."""

    kind: str
    sources: dict[str, SourceDirection]
    problems: dict[str, str]
    lag_samples: int = 0


@dataclass
class _Stem:
    signal: Signal
    path: Path | None  # None: the ambience bed (1 m, no air)


def load_stems(scene: Scene, sample_rate: int) -> tuple[dict[str, _Stem], _Stem | None, dict[str, str]]:
    """Heard sources' sounds as the renderer reads them: (id -> stem, the bed or None, id -> why not)."""
    stems, problems = {}, {}
    for i, source in enumerate(scene.sources):
        if source.muted:
            problems[source.id] = "muted: not heard"
            continue
        alone = dataclasses.replace(scene, sources=[source], ambience=None)
        try:
            clip = load_clips(alone, sample_rate, [])[source.id]
        except (See2SoundError, OSError, RuntimeError) as exc:  # soundfile's errors are RuntimeErrors
            problems[source.id] = str(exc).replace("sources[0]", f"sources[{i}]", 1)
            continue
        stems[source.id] = _Stem(clip, Path.of(source))
    bed = None
    if scene.ambience is not None and scene.ambience.audio is not None:
        try:
            clip = load_clips(dataclasses.replace(scene, sources=[]), sample_rate, [])["<ambience>"]
            bed = _Stem(clip, None)
        except (See2SoundError, OSError, RuntimeError):
            pass  # the bed's sound is then left unexplained; the sources are still measured
    return stems, bed, problems


def file_latency(audio: np.ndarray, stems: list[_Stem], sample_rate: int, *, max_s: float = LATENCY_MAX_S,
                 window_s: float = 20.0) -> int:
    """How many samples the file lags the stems: the peak of GCC-PHAT between their sums, 0 if there is none.

    ``audio`` [shape=(channels, n)] is the file's channels that carry every
    source in phase (binaural L+R, AmbiX W, the loudspeakers' sum). An HRTF's
    onset (about 70 samples for KEMAR) or a codec's priming would otherwise
    shift every frame of the file against the same frame of the stems.
    """
    n = min(audio.shape[-1], int(window_s * sample_rate))
    if n < 2 or not stems:
        return 0
    mix = np.asarray(audio[..., :n], dtype=np.float64).reshape(-1, n).sum(0)
    dry = sum(np.asarray(stem.signal.samples(0, n), dtype=np.float64) for stem in stems)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    cross = np.fft.rfft(mix, size) * np.conj(np.fft.rfft(dry, size))
    cross /= np.maximum(np.abs(cross), _TINY)
    cc = np.fft.irfft(cross, size)
    reach = min(int(max_s * sample_rate), n - 1)
    lags = np.concatenate([np.arange(reach + 1), np.arange(-reach, 0)])
    values = np.concatenate([cc[:reach + 1], cc[size - reach:]])
    best = int(np.argmax(values))
    # A peak no higher than the noise floor of a PHAT correlation means nothing lines up.
    if values[best] < 5.0 * np.std(values) + np.mean(values):
        return 0
    return int(lags[best])


def _spectra(x: np.ndarray, frames: int) -> np.ndarray:
    """STFT [shape=(..., N_FFT/2+1, frames)] of samples [shape=(..., N_FFT + (frames-1) HOP)]."""
    idx = np.arange(frames)[:, None] * HOP + np.arange(N_FFT)[None, :]
    return np.fft.rfft(x[..., idx] * _WINDOW, axis=-1).swapaxes(-1, -2)


def _padded(audio: np.ndarray, start: int, stop: int) -> np.ndarray:
    """audio[..., start:stop], zeros outside the file."""
    out = np.zeros(audio.shape[:-1] + (stop - start,), dtype=np.float64)
    a, b = max(start, 0), min(stop, audio.shape[-1])
    if b > a:
        out[..., a - start:b - start] = audio[..., a:b]
    return out


def _expected_power(stem: _Stem, start: int, frames: int, times_s: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """|S(f, t)|^2 through the distance law and air [shape=(bins, frames)], the stem read from sample ``start``."""
    x = np.asarray(stem.signal.samples(start, start + N_FFT + (frames - 1) * HOP), dtype=np.float64)
    power = np.abs(_spectra(x, frames)) ** 2
    if stem.path is None:
        return power
    _, distances = stem.path.at(times_s)
    air = air_absorption_gain(freqs, distances).T.astype(np.float64)  # (bins, frames)
    return power * (distance_gain(distances) ** 2)[None, :] * air ** 2


# --- each source's spatial signature, by least squares on the expected powers ----

def _regress(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares coefficients [shape=(..., r, d)] of ``y ~ x.T @ c``; x [shape=(..., r, n)], y [shape=(..., n, d)].

    Regressors are scaled to unit norm first, so the pseudo-inverse's cut-off
    is relative: sources whose powers rise and fall together (the same sound
    at the same offset) share one solution instead of blowing up.
    """
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    xs = x / np.maximum(norms, _TINY)
    gram = xs @ np.swapaxes(xs, -1, -2)
    c = np.linalg.pinv(gram, rcond=1e-8, hermitian=True) @ (xs @ y)
    return c / np.maximum(norms, _TINY)


@dataclass
class _Design:
    """What a segment's bins are explained by.

    ``regressors`` [shape=(r, bins, frames)]: each sound's expected power
    (sources, then the bed), then for each moving source its power times the
    time from the segment's middle, so that its signature may change across
    the segment. ``combine`` [shape=(k, r)] turns the regressors' coefficients
    into each source's signature at its power-weighted mean time.
    ``power`` [shape=(k, bins, frames)]: the sources' expected powers.
    ``floor``: each bin also gets a constant over the frames, which takes up
    steady sound the regressors do not explain (and with it the steady part
    of the sources, so it is only used when such sound is known to be there).
    """

    regressors: np.ndarray
    combine: np.ndarray
    power: np.ndarray
    moving: list[bool]
    bed: np.ndarray | None
    floor: bool = False

    @classmethod
    def of(cls, power: np.ndarray, moving: list[bool], bed: np.ndarray | None, floor: bool = False) -> _Design:
        k, _, frames = power.shape
        tau = (np.arange(frames) - (frames - 1) / 2) / max(frames, 1)
        slopes = [j for j in range(k) if moving[j]]
        rows = [power] + ([bed[None]] if bed is not None else []) + [power[slopes] * tau]
        combine = np.zeros((k, k + (bed is not None) + len(slopes)))
        combine[np.arange(k), np.arange(k)] = 1.0
        frame_power = power.sum(1)  # (k, frames)
        for n, j in enumerate(slopes):
            combine[j, k + (bed is not None) + n] = frame_power[j] @ tau / max(frame_power[j].sum(), _TINY)
        return cls(np.concatenate(rows), combine, power, moving, bed, floor)

    def dominant_energy(self) -> np.ndarray:
        """Each source's expected power counted by its dominance of the bin, ``P_k^2 / sum_j P_j``
        [shape=(k, bins, frames)] (the sum including the bed)."""
        total = self.power.sum(0) + (0.0 if self.bed is None else self.bed)
        return self.power ** 2 / np.maximum(total, _TINY)

    def part(self, frames: slice) -> _Design:
        """The same design over some of the segment's frames."""
        bed = None if self.bed is None else self.bed[..., frames]
        return _Design.of(self.power[..., frames], self.moving, bed, self.floor)

    def signatures(self, y: np.ndarray, bins=slice(None)) -> np.ndarray:
        """Each source's coefficients [shape=(k, d)] for ``y`` [shape=(bins, frames, d)], pooled over ``bins``."""
        x, y = self._floored(self.regressors[:, bins], y)
        return self.combine @ _regress(x.reshape(len(x), -1), y.reshape(-1, y.shape[-1]))

    def signatures_each(self, y: np.ndarray, bins=slice(None)) -> np.ndarray:
        """Each source's coefficients at each bin of ``bins`` [shape=(bins, k, d)], over the frames."""
        x, y = self._floored(self.regressors[:, bins], y)
        return np.einsum("kr,brd->bkd", self.combine, _regress(np.swapaxes(x, 0, 1), y))

    def _floored(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """With ``floor``, a constant per bin over the frames is taken out of both (a per-bin intercept)."""
        if not self.floor:
            return x, y
        return x - x.mean(-1, keepdims=True), y - y.mean(1, keepdims=True)


def _foa_estimates(z: np.ndarray, design: _Design) -> list:
    """Unit vectors of each source's share of the active intensity Re{W* (X, Y, Z)} (None where it vanishes)."""
    w, y, zz, x = z[:4]
    intensity = np.real(np.conj(w)[..., None] * np.stack([x, y, zz], axis=-1))  # (bins, frames, 3)
    v = design.signatures(intensity)
    norms = np.linalg.norm(v, axis=1)
    return [v[k] / norms[k] if norms[k] > _TINY else None for k in range(len(v))]


def _speaker_estimates(z: np.ndarray, design: _Design, units: np.ndarray) -> list:
    """Azimuths in degrees of each source's amplitude vector, from its share of each loudspeaker's power."""
    feeds = np.moveaxis(np.abs(z) ** 2, 0, -1)  # (bins, frames, speakers)
    gains = np.sqrt(np.clip(design.signatures(feeds), 0.0, None))  # (sources, speakers)
    v = gains @ units
    return [float(np.degrees(np.arctan2(v[k, 1], v[k, 0]))) if np.hypot(v[k, 0], v[k, 1]) > _TINY else None
            for k in range(len(v))]


class _Cones:
    """:class:`~.direction.LateralMap` tables on horizontal half-circles of the HRTF, made as they are needed.

    A source's binaural cues are read against the half-circle (front or back)
    at the elevation (to ``CONE_STEP_DEG``) it is meant to be at: what is
    scored is its lateral angle, which front-back and up-down moves do not
    change, but its cues do, so a rear or raised source would otherwise be
    read against the wrong ones.
    """

    def __init__(self, hrtf: HRTF, sample_rate: int):
        self.hrtf, self.sample_rate, self.maps = hrtf, sample_rate, {}

    def around(self, direction: np.ndarray) -> LateralMap:
        az, el = to_spherical(direction)
        key = (float(CONE_STEP_DEG * np.round(el / CONE_STEP_DEG)), bool(abs(az) > 90.0))
        if key not in self.maps:
            lateral = np.arange(-90.0, 90.5, 1.0)
            azimuths = 180.0 - lateral if key[1] else lateral  # behind: the same lateral angles, mirrored front-back
            self.maps[key] = LateralMap(self.hrtf, self.sample_rate,
                                        directions=np.column_stack([azimuths, np.full(len(azimuths), key[0])]))
        return self.maps[key]


def _binaural_estimates(z: np.ndarray, design: _Design, maps: list[LateralMap]) -> list:
    """Lateral angles in degrees per source, from its interaural phase (low) and level (high) differences.

    ``maps``: each source's cue tables. Low bins: each frequency's
    cross-spectrum L R* is regressed over the segment's frames; the phase of
    a source's coefficient is its interaural phase difference there, and its
    low estimate the lateral angle whose HRTF phases agree best
    (``sum_f w_f cos(ipd_f - ipd_f(angle))``, ``w_f`` its dominant energy in
    the bin). Bands: each ear's power over a band's bins is regressed
    likewise, per quarter segment, giving the source's pair of ear levels;
    its high estimate is the lateral angle minimising
    ``sum_b snr_b^2 sin^2(phi_b - phi_b(angle))``, ``phi = atan(right / left)``
    on the power scale (the HRTF's ear powers over the band weighted as the
    regression weighs the bins) and ``snr_b`` the coefficients' size against
    their noise: a weak ear buried under another source's strong one gives a
    small, uncertain level, not an infinite level difference. A still
    source's quarters are pooled; a moving source's quarters give an angle
    each and these are averaged (the pooled levels of an arc are not those of
    its middle). Low and high estimates are averaged, weighted by the
    source's share of the dominant energy in each range.
    """
    left, right = z
    power = design.power
    k = len(power)
    first = maps[0]
    angles = np.stack([m.angles for m in maps])  # (sources, table)
    dominant = design.dominant_energy()
    lr = (left * np.conj(right))[first.low]  # (low bins, frames)
    cross = design.signatures_each(lr[..., None], first.low)[..., 0].T  # (sources, low bins)
    low_weight = dominant[:, first.low].sum(-1)  # (sources, low bins)
    ipd = np.stack([m.ipd for m in maps])  # (sources, table, low bins)
    agreement = (low_weight[:, None] * np.cos(np.angle(cross)[:, None] - ipd)).sum(-1)  # (sources, table)
    low_angles = np.take_along_axis(angles, np.argmax(agreement, axis=1)[:, None], 1)[:, 0]
    ears = np.stack([np.abs(left) ** 2, np.abs(right) ** 2], axis=-1)  # (bins, frames, 2)
    ear_power = np.stack([m.ear_power for m in maps])  # (sources, table, ears, bins)
    edges = np.linspace(0, left.shape[-1], LEVEL_BLOCKS + 1).astype(int)
    misfits, block_weight = [], []
    for lo, hi in itertools.pairwise(edges):
        if hi <= lo:
            continue
        part = design.part(slice(lo, hi))
        misfit = np.zeros(angles.shape)
        for band in first.bands:
            y = ears[band, lo:hi]  # (band bins, frames, 2)
            levels = np.clip(part.signatures(y, band), 0.0, None)  # (sources, 2)
            own = part.power[:, band]  # (sources, band bins, frames)
            noise = np.sqrt(np.mean(y ** 2)) / np.maximum(np.linalg.norm(own.reshape(k, -1), axis=1), _TINY)
            snr2 = (levels ** 2).sum(1) / np.maximum(noise, _TINY) ** 2
            phi = np.arctan2(levels[:, 1], levels[:, 0])
            table = np.einsum("kaef,kf->kae", ear_power[..., band], (own ** 2).sum(-1))
            misfit += snr2[:, None] * np.sin(phi[:, None] - np.arctan2(table[..., 1], table[..., 0])) ** 2
        misfits.append(misfit)
        block_weight.append(sum(dominant[:, band, lo:hi].sum((1, 2)) for band in first.bands))
    misfits, block_weight = np.array(misfits), np.array(block_weight)  # (blocks, sources, table), (blocks, k)
    high_weight = block_weight.sum(0)
    pooled = np.take_along_axis(angles, np.argmin(misfits.sum(0), axis=1)[:, None], 1)[:, 0]
    per_block = np.take_along_axis(angles[None], np.argmin(misfits, axis=2)[..., None], 2)[..., 0]  # (blocks, k)
    followed = (per_block * block_weight).sum(0) / np.maximum(high_weight, _TINY)
    high_angles = np.where(design.moving, followed, pooled)
    low_share = low_weight.sum(1) / max(low_weight.sum(), _TINY)
    high_share = high_weight / max(high_weight.sum(), _TINY)
    out = []
    for j in range(k):
        total = low_share[j] + high_share[j]
        out.append(float((low_share[j] * low_angles[j] + high_share[j] * high_angles[j]) / total)
                   if total > _TINY else None)
    return out


# --- intended directions and errors --------------------------------------------

def _intended(kind: str, directions: np.ndarray, weights: np.ndarray) -> np.ndarray | float:
    """The path's direction over a segment's frames [shape=(frames, 3)], weighted, in the measure's terms."""
    weights = weights if weights.sum() > _TINY else np.ones(len(weights))
    if kind == "lateral":
        lateral = np.degrees(np.arcsin(np.clip(directions[:, 1], -1.0, 1.0)))
        return float(np.sum(weights * lateral) / weights.sum())
    mean = weights @ directions
    if kind == "azimuth":
        return float(np.degrees(np.arctan2(mean[1], mean[0])))
    return mean / max(np.linalg.norm(mean), _TINY)


def _error(kind: str, a, b) -> float:
    if kind == "sphere":
        return float(angle_between_deg(np.asarray(a), np.asarray(b)))
    d = abs(a - b)
    return float(min(d, 360.0 - d)) if kind == "azimuth" else float(d)


def _mean_estimate(kind: str, estimates: list, weights: list):
    """The weighted mean of segment estimates (vectors for sphere and azimuth, angles for lateral)."""
    if not estimates:
        return None
    w = np.asarray(weights)
    if kind == "lateral":
        return float(np.sum(w * np.asarray(estimates)) / w.sum())
    if kind == "sphere":
        vectors = np.asarray(estimates)
    else:
        vectors = to_unit_vector(np.asarray(estimates), np.zeros(len(estimates)))
    mean = w @ vectors
    if kind == "azimuth":
        return float(np.degrees(np.arctan2(mean[1], mean[0])))
    return mean / max(np.linalg.norm(mean), _TINY)


def _segments(n_samples: int, sample_rate: int, segment_s: float) -> list[tuple[int, int, float, float]]:
    """Each segment's frame range [k0, k1) and its times (t0_s, t1_s); frame k is centred on sample k * HOP."""
    frames = n_samples // HOP + 1
    duration_s = n_samples / sample_rate
    count = max(1, math.ceil(duration_s / segment_s - 0.5))
    seg_of_frame = np.minimum((np.arange(frames) * HOP / sample_rate // segment_s).astype(int), count - 1)
    edges = np.searchsorted(seg_of_frame, np.arange(count + 1))
    return [(int(edges[s]), int(edges[s + 1]), s * segment_s, duration_s if s == count - 1 else (s + 1) * segment_s)
            for s in range(count) if edges[s + 1] > edges[s]]


def _alike(power: np.ndarray) -> np.ndarray:
    """Pairs of sources whose expected powers rise and fall together [shape=(k, k), bool]: the same sound."""
    flat = power.reshape(len(power), -1)
    unit = flat / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), _TINY)
    alike = unit @ unit.T > ALIKE
    np.fill_diagonal(alike, False)
    return alike


def informed_directions(audio: np.ndarray, sample_rate: int, fmt: str, scene: Scene, *,
                        hrtf: HRTF | None = None, segment_s: float = SEGMENT_S) -> Informed:
    """Each heard source's direction error, measured from its own share of the file (see module docstring).

    Parameters
    ----------
    audio : np.ndarray [shape=(channels, n)]
        The rendered file, in ``fmt``'s channel order (SPEC §3).
    sample_rate : int
    fmt : str
        Its format (binaural, foa, stereo, 5.1, 7.1).
    scene : Scene
        The scene it was rendered from; its stems are read at ``sample_rate``.
    hrtf : HRTF, optional
        The HRTF binaural cues are mapped through (default: the bundled KEMAR).
    segment_s : float
        Length of the time segments.

    Returns
    -------
    Informed
        ``kind``: ``"sphere"`` (FOA: angle), ``"lateral"`` (binaural) or
        ``"azimuth"`` (loudspeakers); ``sources``: id -> :class:`SourceDirection`
        for every source whose stem was read; ``problems``: id -> why a source
        was not measured (muted, or its stem could not be read).

    Examples
    --------
    >>> result = informed_directions(foa, 48000, "foa", scene)   # doctest: +SKIP
    >>> round(result.sources["dog-1"].error_deg, 1)             # doctest: +SKIP
    0.2
    """
    if not segment_s > 0:
        raise ParameterError("segment_s", f"must be positive, got {segment_s}")
    output = get_format(fmt)
    stems, bed, problems = load_stems(scene, sample_rate)
    bed_missing = bed is None and scene.ambience is not None and scene.ambience.audio is not None
    if output.is_ambisonic:
        kind, channels = "sphere", [0, 1, 2, 3]

        def estimate(z, design, toward):
            return _foa_estimates(z, design)
    elif output.is_binaural:
        kind, channels = "lateral", [0, 1]
        cones = _Cones(hrtf or HRTF.load(sample_rate=sample_rate), sample_rate)

        def estimate(z, design, toward):
            return _binaural_estimates(z, design, [cones.around(u) for u in toward])
    else:
        kind, channels = "azimuth", output.layout.speakers
        units = output.layout.speaker_directions()

        def estimate(z, design, toward):
            return _speaker_estimates(z, design, units)
    ids = list(stems)
    if not ids:
        return Informed(kind, {}, problems)
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / sample_rate)
    audio = audio[channels]
    sounds = [stems[i] for i in ids] + ([bed] if bed is not None else [])
    lag = file_latency(audio[:1] if output.is_ambisonic else audio, sounds, sample_rate)
    moving = [not stems[i].path.is_still for i in ids]
    # Heard sound the scene cannot give back (a stem not read) would be laid on the sources that are modelled.
    floor = any(not source.muted and source.id in problems for source in scene.sources) or bed_missing
    rows: dict[str, list[tuple]] = {i: [] for i in ids}
    alike = np.zeros((len(ids), len(ids)), bool)
    for k0, k1, t0_s, t1_s in _segments(audio.shape[-1], sample_rate, segment_s):
        frames = k1 - k0
        start = k0 * HOP - N_FFT // 2
        times_s = np.arange(k0, k1) * HOP / sample_rate
        z = _spectra(_padded(audio, start, start + N_FFT + (frames - 1) * HOP), frames)
        heard = np.stack([_expected_power(stem, start - lag, frames, times_s, freqs) for stem in sounds])
        power = heard[:len(ids)]
        design = _Design.of(power, moving, heard[len(ids)] if bed is not None else None, floor=floor)
        paths = [stems[i].path.at(times_s)[0] for i in ids]
        toward = np.array([_intended("sphere", d, p.sum(0)) for d, p in zip(paths, power)])
        estimates = estimate(z, design, toward)
        weight = design.dominant_energy().sum((1, 2))
        share = heard.sum((1, 2)) / max(heard.sum(), _TINY)
        alike |= _alike(power)
        for j, sid in enumerate(ids):
            goal = _intended(kind, paths[j], power[j].sum(0))
            rows[sid].append((t0_s, t1_s, goal, estimates[j], float(weight[j]), float(share[j])))
    measured = {sid: _summarise(sid, kind, rows[sid]) for sid in ids}
    for j, sid in enumerate(ids):
        measured[sid].alike = [ids[i] for i in np.flatnonzero(alike[j])]
    return Informed(kind, measured, problems, lag)


def _summarise(sid: str, kind: str, rows: list[tuple]) -> SourceDirection:
    loudest = max(r[4] for r in rows)
    scored = [r[4] >= QUIET * loudest and r[3] is not None and loudest > 0 for r in rows]
    total = sum(r[4] for r, ok in zip(rows, scored) if ok)
    segments, errors, weights, estimates = [], [], [], []
    for (t0, t1, goal, found, energy, share), ok in zip(rows, scored):
        err = _error(kind, goal, found) if ok else None
        segments.append(Segment(t0, t1, goal, found if ok else None, err, energy / total if ok else 0.0, share))
        if ok:
            errors.append(err)
            weights.append(energy)
            estimates.append(found)
    error = float(np.dot(errors, weights) / sum(weights)) if errors else None
    return SourceDirection(sid, error, _mean_estimate(kind, estimates, weights), segments)
