"""Throughput of `see2sound batch` by engine and worker count: pictures -> 10 s binaural.

    python benchmarks/bench_batch.py [--items 200] [--duration 10] [--runs local:1,local:2,ray:2]

The pictures are copies of the bundled examples and the test photos
(tests/data/photos), under distinct names. Each run is a fresh
`see2sound batch` process into an empty folder; its worker processes'
peak resident memory (VmHWM, Linux) is sampled while it runs. Reported:
items per minute (the batch's own count, model loading included), the
same once running (between the first and the last item finished, from the
manifest's ``finished`` stamps: start-up left out), peak
memory per worker, and the speed-up of each worker count over 1 worker
(the issue's target: 2 workers >= 1.7x on a 2-core machine), and the Ray
engine against the local engine with as many workers (target: within
15 %), with Ray's extra cost per item. Ray's workers are its actor
processes (``ray::MapWorker...``), found by name; a Ray instance is started
for the run, and its start-up is inside the batch's time.

Writes benchmarks/results-batch.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PICTURES = sorted((ROOT / "src/see2sound/data/examples").glob("*.jpg")) + \
    sorted(p for p in (ROOT / "tests/data/photos").iterdir() if p.suffix.lower() in (".jpg", ".png", ".webp"))


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def _peak_kb(pid: int) -> int | None:
    try:
        return int(re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text()).group(1))
    except (OSError, AttributeError):
        return None


def _ray_actors() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"MapWorker" in (entry / "cmdline").read_bytes()[:200]:
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def run(folder: Path, engine: str, workers: int, duration: float, index: int = 0) -> dict:
    out = folder / f"out-{index}-{engine}-{workers}"
    command = [sys.executable, "-m", "see2sound.cli", "batch", str(folder / "in"), "-o", str(out), "--workers",
               str(workers), "--duration", str(duration), "--format", "binaural", "--engine", engine, "-q"]
    began = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.DEVNULL)
    peaks: dict[int, int] = {}
    while process.poll() is None:
        for child in (_ray_actors() if engine == "ray" else _children(process.pid)):
            kb = _peak_kb(child)
            if kb is not None:
                peaks[child] = max(kb, peaks.get(child, 0))
        time.sleep(0.5)
    wall = time.perf_counter() - began
    summary = json.loads((out / "see2sound-summary.json").read_text())
    # Once running: items per minute between the first and the last item finished (start-up left out).
    finished = sorted(datetime.datetime.fromisoformat(json.loads(line)["finished"]).timestamp()
                      for line in (out / "see2sound-manifest.jsonl").read_text().splitlines() if line.strip())
    span = finished[-1] - finished[0] if len(finished) > 1 else 0.0
    steady = 60.0 * (len(finished) - 1) / span if span > 0 else 0.0
    workers_peak = sorted(peaks.values(), reverse=True)[:workers]  # the pool's workers, not its helper process
    return {"engine": engine, "workers": workers, "status": process.returncode, "done": summary["done"],
            "failed": len(summary["failed"]), "batch_s": summary["seconds"], "wall_s": wall,
            "items_per_min": summary["items_per_minute"], "steady_per_min": steady, "peak_mb": [round(kb / 1024) for kb in workers_peak]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--runs", default="local:1,local:2,ray:2", help="ENGINE:WORKERS, comma-separated")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results-batch.md"))
    a = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        folder = Path(tmp)
        (folder / "in").mkdir()
        for i in range(a.items):
            picture = PICTURES[i % len(PICTURES)]
            shutil.copy(picture, folder / "in" / f"{i:04d}-{picture.stem}{picture.suffix}")
        runs = [(r.split(":")[0], int(r.split(":")[1])) for r in a.runs.split(",")]
        rows = [run(folder, engine, workers, a.duration, i) for i, (engine, workers) in enumerate(runs)]
    base = next((r for r in rows if (r["engine"], r["workers"]) == ("local", 1)), rows[0])["items_per_min"]
    lines = [f"# see2sound batch: {a.items} pictures -> {a.duration:g} s binaural", "",
             f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}; `python benchmarks/bench_batch.py --items {a.items} --runs {a.runs}`.",
             "",
             "| engine | workers | done | failed | batch s | items/min | vs local, 1 worker | vs local, same workers "
             "| extra s per item | once running: items/min, vs local | peak RSS per worker (MB) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for i, r in enumerate(rows):
        # the local run of as many workers nearest in time (runs may alternate, so both see the same load)
        locals_ = [(abs(j - i), x) for j, x in enumerate(rows) if x["engine"] == "local" and x["workers"] == r["workers"]]
        local = min(locals_, key=lambda t: t[0])[1] if locals_ else None
        same = f"{r['items_per_min'] / local['items_per_min']:.2f}x" if local else "-"
        extra = (f"{(r['batch_s'] - local['batch_s']) / max(r['done'] + r['failed'], 1):+.3f}"
                 if local and r is not local else "-")
        lines.append(f"| {r['engine']} | {r['workers']} | {r['done']} | {r['failed']} | {r['batch_s']:.1f} "
                     f"| {r['items_per_min']:.1f} | {r['items_per_min'] / base:.2f}x | {same} | {extra} "
                     f"| {r['steady_per_min']:.1f}, "
                     f"{r['steady_per_min'] / local['steady_per_min'] if local else 1.0:.2f}x "
                     f"| {', '.join(map(str, r['peak_mb']))} |")
    text = "\n".join(lines) + "\n"
    Path(a.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
