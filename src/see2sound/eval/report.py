"""Scoring a rendered file against the scene it was rendered from.

``evaluate(audio_path, scene)`` returns the report of SPEC §4:
``{"sources": [{"id", "doa_error_deg", ...}], "summary": {...}}``.

- **Direction** (:mod:`.direction`): each source's intended direction is its
  ``position``, or for a moving source the mean of its trajectory over the
  scene; the estimate's peaks are matched to the sources; ``doa_error_deg`` is
  the angular error (FOA), the lateral-angle error (binaural) or the azimuth
  error (loudspeakers), NaN (``null`` in JSON) when nothing matched.
- **F-score** within 20 deg (DCASE style) and, for FOA, the energy map's CC
  and AUC-Judd.
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
from ..formats import format_for_channels, get_format
from ..scene import Scene
from ..spatial import loudness
from ..spatial.geometry import Path as SourcePath
from ..spatial.geometry import to_spherical
from ..spatial.hrtf import HRTF
from . import direction

def infer_format(path: str | os.PathLike, channels: int, given: str | None) -> str:
    """The format of a file: ``given`` (checked against its channels), else from its channels and name."""
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


def evaluate(audio_path: str | os.PathLike, scene: Scene, *, fmt: str | None = None,
             hrtf: str | os.PathLike | None = None, tags: bool = True) -> dict:
    """The evaluation report of a rendered file against its scene (see module docstring)."""
    audio_path = Path(audio_path)
    audio, rate = _load(audio_path)
    fmt = infer_format(audio_path, audio.shape[0], fmt)
    if not scene.sources:
        raise See2SoundError("the scene has no sources to evaluate")
    output = get_format(fmt)
    hrtf_set = HRTF.load(hrtf, rate) if output.is_binaural or output.is_ambisonic else None
    targets = intended_directions(scene)
    estimate = direction.estimate_directions(audio, rate, fmt, hrtf_set)
    err, which = direction.match(estimate, targets)
    goal = direction.intended(estimate.kind, targets)
    measure = {"sphere": "angle", "lateral": "lateral angle", "azimuth": "azimuth"}[estimate.kind]
    tag_info = _tags(scene, rate) if tags else {}
    sources = []
    for i, source in enumerate(scene.sources):
        entry = {"id": source.id, "label": source.label,
                 "doa_error_deg": None if math.isnan(err[i]) else round(float(err[i]), 2),
                 "measure": measure}
        if estimate.kind == "sphere":
            az, el = to_spherical(targets[i])
            entry["intended"] = {"azimuth_deg": round(float(az), 2), "elevation_deg": round(float(el), 2)}
            if which[i] >= 0:
                eaz, eel = to_spherical(estimate.peaks[which[i]])
                entry["estimated"] = {"azimuth_deg": round(float(eaz), 2), "elevation_deg": round(float(eel), 2)}
        else:
            key = "lateral_deg" if estimate.kind == "lateral" else "azimuth_deg"
            entry["intended"] = {key: round(float(goal[i]), 2)}
            if which[i] >= 0:
                entry["estimated"] = {key: round(float(estimate.peaks[which[i]]), 2)}
        entry.update(tag_info.get(source.id, {}))
        sources.append(entry)
    matched = err[~np.isnan(err)]
    summary = {
        "format": fmt,
        "sample_rate": rate,
        "duration_s": round(audio.shape[1] / rate, 3),
        "measure": measure,
        "sources": len(scene.sources),
        "peaks_found": int(len(estimate.peaks)),
        "mean_doa_error_deg": round(float(matched.mean()), 2) if len(matched) else None,
        "median_doa_error_deg": round(float(np.median(matched)), 2) if len(matched) else None,
        **direction.fscore(estimate, targets),
    }
    if output.is_ambisonic:
        summary.update({k: round(v, 4) for k, v in direction.energy_map_scores(audio, targets).items()})
    summary.update(_level(audio, rate, fmt, hrtf_set))
    if tag_info:
        summary["tag_hit_rate"] = round(float(np.mean([t["tag_hit"] for t in tag_info.values()])), 3)
    return {"file": str(audio_path), "sources": sources, "summary": summary}


def evaluate_file(audio_path: str | os.PathLike, scene: Scene, *, fmt: str | None = None,
                  hrtf: str | os.PathLike | None = None, tags: bool = True, compare: str | os.PathLike | None = None,
                  original_metrics: bool = False) -> dict:
    """:func:`evaluate`, plus SEE-2-SOUND's similarity scores against ``compare`` when given
    (the original's variants with ``original_metrics``)."""
    report = evaluate(audio_path, scene, fmt=fmt, hrtf=hrtf, tags=tags)
    if compare is not None:
        from ..io.audio import resample
        from . import similarity

        a, rate_a = _load(Path(audio_path))
        b, rate_b = _load(Path(compare))
        scores = similarity.compare(a, resample(b, rate_b, rate_a), rate_a, original=original_metrics)
        report["similarity"] = {"against": str(compare), "variant": "original" if original_metrics else "correct",
                                **{k: round(v, 4) for k, v in scores.items()}}
    return report


def _level(audio: np.ndarray, rate: int, fmt: str, hrtf: HRTF | None) -> dict:
    output = get_format(fmt)
    where = output.loudness_on
    if where == "binaural decode":
        from ..spatial.ambisonics import decode_binaural

        measured = loudness.integrated_loudness(decode_binaural(audio, hrtf), rate)
    else:
        weights = output.loudness_weights
        measured = loudness.integrated_loudness(audio, rate, weights and loudness.channel_weights(weights))
    return {"loudness_lufs": round(measured, 2) if math.isfinite(measured) else None,
            "loudness_measured_on": where, "true_peak_dbtp": round(loudness.true_peak_dbtp(audio), 2)}


def format_table(report: dict) -> str:
    """A plain-text table of a report, one line per source and a summary."""
    s = report["summary"]
    lines = [f"{report['file']}: {s['format']}, {s['duration_s']} s, error measured as {s['measure']}",
             f"{'source':16s} {'intended':>10s} {'estimated':>10s} {'error':>8s}  tags"]
    for src in report["sources"]:
        intended = next(iter(src["intended"].values()))
        estimated = next(iter(src.get("estimated", {"": float("nan")}).values()))
        error = src["doa_error_deg"]
        tag = "" if "tag_hit" not in src else ("hit" if src["tag_hit"] else "miss") + f" ({src['tags'][0]})"
        lines.append(f"{src['id']:16s} {intended:10.1f} {estimated:10.1f} "
                     f"{'-' if error is None else f'{error:.1f}':>8s}  {tag}")
    mean = s["mean_doa_error_deg"]
    lines.append(f"mean error {'-' if mean is None else f'{mean:.1f} deg'}; F-score {s['f_score']:.2f} "
                 f"within {s['threshold_deg']:.0f} deg ({s['true_positives']} hits, {s['false_positives']} "
                 f"extra peaks, {s['false_negatives']} missed)")
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
