"""The sound stage: a sound for every source, and an ambience bed.

Modules: ``source`` (the SoundSource interface), ``library`` (the bundled
pack and the user's folders), ``choose`` (which library sound each source
gets; the stage itself, :func:`assign_sounds`), ``generate`` (text-to-audio
models, quality mode), ``synth`` (procedural models), ``fit`` (fitting a
clip to the scene's length), ``beds`` (ambience beds' material, made once
and kept), ``ranged`` (long sounds made a stretch at a time, so a stem is
written without the whole sound in memory), ``tagger`` (the optional YAMNet
tagger).

The names below are imported on first use (PEP 562): the command line's
``sounds import`` and ``sounds fetch`` need the library's index, not the
procedural models and scipy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_EXPORTS = {"LibrarySounds": "choose", "assign_sounds": "choose", "SoundLibrary": "library",
            "load_libraries": "library", "Sound": "source", "SoundSource": "source"}

__all__ = ["LibrarySounds", "Sound", "SoundLibrary", "SoundSource", "assign_sounds", "load_libraries"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from .choose import LibrarySounds, assign_sounds
    from .library import SoundLibrary, load_libraries
    from .source import Sound, SoundSource
