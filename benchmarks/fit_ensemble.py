"""Fit the calibrated ensemble on the "fit" half of the labelled photos (issue 14).

    scripts/fetch_test_photos.sh && python benchmarks/fit_ensemble.py

Runs SSD, NanoDet and MoveNet on every view (frame, mirror, tiles) of the
fit photos only, then:

1. per member and label (or class group, or member-wide where the fit half
   has too few), fits a Platt map from raw score to the probability that the
   detection is right (IoU >= 0.5 with a true object of a compatible label;
   detections mostly inside an "ignore" region are left out);
2. chooses thresholds on the fused probabilities for the best F1 on the fit
   half: one for every class, then one for people (the class with the most
   objects), kept only where it raises F1.

Writes src/see2sound/data/models/ensemble_calibration.json. The held-out
half is never read here (benchmarks/eval_detection.py reports it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_detection import HALVES, PHOTOS, TRUTH, compatible, inside, score  # noqa: E402

from see2sound.vision.detect.base import Detection, iou, model_path  # noqa: E402
from see2sound.vision.detect.calibration import (  # noqa: E402
    CALIBRATION_FILE, Calibration, Platt, class_group, fuse_calibrated)
from see2sound.vision.detect.ensemble import Ensemble  # noqa: E402
from see2sound.vision.image import load_picture  # noqa: E402
from see2sound.vision.vocabulary import is_sounding  # noqa: E402

MIN_PER_LABEL = 12  # objects of one member's label (with both right and wrong ones) for a map of its own
MIN_PER_GROUP = 8
GROUPS = ("person", "animal")  # the groups with enough fit objects (19 people, 27 animals) for their own
GRID = np.round(np.arange(0.05, 0.96, 0.025), 3)


def observe(names: list[str]) -> dict[str, list]:
    """name -> observations in the original's pixels."""
    ensemble = Ensemble(fusion="calibrated")
    out = {}
    for name in names:
        picture = load_picture(PHOTOS / name)
        observations, _ = ensemble.observe(picture.rgb)
        inv = 1.0 / picture.scale
        out[name] = [type(o)(o.detection.scaled(inv), o.member, o.view, o.whole) for o in observations]
    return out


def member_objects(found: list) -> list[tuple[str, Detection, int]]:
    """Each member's objects: (member, its best detection over views, how many views found it).

    A member's detections of one label overlapping its best by IoU >= 0.5 are
    the same object: what the fused ensemble asks the member's map about.
    """
    out = []
    for member in sorted({o.member for o in found}):
        objects: list[tuple[Detection, set]] = []
        for obs in sorted((o for o in found if o.member == member), key=lambda o: -o.detection.score):
            det = obs.detection
            for best, views in objects:
                if best.label == det.label and iou([det.box], [best.box])[0, 0] >= 0.5:
                    views.add(obs.view)
                    break
            else:
                objects.append((det, {obs.view}))
        out += [(member, det, len(views)) for det, views in objects]
    return out


def samples(observations: dict[str, list]) -> dict[tuple[str, str], tuple[list, list, list]]:
    """(member, label) -> (best raw scores, views, right?) of sounding objects outside "ignore" regions."""
    out: dict[tuple[str, str], tuple[list, list, list]] = {}
    for name, found in observations.items():
        truth = TRUTH[name]
        for member, det, views in member_objects(found):
            if not is_sounding(det.label):
                continue
            boxes = [box for label, box in truth["objects"] if compatible(det.label, label)]
            right = bool(boxes) and iou([det.box], boxes).max() >= 0.5
            if not right and any(inside(det.box, region) > 0.5 for region in truth["ignore"]):
                continue
            scores, counts, hits = out.setdefault((member, det.label), ([], [], []))
            scores.append(det.score)
            counts.append(views)
            hits.append(right)
    return out


def _enough(hits: list) -> bool:
    return sum(hits) >= 2 and len(hits) - sum(hits) >= 2


