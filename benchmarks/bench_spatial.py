"""Speed and memory of the spatial engine, before and after issue 16, in the same run. Not a test: run it.

    python benchmarks/bench_spatial.py            # all, writes benchmarks/results-spatial.md
    python benchmarks/bench_spatial.py --quick    # skip the 10-minute memory run (writes nothing)

For the tree before issue 16's speed work (:data:`report.BASELINE_REV`, checked
out in a temporary worktree) and for this one (with numpy alone, and with the
numba kernel when numba is installed), each in a process of its own:

- naive binaural: one ``scipy.signal.fftconvolve`` per source and ear with a
  fixed HRIR (no movement), 8 sources x 10 s at 48 kHz: the yardstick;
- ``see2sound.spatialize`` of 8 moving sources x 10 s, binaural, with
  ``loudness_lufs=None, true_peak_dbtp=None``: issue 16's target is at most
  0.2x the naive way, in the same process;
- the same in FOA (target: at least 1000x real time), and FOA with all
  sources within 3 m (no air absorption);
- the defaults (outdoor room, -23 LUFS, limiter) in binaural and FOA;
- the HRTF's start-up: ``HRTF.load`` in a new process, with an empty cache
  folder and with the disk cache a second run finds.

Wall times, best of 5; the trees' processes alternate (two rounds), so a
machine busy for a while slows both. The memory run: peak RSS of a
10-minute, 8-source render through the CLI (target under 500 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

from report import BASELINE_REV, ROOT, Baseline

SR = 48000
HERE = Path(__file__).resolve().parent

#: Runs in a process of the tree measured: argv[1] the folder of scenes; prints a JSON dict of seconds.
MEASURE = r"""
import json, sys, time
from pathlib import Path
import numpy as np, soundfile as sf
from scipy import signal
import see2sound
from see2sound.spatial import RenderOptions, render_scene
from see2sound.spatial.hrtf import HRTF

folder = Path(sys.argv[1])
scenes = {name: see2sound.Scene.load(folder / name / "scene.json") for name in ("moving", "near")}
SR = 48000

def best_of(fn, repeat=5):
    fn()  # warm: HRTF, FFT plans, the numba kernel
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)

def naive(scene, hrtf):
    n = int(scene.duration_s * SR)
    out = np.zeros((2, n))
    for src in scene.sources:
        x, _ = sf.read(str(scene.resolve(src.audio.path)))
        x = np.resize(x, n)
        h = hrtf.hrir(src.position.azimuth_deg, src.position.elevation_deg)
        for ear in range(2):
            out[ear] += signal.fftconvolve(x, h[ear])[:n]
    return out

