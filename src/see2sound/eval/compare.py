"""Several renderers, or files rendered elsewhere, over the same scenes, scored alike (``see2sound bench``).

A *contender* is one column of the comparison:

- ``RENDERER:FORMAT``: a registered renderer (``see2sound``,
  ``see2sound-original``, ``naive-pan`` or a plug-in's) renders each scene
  to FORMAT, dry by default (``room="none"``: direction is measured without
  reflections), with the loudness target and limiter the renderer applies;
- ``files:DIR``: files rendered by something else (a learned model, a DAW
  bounce), one a scene, named after the scene file: ``DIR/<scene stem>.wav``
  (or any extension soundfile reads); the format comes from the channels
  and the name as in ``see2sound eval``.

Every file is scored by :func:`~.report.evaluate` against its scene: each
source's informed direction error (its own share of the file) and the
position-only figure, the F-score within 20 deg, the energy map's CC and
AUC-Judd (loudspeaker feeds are encoded to FOA as plane waves from their
loudspeakers first, so every format but binaural has a map), the
single-source intensity-vector and ITD errors, loudness and, for renderers,
render time over audio time. :class:`Bench` holds one row per (scene,
contender, source) and one per (scene, contender), and writes them as
Markdown, JSON and (with matplotlib) a box plot of the per-source errors.

Contents
--------
Contender          one column: a renderer and format, or a folder of files
parse_contender    ``"see2sound:foa"``, ``"files:DIR"`` -> Contender
DEFAULT_CONTENDERS see2sound binaural, FOA, 5.1; the original's 5.1; a naive stereo pan
NaivePan           the naive baseline renderer (``naive-pan``)
speaker_foa        loudspeaker feeds as AmbiX plane waves
run_bench          scenes x contenders -> Bench
Bench              the rows, aggregates and the files they are written to
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ParameterError, See2SoundError
from ..formats import get_format
from ..registry import Component, names
from ..scene import Scene

#: What ``see2sound bench`` compares when no contender is named (issue 17: ours, the original's step, a naive pan).
DEFAULT_CONTENDERS = ("see2sound:binaural", "see2sound:foa", "see2sound:5.1", "see2sound-original:5.1",
                      "naive-pan:stereo")
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".aiff", ".aif", ".w64", ".caf")


@dataclass(frozen=True)
class Contender:
    """One column: ``renderer`` to ``fmt``, or the files in ``folder`` (``renderer`` None)."""

    name: str
    renderer: str | None = None
    fmt: str | None = None
    folder: Path | None = None

    def file_for(self, scene_path: Path) -> Path:
        """The file this contender holds for the scene at ``scene_path`` (files contenders only)."""
        found = [self.folder / (scene_path.stem + suffix) for suffix in AUDIO_SUFFIXES]
        found = [p for p in found if p.is_file()]
        if not found:
            raise See2SoundError(f"{self.folder}: no file {scene_path.stem}.wav (or .flac, ...) for the scene "
                                 f"{scene_path.name}")
        return found[0]


def parse_contender(text: str) -> Contender:
    """``RENDERER:FORMAT`` (a registered renderer) or ``files:DIR`` -> :class:`Contender`."""
    kind, sep, rest = text.partition(":")
    if not sep or not rest:
        raise ParameterError("contender", f"{text!r}: expected RENDERER:FORMAT (see2sound:foa) or files:DIR")
    if kind == "files":
        folder = Path(rest)
        if not folder.is_dir():
            raise ParameterError("contender", f"{text!r}: {folder} is not a folder")
        return Contender(f"files {folder.name or folder}", folder=folder)
    if kind not in names("renderers"):
        raise ParameterError("contender", f"{text!r}: no renderer {kind!r} (see2sound list shows them)")
    if get_format(rest).is_objects:  # raises for an unknown format
        raise ParameterError("contender", f"{text!r}: {rest} holds objects, not channels; bench renders channels")
    return Contender(f"{kind} {rest}", renderer=kind, fmt=rest)


class NaivePan(Component):
    """The baseline a quick script would be: constant-power stereo pan by azimuth (clipped to +-90 deg).

    No distance, no filtering, no ambience; each source's sound looped to
    the scene's length at its ``gain_db``; the mix peak-normalised to -6
    dBFS. Muted sources are left out.
    """

    name = "naive-pan"
    formats = ("stereo",)

    def render(self, scene: Scene, options, *, out: np.ndarray | None = None, progress=None):
        from ..spatial.options import RenderReport
        from ..spatial.renderer import audible_sources, ref_samples

        sr = options.sample_rate
        n = int(round(scene.duration_s * sr))
        mix = np.zeros((2, n))
        notes: list[str] = []
        for i, source in enumerate(audible_sources(scene)):
            x = ref_samples(scene, source.audio, sr, f"sources[{i}].audio", notes)
            x = np.resize(x, n) * 10 ** (source.audio.gain_db / 20) if len(x) else np.zeros(n)
            theta = (np.clip(source.position.azimuth_deg, -90, 90) / 90.0 + 1) * np.pi / 4  # +90 deg = left
            mix += np.array([[np.sin(theta)], [np.cos(theta)]]) * x
        audio = (mix / max(np.max(np.abs(mix)), 1e-9) * 0.5).astype(np.float32)
        if out is not None:
            out[:] = audio
            audio = out
        if progress is not None:
            progress(1.0)
        return audio, RenderReport("stereo", sr, 2, n, "none", loudness_lufs=None, true_peak_dbtp=None,
                                   measured_on="not measured (peak-normalised to -6 dBFS)", notes=notes)


def speaker_foa(audio: np.ndarray, fmt: str) -> np.ndarray:
    """Loudspeaker feeds [shape=(channels, n)] as AmbiX [shape=(4, n)]: each loudspeaker a plane wave from its direction."""
    from ..spatial.ambisonics import encode_gains

    layout = get_format(fmt).layout
    gains = encode_gains(layout.speaker_directions())  # (speakers, 4)
    return (gains.T @ audio[layout.speakers]).astype(np.float32)


@dataclass
class Bench:
    """Per-source rows (``sources``) and per-file rows (``files``) of a comparison, and its aggregates."""

    contenders: list[str]
    sources: list[dict] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)

    def aggregate(self) -> list[dict]:
        """One row per contender: means over its sources and files (None where nothing was measured)."""
        rows = []
        for name in self.contenders:
            src = [r for r in self.sources if r["contender"] == name]
            fil = [r for r in self.files if r["contender"] == name]
            errors = [r["doa_error_deg"] for r in src]
            rows.append({
                "contender": name,
                "measure": fil[0]["measure"] if fil else None,
                "scenes": len(fil),
                "sources": len(src),
                "unmeasured": sum(e is None for e in errors),
                "mean_doa_error_deg": _mean(errors),
                "median_doa_error_deg": _median(errors),
                "within_20_deg": _mean([None if e is None else float(e <= 20.0) for e in errors]),
                "mean_matched_error_deg": _mean([r["matched_error_deg"] for r in src]),
                **{key: _mean([r.get(key) for r in fil])
                   for key in ("f_score", "cc", "auc_judd", "intensity_error_rad", "itd_error_us", "loudness_lufs",
                               "seconds_per_second")},
            })
        return rows

    def aggregate_table(self) -> list[str]:
        """The aggregate, one Markdown row per contender (with its header)."""
        header = ("| contender | measured as | scenes | mean error, per source | median | within 20 deg | "
                  "position-only mean | F-score (20 deg) | CC | AUC-Judd | intensity error (rad) | ITD error (us) | "
                  "LUFS | render time / audio time |")
        lines = [header, "| " + " | ".join(["---"] * (header.count("|") - 1)) + " |"]
        for row in self.aggregate():
            unmeasured = f" ({row['unmeasured']} unmeasured)" if row["unmeasured"] else ""
            lines.append(
                f"| {row['contender']} | {row['measure'] or '-'} | {row['scenes']} | "
                f"{_cell(row['mean_doa_error_deg'], '.1f', ' deg')}{unmeasured} | "
                f"{_cell(row['median_doa_error_deg'], '.1f', ' deg')} | {_cell(row['within_20_deg'], '.0%')} | "
                f"{_cell(row['mean_matched_error_deg'], '.1f', ' deg')} | {_cell(row['f_score'])} | "
                f"{_cell(row['cc'])} | {_cell(row['auc_judd'])} | {_cell(row['intensity_error_rad'], '.3f')} | "
                f"{_cell(row['itd_error_us'], '.0f')} | {_cell(row['loudness_lufs'], '.1f')} | "
                f"{_cell(row['seconds_per_second'], '.3f')} |")
        return lines

    def markdown(self, title: str = "see2sound bench") -> str:
        lines = [f"# {title}", "", *self.aggregate_table()]
        lines += ["", "Per source (error as each format measures it: angle for FOA, lateral angle for binaural, "
                      "azimuth for loudspeakers; position-only in brackets):", "",
                  "| scene | source | label | " + " | ".join(self.contenders) + " |",
                  "| --- | --- | --- | " + " | ".join(["---"] * len(self.contenders)) + " |"]
        keyed = {(r["scene"], r["source"], r["contender"]): r for r in self.sources}
        for scene, source, label in dict.fromkeys((r["scene"], r["source"], r["label"]) for r in self.sources):
            cells = []
            for name in self.contenders:
                r = keyed.get((scene, source, name))
                cells.append("-" if r is None else f"{_cell(r['doa_error_deg'], '.1f')} "
                                                   f"({_cell(r['matched_error_deg'], '.1f')})")
            lines.append(f"| {scene} | {source} | {label or '-'} | " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict:
        return {"contenders": self.contenders, "aggregate": self.aggregate(), "files": self.files,
                "sources": self.sources}

    def plot(self, path: str | os.PathLike) -> bool:
        """A box plot of the per-source errors per contender at ``path``; False without matplotlib."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            return False
        data = [[r["doa_error_deg"] for r in self.sources if r["contender"] == name and r["doa_error_deg"] is not None]
                for name in self.contenders]
        fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(self.contenders)), 4.5))
        ax.boxplot([d or [math.nan] for d in data], showfliers=True)
        ax.set_xticks(range(1, len(self.contenders) + 1), [n.replace(" ", "\n", 1) for n in self.contenders],
                      fontsize=8)
        ax.set_ylabel("direction error per source (deg, as each format measures it)")
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return True

    def write(self, folder: str | os.PathLike, title: str = "see2sound bench") -> list[Path]:
        """bench.md, bench.json and (with matplotlib) bench-errors.png in ``folder``; the paths written."""
        folder = Path(folder)
        written = [folder / "bench.md", folder / "bench.json"]
        written[0].write_text(self.markdown(title))
        written[1].write_text(json.dumps(self.to_json(), indent=1, allow_nan=False) + "\n")
        if self.plot(folder / "bench-errors.png"):
            written.append(folder / "bench-errors.png")
        return written


