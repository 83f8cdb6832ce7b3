"""Speed and memory of the spatial engine (issue 2 targets). Not a test: run it.

    python benchmarks/bench_spatial.py            # all, writes benchmarks/results-spatial.md
    python benchmarks/bench_spatial.py --quick    # skip the 10-minute memory run

Targets: 8 moving sources x 10 s binaural at 48 kHz at least 5x faster than
the naive way (one scipy.signal.fftconvolve per source and ear with a fixed
HRIR), measured in the same run; FOA at least 1000x real time; peak memory
of a 10-minute, 8-source render under 500 MB.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

import see2sound
from see2sound.spatial import RenderOptions, render_scene
from see2sound.spatial.renderer import master, render_dry
from see2sound.spatial.hrtf import HRTF

SR = 48000
HERE = Path(__file__).resolve().parent


def make_scene(folder: Path, n_sources: int, duration: float, moving: bool, clip_s: float = 10.0,
               near: bool = False) -> Path:
    rng = np.random.default_rng(0)
    sources = []
    for k in range(n_sources):
        name = f"src{k}.wav"
        # Band-limited noise bursts: a stand-in for real material, same cost.
        x = signal.lfilter([1.0], [1.0, -0.9], rng.standard_normal(int(clip_s * SR))) * 0.02
        sf.write(str(folder / name), x.astype(np.float32), SR)
        az0 = -150 + 300 * k / max(1, n_sources - 1)
        base = 1.0 + 0.2 * k if near else 2.0 + k  # near: all within 3 m, no air absorption needed
        src = {"id": f"s{k}", "position": {"azimuth_deg": az0, "elevation_deg": 0.0, "distance_m": base},
               "audio": {"path": name}}
        if moving:
            keys = np.linspace(0, duration, 6)
            src["trajectory"] = [{"t": float(t), "azimuth_deg": float(az0 + 120 * np.sin(t + k)),
                                  "elevation_deg": float(20 * np.sin(0.5 * t + k)),
                                  "distance_m": float(base + 0.3 * np.cos(t))} for t in keys]
        sources.append(src)
    path = folder / "scene.json"
    path.write_text(json.dumps({"schema": "see2sound.scene/1", "duration_s": duration, "sources": sources}))
    return path


def best_of(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def naive_binaural(scene: see2sound.Scene, hrtf: HRTF) -> np.ndarray:
    """One fftconvolve per source and ear with the HRIR of its start direction; no movement."""
    n = int(scene.duration_s * SR)
    out = np.zeros((2, n))
    for src in scene.sources:
        x, _ = sf.read(str(scene.resolve(src.audio.path)))
        x = np.resize(x, n)
        h = hrtf.hrir(src.position.azimuth_deg, src.position.elevation_deg)
        for ear in range(2):
            out[ear] += signal.fftconvolve(x, h[ear])[:n]
    return out


DRY = dict(room="none")


def master_time(scene, fmt: str) -> float:
    options = RenderOptions(format=fmt, room="none")
    audio, report = render_dry(scene, options)
    return best_of(lambda: master(audio.copy(), options, report), repeat=3)


def speed(folder: Path) -> list[tuple[str, str, str]]:
    rows = []
    scenes = {}
    for name, moving, near in (("moving", True, False), ("still", False, False), ("moving-near", True, True)):
        sub = folder / name
        sub.mkdir()
        scenes[name] = see2sound.Scene.load(make_scene(sub, 8, 10.0, moving=moving, near=near))
    moving = scenes["moving"]
    hrtf = HRTF.load(sample_rate=SR)
    render_scene(moving, RenderOptions(room="none"))  # warm caches (HRTF, FFT plans)
    t_naive = best_of(lambda: naive_binaural(moving, hrtf))
    rows.append(("naive binaural: 8 x 2 fftconvolve, fixed HRIRs, no movement", f"{t_naive * 1000:.0f} ms",
                 "baseline"))
    t = best_of(lambda: render_dry(moving, RenderOptions(**DRY)))
    rows.append(("binaural, 8 moving, dry: spatial stage (render_dry, clips decoded too)", f"{t * 1000:.0f} ms",
                 f"**{t_naive / t:.1f}x faster** than naive (target >= 5x)"))
    t = master_time(moving, "binaural")
    rows.append(("binaural mastering stage (BS.1770 loudness, true peak, limiter)", f"{t * 1000:.0f} ms", ""))
    t = best_of(lambda: render_scene(moving, RenderOptions()))
    rows.append(("binaural, 8 moving, defaults (outdoor room, -23 LUFS, limiter)", f"{t * 1000:.0f} ms",
                 f"{t_naive / t:.1f}x faster than naive; {10.0 / t:.0f}x real time"))
    for name, label in (("moving-near", "8 moving within 3 m"), ("still", "8 still at 2-9 m"),
                        ("moving", "8 moving at 2-9 m")):
        t = best_of(lambda: render_dry(scenes[name], RenderOptions(format="foa", **DRY)))
        rows.append((f"FOA, {label}, dry: spatial stage", f"{t * 1000:.1f} ms",
                     f"**{10.0 / t:.0f}x real time** (target >= 1000x)"))
    t = master_time(moving, "foa")
    rows.append(("FOA mastering stage (loudness of the binaural decode, true peak)", f"{t * 1000:.0f} ms", ""))
    t = best_of(lambda: render_scene(moving, RenderOptions(format="foa")), repeat=3)
    rows.append(("FOA, 8 moving, defaults (outdoor, -23 LUFS measured on binaural decode)", f"{t * 1000:.0f} ms",
                 f"{10.0 / t:.0f}x real time"))
    for fmt in ("5.1", "7.1"):
        t = best_of(lambda: render_scene(moving, RenderOptions(format=fmt, room="medium")), repeat=3)
        rows.append((f"{fmt}, 8 moving, medium room, -23 LUFS", f"{t * 1000:.0f} ms", f"{10.0 / t:.0f}x real time"))
    t = best_of(lambda: render_scene(moving, RenderOptions(room="medium")), repeat=3)
    rows.append(("binaural, 8 moving, medium room, -23 LUFS", f"{t * 1000:.0f} ms", f"{10.0 / t:.0f}x real time"))
    return rows


def memory(folder: Path) -> list[tuple[str, str, str]]:
    rows = []
    scene = make_scene(folder, 8, 600.0, moving=True)
    for fmt in ("binaural", "7.1"):
        out = folder / f"long-{fmt}.wav"
        # VmHWM: this process's own peak; ru_maxrss would carry the parent's over the exec.
        code = ("import re, sys, time; from see2sound.cli import main; t = time.perf_counter(); "
                f"rc = main(['spatialize', {str(scene)!r}, '-o', {str(out)!r}, '--format', {fmt!r}, '-q']); "
                "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1); "
                "print(time.perf_counter() - t, hwm); sys.exit(rc)")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        seconds, kib = result.stdout.split()
        rows.append((f"10 min, 8 moving sources, {fmt}, CLI to WAV", f"{float(seconds):.1f} s",
                     f"peak RSS **{int(kib) / 1024:.0f} MB** (target < 500 MB)"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the 10-minute memory run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = speed(Path(tmp))
        if not args.quick:
            mem_dir = Path(tmp) / "mem"
            mem_dir.mkdir()
            rows += memory(mem_dir)
    lines = [f"Measured {time.strftime('%Y-%m-%d')} on {platform.processor() or platform.machine()}, "
             f"{len(__import__('os').sched_getaffinity(0))} cores, Python {platform.python_version()}, "
             f"numpy {np.__version__}. 10 s scenes at 48 kHz unless stated; best of 5 (3) runs.", "",
             "| case | time | result |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.quick:
        (HERE / "results-spatial.md").write_text(text)


if __name__ == "__main__":
    main()