hrtf = HRTF.load(sample_rate=SR)
off = dict(room="none", loudness_lufs=None, true_peak_dbtp=None)
moving, near = scenes["moving"], scenes["near"]
result = {
    "naive": best_of(lambda: naive(moving, hrtf)),
    "binaural": best_of(lambda: see2sound.spatialize(moving, format="binaural", **off)),
    "foa": best_of(lambda: see2sound.spatialize(moving, format="foa", **off)),
    "foa_near": best_of(lambda: see2sound.spatialize(near, format="foa", **off)),
    "binaural_defaults": best_of(lambda: render_scene(moving, RenderOptions()), repeat=3),
    "foa_defaults": best_of(lambda: render_scene(moving, RenderOptions(format="foa")), repeat=3),
}
print(json.dumps(result))
"""
#: HRTF start-up in a new process: prints seconds.
HRTF_LOAD = ("import time; from see2sound.spatial.hrtf import HRTF; t = time.perf_counter(); "
             "HRTF.load(sample_rate=48000); print(time.perf_counter() - t)")


def make_scene(folder: Path, n_sources: int, duration: float, moving: bool, clip_s: float = 10.0,
               near: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
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


def _numba_installed() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def speed(folder: Path) -> list[tuple[str, str, str, str]]:
    make_scene(folder / "moving", 8, 10.0, moving=True)
    make_scene(folder / "near", 8, 10.0, moving=True, near=True)
    after_env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    runs = {"before": [], "numpy": []}
    if _numba_installed():
        runs["numba"] = []
    startup = {"before": [], "cold": [], "warm": []}
    with Baseline() as before:
        trees = {"before": before.env(), "numpy": {**after_env, "SEE2SOUND_NUMBA": "0"}, "numba": after_env}
        for _ in range(2):  # alternate the trees
            for name in runs:
                out = subprocess.run([sys.executable, "-c", MEASURE, str(folder)], env=trees[name],
                                     capture_output=True, text=True, check=True).stdout
                runs[name].append(json.loads(out.strip().splitlines()[-1]))
            for _ in range(3):
                with tempfile.TemporaryDirectory() as cache:
                    for key, env in (("before", before.env()), ("cold", after_env), ("warm", after_env)):
                        env = {**env, "XDG_CACHE_HOME": cache}
                        out = subprocess.run([sys.executable, "-c", HRTF_LOAD], env=env, capture_output=True,
                                             text=True, check=True).stdout
                        startup[key].append(float(out))
    best = {name: {k: min(r[k] for r in results) for k in results[0]} for name, results in runs.items()}
    after = "numba" if "numba" in best else "numpy"
    cols = [c for c in ("numpy", "numba") if c in best]

    def ms(seconds: float) -> str:
        return f"{seconds * 1e3:.0f} ms" if seconds >= 0.1 else f"{seconds * 1e3:.1f} ms"

    def row(label: str, key: str, verdict) -> tuple[str, str, str, str]:
        cells = " / ".join(f"{ms(best[c][key])} ({verdict(best[c], key)})" for c in cols)
        return label, f"{ms(best['before'][key])} ({verdict(best['before'], key)})", cells, \
            f"{best['before'][key] / best[after][key]:.1f}x"

    def to_naive(r, key):
        return f"{r[key] / r['naive']:.2f}x naive"

    def real_time(r, key):
        return f"{10.0 / r[key]:.0f}x real time"

    rows = [
        ("naive binaural: 8 x 2 fftconvolve, fixed HRIRs, no movement (yardstick, each process its own)",
         ms(best["before"]["naive"]), " / ".join(ms(best[c]["naive"]) for c in cols), ""),
        row("spatialize binaural, 8 moving, loudness and limiter off (target <= 0.2x naive)", "binaural", to_naive),
        row("spatialize FOA, 8 moving at 2-9 m, loudness and limiter off (target >= 1000x)", "foa", real_time),
        row("spatialize FOA, 8 moving within 3 m (no air absorption), loudness and limiter off", "foa_near",
            real_time),
        row("render_scene binaural, 8 moving, defaults (outdoor room, -23 LUFS, limiter)", "binaural_defaults",
            real_time),
        row("render_scene FOA, 8 moving, defaults (-23 LUFS measured on the binaural decode)", "foa_defaults",
            real_time),
        ("HRTF.load in a new process: empty cache / disk cache", ms(min(startup["before"])),
         f"{ms(min(startup['cold']))} / {ms(min(startup['warm']))}", f"{min(startup['before']) / min(startup['warm']):.1f}x"),
    ]
    return rows


def memory(folder: Path) -> list[tuple[str, str, str, str]]:
    """Peak RSS of 10-minute renders through the CLI: with numpy (the core install), and binaural with numba."""
    rows = []
    scene = make_scene(folder, 8, 600.0, moving=True)
    runs = [("binaural", "0"), ("7.1", "0")] + ([("binaural", "1")] if _numba_installed() else [])
    for fmt, numba in runs:
        out = folder / f"long-{fmt}.wav"
        # VmHWM: this process's own peak; ru_maxrss would carry the parent's over the exec.
        code = ("import re, sys, time; from see2sound.cli import main; t = time.perf_counter(); "
                f"rc = main(['spatialize', {str(scene)!r}, '-o', {str(out)!r}, '--format', {fmt!r}, '-q']); "
                "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1); "
                "print(time.perf_counter() - t, hwm); sys.exit(rc)")
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "SEE2SOUND_NUMBA": numba}
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        seconds, kib = result.stdout.split()
        rows.append((f"10 min, 8 moving sources, {fmt}, CLI to WAV, defaults", "",
                     f"{'numba' if numba == '1' else 'numpy'}: {float(seconds):.1f} s, peak RSS "
                     f"**{int(kib) / 1024:.0f} MB** (target < 500 MB)", ""))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the 10-minute memory run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = speed(Path(tmp))
        if not args.quick:
            rows += memory(Path(tmp) / "mem")
    after = "numpy / numba" if _numba_installed() else "numpy (numba not installed)"
    lines = ["# Spatial engine: speed and memory (issue 16)", "",
             f"Measured {time.strftime('%Y-%m-%d')} on {platform.processor() or platform.machine()}, "
             f"{len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}, numpy {np.__version__}; "
             f"`python benchmarks/bench_spatial.py`. Before: the tree at {BASELINE_REV}. 10 s scenes at 48 kHz; "
             "wall time, best of 5 (defaults: of 3) over two alternating rounds, each tree in its own process.", "",
             f"| case | before | after: {after} | speed-up |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.quick:
        (HERE / "results-spatial.md").write_text(text)


if __name__ == "__main__":
    main()
