"""Start-up and render speed, before and after issue 16, measured in the same run. Not a test: run it.

    scripts/fetch_test_photos.sh && python benchmarks/bench_render.py

For the tree before issue 16's speed work (:data:`report.BASELINE_REV`, checked
out in a temporary worktree) and for this one, on two 1080p photos rendered to
10 s of binaural at 48 kHz with the defaults:

- ``see2sound --help``: a whole process, best of 5;
- ``import see2sound``: the import alone, in a new process, best of 5;
- cold: a whole ``see2sound render PHOTO -o x.wav`` process, best of 3 (the
  user's caches as a second run finds them), and once more with an empty cache
  folder (``XDG_CACHE_HOME``), as the very first run finds it;
- warm: ``see2sound.render()`` in a running process, best and median of 5
  seeds after one render that loads the models;
- cold / warm: issue 16's target is at most 1.5.

Runs of the two trees alternate, so that a machine busy for a while slows both.
Writes benchmarks/results-render.md.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from report import BASELINE_REV, ROOT, Baseline

WARM = r"""
import json, re, sys, time
import see2sound
see2sound.render(sys.argv[1], duration_s=10.0)  # load models, HRTF, caches
times = []
for seed in range(5):
    t = time.perf_counter()
    see2sound.render(sys.argv[1], duration_s=10.0, seed=seed)
    times.append(time.perf_counter() - t)
hwm = int(re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read()).group(1))
print(json.dumps({"best": min(times), "median": sorted(times)[2], "peak_mb": hwm / 1024}))
"""
IMPORT = "import time; t = time.perf_counter(); import see2sound; print(time.perf_counter() - t)"


def _wall(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - t


def _output(cmd: list[str], env: dict) -> str:
    return subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout


def _photos(tmp: Path) -> dict[str, Path]:
    bus = tmp / "bus-1080p.jpg"
    Image.open(ROOT / "tests/data/photos/bus.jpg").resize((1080, 1440)).save(bus, quality=92)
    zidane = tmp / "zidane-1080p.jpg"
    Image.open(ROOT / "tests/data/photos/zidane.jpg").resize((1920, 1080)).save(zidane, quality=92)
    return {"bus (1080x1440)": bus, "zidane (1920x1080)": zidane}


def measure(envs: dict[str, dict], photos: dict[str, Path], tmp: Path) -> dict:
    """{tree: {measure: seconds}}, the trees' runs alternating."""
    py = sys.executable
    found: dict[str, dict[str, list[float]]] = {tree: {} for tree in envs}

    def add(tree: str, key: str, value: float) -> None:
        found[tree].setdefault(key, []).append(value)

    for _ in range(5):
        for tree, env in envs.items():
            add(tree, "help", _wall([py, "-m", "see2sound.cli", "--help"], env))
            add(tree, "import", float(_output([py, "-c", IMPORT], env)))
    for name, photo in photos.items():
        for tree, env in envs.items():
            print(f"  {tree}: {name}, warm", flush=True)
            warm = json.loads(_output([py, "-c", WARM, str(photo)], env).splitlines()[-1])
            for key, value in warm.items():
                add(tree, f"{name}/warm_{key}", value)
        render = ["render", "", "-o", str(tmp / "out.wav"), "-q"]
        for _ in range(3):
            for tree, env in envs.items():
                render[1] = str(photo)
                add(tree, f"{name}/cold", _wall([py, "-m", "see2sound.cli", *render], env))
        for tree, env in envs.items():
            with tempfile.TemporaryDirectory(prefix="see2sound-empty-cache-") as empty:
                add(tree, f"{name}/first", _wall([py, "-m", "see2sound.cli", *render], {**env, "XDG_CACHE_HOME": empty}))
    return {tree: {key: (min(v) if not key.endswith(("warm_median", "warm_peak_mb")) else statistics.median(v))
                   for key, v in values.items()} for tree, values in found.items()}


def table(results: dict, photos: dict[str, Path]) -> list[str]:
    before, after = results["before"], results["after"]
    lines = ["| measure | before | after | after / before |", "| --- | --- | --- | --- |"]

    def row(label: str, key: str, unit: str = "s") -> None:
        b, a = before[key], after[key]
        fmt = (lambda v: f"{v:.2f} s") if unit == "s" else (lambda v: f"{v:.0f} MB")
        lines.append(f"| {label} | {fmt(b)} | {fmt(a)} | {a / b:.2f} |")

    row("`see2sound --help` (whole process, best of 5)", "help")
    row("`import see2sound` (the import, best of 5)", "import")
    for name in photos:
        row(f"{name}: cold `see2sound render` (best of 3)", f"{name}/cold")
        row(f"{name}: cold, first run (empty cache folder)", f"{name}/first")
        row(f"{name}: warm `see2sound.render()` (best of 5)", f"{name}/warm_best")
        row(f"{name}: warm, median of 5", f"{name}/warm_median")
        ratio = [r[f"{name}/cold"] / r[f"{name}/warm_best"] for r in (before, after)]
        lines.append(f"| {name}: cold / warm (target <= 1.5) | {ratio[0]:.2f} | {ratio[1]:.2f} | |")
        row(f"{name}: peak memory, warm process", f"{name}/warm_peak_mb", unit="MB")
    return lines


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, Baseline() as before:
        tmp = Path(folder)
        photos = _photos(tmp)
        envs = {"before": before.env(), "after": {**os.environ, "PYTHONPATH": str(ROOT / "src")}}
        print(f"before = {BASELINE_REV}, after = this tree; measuring ...", flush=True)
        results = measure(envs, photos, tmp)
    load = os.getloadavg()
    lines = ["# Start-up and render speed (issue 16)", "",
             f"Measured {time.strftime('%Y-%m-%d')} on a {os.cpu_count()}-core x86_64 machine "
             f"(load average {load[0]:.1f} at the end), both trees in the same run, their runs alternating: "
             f"before = {BASELINE_REV}, after = this tree. Photo -> 10 s binaural at 48 kHz, defaults "
             "(ensemble detector, -23 LUFS).", "",
             *table(results, photos), "",
             "`python benchmarks/bench_render.py` writes this file."]
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "benchmarks/results-render.md").write_text(text)


if __name__ == "__main__":
    main()
