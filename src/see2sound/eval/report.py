"""Scoring a rendered file against the scene it was rendered from.

``evaluate(audio_path, scene)`` returns the report of SPEC §4:
``{"sources": [{"id", "doa_error_deg", ...}], "summary": {...}}``.

- **Direction, per source** (:mod:`.informed`): with the scene's stems each
  source is measured from its own share of the file, per 1 s segment and
  along its path; ``doa_error_deg`` is the energy-weighted mean of its
  segments' errors (angle for FOA, lateral angle for binaural, azimuth for
  loudspeakers), ``estimated`` its weighted mean direction, ``segments``
  lists ``{t0_s, t1_s, intended, estimated, error_deg, weight, share}``,
  and ``method`` says ``"informed"``.
- **Direction, position only** (:mod:`.direction`): the file's direction
  peaks matched to the sources' positions (a moving source's mean over the
  scene) by angle alone: ``matched_error_deg`` (null where no peak was
  matched) and ``matched_estimate``. It cannot see two sources swapped, but
  needs no stems: where a stem cannot be read, ``doa_error_deg`` is this
  figure, ``method`` says ``"matched"`` and ``note`` why. A muted source is
  not heard: its ``doa_error_deg`` is null, ``method`` ``"not heard"``.
  The summary's ``mean_doa_error_deg`` and ``median_doa_error_deg`` are over
  ``doa_error_deg``; ``mean_matched_error_deg`` and
  ``median_matched_error_deg`` over ``matched_error_deg``.
- **F-score** within 20 deg (DCASE style, on the matched peaks) and, for
  FOA, the energy map's CC and AUC-Judd. With one heard source, the
  whole-file scores the field reports for it: the FOA intensity vector's
  angular error in radians (``intensity_error_rad``) and the binaural ITD
  error against the HRTF's (``itd_error_us``), both from :mod:`.metrics`.
- **Channels**: an FOA file in FuMa or SonoScene360's W,Y,Z,X order is
  converted to AmbiX first (:mod:`.channels`; ``summary.channels`` says which).
- **Sound**: with the optional tagger installed and the scene's stems
  readable, each stem's top-5 AudioSet classes against ``sound.audioset``
  (``tag_hit``).
- **Level**: integrated loudness (FOA through its binaural decode) and true peak.

Contents
--------
evaluate, format_table, infer_format
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import See2SoundError
from ..formats import format_for_channels, format_from_name, get_format
from ..scene import Scene
from ..spatial import loudness
from ..spatial.geometry import Path as SourcePath
from ..spatial.geometry import to_spherical
from ..spatial.hrtf import HRTF
from . import direction, informed, metrics
from .channels import resolve_convention, to_ambix


def infer_format(path: str | os.PathLike, channels: int, given: str | None) -> str:
    """The format of a file: ``given`` (checked against its channels), else from its channels and name.

    An objects format (adm) is refused: its tracks are not what a listener hears until a player renders them.
    """
    named = given or format_from_name(path)
    if named and get_format(named).is_objects:
        raise See2SoundError(f"{path}: an {named} file holds objects, not channels: render it to loudspeakers "
                             "(ear-render) and evaluate that")
    if given:
        expected = get_format(given).channels
        if channels != expected:
            raise See2SoundError(f"{path}: {channels} channels, but format {given} has {expected}")
        return given
    found = format_for_channels(channels, path)
    if found is None:
        raise See2SoundError(f"{path}: {channels} channels is not a see2sound format")
    return found


def intended_directions(scene: Scene) -> np.ndarray:
    """Unit vectors [shape=(sources, 3)]: positions, or trajectories averaged over the scene."""
    out = []
    for source in scene.sources:
        path = SourcePath.of(source)
        if path.is_still:
            out.append(path.directions[0])
        else:
            d, _ = path.at(np.linspace(0.0, scene.duration_s, 200))
            mean = d.mean(axis=0)
            out.append(mean / max(np.linalg.norm(mean), 1e-12))
    return np.array(out).reshape(-1, 3)


def _load(path: Path) -> tuple[np.ndarray, int]:
    if not path.is_file():
        raise See2SoundError(f"{path}: no such audio file")
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:
        raise See2SoundError(f"{path}: not a readable audio file ({str(exc).strip().splitlines()[-1]})") from None
    if data.shape[0] < rate // 2:
        raise See2SoundError(f"{path}: too short to evaluate (at least 0.5 s)")
    if not np.all(np.isfinite(data)):
        raise See2SoundError(f"{path}: audio contains NaN or infinite samples")
    return data.T, rate


def _tags(scene: Scene, sample_rate: int) -> dict[str, dict]:
    from ..sound import tagger

    if not tagger.available():
        return {}
    model = tagger.load_tagger()
    out = {}
    for source in scene.sources:
        wanted = set((source.sound or {}).get("audioset") or [])
        if source.audio is None or not wanted:
            continue
        stem = scene.resolve(source.audio.path)
        if not stem.is_file():
            continue
        x, rate = sf.read(str(stem), dtype="float32", always_2d=True)
        top = [name for name, _ in model.top(x.mean(axis=1), rate, 5)]
        out[source.id] = {"tag_hit": bool(wanted & set(top)), "tags": top}
    return out


def _angles(kind: str, value) -> dict:
    """A direction in the measure's terms, as the report writes it."""
    if kind == "sphere":
        az, el = to_spherical(np.asarray(value))
        return {"azimuth_deg": round(float(az), 2), "elevation_deg": round(float(el), 2)}
    return {"lateral_deg" if kind == "lateral" else "azimuth_deg": round(float(value), 2)}


