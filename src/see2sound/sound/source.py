"""Where a source's sound comes from: the SoundSource interface.

A sound source (a registered component of kind ``sounds``) gives sources of
a scene their dry sound. Built in: ``library`` (your folders, the bundled
clips, procedural models; :class:`~see2sound.sound.choose.LibrarySounds`)
and text-to-audio models (:mod:`see2sound.sound.generate`). The sound stage
(:func:`see2sound.sound.assign_sounds`) asks each source in turn; a scene
source that none of them answers for is left out, with a note.

Contents
--------
Sound, SoundSource
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..registry import Component
from ..scene import Scene


@dataclass
class Sound:
    """A source's dry sound: mono float32 [shape=(n,)], n = the scene's length, and its ``sound`` entry.

    ``audio`` is an array or a ranged sound (:mod:`.ranged`: ``n``, ``read(start, stop)``, and the whole array
    through ``np.asarray``), which the sound stage writes to its stem a block at a time.
    """

    audio: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class SoundSource(Component, Protocol):
    """Gives the sources of a scene their sounds.

    :meth:`sounds_for` returns, for each source it has a sound for, its id
    -> :class:`Sound` exactly ``scene.duration_s`` long at ``sample_rate``,
    the same for the same ``seed``. ``notes`` collects what a user should
    hear about (a library folder skipped); it defaults to none. Subclass to inherit the no-op
    ``prepare()`` / ``release()``.
    """

    name: str
    notes: list[str] | tuple[str, ...] = ()  # what to tell the user; a component keeps its own list

    def sounds_for(self, scene: Scene, *, seed: int, sample_rate: int) -> dict[str, Sound]: ...
