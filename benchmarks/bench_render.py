"""Speed and memory of `render` on a 1080p photo (issue 4 targets). Not a test: run it.

    scripts/fetch_test_photos.sh && python benchmarks/bench_render.py

Targets: a 1080p photo -> 10 s binaural at 48 kHz in <= 1.5 s on 2 cores with
models loaded; cold start (a new process running `see2sound render`) <= 2.5 s;
peak memory <= 800 MB. Writes benchmarks/results-render.md.
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


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "bus-1080p.jpg"
        Image.open(ROOT / "tests/data/photos/bus.jpg").resize((1080, 1440)).save(photo, quality=92)
        wide = Path(tmp) / "zidane-1080p.jpg"
        Image.open(ROOT / "tests/data/photos/zidane.jpg").resize((1920, 1080)).save(wide, quality=92)
        rows = []
        for name, pic in (("bus (1080x1440, 5 sources)", photo), ("zidane (1920x1080, 2 sources)", wide)):
            warm = json.loads(subprocess.run([sys.executable, "-c", WARM, str(pic)], capture_output=True,
                                             text=True, check=True).stdout)
            colds = []
            for _ in range(3):
                t = time.perf_counter()
                subprocess.run([sys.executable, "-m", "see2sound.cli", "render", str(pic), "-o",
                                str(Path(tmp) / "out.wav"), "-q"], check=True, capture_output=True)
                colds.append(time.perf_counter() - t)
            rows.append((name, warm["best"], warm["median"], min(colds), warm["peak_mb"]))
    lines = [f"Measured {time.strftime('%Y-%m-%d')} on a 2-core x86_64 machine: photo -> 10 s binaural at 48 kHz, "
             "defaults (ensemble detector, -23 LUFS).", "",
             "| photo | warm, best of 5 | warm, median | cold `see2sound render` (best of 3) | peak memory |",
             "| --- | --- | --- | --- | --- |"]
    lines += [f"| {n} | {b:.2f} s | {m:.2f} s | {c:.2f} s | {p:.0f} MB |" for n, b, m, c, p in rows]
    lines += ["", "Targets: warm <= 1.5 s, cold <= 2.5 s, peak <= 800 MB."]
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "benchmarks/results-render.md").write_text(text)


if __name__ == "__main__":
    main()