def _rounded(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 2)


def _informed_entry(measured: informed.SourceDirection, kind: str) -> dict:
    entry = {"doa_error_deg": _rounded(measured.error_deg), "method": "informed"}
    if measured.alike:
        entry["note"] = (f"plays the same sound as {', '.join(measured.alike)}: not told apart, "
                         "each is measured at their common direction")
    if measured.estimated is not None:
        entry["estimated"] = _angles(kind, measured.estimated)
    entry["segments"] = [
        {"t0_s": round(seg.t0_s, 3), "t1_s": round(seg.t1_s, 3), "intended": _angles(kind, seg.intended),
         "estimated": None if seg.estimated is None else _angles(kind, seg.estimated),
         "error_deg": _rounded(seg.error_deg), "weight": round(seg.weight, 4), "share": round(seg.share, 4)}
        for seg in measured.segments]
    return entry


def _mean_median(values: list) -> tuple[float | None, float | None]:
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    return round(float(np.mean(values)), 2), round(float(np.median(values)), 2)


def evaluate(audio_path: str | os.PathLike, scene: Scene, *, fmt: str | None = None,
             hrtf: str | os.PathLike | None = None, tags: bool = True, informed_direction: bool = True,
             channels: str | None = None) -> dict:
    """The evaluation report of a rendered file against its scene (see module docstring).

    ``informed_direction=False`` scores direction by position-only matching alone (no stems read).
    ``channels``: an FOA file's convention (``ambix``, ``fuma``, ``wyzx``; default: what its
    metadata or name says, else AmbiX), converted to AmbiX before anything is measured.
    """
    audio_path = Path(audio_path)
    audio, rate = _load(audio_path)
    fmt = infer_format(audio_path, audio.shape[0], fmt)
    if not scene.sources:
        raise See2SoundError("the scene has no sources to evaluate")
    output = get_format(fmt)
    convention = None
    if output.is_ambisonic:
        convention = resolve_convention(audio_path, channels)
        audio = to_ambix(audio, convention)
    elif channels is not None:
        raise See2SoundError(f"channels={channels!r}: a channel convention is for ambisonic files, not {fmt}")
    hrtf_set = HRTF.load(hrtf, rate) if output.is_binaural or output.is_ambisonic else None
    targets = intended_directions(scene)
    estimate = direction.estimate_directions(audio, rate, fmt, hrtf_set)
    err, which = direction.match(estimate, targets)
    goal = direction.intended(estimate.kind, targets)
    measure = {"sphere": "angle", "lateral": "lateral angle", "azimuth": "azimuth"}[estimate.kind]
    if informed_direction:
        found = informed.informed_directions(audio, rate, fmt, scene, hrtf=hrtf_set)
    else:
        found = informed.Informed(estimate.kind, {}, {s.id: "informed measure not asked for" for s in scene.sources})
    tag_info = _tags(scene, rate) if tags else {}
    sources = []
    for i, source in enumerate(scene.sources):
        matched = None if math.isnan(err[i]) else round(float(err[i]), 2)
        peak = _angles(estimate.kind, estimate.peaks[which[i]]) if which[i] >= 0 else None
        entry = {"id": source.id, "label": source.label, "doa_error_deg": matched, "method": "matched",
                 "measure": measure,
                 "intended": _angles(estimate.kind, targets[i] if estimate.kind == "sphere" else goal[i]),
                 "matched_error_deg": matched}
        if peak is not None:
            entry["matched_estimate"] = peak
        if source.id in found.sources:
            entry.update(_informed_entry(found.sources[source.id], estimate.kind))
        elif source.muted:
            entry.update({"doa_error_deg": None, "method": "not heard", "note": "muted: not heard"})
        else:
            entry.update({"estimated": peak} if peak is not None else {})
            entry["note"] = f"position-only: {found.problems.get(source.id, 'no stem')}"
        entry.update(tag_info.get(source.id, {}))
        sources.append(entry)
    methods = {e["method"] for e in sources if e["method"] != "not heard"}
    mean, median = _mean_median([e["doa_error_deg"] for e in sources])
    matched_mean, matched_median = _mean_median([e["matched_error_deg"] for e in sources])
    summary = {
        "format": fmt,
        "sample_rate": rate,
        "duration_s": round(audio.shape[1] / rate, 3),
        "measure": measure,
        "sources": len(scene.sources),
        "direction_method": methods.pop() if len(methods) == 1 else ("mixed" if methods else "none"),
        "mean_doa_error_deg": mean,
        "median_doa_error_deg": median,
        "mean_matched_error_deg": matched_mean,
        "median_matched_error_deg": matched_median,
        "peaks_found": int(len(estimate.peaks)),
        **direction.fscore(estimate, targets),
    }
    if found.sources:
        summary.update({"segment_s": informed.SEGMENT_S, "lag_samples": found.lag_samples})
    if output.is_ambisonic:
        summary["channels"] = convention
        summary.update({k: round(v, 4) for k, v in direction.energy_map_scores(audio, targets).items()})
    summary.update(_single_source_scores(audio, rate, output, scene, targets, hrtf_set))
    summary.update(_level(audio, rate, fmt, hrtf_set))
    if tag_info:
        summary["tag_hit_rate"] = round(float(np.mean([t["tag_hit"] for t in tag_info.values()])), 3)
    return {"file": str(audio_path), "sources": sources, "summary": summary}