def run_bench(scene_paths: list[Path], contenders: list[Contender], *, room: str = "none",
              renders: Path | None = None, say=None) -> Bench:
    """Render (or find) and score every scene for every contender.

    ``renders``: a folder to keep the rendered files in (``<scene stem>/<contender>.wav``);
    by default they go to a temporary folder and are removed.
    """
    from ..spatial import RenderOptions, render_scene
    from . import direction
    from .report import evaluate, intended_directions

    bench = Bench([c.name for c in contenders])
    with tempfile.TemporaryDirectory(prefix="see2sound-bench-") as tmp:
        keep = Path(renders) if renders is not None else Path(tmp)
        for scene_path in scene_paths:
            scene = Scene.load(scene_path)
            targets = intended_directions(scene)
            for contender in contenders:
                seconds = None
                if contender.renderer is None:
                    path, fmt = contender.file_for(scene_path), None
                else:
                    import soundfile as sf

                    options = RenderOptions(format=contender.fmt, room=room)
                    start = time.perf_counter()
                    audio, _ = render_scene(scene, options, renderer=contender.renderer)
                    seconds = time.perf_counter() - start
                    path = keep / scene_path.stem / (contender.name.replace(" ", "_") + ".wav")
                    path.parent.mkdir(parents=True, exist_ok=True)
                    sf.write(str(path), audio.T, options.sample_rate, subtype="FLOAT")
                    fmt = contender.fmt
                report = evaluate(path, scene, fmt=fmt, tags=False)
                summary = report["summary"]
                row = {"scene": scene_path.stem, "contender": contender.name, "format": summary["format"],
                       "measure": summary["measure"], "sources": summary["sources"],
                       "f_score": summary.get("f_score"), "loudness_lufs": summary.get("loudness_lufs"),
                       "intensity_error_rad": summary.get("intensity_error_rad"),
                       "itd_error_us": summary.get("itd_error_us"),
                       "seconds_per_second": None if seconds is None else seconds / scene.duration_s}
                output = get_format(summary["format"])
                if output.is_ambisonic:
                    row.update(cc=summary.get("cc"), auc_judd=summary.get("auc_judd"))
                elif not output.is_binaural:
                    import soundfile as sf

                    feeds, _ = sf.read(str(path), dtype="float32", always_2d=True)
                    row.update(direction.energy_map_scores(speaker_foa(feeds.T, summary["format"]), targets))
                bench.files.append(row)
                for entry in report["sources"]:
                    bench.sources.append({"scene": scene_path.stem, "contender": contender.name,
                                          "source": entry["id"], "label": entry["label"],
                                          "method": entry["method"], "doa_error_deg": entry["doa_error_deg"],
                                          "matched_error_deg": entry["matched_error_deg"]})
            if say is not None:
                say(f"{scene_path.name}: {len(contenders)} contender(s) scored")
    return bench


def _finite(values) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def _mean(values) -> float | None:
    kept = _finite(values)
    return round(float(np.mean(kept)), 4) if kept else None


def _median(values) -> float | None:
    kept = _finite(values)
    return round(float(np.median(kept)), 4) if kept else None


def _cell(value: float | None, spec: str = ".2f", unit: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{unit}"
