"""Precision and recall of sound-source detection on real photos (issue 3).

    scripts/fetch_test_photos.sh && python benchmarks/eval_detection.py

Ground truth: tests/data/photos.json (hand-drawn boxes of sounding objects).
A detection counts when its label makes sound; it is a hit when it overlaps
an unmatched ground-truth box of a compatible label by IoU >= 0.5 (a generic
"vehicle" matches car, bus, truck...). Detections lying mostly inside an
'ignore' region are not counted. Precision and recall are given for all the
photos and for each half of photos.json's split: "fit" (what calibrations and
thresholds may be fitted on) and "held-out" (only ever reported). Writes
benchmarks/results-detection.md.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from see2sound.vision.detect.base import iou
from see2sound.vision.detect.calibration import load_calibration
from see2sound.vision.detect.ensemble import Ensemble
from see2sound.vision.detect.movenet import MoveNet
from see2sound.vision.detect.nanodet import NanoDetCOCO
from see2sound.vision.detect.ssd import SSDOpenImages
from see2sound.vision.classify import shared_classifier
from see2sound.vision.image import load_picture
from see2sound.vision.refine import refine_labels
from see2sound.vision.vocabulary import REFINES, is_sounding

ROOT = Path(__file__).resolve().parents[1]
LABELS = json.loads((ROOT / "tests/data/photos.json").read_text())
TRUTH = LABELS["photos"]
HALVES = {"all": list(TRUTH), "fit": LABELS["split"]["fit"], "held-out": LABELS["split"]["held_out"]}
PHOTOS = ROOT / "tests/data/photos"
VOTE = "vote fusion, flip + tiles (ensemble-vote; the default before issue 14)"
CALIBRATED = "calibrated: + MoveNet, one logistic model (ensemble, the default)"
REFINED = "the default + animal labels refined by the classifier (what analyze does)"
ALL_TILES = "calibrated, SSD and NanoDet also on 4 tiles (the default before issue 16; refitted the same way)"


def compatible(a: str, b: str) -> bool:
    return a == b or b in REFINES.get(a, ()) or a in REFINES.get(b, ())


def inside(box, region) -> float:
    x0, y0 = max(box[0], region[0]), max(box[1], region[1])
    x1, y1 = min(box[2], region[2]), min(box[3], region[3])
    area = max(1e-9, (box[2] - box[0]) * (box[3] - box[1]))
    return max(0.0, x1 - x0) * max(0.0, y1 - y0) / area


def score(detections, truth, per_class: dict | None = None) -> tuple[int, int, int]:
    """(hits, false alarms, misses) for one photo; ``per_class``, if given, gathers them per label."""
    objects = truth["objects"]
    used = [False] * len(objects)
    hits = false = 0
    for det in sorted(detections, key=lambda d: -d.score):
        if not is_sounding(det.label):
            continue
        best, best_iou = None, 0.5
        for k, (label, box) in enumerate(objects):
            if not used[k] and compatible(det.label, label):
                overlap = iou([det.box], [box])[0, 0]
                if overlap >= best_iou:
                    best, best_iou = k, overlap
        if best is not None:
            used[best] = True
            hits += 1
            _count(per_class, objects[best][0], 0)
        elif not any(inside(det.box, region) > 0.5 for region in truth["ignore"]):
            false += 1
            _count(per_class, det.label, 1)
    for k, u in enumerate(used):
        if not u:
            _count(per_class, objects[k][0], 2)
    return hits, false, used.count(False)


def _count(per_class: dict | None, label: str, column: int) -> None:
    if per_class is not None:
        per_class.setdefault(label, np.zeros(3, dtype=int))[column] += 1


def main() -> None:
    ssd, nanodet = SSDOpenImages(), NanoDetCOCO()
    default = Ensemble([ssd, nanodet, MoveNet()], fusion="calibrated")
    classifier = shared_classifier()

    def refined(rgb):
        return refine_labels(rgb, default.detect(rgb), classifier)[0]

    configs = {
        "SSD Open Images alone (score >= 0.5)": lambda rgb: [d for d in ssd.detect(rgb) if d.score >= 0.5],
        "NanoDet COCO alone (score >= 0.4)": lambda rgb: [d for d in nanodet.detect(rgb) if d.score >= 0.4],
        "vote fusion, whole frame only": Ensemble([ssd, nanodet], flip=False, tiles=False, fusion="wbf").detect,
        "vote fusion + flip": Ensemble([ssd, nanodet], tiles=False, fusion="wbf").detect,
        VOTE: Ensemble([ssd, nanodet], fusion="wbf").detect,
        ALL_TILES: Ensemble([ssd, nanodet, default.members[2]], fusion="calibrated",
                            calibration=load_calibration(ROOT / "benchmarks/calibration-all-tiles.json")).detect,
        CALIBRATED: default.detect,
        REFINED: refined,
    }
    pictures = {name: load_picture(PHOTOS / name) for name in TRUTH}
    load_before = os.getloadavg()[0]
    rows, classes = [], {}
    for config, detect in configs.items():
        counts, seconds = {}, {}
        for name, picture in pictures.items():
            t = time.perf_counter()
            dets = [d.scaled(1.0 / picture.scale) for d in detect(picture.rgb)]
            seconds[name] = time.perf_counter() - t
            half = "fit" if name in HALVES["fit"] else "held-out"
            counts[name] = np.array(score(dets, TRUTH[name], classes.setdefault((config, half), {})))
        for half, names in HALVES.items():
            hits, false, misses = sum(counts[name] for name in names)
            rows.append((config, half, hits / max(1, hits + false), hits / max(1, hits + misses), hits, false, misses,
                         np.mean([seconds[name] for name in names])))
        print(config, "\n  " + "\n  ".join(f"{name}: {c[0]}/{c[0] + c[2]} found, {c[1]} false"
                                            for name, c in counts.items()))
    sizes = ", ".join(f"{half} {len(names)} photos / {sum(len(TRUTH[n]['objects']) for n in names)} objects"
                      for half, names in HALVES.items() if half != "all")
    heading = (f"{len(pictures)} real photos, {sum(len(t['objects']) for t in TRUTH.values())} hand-labelled "
               f"sounding objects ({sizes}: the split in tests/data/photos.json); measured "
               f"{time.strftime('%Y-%m-%d')} (2-core x86_64, 1-minute load average {load_before:.1f} before and "
               f"{os.getloadavg()[0]:.1f} after: s / photo grows with it).")
    lines = [heading, "",
             "| detector | photos | precision | recall | hits | false alarms | misses | s / photo |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {c} | {h} | {p:.2f} | {r:.2f} | {n} | {f} | {m} | {s:.2f} |" for c, h, p, r, n, f, m, s in rows]
    lines += ["", "Per class (truth label for hits and misses, detected label for false alarms), before "
              "(the vote fusion) and after (calibrated, animal labels refined), as hits / false alarms / misses:", "",
              "| class | fit before | fit after | held-out before | held-out after |", "| --- | --- | --- | --- | --- |"]
    labels = sorted({label for table in classes.values() for label in table})
    for label in labels:
        cells = [classes[(c, h)].get(label, np.zeros(3, dtype=int)) for h in ("fit", "held-out")
                 for c in (VOTE, REFINED)]
        lines.append(f"| {label} | " + " | ".join(f"{a} / {b} / {m}" for a, b, m in cells) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "benchmarks/results-detection.md").write_text(text)


if __name__ == "__main__":
    main()