def evaluate_file(audio_path: str | os.PathLike, scene: Scene, *, fmt: str | None = None,
                  hrtf: str | os.PathLike | None = None, tags: bool = True, compare: str | os.PathLike | None = None,
                  original_metrics: bool = False, informed_direction: bool = True, channels: str | None = None) -> dict:
    """:func:`evaluate`, plus SEE-2-SOUND's similarity scores against ``compare`` when given
    (the original's variants with ``original_metrics``)."""
    report = evaluate(audio_path, scene, fmt=fmt, hrtf=hrtf, tags=tags, informed_direction=informed_direction,
                      channels=channels)
    if compare is not None:
        from ..io.audio import resample
        from . import similarity

        a, rate_a = _load(Path(audio_path))
        b, rate_b = _load(Path(compare))
        scores = similarity.compare(a, resample(b, rate_b, rate_a), rate_a, original=original_metrics)
        report["similarity"] = {"against": str(compare), "variant": "original" if original_metrics else "correct",
                                **{k: round(v, 4) for k, v in scores.items()}}
    return report


def _single_source_scores(audio: np.ndarray, rate: int, output, scene: Scene, targets: np.ndarray,
                          hrtf: HRTF | None) -> dict:
    """The whole-file direction scores the field reports for one source: FOA intensity-vector error, binaural ITD error.

    Only with exactly one heard source (a single intensity vector or ITD
    says nothing of a mixture); a moving source is judged against its mean
    direction. See :mod:`.metrics` for the definitions.
    """
    heard = [i for i, s in enumerate(scene.sources) if not s.muted]
    if len(heard) != 1:
        return {}
    target = targets[heard[0]]
    if output.is_ambisonic:
        return {"intensity_error_rad": _finite(metrics.intensity_angular_error_rad(audio, target), 4)}
    if output.is_binaural:
        azimuth, elevation = to_spherical(target)
        wanted = metrics.hrtf_itd_s(hrtf, float(azimuth), float(elevation))
        return {"itd_error_us": _finite(metrics.itd_error_us(audio, wanted, rate), 1)}
    return {}


