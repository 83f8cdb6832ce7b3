"""Speed and memory of `analyze` on a 1080p photo (issue 3 targets). Not a test: run it.

    scripts/fetch_test_photos.sh && python benchmarks/bench_analyze.py

Targets: analysis of a 1080p photo <= 0.5 s on 2 cores once models are
loaded; loading the models <= 1 s; peak memory <= 600 MB. Each is measured
in a fresh process. Writes benchmarks/results-analyze.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, re, sys, time
t0 = time.perf_counter()
import see2sound
from see2sound.vision import analyze_picture
from see2sound.vision.detect import get_detector
t1 = time.perf_counter()
get_detector("ensemble")
t2 = time.perf_counter()
times = []
for _ in range(5):
    t = time.perf_counter()
    analysis = analyze_picture(sys.argv[1])
    times.append(time.perf_counter() - t)
hwm = int(re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read()).group(1))
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "first": times[0], "best": min(times),
                  "sources": len(analysis.scene.sources), "peak_mb": hwm / 1024}))
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "zidane-1080p.jpg"
        Image.open(ROOT / "tests/data/photos/zidane.jpg").resize((1920, 1080), Image.Resampling.LANCZOS).save(
            photo, quality=92)
        result = json.loads(subprocess.run([sys.executable, "-c", CHILD, str(photo)], capture_output=True,
                                           text=True, check=True).stdout)
    rows = [
        ("import see2sound", f"{result['import']:.2f} s", ""),
        ("load both detectors (onnxruntime sessions)", f"{result['load']:.2f} s", "target <= 1 s"),
        ("analyze a 1080p photo, first call", f"{result['first']:.2f} s", ""),
        ("analyze a 1080p photo, models loaded (best of 5)", f"{result['best']:.2f} s", "target <= 0.5 s"),
        ("peak memory of the whole process", f"{result['peak_mb']:.0f} MB", "target <= 600 MB"),
    ]
    lines = [f"Measured {time.strftime('%Y-%m-%d')} on a 2-core x86_64 machine; 1920x1080 JPEG (zidane.jpg "
             "upscaled), ensemble detector with mirror and tile views.", "",
             "| step | measured | target |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "benchmarks/results-analyze.md").write_text(text)


if __name__ == "__main__":
    main()
