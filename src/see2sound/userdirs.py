"""Where see2sound keeps a user's own files: a ``see2sound`` folder in each XDG base directory.

``config`` ($XDG_CONFIG_HOME, default ~/.config): the library folders;
``cache`` ($XDG_CACHE_HOME, ~/.cache): library indexes, the tagger's unpacked
model; ``data`` ($XDG_DATA_HOME, ~/.local/share): imported sound packages.
"""

from __future__ import annotations

import os
from pathlib import Path

_BASES = {"config": ("XDG_CONFIG_HOME", (".config",)), "cache": ("XDG_CACHE_HOME", (".cache",)),
          "data": ("XDG_DATA_HOME", (".local", "share"))}


def user_dir(kind: str) -> Path:
    """see2sound's ``kind`` folder ("config", "cache" or "data"); not created here."""
    variable, default = _BASES[kind]
    return Path(os.environ.get(variable) or Path.home().joinpath(*default)) / "see2sound"
