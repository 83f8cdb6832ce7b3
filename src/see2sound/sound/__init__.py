"""The sound stage: a sound for every source, and an ambience bed.

Modules: ``source`` (the SoundSource interface), ``library`` (the bundled
pack and the user's folders), ``choose`` (which library sound each source
gets; the stage itself, :func:`assign_sounds`), ``generate`` (text-to-audio
models, quality mode), ``synth`` (procedural models), ``fit`` (fitting a
clip to the scene's length), ``tagger`` (the optional YAMNet tagger).
"""

from .choose import LibrarySounds, assign_sounds
from .library import SoundLibrary, load_libraries
from .source import Sound, SoundSource

__all__ = ["LibrarySounds", "Sound", "SoundLibrary", "SoundSource", "assign_sounds", "load_libraries"]
