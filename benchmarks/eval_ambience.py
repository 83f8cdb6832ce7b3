"""Ambience accuracy on real photos, before and after the ImageNet evidence (issue 14, 3a).

    scripts/fetch_test_photos.sh && python benchmarks/eval_ambience.py

Ground truth: the "ambience" of each photo in tests/data/photos.json (photos
whose ambience is null have no clear kind and are left out). Detections come
from the analysis stack's default detector, as in ``analyze``.

1. Fit, on the "fit" half only: each kind's score is its measured score
   (:func:`see2sound.vision.ambience.measured_scores`) plus w x its ImageNet
   evidence (:func:`~see2sound.vision.ambience.imagenet_evidence`). w is the
   middle of the widest run of weights (0 to 20 in steps of 0.05) that are
   right on the most fit photos; then the softmax temperature is the one
   (0.1 to 5 in steps of 0.05) that maximises the fit photos' log-likelihood.
   The held-out half is not read while fitting.
2. Report, on both halves and per kind: the ambience without the classifier
   (``classify_ambience(..., use_classifier=False)``, the hand-weighted
   measurements as before) and with it (the shipped CLASSIFIER_WEIGHT and
   SOFTMAX_TEMPERATURE, which should be the fitted ones).
3. Time ``analyze_picture`` on a 1080p photo (zidane.jpg upscaled, as
   bench_analyze.py) with and without the classifier, best of 3, in fresh
   processes, and loading the classifier.

Writes benchmarks/results-ambience.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from see2sound.vision import ambience
from see2sound.vision.ambience import (
    AMBIENCE_KINDS,
    classify_ambience,
    describe,
    imagenet_evidence,
    measured_scores,
)
from see2sound.vision.classify import ImageClassifier
from see2sound.vision.detect import get_detector
from see2sound.vision.image import load_picture

ROOT = Path(__file__).resolve().parents[1]
LABELS = json.loads((ROOT / "tests/data/photos.json").read_text())
TRUTH = LABELS["photos"]
PHOTOS = ROOT / "tests/data/photos"
HALVES = {half: [n for n in LABELS["split"][key] if TRUTH[n]["ambience"]]
          for half, key in (("fit", "fit"), ("held-out", "held_out"))}
WEIGHTS = np.round(np.arange(0.0, 20.0 + 1e-9, 0.05), 2)
TEMPERATURES = np.round(np.arange(0.1, 5.0 + 1e-9, 0.05), 2)

CAVEAT = ("The evidence table lists classes by what they are (scenes, boats, water birds, farm and wild animals, "
          "road vehicles, buildings and shop fronts, furniture, dishes), not photo by photo, and only the weight and "
          "temperature were fitted. But the classifier's top classes on every photo, held-out ones included, were "
          "printed once while the table was being written, so the held-out figure is not fully blind. Of the "
          "table's classes, only `stage` (indoor-room) turns a held-out photo right (folk_band.webp); without it "
          "the held-out accuracy with the classifier is 16/18. Both halves are small (18-19 photos, 2-3 of some "
          "kinds): one photo is 5-6 points.")

TIMING = r"""
import json, sys, time
from functools import partial
import see2sound.vision as vision
from see2sound.vision import analyze_picture, ambience
from see2sound.vision.classify import shared_classifier
from see2sound.vision.detect import get_detector
get_detector("ensemble")
if sys.argv[2] == "without":
    vision.classify_ambience = partial(ambience.classify_ambience, use_classifier=False)
t = time.perf_counter()
shared_classifier() if sys.argv[2] == "with" else None
load = time.perf_counter() - t
times = []
for _ in range(4):
    t = time.perf_counter()
    analyze_picture(sys.argv[1])
    times.append(time.perf_counter() - t)
print(json.dumps({"load": load, "best": min(times[1:]), "times": times}))
"""


def measure(names: list[str], detector, classifier) -> dict[str, dict]:
    """Per photo: the measured scores, the ImageNet evidence, the top class and the picture's labels."""
    rows = {}
    for name in names:
        rgb = load_picture(PHOTOS / name).rgb
        labels = [d.label for d in detector.detect(rgb)]
        p = classifier.probabilities(rgb)
        top = int(np.argmax(p))
        rows[name] = {"rgb": rgb, "labels": labels, "scores": measured_scores(describe(rgb), labels),
                      "evidence": imagenet_evidence(p), "top": f"{classifier.labels[top]} {p[top]:.2f}"}
    return rows


def logits(row: dict, weight: float) -> np.ndarray:
    return np.array([row["scores"][k] + weight * row["evidence"][k] for k in AMBIENCE_KINDS])


def fit(rows: dict[str, dict]) -> tuple[float, float, int]:
    """(weight, temperature, photos right) fitted on ``rows`` (the fit half only)."""
    truth = np.array([AMBIENCE_KINDS.index(TRUTH[n]["ambience"]) for n in rows])
    right = np.array([np.sum(np.argmax([logits(r, w) for r in rows.values()], axis=1) == truth) for w in WEIGHTS])
    best = right == right.max()
    runs, start = [], None  # the runs of consecutive best weights
    for i, b in enumerate(np.append(best, False)):
        if b and start is None:
            start = i
        elif not b and start is not None:
            runs.append((i - start, start, i - 1))
            start = None
    _, first, last = max(runs)
    weight = float(np.round((WEIGHTS[first] + WEIGHTS[last]) / 2 / 0.05) * 0.05)
    z = np.array([logits(r, weight) for r in rows.values()])

    def loglik(t: float) -> float:
        zt = z / t
        zt -= zt.max(axis=1, keepdims=True)
        return float(np.sum(zt[np.arange(len(truth)), truth] - np.log(np.exp(zt).sum(axis=1))))

    temperature = float(max(TEMPERATURES, key=loglik))
    return weight, temperature, int(right.max())


