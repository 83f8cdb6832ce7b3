"""What each sound sounds like to an AudioSet tagger, measured once and kept, for choosing by ear.

A sound's *heard* classes are the tagger's (:mod:`.tagger`, YAMNet run
float-simulated) mean scores over the clip, for its top :data:`KEEP`
classes. For the bundled clips and the procedural models (each over
:data:`MODEL_SEEDS`, scores averaged) they are measured by
``scripts/tag_sounds.py`` and shipped in ``data/sounds/heard.json``, so a
user without the tagger gets the same choices; a user's own clips are heard
when their folder is indexed with the tagger installed (the index cache
keeps it).

:func:`agreement` is how strongly a sound is heard as any of the classes a
source should sound like: the best of their scores, 0 when none of them is
among the sound's heard classes, None when the sound was never heard.

Contents
--------
KEEP, MODEL_SEEDS, HEARD_FILE
agreement        heard classes and wanted classes -> 0..1, or None
average          heard classes averaged over several takes
bundled_table    the shipped table (clip ids and model names -> heard classes)
heard_classes    a signal -> its heard classes (needs the tagger)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

KEEP = 10
MODEL_SEEDS = (1, 2, 3, 4, 5)
HEARD_FILE = "heard.json"


def _path() -> Path:
    return Path(str(resources.files("see2sound") / "data" / "sounds" / HEARD_FILE))


@lru_cache(maxsize=1)
def bundled_table() -> dict[str, dict[str, dict[str, float]]]:
    """{"clips": {entry id: {class: score}}, "models": {model name: {class: score}}} (empty when not built)."""
    try:
        data = json.loads(_path().read_text())
    except (OSError, ValueError):
        return {"clips": {}, "models": {}}
    return {"clips": data.get("clips", {}), "models": data.get("models", {})}


def agreement(heard: Mapping[str, float] | None, wanted: Iterable[str]) -> float | None:
    """The best score among ``wanted`` classes in ``heard`` (0 when none is there); None when never heard."""
    if not heard:
        return None
    return max((float(heard[c]) for c in wanted if c in heard), default=0.0)


def heard_classes(tagger, x: np.ndarray, sample_rate: int, keep: int = KEEP) -> dict[str, float]:
    """The tagger's top ``keep`` classes for mono ``x`` and their mean scores over the clip, rounded."""
    return {name: round(float(score), 3) for name, score in tagger.top(x, sample_rate, k=keep)}


def average(heards: list[dict[str, float]], keep: int = KEEP) -> dict[str, float]:
    """Heard classes averaged over several takes (a class missing from a take counts 0 there)."""
    names = {name for h in heards for name in h}
    mean = {name: sum(h.get(name, 0.0) for h in heards) / len(heards) for name in names}
    top = sorted(mean.items(), key=lambda kv: -kv[1])[:keep]
    return {name: round(score, 3) for name, score in top}
