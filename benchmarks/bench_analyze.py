"""Speed and memory of `analyze` on a 1080p photo (issue 14 and 16 targets). Not a test: run it.

    scripts/fetch_test_photos.sh && python benchmarks/bench_analyze.py

Targets: analysis of a 1080p photo <= 0.5 s on 2 cores once models are
loaded; loading the models <= 0.5 s; peak memory <= 400 MB. Each is measured
in a fresh process. A second 1080p photo, with animals (horses_running.jpg),
is analysed with and without the classifier's label refinement
(:mod:`see2sound.vision.refine`), for what it adds. A third, where the
classifier proposes a source no detector found (clock_held.jpg: a clock),
with and without the proposal step (:mod:`see2sound.vision.propose`: two
more classifier passes). The same measurements of the tree before issue 16
(:data:`report.BASELINE_REV`, in a temporary git worktree) run in the same
session, so "before" and "after" share the machine's hour. Writes
benchmarks/results-analyze.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from see2sound.vision.refine import MAX_CROPS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import BASELINE_REV, Baseline  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, re, sys, time
t0 = time.perf_counter()
import see2sound
from see2sound.vision import analyze_picture
from see2sound.vision.detect import get_detector
from see2sound.vision.refine import refine_labels
from see2sound.vision.propose import propose_sources
t1 = time.perf_counter()
from see2sound.vision.classify import shared_classifier
for member in get_detector("ensemble").members:
    member.prepare()
shared_classifier().prepare()
t2 = time.perf_counter()
times = []
for _ in range(5):
    t = time.perf_counter()
    analysis = analyze_picture(sys.argv[1])
    times.append(time.perf_counter() - t)
import see2sound.vision as vision
animal = []
for refined in (True, False, True, False, True, False):
    if not refined:
        vision.refine_labels = lambda rgb, dets, classifier, **kw: (list(dets), {})
    t = time.perf_counter()
    analyze_picture(sys.argv[2])
    animal.append((refined, time.perf_counter() - t))
    vision.refine_labels = refine_labels
proposal = []
for proposing in (True, False, True, False, True, False):
    if not proposing:
        vision.propose_sources = lambda *args, **kw: []
    t = time.perf_counter()
    scene = analyze_picture(sys.argv[3]).scene
    proposal.append((proposing, time.perf_counter() - t, sum("proposed" in s.extra for s in scene.sources)))
    vision.propose_sources = propose_sources
hwm = int(re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read()).group(1))
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "first": times[0], "best": min(times),
                  "sources": len(analysis.scene.sources), "peak_mb": hwm / 1024,
                  "animal": min(s for r, s in animal if r), "animal_unrefined": min(s for r, s in animal if not r),
                  "proposal": min(s for p, s, _ in proposal if p),
                  "unproposed": min(s for p, s, _ in proposal if not p),
                  "proposed": max(n for p, _, n in proposal if p)}))
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "zidane-1080p.jpg"
        Image.open(ROOT / "tests/data/photos/zidane.jpg").resize((1920, 1080), Image.Resampling.LANCZOS).save(
            photo, quality=92)
        animals = Path(tmp) / "horses-1080p.jpg"
        Image.open(ROOT / "tests/data/photos/horses_running.jpg").resize((1920, 1080), Image.Resampling.LANCZOS).save(
            animals, quality=92)
        clock = Path(tmp) / "clock-1080p.jpg"
        Image.open(ROOT / "tests/data/photos/clock_held.jpg").resize((1920, 1080), Image.Resampling.LANCZOS).save(
            clock, quality=92)
        args = ["-c", CHILD, str(photo), str(animals), str(clock)]
        with Baseline() as before:
            old = json.loads(before.python(args).stdout)
        new = json.loads(subprocess.run([sys.executable, *args], capture_output=True, text=True, check=True).stdout)

    def both(key: str, unit: str = "s", digits: int = 2) -> tuple[str, str]:
        return f"{old[key]:.{digits}f} {unit}", f"{new[key]:.{digits}f} {unit}"

    rows = [
        ("import see2sound", *both("import"), ""),
        ("load the models: 3 detectors, the classifier (onnxruntime sessions)", *both("load"), "target <= 0.5 s"),
        ("analyze a 1080p photo, first call", *both("first"), ""),
        ("analyze a 1080p photo, models loaded (best of 5)", *both("best"), "target <= 0.4 s (issue 16)"),
        ("analyze a 1080p photo with animals (horses_running.jpg), best of 3", *both("animal"), "target <= 0.5 s"),
        (f"  without label refinement (at most {MAX_CROPS} crop(s))", *both("animal_unrefined"), ""),
        (f"analyze a 1080p photo with a proposed source (clock_held.jpg; proposed before/after: {old['proposed']}/"
         f"{new['proposed']}), best of 3", *both("proposal"), "target <= 0.5 s"),
        ("  without the proposal step (2 half-picture passes)", *both("unproposed"), ""),
        ("peak memory of the whole process", *both("peak_mb", "MB", 0), "target <= 400 MB"),
    ]
    lines = [(f"Measured {time.strftime('%Y-%m-%d')} on a 2-core x86_64 machine; 1920x1080 JPEG (zidane.jpg "
              f"upscaled), the default ensemble detector. Before: {BASELINE_REV} (before issue 16: SSD and NanoDet "
              "also on four tiles); after: this tree; both in this run, each in a fresh process."), "",
             "| step | before | after | target |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "benchmarks/results-analyze.md").write_text(text)


if __name__ == "__main__":
    main()
