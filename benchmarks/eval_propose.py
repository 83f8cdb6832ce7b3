"""Sources the classifier proposes (issue 14, 3c), on every labelled photo. Not a test: run it.

    scripts/fetch_test_photos.sh && python benchmarks/eval_propose.py

:func:`see2sound.vision.analyze_picture` runs on each photo of
tests/data/photos.json; for each, the whole picture's mass of every
proposable label (:data:`see2sound.vision.propose.PROPOSED_CLASSES`), what
was proposed, where, and whether it is right.

photos.json's labels predate these labels (its fountains and bells are not
objects), so what each photo shows of them is :data:`PRESENT` below, judged
by eye when :mod:`see2sound.vision.propose` was written: a clock held up in
clock_held.jpg, the fountain in front of St. Louis's Old Courthouse in
night_city.jpg; no other photo shows a church bell's tower, a fountain, a
clock, a typewriter or an insect large enough to hear (home.jpg is a
palace's towers, leuvenA.jpg a béguinage street without its church). The
threshold was set on the fit half (see the module's docstring); the
held-out half is reported. Writes benchmarks/results-propose.md.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from see2sound.vision import analyze_picture
from see2sound.vision.classify import shared_classifier
from see2sound.vision.image import load_picture
from see2sound.vision.propose import THRESHOLD, label_masses

ROOT = Path(__file__).resolve().parents[1]
LABELS = json.loads((ROOT / "tests/data/photos.json").read_text())
PHOTOS = ROOT / "tests/data/photos"
#: photo -> {label: its box (x0, y0, x1, y1) in the file's pixels}: what the photos show of the proposable labels.
PRESENT = {
    "clock_held.jpg": {"clock": (191, 152, 426, 388)},  # photos.json's own box
    "night_city.jpg": {"fountain": (40, 385, 580, 445)},  # basin and jets, drawn for this report
}


def main() -> None:
    rows, tally = [], {half: {"right": 0, "wrong": 0, "missed": 0} for half in LABELS["split"]}
    for half, names in LABELS["split"].items():
        for name in names:
            path = PHOTOS / name
            masses = label_masses(shared_classifier().probabilities(load_picture(path).rgb))
            analysis = analyze_picture(path)
            width = analysis.picture.width
            proposed = {s.label: s for s in analysis.scene.sources if "proposed" in s.extra}
            present = PRESENT.get(name, {})
            for label, source in proposed.items():
                right = label in present
                tally[half]["right" if right else "wrong"] += 1
                x = (source.box[0] + source.box[2]) / 2 / width
                where = ""
                if right:
                    t = present[label]
                    where = f"centre x {x:.2f} of the width (truth {(t[0] + t[2]) / 2 / width:.2f})"
                rows.append((half, name, label, f"{masses[label]:.3f}", "right" if right else "WRONG",
                             f"az {source.position.azimuth_deg:+.1f} deg, {source.position.distance_m:.2f} m; {where}"))
            for label in present:
                if label not in proposed:
                    tally[half]["missed"] += 1
                    rows.append((half, name, label, f"{masses[label]:.3f}", "missed", ""))
            near = {k: v for k, v in masses.items() if v >= 0.1 and k not in proposed}
            for label, mass in near.items():
                if label not in present:
                    rows.append((half, name, label, f"{mass:.3f}", "not proposed (right)",
                                 "mass >= 0.1, under the threshold"))
            print(name, half, {k: round(v, 3) for k, v in masses.items() if v >= 0.004}, sorted(proposed), flush=True)
    lines = [(f"Measured {time.strftime('%Y-%m-%d')}: the classifier's proposals (threshold {THRESHOLD}) on the "
              f"{sum(len(v) for v in LABELS['split'].values())} labelled photos; every proposal, every miss, and "
              "every label with a whole-picture mass >= 0.1 that was not proposed. Other photos: nothing proposed, "
              "nothing there."),
             "", "| half | right | wrong | missed |", "| --- | --- | --- | --- |"]
    lines += [f"| {half} | {t['right']} | {t['wrong']} | {t['missed']} |" for half, t in tally.items()]
    lines += ["", "| half | photo | label | mass | verdict | where |", "| --- | --- | --- | --- | --- | --- |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "benchmarks/results-propose.md").write_text(text)


if __name__ == "__main__":
    main()
