"""Speed and memory of `see2sound render` on video (issue 6 targets). Not a test: run it.

    scripts/fetch_test_photos.sh && python benchmarks/bench_video.py [--quick]

Clips are made from real photos (a cut-out cat crossing a street, H.264,
AAC soundtrack). Targets: 720p at 30 fps -> binaural MP4 at least 1x real
time on 2 cores (aim 2x); peak memory <= 1.5 GB for a 10-minute 1080p clip.
``--quick`` skips the 10-minute clip. Writes benchmarks/results-video.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT / "tests/data/photos"

CHILD = r"""
import re, sys, time
from see2sound.cli import main
t = time.perf_counter()
rc = main(sys.argv[1:])
hwm = int(re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read()).group(1))
print("RESULT", time.perf_counter() - t, hwm / 1024, rc)
"""


def make_clip(path: Path, width: int, height: int, fps: int, seconds: float) -> None:
    bg = np.asarray(Image.open(PHOTOS / "leuvenA.jpg").convert("RGB").resize((width, height)))
    cat = np.asarray(Image.open(PHOTOS / "chelsea.png").convert("RGB").resize((width // 3, height // 3)))
    out = av.open(str(path), "w")
    v = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "crf": "26"})
    v.width, v.height, v.pix_fmt = width, height, "yuv420p"
    a = out.add_stream("aac", rate=48000, layout="stereo")
    frames = int(seconds * fps)
    period = 8 * fps  # the cat crosses every 8 s
    for i in range(frames):
        frame = bg.copy()
        x = int((width - cat.shape[1]) * ((i % period) / period))
        y = height // 2
        frame[y:y + cat.shape[0], x:x + cat.shape[1]] = cat
        for p in v.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
            out.mux(p)
    tone = (0.1 * np.sin(2 * np.pi * 220 * np.arange(48000) / 48000)).astype(np.float32)
    for s in range(0, int(seconds * 48000), 1024):
        chunk = np.stack([np.resize(np.roll(tone, -s), 1024)] * 2)
        fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp", layout="stereo")
        fr.sample_rate, fr.pts = 48000, s
        for p in a.encode(fr):
            out.mux(p)
    for stream in (v, a):
        for p in stream.encode(None):
            out.mux(p)
    out.close()


def run(clip: Path, out: Path) -> tuple[float, float]:
    result = subprocess.run([sys.executable, "-c", CHILD, "render", str(clip), "-o", str(out), "-q"],
                            capture_output=True, text=True)
    line = next(l for l in result.stdout.splitlines() if l.startswith("RESULT"))
    seconds, peak, rc = line.split()[1:]
    if rc != "0":
        raise SystemExit(result.stderr)
    return float(seconds), float(peak)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cases = [("720p, 30 fps, 60 s", 1280, 720, 30, 60.0)]
        if not args.quick:
            cases.append(("1080p, 30 fps, 10 min", 1920, 1080, 30, 600.0))
        for name, w, h, fps, seconds in cases:
            clip = tmp / "clip.mp4"
            make_clip(clip, w, h, fps, seconds)
            elapsed, peak = run(clip, tmp / "out.mp4")
            rows.append((name, elapsed, seconds / elapsed, peak))
            print(rows[-1], flush=True)
    lines = [f"Measured {time.strftime('%Y-%m-%d')} on a 2-core x86_64 machine: `see2sound render CLIP.mp4 -o "
             "OUT.mp4` (binaural AAC muxed, picture copied, original soundtrack kept), analysis at 5 pictures/s.", "",
             "| clip | wall time | speed | peak memory |", "| --- | --- | --- | --- |"]
    lines += [f"| {n} | {e:.1f} s | {x:.2f}x real time | {p:.0f} MB |" for n, e, x, p in rows]
    lines += ["", "Targets: at least 1x real time for 720p at 30 fps (aim 2x); at most 1.5 GB for 10 minutes of 1080p."]
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "benchmarks" / ("results-video-quick.md" if args.quick else "results-video.md")).write_text(text)


if __name__ == "__main__":
    main()
