"""The sound stage: a sound for every source, and an ambience bed.

Modules: ``library`` (the bundled pack and the user's folders), ``synth``
(procedural models), ``fit`` (fitting a clip to the scene's length),
``choose`` (which sound each source gets, writing stems), ``tagger`` (the
optional YAMNet tagger).
"""

from .choose import assign_sounds
from .library import SoundLibrary, load_libraries

__all__ = ["SoundLibrary", "assign_sounds", "load_libraries"]
