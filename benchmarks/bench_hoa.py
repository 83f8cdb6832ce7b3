"""Higher-order ambisonics: render speed, and how well each binaural decode keeps the HRTF's cues. Not a test: run it.

    python benchmarks/bench_hoa.py          # writes benchmarks/results-hoa.md

- speed: ``see2sound.spatialize`` of 8 moving sources x 10 s (the scene of
  bench_spatial.py) in HOA3, HOA2 and FOA, with loudness and limiter off (the
  spatial stage; HOA3's target is at least 100x real time), and HOA3 with the
  defaults (outdoor room, -23 LUFS measured on the MagLS decode, limiter);
  wall time, best of 5 (defaults: of 3), the formats alternating over three
  rounds. Also the MagLS decoder's design time.
- binaural cues: one white-noise source at 2 m, azimuth +-30/+-60/+-90 deg, 0
  elevation, rendered in each format (no room, nothing mastered) and decoded
  to binaural, against the same source rendered binaurally through the HRTF:
  the ITD difference (GCC-PHAT, 100-1500 Hz) and the broadband ILD difference.
  Decoders: FOA's virtual cube (what ``foa`` uses), MagLS at orders 2 and 3
  (what ``hoa2``/``hoa3`` use), MagLS with the diffuse-field covariance
  constraint at order 3, and MagLS at first order (for comparison only).
- energy map: CC of the steered-beam map against the scene's directions for
  three static sources, FOA (HOA3's first four channels) against HOA3.
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

import see2sound
from bench_spatial import make_scene
from report import ROOT, best_of
from see2sound.eval.direction import energy_map_scores
from see2sound.eval.metrics import gcc_phat_itd_s
from see2sound.spatial import RenderOptions, render_scene
from see2sound.spatial.ambisonics import DECODER_DELAY_SAMPLES, binaural_decoder
from see2sound.spatial.geometry import to_unit_vector
from see2sound.spatial.hrtf import HRTF
from see2sound.spatial.magls import magls_decoder

SR = 48000
OFF = dict(room="none", loudness_lufs=None, true_peak_dbtp=None)
AZIMUTHS = (30, -30, 60, -60, 90, -90)


def speed(folder: Path) -> list[tuple[str, str]]:
    scene = see2sound.Scene.load(make_scene(folder / "moving", 8, 10.0, moving=True))
    hrtf = HRTF.load(sample_rate=SR)
    formats = {"hoa3": " (target >= 100x)", "hoa2": "", "foa": ""}
    runs: dict[str, list[float]] = {fmt: [] for fmt in formats}
    for _ in range(3):  # the formats alternate, so a machine busy for a while slows each alike
        for fmt in formats:
            runs[fmt].append(best_of(lambda: see2sound.spatialize(scene, format=fmt, **OFF)))
    rows = []
    for fmt, target in formats.items():
        seconds = min(runs[fmt])
        rows.append((f"spatialize {fmt}, 8 moving sources x 10 s, loudness and limiter off{target}",
                     f"{seconds * 1e3:.0f} ms, **{10.0 / seconds:.0f}x real time** (rounds: "
                     + ", ".join(f"{10.0 / r:.0f}x" for r in runs[fmt]) + ")"))
    seconds = best_of(lambda: render_scene(scene, RenderOptions(format="hoa3")), repeat=3)
    rows.append(("render_scene hoa3, the same, defaults (outdoor room, -23 LUFS on the MagLS decode, limiter)",
                 f"{seconds * 1e3:.0f} ms, {10.0 / seconds:.0f}x real time"))
    for order in (2, 3):
        seconds = best_of(lambda: magls_decoder(hrtf, order, delay_samples=DECODER_DELAY_SAMPLES), repeat=3)
        rows.append((f"MagLS decoder design, order {order} (once per HRTF and order in a process)",
                     f"{seconds * 1e3:.0f} ms"))
    return rows


def _decode(audio: np.ndarray, filters: np.ndarray) -> np.ndarray:
    """AmbiX [shape=(channels, n)] through decoder filters [shape=(channels, 2, taps)], delay taken off."""
    ears = [sum(signal.fftconvolve(audio[c], filters[c, e]) for c in range(len(audio))) for e in range(2)]
    return np.stack(ears)[:, DECODER_DELAY_SAMPLES:DECODER_DELAY_SAMPLES + audio.shape[1]]


def _ild_db(pair: np.ndarray) -> float:
    energy = np.sum(pair.astype(np.float64) ** 2, axis=1)
    return float(10 * np.log10(energy[0] / energy[1]))


def cues(folder: Path) -> tuple[list[str], list[list[str]]]:
    hrtf = HRTF.load(sample_rate=SR)
    sf.write(str(folder / "noise.wav"), np.random.default_rng(0).standard_normal(2 * SR).astype(np.float32) * 0.1, SR)
    decoders = {  # name: (format rendered, filters)
        "FOA, virtual cube (foa)": ("foa", binaural_decoder(hrtf, 1)),
        "MagLS order 2 (hoa2)": ("hoa2", binaural_decoder(hrtf, 2)),
        "MagLS order 3 (hoa3)": ("hoa3", binaural_decoder(hrtf, 3)),
        "MagLS order 3 + covariance constraint": ("hoa3", magls_decoder(hrtf, 3, delay_samples=DECODER_DELAY_SAMPLES,
                                                                         covariance=True)),
        "MagLS order 1 (not used)": ("foa", magls_decoder(hrtf, 1, delay_samples=DECODER_DELAY_SAMPLES)),
    }
    rows = []
    worst = {name: [0.0, 0.0] for name in decoders}
    for azimuth in AZIMUTHS:
        data = {"schema": "see2sound.scene/1", "duration_s": 1.0,
                "sources": [{"id": "s", "position": {"azimuth_deg": azimuth, "elevation_deg": 0.0, "distance_m": 2.0},
                             "audio": {"path": "noise.wav"}}]}
        scene = see2sound.Scene.from_dict(data, base_dir=folder)
        direct, _ = render_scene(scene, RenderOptions(format="binaural", **OFF))
        itd0, ild0 = gcc_phat_itd_s(direct, SR) * 1e6, _ild_db(direct)
        renders = {fmt: render_scene(scene, RenderOptions(format=fmt, **OFF))[0] for fmt in ("foa", "hoa2", "hoa3")}
        row = [f"{azimuth:+d}", f"{itd0:.0f} us, {ild0:+.1f} dB"]
        for name, (fmt, filters) in decoders.items():
            decoded = _decode(renders[fmt], filters)
            d_itd = gcc_phat_itd_s(decoded, SR) * 1e6 - itd0
            d_ild = _ild_db(decoded) - ild0
            worst[name] = [max(worst[name][0], abs(d_itd)), max(worst[name][1], abs(d_ild))]
            row.append(f"{d_itd:+.0f} us, {d_ild:+.2f} dB")
        rows.append(row)
    rows.append(["worst", ""] + [f"**{w[0]:.0f} us, {w[1]:.2f} dB**" for w in worst.values()])
    return ["azimuth", "HRTF render: ITD, ILD", *decoders], rows


def energy_maps(folder: Path) -> list[tuple[str, str]]:
    positions = [(30.0, 0.0), (-60.0, 10.0), (150.0, -10.0)]
    rng = np.random.default_rng(1)
    sources = []
    for k, (az, el) in enumerate(positions):
        sf.write(str(folder / f"n{k}.wav"), rng.standard_normal(SR).astype(np.float32) * 0.1, SR)
        sources.append({"id": f"s{k}", "position": {"azimuth_deg": az, "elevation_deg": el, "distance_m": 2.0},
                        "audio": {"path": f"n{k}.wav"}})
    scene = see2sound.Scene.from_dict({"schema": "see2sound.scene/1", "duration_s": 1.0, "sources": sources},
                                      base_dir=folder)
    hoa, _ = render_scene(scene, RenderOptions(format="hoa3", **OFF))
    targets = to_unit_vector(*np.array(positions).T)
    scores = {name: energy_map_scores(audio, targets) for name, audio in (("FOA", hoa[:4]), ("HOA2", hoa[:9]),
                                                                          ("HOA3", hoa))}
    return [(f"energy map of 3 static sources (30/0, -60/10, 150/-10), {name}",
             f"CC {s['cc']:.3f}, AUC-Judd {s['auc_judd']:.3f}") for name, s in scores.items()]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        speed_rows = speed(folder)
        header, cue_rows = cues(folder)
        map_rows = energy_maps(folder)
    machine = (f"Measured {time.strftime('%Y-%m-%d')} on {platform.processor() or platform.machine()}, "
               f"{len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}, numpy {np.__version__}; "
               "`python benchmarks/bench_hoa.py`. 48 kHz, the bundled MIT KEMAR HRTF.")
    lines = ["# Higher-order ambisonics (issue 19)", "", machine, "", "## Speed", "",
             "| case | wall time |", "| --- | --- |"]
    lines += [f"| {a} | {b} |" for a, b in speed_rows]
    lines += ["", "## Binaural decode against the HRTF", "",
              "One white-noise source at 2 m, 0 elevation; each cell is the decode's ITD and ILD minus the "
              "HRTF render's (GCC-PHAT ITD over 100-1500 Hz; broadband ILD, left over right).", "",
              "| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in cue_rows]
    lines += ["", "## Energy map", "", "| case | score |", "| --- | --- |"]
    lines += [f"| {a} | {b} |" for a, b in map_rows]
    text = "\n".join(lines) + "\n"
    (ROOT / "benchmarks" / "results-hoa.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
