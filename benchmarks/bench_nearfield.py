"""Cost of near-field binaural against far: 8 moving sources x 10 s at 48 kHz, in one run. Not a test: run it.

    python benchmarks/bench_nearfield.py

The same scene twice: every source between 2 and 6 m (the far path, as
before near-field rendering), and every source between 0.2 and 0.9 m (each
ear's distance-variation function read per block, :mod:`see2sound.spatial.nearfield`).
Binaural, no room, loudness and limiter off; best of 3 wall times, numpy and
(where installed) the numba kernel. The near-field table is built once per
process before timing; its cost is given apart.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

import see2sound
from see2sound.spatial import RenderOptions, accel, render_scene
from see2sound.spatial.hrtf import HRTF

from report import best_of

SR, SECONDS, SOURCES, REPEATS = 48000, 10.0, 8, 3


def scene(folder: Path, near: bool) -> see2sound.Scene:
    rng = np.random.default_rng(1)
    lo, hi = (0.2, 0.9) if near else (2.0, 6.0)
    sources = []
    for k in range(SOURCES):
        sf.write(folder / f"n{k}.wav", (0.1 * rng.standard_normal(int(SECONDS * SR))).astype(np.float32), SR)
        keys = [{"t": t, "azimuth_deg": float(rng.uniform(-180, 180)), "elevation_deg": float(rng.uniform(-30, 30)),
                 "distance_m": float(rng.uniform(lo, hi))} for t in np.linspace(0, SECONDS, 6)]
        sources.append({"id": f"s{k}", "position": {k2: keys[0][k2] for k2 in ("azimuth_deg", "elevation_deg",
                                                                                 "distance_m")},
                        "trajectory": keys, "audio": {"path": f"n{k}.wav"}})
    return see2sound.Scene.from_dict({"schema": "see2sound.scene/2", "duration_s": SECONDS, "sources": sources},
                                     base_dir=folder)


def main() -> None:
    options = RenderOptions(format="binaural", room="none", loudness_lufs=None, true_peak_dbtp=None)
    hrtf = HRTF.load(sample_rate=SR)
    t = time.perf_counter()
    hrtf.near_field._compute_table(2048, SR)
    table_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        scenes = {}
        for name, near in (("far (2-6 m)", False), ("near (0.2-0.9 m)", True)):
            (Path(tmp) / name[:4]).mkdir()
            scenes[name] = scene(Path(tmp) / name[:4], near)
        kernels = ["numpy"] + (["numba"] if accel.available() else [])
        rows = {}
        for kernel in kernels:
            os.environ[accel.ENV] = "1" if kernel == "numba" else "0"
            for name, sc in scenes.items():
                rows[(name, kernel)] = best_of(lambda sc=sc: render_scene(sc, options), REPEATS)  # warmed first
    print(f"{SOURCES} moving sources x {SECONDS:g} s, binaural, no room, loudness off; best of {REPEATS}\n")
    print("| sources | " + " | ".join(kernels) + " |")
    print("| --- | " + " | ".join("---" for _ in kernels) + " |")
    for name in scenes:
        print(f"| {name} | " + " | ".join(f"{rows[(name, k)]:.2f} s ({SECONDS / rows[(name, k)]:.0f}x real time)"
                                           for k in kernels) + " |")
    far, near = list(scenes)
    print("\nnear / far: " + ", ".join(f"{k} {rows[(near, k)] / rows[(far, k)]:.2f}x" for k in kernels))
    print(f"near-field table (2048-point FFT, 48 kHz), once per process: {table_s:.2f} s")


if __name__ == "__main__":
    main()
