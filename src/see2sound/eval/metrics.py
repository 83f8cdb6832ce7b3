"""Metrics as the field computes them: SELD scores, intensity-vector and ITD errors.

Each is defined here in full, with where it comes from, so a number can be
compared with a published one.

SELD (DCASE 2023-2024 task 3)
-----------------------------
Sources: Politis, Mesaros, Adavanne, Heittola and Virtanen, "Overview and
evaluation of sound event localization and detection in DCASE 2019",
IEEE/ACM TASLP 29, 2021 (the location-aware detection and class-aware
localisation metrics); Mesaros et al., "Joint measurement of localization
and detection of sound events", WASPAA 2019; and the DCASE 2022-2023
baseline's ``SELD_evaluation_metrics.SELDMetrics.update_seld_scores`` and
``cls_feature_class.segment_labels`` (github.com/sharathadavanne/seld-dcase2023),
whose bookkeeping :class:`SeldMetrics` follows step by step:

1. Labels (:class:`~.seld.Labels`, 100 ms frames) are grouped into
   segments of ``segment_frames`` = 10 frames (1 s).
2. In a segment, for each class c present in the reference or the
   prediction, ``n_ref`` and ``n_pred`` are the largest number of events of
   c in any one frame of the segment.
3. Class c in both: in each frame where both have c, the frame's reference
   and predicted directions are paired by the Hungarian algorithm on
   angular distance. A reference "track" is an event's position in its
   frame's list of events of c (rows in file order; :func:`~.seld.scene_labels`
   writes them by source index), as the baseline does (it leaves real track
   ids as a TODO). Each reference track paired in at least one frame gives
   one localisation pair whose error is the mean of its per-frame angular
   distances: it is a TP if that error is at most the threshold (20
   degrees), else a *spatial FP* (counted as one FP in the segment's error
   count). Beyond the pairs, ``n_pred - n_ref`` > 0 more are FPs, and
   ``n_ref - n_pred`` > 0 more are FNs. If the two share no frame, the
   baseline counts ``n_pred`` FNs (not ``n_ref``, and no FP); so do we.
   Class c only in the reference: ``n_ref`` FNs; only predicted: ``n_pred`` FPs.
4. Per segment, over all classes: S = min(FP, FN), D = max(0, FN - FP),
   I = max(0, FP - FN), where FP counts spatial FPs too.

Then, with N the sum of ``n_ref`` over segments and classes:

- ER_20 = (sum S + sum D + sum I) / N (not class-averaged; 0 with no
  errors and no reference, inf with errors but no reference);
- per class, F_20 = TP / (TP + FP_spatial + (FP + FN) / 2), i.e.
  2TP / (2TP + FP + FN) with a mislocated event counted as both an FP and
  an FN; LE_CD = (sum of pair errors) / (number of pairs), 180 where a
  class has no pair; LR_CD = pairs / (pairs + FN);
- F, LE_CD and LR_CD are macro-averaged over classes (``average="macro"``,
  as ranked in 2023). Over which classes: the baseline averages over all
  ``nb_classes`` of the dataset, a class absent from both sides counting
  F = 0, LE = 180, LR = 0. ``classes=13`` (or any count or list) does
  exactly that; by default (``classes=None``) the average is over the
  classes present in the reference or the prediction, which is what a
  single scene with its own class map can say;
- SELD score = mean(ER, 1 - F, LE / 180, 1 - LR) (the baseline's
  ``early_stopping_metric``).

Frames: by default the evaluation runs over ``max(last reference frame,
last predicted frame) + 1`` frames; the baseline uses the reference's last
frame index (dropping that frame when it is a multiple of 10, and any
prediction beyond it); pass ``n_frames`` to fix it (e.g. the recording's
length / 0.1 s). DCASE 2024's distance-aware variant (relative distance
error and its threshold) is not computed.

Intensity-vector angular error (FOA)
------------------------------------
The direction of an AmbiX signal [W, Y, Z, X] is that of its time-averaged
active intensity, I = Re{W^* [X, Y, Z]} summed over frequency (optionally
over a band), which for real signals without a band is, by Parseval, the
time average mean_t w(t) [x(t), y(t), z(t)]. With SN3D a plane wave from
unit vector u gives I = mean(s^2) u: it points at the source. The error is
the angle between that direction and the intended one (a unit vector, or
the intensity direction of a reference FOA recording), in **radians**,
per file or per segment: err = arccos(<I/|I|, u>). This is the
"angular error of the intensity-vector DOA" with which SonoWorld, and
OmniAudio (Sphere360), evaluate generated FOA against ground truth; their
code was not at hand, so the definition above is what is computed.

ITD error (binaural)
--------------------
The interaural time difference is the lag of the peak of the generalised
cross-correlation with phase transform (Knapp and Carter, IEEE TASSP 24(4),
1976): R(tau) = IFFT[ L^*(f) R(f) / |L^*(f) R(f)| ], restricted to 100 Hz -
1.5 kHz (where interaural phase is unambiguous on a human head), searched
within +-1 ms, on a correlation interpolated 8x by zero-padding the
spectrum and refined by a parabola through the peak and its neighbours.
ITD > 0 means the sound reaches the left ear first (a source on the left,
SPEC §1's +y). The error is |ITD(rendered) - ITD(reference)| in
microseconds, the reference being an ITD in seconds or a binaural pair (a
recording, or the HRTF's impulse response for the intended direction,
:func:`hrtf_itd_s`).

Energy maps per segment
-----------------------
:func:`segment_map_scores` gives CC and AUC-Judd
(:func:`see2sound.eval.direction.energy_map_scores`, on its 2000-point
sphere grid) for each 1 s segment of an FOA file against the labelled
directions active in that segment.

Contents
--------
SeldMetrics, seld_scores, angular_distance_deg
intensity_vectors, intensity_angular_error_rad
gcc_phat_itd_s, hrtf_itd_s, itd_error_us
segment_map_scores
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..errors import ParameterError
from ..spatial.geometry import to_unit_vector
from .seld import Labels

DOA_THRESHOLD_DEG = 20.0
SEGMENT_FRAMES = 10
ITD_BAND_HZ = (100.0, 1500.0)
ITD_MAX_LAG_S = 1e-3
ITD_UPSAMPLE = 8


def angular_distance_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle angles in degrees between unit vectors a [shape=(..., 3)] and b (broadcast)."""
    return np.degrees(np.arccos(np.clip(np.sum(np.asarray(a) * np.asarray(b), axis=-1), -1.0, 1.0)))