def fit_maps(data) -> tuple[dict[str, Platt], list[str]]:
    maps, report = {}, []
    pools: dict[str, tuple[list, list]] = {}
    counts: dict[str, list] = {}
    for (member, label), (scores, views, hits) in sorted(data.items()):
        for key in (f"{member}/{class_group(label)}", f"{member}/*"):
            s, v, h = pools.setdefault(key, ([], [], []))
            s += scores
            v += views
            h += hits
        counts[f"{member}/{label}"] = hits
        if len(hits) >= MIN_PER_LABEL and _enough(hits):
            maps[f"{member}/{label}"] = Platt.fit(scores, hits, views)
    for key, (scores, views, hits) in sorted(pools.items()):
        counts[key] = hits
        if (key.endswith("/*") and len(hits) >= 2) or (len(hits) >= MIN_PER_GROUP and _enough(hits)):
            maps[key] = Platt.fit(scores, hits, views)
    for key, m in sorted(maps.items()):
        h = counts[key]
        report.append(f"| {key} | {len(h)} | {sum(h)} | {m.a:.2f} | {m.b:.2f} | {m.c:.2f} |"
                      f" {m(0.3):.2f} | {m(0.5):.2f} | {m(0.8):.2f} |")
    return maps, report


def f1(observations, cal) -> tuple[float, np.ndarray]:
    total = np.zeros(3, dtype=int)
    for name, found in observations.items():
        total += np.array(score(fuse_calibrated(found, cal), TRUTH[name]))
    hits, false, misses = total
    p, r = hits / max(1, hits + false), hits / max(1, hits + misses)
    return (2 * p * r / max(p + r, 1e-9)), total


def fit_thresholds(observations, cal: Calibration) -> list[str]:
    """One threshold for all, then one per class group (people, animals) kept where it raises fit F1."""
    report = []
    best = max(GRID, key=lambda t: (f1(observations, _with(cal, {"*": t}))[0], -abs(t - 0.5)))
    cal.thresholds = {"*": float(best)}
    base, counts = f1(observations, cal)
    report.append(f"one threshold for every class: {best:.3f} (fit F1 {base:.3f}, hits/false/misses {counts})")
    for group in GROUPS:
        own = max(GRID, key=lambda t: (f1(observations, _with(cal, {group: t}))[0], -abs(t - best)))
        gain, counts = f1(observations, _with(cal, {group: own}))
        if gain > base + 0.005:
            cal.thresholds[group] = float(own)
            base = gain
            report.append(f"{group}: {own:.3f} (fit F1 {gain:.3f}, hits/false/misses {counts})")
        else:
            report.append(f"{group}: no threshold of its own (best {own:.3f} gives F1 {gain:.3f})")
    return report


def _with(cal: Calibration, thresholds: dict) -> Calibration:
    return Calibration(cal.maps, {**cal.thresholds, **thresholds}, cal.fuse_iou, cal.contain, cal.veto)


def _cached(path: str) -> dict:
    import pickle

    with open(path, "rb") as f:  # observe()'s output, pickled: for trying fits without rerunning the models
        return pickle.load(f)


def main() -> None:
    fit = HALVES["fit"]
    observations = observe(fit) if len(sys.argv) < 2 else {n: o for n, o in _cached(sys.argv[1]).items() if n in fit}
    maps, map_report = fit_maps(samples(observations))
    cal = Calibration(maps, about=(f"Fitted by benchmarks/fit_ensemble.py on the {len(fit)} 'fit' photos of "
                                   "tests/data/photos.json only; maps are Platt: p = sigmoid(a * logit(score) + b)."))
    threshold_report = fit_thresholds(observations, cal)
    path = model_path(CALIBRATION_FILE)
    path.write_text(json.dumps(cal.to_json(), indent=1) + "\n")
    print("| map | objects | right | a | b | c | p(0.3) | p(0.5) | p(0.8) |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(map_report))
    print("\n".join(threshold_report))
    print("written", path)


if __name__ == "__main__":
    main()