def accuracy_table(results: dict[str, dict[str, tuple[str, str]]]) -> list[str]:
    lines = ["| half | kind | photos | right without classifier | right with classifier |",
             "| --- | --- | --- | --- | --- |"]
    for half, names in HALVES.items():
        for kind in (*AMBIENCE_KINDS, "all"):
            chosen = [n for n in names if kind == "all" or TRUTH[n]["ambience"] == kind]
            cells = []
            for config in ("without", "with"):
                right = sum(results[config][n][0] == TRUTH[n]["ambience"] for n in chosen)
                cells.append(f"{right}/{len(chosen)} ({right / max(1, len(chosen)):.0%})")
            bold = "**" if kind == "all" else ""
            lines.append(f"| {half} | {bold}{kind}{bold} | {len(chosen)} | {cells[0]} | {cells[1]} |")
    return lines


def photo_table(results: dict[str, dict[str, tuple[str, float]]], rows: dict[str, dict]) -> list[str]:
    lines = ["| half | photo | truth | without classifier | with classifier | top ImageNet class |",
             "| --- | --- | --- | --- | --- | --- |"]
    for half, names in HALVES.items():
        for name in names:
            want = TRUTH[name]["ambience"]
            cells = [f"{kind} ({confidence:.2f}){'' if kind == want else ' ✗'}"
                     for kind, confidence in (results["without"][name], results["with"][name])]
            lines.append(f"| {half} | {name} | {want} | {cells[0]} | {cells[1]} | {rows[name]['top']} |")
    return lines


def time_table(times: dict[str, dict]) -> list[str]:
    without, with_ = times["without"], times["with"]
    lines = [("`analyze_picture` on a 1920x1080 JPEG (zidane.jpg upscaled, as bench_analyze.py), models loaded, "
              "best of 3 after a first call, each configuration in a fresh process:"), "",
             "| configuration | analyze, best of 3 | all calls |", "| --- | --- | --- |"]
    for config, t in times.items():
        lines.append(f"| {config} classifier | {t['best'] * 1000:.0f} ms | {', '.join(f'{s:.2f}' for s in t['times'])} s |")
    lines += ["", (f"Added per picture: {(with_['best'] - without['best']) * 1000:.0f} ms; loading the classifier "
                   f"(once per process, on first use): {with_['load'] * 1000:.0f} ms. Target: analyze <= 500 ms.")]
    return lines


def timings() -> dict[str, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "zidane-1080p.jpg"
        Image.open(PHOTOS / "zidane.jpg").resize((1920, 1080), Image.Resampling.LANCZOS).save(photo, quality=92)
        return {config: json.loads(subprocess.run([sys.executable, "-c", TIMING, str(photo), config],
                                                  capture_output=True, text=True, check=True).stdout)
                for config in ("without", "with")}


def main() -> None:
    load_before = os.getloadavg()[0]
    detector, classifier = get_detector(), ImageClassifier()
    fit_rows = measure(HALVES["fit"], detector, classifier)
    weight, temperature, fit_right = fit(fit_rows)
    print(f"fitted on {len(fit_rows)} fit photos: weight {weight}, temperature {temperature} ({fit_right} right)")
    shipped = (ambience.CLASSIFIER_WEIGHT, ambience.SOFTMAX_TEMPERATURE)
    if shipped != (weight, temperature):
        print(f"NOTE: ambience.py ships weight {shipped[0]}, temperature {shipped[1]}: not the fitted values")
    rows = {**fit_rows, **measure(HALVES["held-out"], detector, classifier)}  # read only now, after fitting
    results = {config: {name: classify_ambience(row["rgb"], row["labels"], use_classifier=config == "with")[:2]
                        for name, row in rows.items()} for config in ("without", "with")}
    times = timings()
    heading = (f"Ambience on the {sum(map(len, HALVES.values()))} photos of tests/data/photos.json with a clear "
               f"kind (fit {len(HALVES['fit'])}, held-out {len(HALVES['held-out'])}); measured "
               f"{time.strftime('%Y-%m-%d')} with `python benchmarks/eval_ambience.py` (2-core x86_64, 1-minute "
               f"load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after: other jobs ran, so the "
               f"times are noisy).")
    fitted = (f"score(kind) = measured score + w x ImageNet evidence (summed probability of the kind's classes in "
              f"`IMAGENET_EVIDENCE`). w = {weight:g}: the middle of the widest run of weights right on the most "
              f"fit photos ({fit_right}/{len(fit_rows)}); softmax temperature {temperature:g}: the fit photos' "
              f"maximum likelihood for that w. Shipped in ambience.py: w = {shipped[0]:g}, temperature "
              f"{shipped[1]:g}.")
    lines = [heading, "", "## Fit (fit half only)", "", fitted, "",
             "## Accuracy", "", *accuracy_table(results), "",
             "## Per photo", "", *photo_table(results, rows), "",
             "## Time", "", *time_table(times), "", "## Caveat", "", CAVEAT]
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "benchmarks/results-ambience.md").write_text(text)


if __name__ == "__main__":
    main()
