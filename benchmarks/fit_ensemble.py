"""Fit the calibrated ensemble on the "fit" half of the labelled photos (issue 14).

    scripts/fetch_test_photos.sh && python benchmarks/fit_ensemble.py

Runs SSD, NanoDet and MoveNet on the whole frame and SSD and NanoDet on its
four tiles too, on the fit photos only, clusters their boxes into
objects (:func:`see2sound.vision.detect.calibration.objects`) and labels
each object right (IoU >= 0.5 with a true object of a compatible label) or
wrong; objects mostly inside an "ignore" region are left out. Then:

1. leave-one-photo-out cross-validation within the fit half chooses the
   ridge strength and the threshold: for each photo a model fitted on the
   others scores its objects; for each ridge, the lowest threshold on the
   grid whose precision over all photos, and its next threshold's, reach
   the issue's floor of 0.85; of those, the one with the best recall;
2. the model is refitted on the whole fit half with that ridge;
3. test-time augmentation only where it pays (issue 16): 1 and 2 are done
   for each choice of members that also run on the tiles (none, SSD,
   NanoDet, both), and the cheapest choice (in the members' measured time)
   whose cross-validated recall is within one object of the best is shipped.

Writes src/see2sound/data/models/ensemble_calibration.json (with its choice
of tiles), benchmarks/calibration-all-tiles.json (the fit with both members
on the tiles, for comparison) and benchmarks/results-views.md, and prints the
cross-validated precision and recall. The held-out half is never read here
(benchmarks/eval_detection.py reports it).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_detection import HALVES, PHOTOS, TRUTH, compatible, inside, score  # noqa: E402

from see2sound.vision.detect.base import Detection, iou, model_path  # noqa: E402
from see2sound.vision.detect.calibration import (  # noqa: E402
    CALIBRATION_FILE, FEATURES, MEMBERS, Calibration, Logistic, objects)
from see2sound.vision.detect.ensemble import Ensemble, Observation, suppress_same_object  # noqa: E402
from see2sound.vision.image import load_picture  # noqa: E402
from see2sound.vision.vocabulary import is_sounding  # noqa: E402

RIDGES = (0.3, 1.0, 3.0, 10.0)
TARGET_PRECISION = 0.85  # issue 14: recall >= 0.85 at precision >= 0.85
GRID = np.round(np.arange(0.2, 0.751, 0.05), 3)
HERE = Path(__file__).resolve().parent
#: The fit with every member that can on the tiles (what the tiles buy, for eval_detection.py).
TILES_FILE = "calibration-all-tiles.json"


def observe(names: list[str]) -> tuple[dict[str, tuple[list, dict, float]], dict[tuple[str, str], float]]:
    """name -> (observations in the original's pixels, whole-frame views per member, the original's height),
    and the seconds each member spent on whole frames and on tiles over all the photos."""
    ensemble = Ensemble(fusion="calibrated", member_tiles={"ssd", "nanodet"})
    out, seconds = {}, {}
    for name in names:
        picture = load_picture(PHOTOS / name)
        observations, whole_views = ensemble.observe(picture.rgb, seconds=seconds)
        observations = [Observation(o.detection.scaled(1.0 / picture.scale), o.member, o.view, o.whole)
                        for o in observations]
        out[name] = (observations, whole_views, float(picture.height))
    return out, seconds


def labelled_objects(name: str, seen, cal: Calibration) -> list[tuple[str, tuple, dict, bool]]:
    """(label, box, features, right?) of each sounding object, those in "ignore" regions left out."""
    observations, whole_views, height = seen
    truth = TRUTH[name]
    out = []
    for obj in objects(observations, cal):
        label = obj.label()
        if not is_sounding(label):
            continue
        box = tuple(map(float, obj.box()))
        boxes = [b for lab, b in truth["objects"] if compatible(label, lab)]
        right = bool(boxes) and iou([box], boxes).max() >= 0.5
        if not right and any(inside(box, region) > 0.5 for region in truth["ignore"]):
            continue
        out.append((label, box, obj.features(whole_views, height), right))
    return out


def _f1(counts) -> tuple[float, float, float]:
    hits, false, misses = counts
    p, r = hits / max(1, hits + false), hits / max(1, hits + misses)
    return 2 * p * r / max(p + r, 1e-9), p, r


def cross_validate(data: dict[str, list], ridge: float) -> dict[float, np.ndarray]:
    """threshold -> (hits, false alarms, misses) over the fit photos, each scored by a model fitted without it."""
    totals = {float(t): np.zeros(3, dtype=int) for t in GRID}
    for name in data:
        rows = [(f, right) for other, objs in data.items() if other != name for _, _, f, right in objs]
        model = Logistic.fit([f for f, _ in rows], [r for _, r in rows], ridge=ridge)
        scored = [Detection(box, label, model(f)) for label, box, f, _ in data[name]]
        for t in totals:
            kept = suppress_same_object([d for d in scored if d.score >= t])
            totals[t] += np.array(score(kept, TRUTH[name]))
    return totals


#: Which members run on the four tiles, cheapest first: the test-time augmentation each would pay for.
TILE_CHOICES = ((), ("ssd",), ("nanodet",), ("ssd", "nanodet"))
#: A cheaper choice of tiles is kept when its cross-validated recall is within this many objects of the best.
RECALL_SLACK_OBJECTS = 1


def with_tiles(seen, tiles) -> tuple[list, dict, float]:
    """The observations of ``seen`` as if only the members in ``tiles`` had run on the tiles."""
    observations, whole_views, height = seen
    return [o for o in observations if o.whole or o.member in tiles], whole_views, height


def choose(data: dict[str, list]) -> tuple[float, float, float, np.ndarray]:
    """(recall, ridge, threshold, counts) chosen by cross-validation (see the module's docstring)."""
    best = None
    for ridge in RIDGES:
        totals = cross_validate(data, ridge)
        fpr = [_f1(totals[float(t)]) for t in GRID]
        for i, t in enumerate(GRID):
            # The target is recall at a precision floor: the lowest threshold whose precision,
            # and its upper neighbour's, reach TARGET_PRECISION (so a lone lucky threshold does not win).
            if all(p >= TARGET_PRECISION for _, p, _ in fpr[i:i + 2]):
                if best is None or fpr[i][2] > best[0] + 1e-9:
                    best = (fpr[i][2], ridge, float(t), totals[float(t)])
                break
        print(f"  ridge {ridge}: " + " ".join(f"{t:.2f}:{p:.2f}/{r:.2f}" for t, (_, p, r) in zip(GRID, fpr)))
    return best


def fitted(results: dict, tiles: tuple[str, ...], photos: int, why: str) -> Calibration:
    """The calibration refitted on the whole fit half for the choice of ``tiles``, with its cross-validated figures."""
    (_, ridge, threshold, counts), data = results[tiles]
    f1, p, r = _f1(counts)
    rows = [(f, right) for objs in data.values() for _, _, f, right in objs]
    about = (f"Fitted by benchmarks/fit_ensemble.py on the {photos} 'fit' photos of tests/data/photos.json "
             f"only ({len(rows)} objects, {sum(r for _, r in rows)} right): logistic regression, ridge {ridge:g} "
             f"and threshold {threshold:g} chosen by leave-one-photo-out cross-validation within that half "
             f"(cross-validated precision {p:.2f}, recall {r:.2f}, F1 {f1:.3f}); tiles for "
             f"{', '.join(tiles) or 'no member'} ({why}).")
    return Calibration(model=Logistic.fit([f for f, _ in rows], [r for _, r in rows], ridge=ridge),
                       thresholds={"*": threshold}, tiles=tuple(tiles), about=about)


def main() -> None:
    fit = HALVES["fit"]
    cal = Calibration()
    seen, seconds = observe(fit)
    # Test-time augmentation only where it pays: each choice of tiled members, cross-validated on the fit half.
    results = {}
    for tiles in TILE_CHOICES:
        print(f"tiles for {', '.join(tiles) or 'no member'}:")
        data = {name: labelled_objects(name, with_tiles(seen[name], tiles), cal) for name in fit}
        results[tiles] = (choose(data), data)
    best_hits = max(r[0][3][0] for r in results.values())
    cost = {tiles: sum(seconds[(m, "whole")] + (seconds[(m, "tiles")] if m in tiles else 0.0) for m in MEMBERS)
            for tiles in TILE_CHOICES}
    table = ["| members on tiles | CV precision | CV recall | hits / false alarms / misses | detection s / photo |",
             "| --- | --- | --- | --- | --- |"]
    for tiles, ((_, _, _, counts), _) in results.items():
        _, p, r = _f1(counts)
        table.append(f"| {', '.join(tiles) or 'none'} | {p:.2f} | {r:.2f} | {' / '.join(map(str, counts))} | "
                     f"{cost[tiles] / len(fit):.3f} |")
    (HERE / "results-views.md").write_text("\n".join([
        f"What the tiles buy (issue 16): `python benchmarks/fit_ensemble.py`, {time.strftime('%Y-%m-%d')}, the "
        f"{len(fit)} fit photos only. For each choice of members run on the four tiles (every member runs on the "
        f"whole frame), a calibration is cross-validated (leave one photo out) as the module docstring says; "
        f"detection seconds per photo are the members' own time on this machine in this run.", "", *table, "",
        f"Chosen: the cheapest whose cross-validated recall is within {RECALL_SLACK_OBJECTS} object(s) of the best. "
        f"Held-out figures for the choice and for all tiles: benchmarks/results-detection.md.", ""]))
    print("\n".join(table))
    tiles = min((t for t in TILE_CHOICES if results[t][0][3][0] >= best_hits - RECALL_SLACK_OBJECTS),
                key=lambda t: cost[t])
    cal = fitted(results, tiles, len(fit), f"the cheapest choice whose cross-validated recall is within "
                                           f"{RECALL_SLACK_OBJECTS} object(s) of the best")
    # The richest choice too, so that benchmarks/eval_detection.py can say what the tiles buy held out.
    richest = fitted(results, TILE_CHOICES[-1], len(fit), "every member that can, for comparison")
    (HERE / TILES_FILE).write_text(json.dumps(richest.to_json(), indent=1) + "\n")
    path = model_path(CALIBRATION_FILE)
    path.write_text(json.dumps(cal.to_json(), indent=1) + "\n")
    print("| feature | weight |\n| --- | --- |")
    print("\n".join(f"| {name} | {cal.model.weights[name]:+.2f} |" for name in FEATURES))
    print(f"| bias | {cal.model.bias:+.2f} |")
    print(cal.about)
    print("written", path)


if __name__ == "__main__":
    main()
