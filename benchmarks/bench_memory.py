"""Peak memory of `see2sound spatialize` as scenes grow in sources and length.

    python benchmarks/bench_memory.py [--minutes 10] [--formats binaural,foa]

Each render runs in its own process; its peak resident memory (VmHWM, Linux)
and wall time are recorded. Scenes:

- ``clips``: every source plays its own 5 s sound (a library-like clip, looped);
- ``long``: 32 distinct sounds as long as the scene, at 44.1 kHz stereo (so
  decoded, downmixed and resampled, not streamed), each played by 8 sources;
- ``refuse``: 10,000 sources: the scene is refused; the time to say so.

Writes benchmarks/results-memory.md.
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

ROOT = Path(__file__).resolve().parents[1]

# Peak memory is this process's own VmHWM: ru_maxrss would carry over the parent's peak across fork and exec.
MEASURE = r'''
import re, sys, time
from pathlib import Path
from see2sound.cli import main
start = time.perf_counter()
status = main(sys.argv[1:])
peak = re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1)
print(status, time.perf_counter() - start, peak)
'''


def scene(folder: Path, name: str, sources: int, minutes: float) -> Path:
    rng = np.random.default_rng(0)
    duration = minutes * 60
    items = []
    if name == "long":
        for k in range(32):
            path = folder / f"long-{k}.wav"
            if not path.exists():
                x = (0.05 * rng.standard_normal((int(duration * 44100), 2))).astype(np.float32)
                sf.write(path, x, 44100, subtype="PCM_16")
        files = [f"long-{i % 32}.wav" for i in range(sources)]
    else:
        for k in range(sources):
            path = folder / f"clip-{k}.wav"
            if not path.exists():
                sf.write(path, (0.1 * rng.standard_normal(5 * 48000)).astype(np.float32), 48000, subtype="PCM_16")
        files = [f"clip-{i}.wav" for i in range(sources)]
    items = [{"id": f"s{i}", "position": {"azimuth_deg": float((i * 37) % 360 - 180), "elevation_deg": 0.0,
                                          "distance_m": 1.0 + i % 7}, "audio": {"path": f, "offset_s": i % 5}}
             for i, f in enumerate(files)]
    path = folder / f"{name}-{sources}-{minutes:g}.json"
    path.write_text(json.dumps({"schema": "see2sound.scene/2", "duration_s": duration, "sources": items}))
    return path


def measure(args: list[str]) -> tuple[int, float, float]:
    out = subprocess.run([sys.executable, "-c", MEASURE, *args], capture_output=True, text=True, check=False)
    status, seconds, kb = out.stdout.split()[-3:]
    return int(status), float(seconds), int(kb) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--formats", default="binaural,foa")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results-memory.md"))
    opts = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="see2sound-memory-") as tmp:
        folder = Path(tmp)
        for fmt in opts.formats.split(","):
            for kind, sources in (("clips", 16), ("clips", 256), ("long", 256)):
                path = scene(folder, kind, sources, opts.minutes)
                status, seconds, mb = measure(["spatialize", str(path), "-o", str(folder / "out.wav"),
                                               "--format", fmt, "-q"])
                rows.append(f"| {kind} | {sources} | {opts.minutes:g} min | {fmt} | {status} | {seconds:.0f} s | "
                            f"{mb:.0f} MB |")
                print(rows[-1], flush=True)
        many = folder / "refuse.json"
        many.write_text(json.dumps({"schema": "see2sound.scene/2", "duration_s": 600, "sources": [
            {"id": f"s{i}", "position": {"azimuth_deg": 0, "elevation_deg": 0, "distance_m": 2},
             "audio": {"path": "x.wav"}} for i in range(10_000)]}))
        start = time.perf_counter()
        status, _, mb = measure(["spatialize", str(many), "-o", str(folder / "out.wav"), "-q"])
        refused = time.perf_counter() - start
        rows.append(f"| refuse | 10000 | 10 min | binaural | {status} | {refused:.1f} s (whole process) | "
                    f"{mb:.0f} MB |")
        print(rows[-1], flush=True)
    Path(opts.out).write_text(
        "# Memory: peak resident memory of `see2sound spatialize`\n\n"
        f"`python benchmarks/bench_memory.py --minutes {opts.minutes:g}` on {platform.machine()}, "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}. Each render in its own process; "
        "peak = VmHWM. *clips*: each source its own 5 s sound, looped; *long*: 32 sounds as long as the "
        "scene (44.1 kHz stereo: decoded, downmixed, resampled), 8 sources each; *refuse*: a scene of 10,000 "
        "sources (the limit is 256).\n\n"
        "| scene | sources | length | format | exit | time | peak memory |\n|---|---|---|---|---|---|---|\n"
        + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