def _finite(value: float, digits: int) -> float | None:
    """``value`` rounded, or None where it is not a number (a silent file)."""
    return round(float(value), digits) if math.isfinite(value) else None


def _level(audio: np.ndarray, rate: int, fmt: str, hrtf: HRTF | None) -> dict:
    output = get_format(fmt)
    where = output.loudness_on
    if where == "binaural decode":
        from ..spatial.ambisonics import decode_binaural

        measured = loudness.integrated_loudness(decode_binaural(audio, hrtf, order=output.ambisonic_order), rate)
    else:
        weights = output.loudness_weights
        weights = weights and loudness.channel_weights(weights, output.layout.elevations_deg)
        measured = loudness.integrated_loudness(audio, rate, weights)
    return {"loudness_lufs": round(measured, 2) if math.isfinite(measured) else None,
            "loudness_measured_on": where, "true_peak_dbtp": round(loudness.true_peak_dbtp(audio), 2)}


def format_table(report: dict) -> str:
    """A plain-text table of a report, one line per source and a summary."""
    s = report["summary"]
    lines = [f"{report['file']}: {s['format']}, {s['duration_s']} s, error measured as {s['measure']}",
             f"{'source':16s} {'intended':>10s} {'estimated':>10s} {'error':>8s} {'matched':>8s}  tags"]

    def cell(value):
        return "-" if value is None else f"{value:.1f}"

    for src in report["sources"]:
        intended = next(iter(src["intended"].values()))
        estimated = next(iter(src.get("estimated", {"": float("nan")}).values()))
        how = {"informed": "", "matched": " (position only)", "not heard": " (muted)"}[src["method"]]
        tag = "" if "tag_hit" not in src else ("hit" if src["tag_hit"] else "miss") + f" ({src['tags'][0]})"
        lines.append(f"{src['id']:16s} {intended:10.1f} {estimated:10.1f} {cell(src['doa_error_deg']):>8s} "
                     f"{cell(src['matched_error_deg']):>8s}  {tag}{how}".rstrip())
    mean, matched = s["mean_doa_error_deg"], s["mean_matched_error_deg"]
    how = {"informed": "each source from its own share of the file",
           "matched": "peaks matched to positions", "mixed": "informed where the stems were read",
           "none": "nothing heard"}[s["direction_method"]]
    lines.append(f"mean error {'-' if mean is None else f'{mean:.1f} deg'} ({how}); "
                 f"position-only matching {'-' if matched is None else f'{matched:.1f} deg'}")
    lines.append(f"F-score {s['f_score']:.2f} within {s['threshold_deg']:.0f} deg ({s['true_positives']} hits, "
                 f"{s['false_positives']} extra peaks, {s['false_negatives']} missed)")
    if "cc" in s:
        lines.append(f"energy map: CC {s['cc']:.3f}, AUC-Judd {s['auc_judd']:.3f}")
    loud = s["loudness_lufs"]
    lines.append(f"loudness {'-' if loud is None else f'{loud:.1f} LUFS'} (on {s['loudness_measured_on']}), "
                 f"true peak {s['true_peak_dbtp']:.1f} dBTP")
    if "similarity" in report:
        sim = report["similarity"]
        lines.append("similarity (" + sim["variant"] + "): " + ", ".join(
            f"{k} {sim[k]:.3f}" for k in ("mfcc_dtw", "zcr", "rhythm", "chroma", "spectral_contrast", "swass")))
    return "\n".join(lines)