# --- SELD -----------------------------------------------------------------------

_FIELDS = ("tp", "fp", "fp_spatial", "fn", "n_ref", "pairs", "pair_error_deg", "pair_fn", "pair_fp")


def _segments(labels: Labels, n_frames: int, segment_frames: int) -> list[dict[int, dict[int, list]]]:
    """Per segment: class -> frame -> unit vectors of its events, in row order; rows past n_frames dropped."""
    out: list[dict[int, dict[int, list]]] = [{} for _ in range(-(-n_frames // segment_frames))]
    units = to_unit_vector(labels.azimuth_deg, labels.elevation_deg).reshape(-1, 3)
    for frame, cls, u in zip(labels.frame, labels.class_index, units):
        if frame < n_frames:
            out[frame // segment_frames].setdefault(int(cls), {}).setdefault(int(frame), []).append(u)
    return out


class SeldMetrics:
    """DCASE 2023-2024 SELD scores, accumulated over any number of files (module docstring).

    Examples
    --------
    >>> ref = Labels([0], [0], [0], [30.0], [0.0])
    >>> pred = Labels([0], [0], [0], [40.0], [0.0])
    >>> m = SeldMetrics(); m.update(ref, pred)
    >>> s = m.scores(); (s["error_rate"], s["f_score"], round(s["le_cd_deg"], 6), s["lr_cd"])
    (0.0, 1.0, 10.0, 1.0)
    """

    def __init__(self, *, doa_threshold_deg: float = DOA_THRESHOLD_DEG, segment_frames: int = SEGMENT_FRAMES):
        if not doa_threshold_deg > 0:
            raise ParameterError("doa_threshold_deg", f"must be positive, got {doa_threshold_deg!r}")
        if not (isinstance(segment_frames, int) and segment_frames >= 1):
            raise ParameterError("segment_frames", f"expected a whole number >= 1, got {segment_frames!r}")
        self.doa_threshold_deg = float(doa_threshold_deg)
        self.segment_frames = segment_frames
        self.counts: dict[int, dict[str, float]] = defaultdict(lambda: dict.fromkeys(_FIELDS, 0.0))
        self.substitutions = self.deletions = self.insertions = 0

    def update(self, reference: Labels, prediction: Labels, *, n_frames: int | None = None) -> None:
        """Add one file's reference and predicted labels."""
        n = max(reference.n_frames, prediction.n_frames) if n_frames is None else int(n_frames)
        for ref, pred in zip(_segments(reference, n, self.segment_frames),
                             _segments(prediction, n, self.segment_frames)):
            fn_here = fp_here = 0
            for cls in sorted(set(ref) | set(pred)):
                fn, fp = self._class_in_segment(cls, ref.get(cls), pred.get(cls))
                fn_here += fn
                fp_here += fp
            self.substitutions += min(fp_here, fn_here)
            self.deletions += max(0, fn_here - fp_here)
            self.insertions += max(0, fp_here - fn_here)

    def _class_in_segment(self, cls: int, ref: dict | None, pred: dict | None) -> tuple[int, int]:
        """Update class ``cls``'s counts for one segment; returns its (FN, FP) for the error count."""
        c = self.counts[cls]
        n_ref = max((len(v) for v in ref.values()), default=0) if ref else 0
        n_pred = max((len(v) for v in pred.values()), default=0) if pred else 0
        c["n_ref"] += n_ref
        if not ref:
            c["fp"] += n_pred
            c["pair_fp"] += n_pred
            return 0, n_pred
        if not pred:
            c["fn"] += n_ref
            c["pair_fn"] += n_ref
            return n_ref, 0
        errors: dict[int, list[float]] = {}
        for frame, ref_units in ref.items():
            if frame not in pred:
                continue
            cost = angular_distance_deg(np.array(ref_units)[:, None, :], np.array(pred[frame])[None, :, :])
            for r, p in zip(*linear_sum_assignment(cost)):
                errors.setdefault(int(r), []).append(float(cost[r, p]))
        if not errors:  # never in the same frame: the baseline's count
            c["fn"] += n_pred
            c["pair_fn"] += n_pred
            return n_pred, 0
        fn = fp = 0
        for per_frame in errors.values():
            error = float(np.mean(per_frame))
            c["pair_error_deg"] += error
            c["pairs"] += 1
            if error <= self.doa_threshold_deg:
                c["tp"] += 1
            else:
                c["fp_spatial"] += 1
                fp += 1
        if n_pred > n_ref:
            c["fp"] += n_pred - n_ref
            c["pair_fp"] += n_pred - n_ref
            fp += n_pred - n_ref
        elif n_ref > n_pred:
            c["fn"] += n_ref - n_pred
            c["pair_fn"] += n_ref - n_pred
            fn += n_ref - n_pred
        return fn, fp

    def scores(self, classes: int | Iterable[int] | None = None) -> dict:
        """ER_20, macro F_20, LE_CD, LR_CD and the SELD score, with per-class values and counts.

        ``classes``: None for the classes seen on either side; a count n for
        classes 0..n-1 (the baseline's ``nb_classes``); or a list of indices.
        """
        if classes is None:
            chosen = sorted(self.counts)
        elif isinstance(classes, (int, np.integer)):
            chosen = list(range(int(classes)))
        else:
            chosen = sorted(int(c) for c in classes)
        n_ref = sum(c["n_ref"] for c in self.counts.values())
        errors = self.substitutions + self.deletions + self.insertions
        er = errors / n_ref if n_ref else (0.0 if errors == 0 else float("inf"))
        per_class = {}
        for cls in chosen:
            c = self.counts[cls] if cls in self.counts else dict.fromkeys(_FIELDS, 0.0)
            f_den = c["tp"] + c["fp_spatial"] + 0.5 * (c["fp"] + c["fn"])
            per_class[cls] = {
                "f_score": c["tp"] / f_den if f_den else 0.0,
                "le_cd_deg": c["pair_error_deg"] / c["pairs"] if c["pairs"] else 180.0,
                "lr_cd": c["pairs"] / (c["pairs"] + c["pair_fn"]) if c["pairs"] + c["pair_fn"] else 0.0,
                **{k: int(c[k]) for k in ("tp", "fp", "fp_spatial", "fn", "n_ref", "pairs")},
            }

        def mean(key):
            return float(np.mean([v[key] for v in per_class.values()])) if per_class else float("nan")

        f, le, lr = mean("f_score"), mean("le_cd_deg"), mean("lr_cd")
        return {
            "error_rate": float(er), "f_score": f, "le_cd_deg": le, "lr_cd": lr,
            "seld_score": float(np.mean([er, 1 - f, le / 180.0, 1 - lr])),
            "substitutions": int(self.substitutions), "deletions": int(self.deletions),
            "insertions": int(self.insertions), "n_ref": int(n_ref),
            "classes": per_class, "averaged_over": chosen,
            "doa_threshold_deg": self.doa_threshold_deg, "segment_frames": self.segment_frames,
        }


def seld_scores(reference: Labels, prediction: Labels, *, classes: int | Iterable[int] | None = None,
                doa_threshold_deg: float = DOA_THRESHOLD_DEG, segment_frames: int = SEGMENT_FRAMES,
                n_frames: int | None = None) -> dict:
    """SELD scores of one prediction against one reference (see :class:`SeldMetrics`)."""
    metrics = SeldMetrics(doa_threshold_deg=doa_threshold_deg, segment_frames=segment_frames)
    metrics.update(reference, prediction, n_frames=n_frames)
    return metrics.scores(classes)


# --- intensity vectors -----------------------------------------------------------

def _segment_bounds(n: int, sample_rate: int | None, segment_s: float | None) -> list[tuple[int, int]]:
    if segment_s is None:
        return [(0, n)]
    if sample_rate is None or not segment_s > 0:
        raise ParameterError("segment_s", "needs a positive length and the sample_rate")
    step = max(1, round(segment_s * sample_rate))
    return [(a, min(a + step, n)) for a in range(0, n, step)]


def intensity_vectors(foa: np.ndarray, *, sample_rate: int | None = None, segment_s: float | None = None,
                      band_hz: tuple[float, float] | None = None) -> np.ndarray:
    """Time-averaged active intensity [shape=(segments, 3)] (x, y, z) of AmbiX audio [shape=(>=4, n)].

    Only ACN 0-3 (W, Y, Z, X) are used. Without ``segment_s``, one vector for
    the whole signal. ``band_hz`` restricts the sum over frequency (needs
    ``sample_rate``). Convert other conventions first
    (:func:`see2sound.eval.channels.to_ambix`).
    """
    foa = np.asarray(foa, dtype=np.float64)
    if foa.ndim != 2 or foa.shape[0] < 4:
        raise ParameterError("foa", f"expected AmbiX audio of shape (4, samples), got {foa.shape}")
    if band_hz is not None and sample_rate is None:
        raise ParameterError("band_hz", "needs the sample_rate")
    out = []
    for a, b in _segment_bounds(foa.shape[1], sample_rate, segment_s):
        w, y, z, x = foa[:4, a:b]
        if band_hz is None:
            out.append([np.mean(w * x), np.mean(w * y), np.mean(w * z)])
            continue
        spectra = np.fft.rfft(foa[:4, a:b], axis=-1)
        freqs = np.fft.rfftfreq(b - a, 1.0 / sample_rate)
        keep = (freqs >= band_hz[0]) & (freqs <= band_hz[1])
        sw, sy, sz, sx = spectra[:, keep]
        out.append([np.sum(np.real(np.conj(sw) * s)) for s in (sx, sy, sz)])
    return np.array(out, dtype=np.float64).reshape(-1, 3)


def _unit(v: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 1e-300, v / norm, np.nan)


def intensity_angular_error_rad(foa: np.ndarray, reference: np.ndarray, *, sample_rate: int | None = None,
                                segment_s: float | None = None, band_hz: tuple[float, float] | None = None):
    """Angle in radians between ``foa``'s intensity direction and ``reference``'s.

    Parameters
    ----------
    foa : np.ndarray [shape=(4, n)]  AmbiX
    reference : np.ndarray
        Intended directions, unit vectors [shape=(3,)] or one per segment
        [shape=(segments, 3)]; or a reference AmbiX recording [shape=(4, m)],
        whose own intensity direction (per segment) is the reference.

    Returns
    -------
    float for the whole file, or np.ndarray [shape=(segments,)] with
    ``segment_s``; NaN where either intensity is zero (silence).

    Examples
    --------
    >>> s = np.random.default_rng(0).standard_normal(4800)
    >>> foa = np.stack([s, s, 0 * s, 0 * s])       # W, Y, Z, X: a wave from the left (+y)
    >>> round(intensity_angular_error_rad(foa, np.array([1.0, 0.0, 0.0])), 6)  # intended: ahead
    1.570796
    """
    measured = _unit(intensity_vectors(foa, sample_rate=sample_rate, segment_s=segment_s, band_hz=band_hz))
    reference = np.asarray(reference, dtype=np.float64)
    if reference.shape[-1] == 3:
        wanted = _unit(np.broadcast_to(reference.reshape(-1, 3), measured.shape))
    else:
        wanted = _unit(intensity_vectors(reference, sample_rate=sample_rate, segment_s=segment_s, band_hz=band_hz))
        if len(wanted) != len(measured):
            raise ParameterError("reference", f"{len(wanted)} segments against the file's {len(measured)}")
    error = np.arccos(np.clip(np.sum(measured * wanted, axis=-1), -1.0, 1.0))
    return float(error[0]) if segment_s is None else error


# --- ITD -------------------------------------------------------------------------

def gcc_phat_itd_s(binaural: np.ndarray, sample_rate: int, *, band_hz: tuple[float, float] = ITD_BAND_HZ,
                   max_lag_s: float = ITD_MAX_LAG_S, upsample: int = ITD_UPSAMPLE) -> float:
    """Interaural time difference in seconds (> 0: left ear first) of a pair [shape=(2, n)], by GCC-PHAT.

    Examples
    --------
    >>> x = np.random.default_rng(0).standard_normal(4800)
    >>> pair = np.stack([x, np.concatenate([np.zeros(12), x[:-12]])])  # the right ear 12 samples late
    >>> round(gcc_phat_itd_s(pair, 48000) * 1e6)  # 12 / 48 kHz = 250 us
    250
    """
    pair = np.asarray(binaural, dtype=np.float64)
    if pair.ndim != 2 or pair.shape[0] != 2:
        raise ParameterError("binaural", f"expected a pair of shape (2, samples), got {pair.shape}")
    n = 1 << int(np.ceil(np.log2(2 * pair.shape[1])))
    left, right = np.fft.rfft(pair, n, axis=-1)
    cross = np.conj(left) * right  # peaks at lag +d when the right ear is d samples late
    cross /= np.maximum(np.abs(cross), 1e-30)
    freqs = np.fft.rfftfreq(n, 1.0 / sample_rate)
    cross[(freqs < band_hz[0]) | (freqs > band_hz[1])] = 0.0
    cc = np.fft.irfft(cross, n * upsample)
    max_lag = int(np.ceil(max_lag_s * sample_rate * upsample))
    lags = np.arange(-max_lag, max_lag + 1)
    values = cc[lags]  # negative indices wrap round to negative lags
    k = int(np.argmax(values))
    shift = 0.0
    if 0 < k < len(values) - 1:
        a, b, c = values[k - 1], values[k], values[k + 1]
        den = a - 2 * b + c
        shift = 0.5 * (a - c) / den if den < 0 else 0.0
    return float((lags[k] + shift) / (sample_rate * upsample))


def hrtf_itd_s(hrtf, azimuth_deg: float, elevation_deg: float = 0.0, **kwargs) -> float:
    """The ITD (s) of an :class:`~see2sound.spatial.hrtf.HRTF`'s response for one direction, by GCC-PHAT."""
    return gcc_phat_itd_s(hrtf.hrir(azimuth_deg, elevation_deg), hrtf.sample_rate, **kwargs)


def itd_error_us(binaural: np.ndarray, reference, sample_rate: int, **kwargs) -> float:
    """|ITD(binaural) - ITD(reference)| in microseconds.

    ``reference``: an ITD in seconds, or a binaural pair [shape=(2, m)] at
    ``sample_rate`` (a recording, or an HRIR pair for the intended direction).
    """
    if np.ndim(reference) == 0:
        wanted = float(reference)
    else:
        wanted = gcc_phat_itd_s(reference, sample_rate, **kwargs)
    return abs(gcc_phat_itd_s(binaural, sample_rate, **kwargs) - wanted) * 1e6


# --- energy maps per segment -------------------------------------------------------

def segment_map_scores(foa: np.ndarray, sample_rate: int, reference: Labels, *,
                       segment_frames: int = SEGMENT_FRAMES) -> dict:
    """CC and AUC-Judd of each labelled segment of an AmbiX file, and their means.

    In each segment of ``segment_frames`` label frames that has reference
    events, the targets are the mean direction of each (class, source
    index) over the segment, equally weighted.
    """
    from .direction import energy_map_scores

    seg_s = segment_frames * reference.frame_s
    step = round(seg_s * sample_rate)
    units = to_unit_vector(reference.azimuth_deg, reference.elevation_deg).reshape(-1, 3)
    segment_of = reference.frame // segment_frames
    rows = []
    for seg in np.unique(segment_of):
        a, b = int(seg) * step, min((int(seg) + 1) * step, foa.shape[1])
        if b - a < 2:
            continue
        here = segment_of == seg
        keys = sorted({(int(c), int(t)) for c, t in zip(reference.class_index[here], reference.track[here])})
        targets = []
        for c, t in keys:
            mean = units[here & (reference.class_index == c) & (reference.track == t)].sum(0)
            targets.append(mean / max(np.linalg.norm(mean), 1e-12))
        scores = energy_map_scores(np.asarray(foa)[:4, a:b], np.array(targets))
        rows.append({"segment": int(seg), **scores})
    mean = {k: float(np.mean([r[k] for r in rows])) if rows else float("nan") for k in ("cc", "auc_judd")}
    return {"segments": rows, **mean}
