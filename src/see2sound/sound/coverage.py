"""What the sound library covers: ``see2sound sounds list`` and ``see2sound sounds check``.

A label is covered by a recording when a clip's labels name it or the clip
shares one of the label's AudioSet classes (the same test as
:func:`.choose.candidates`), and by a procedural model in the same way.

Contents
--------
libraries, coverage, Coverage, LibrarySummary
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..vision.vocabulary import KINDS, is_sounding
from .library import SYNONYMS, Entry, SoundLibrary, user_folders
from .synth import MODELS


@dataclass
class LibrarySummary:
    """One library: the bundled pack (``bundled:NAME``) or a user folder, its clips per label and licence."""

    name: str
    entries: list[Entry]
    warnings: list[str] = field(default_factory=list)

    @property
    def labels(self) -> Counter:
        return Counter(label for e in self.entries for label in e.labels)

    @property
    def licenses(self) -> Counter:
        return Counter(e.license or "unknown" for e in self.entries)

    def as_dict(self) -> dict:
        return {"name": self.name, "clips": len(self.entries), "labels": dict(sorted(self.labels.items())),
                "licenses": dict(self.licenses.most_common()), "warnings": self.warnings}


def libraries(folders: tuple[str, ...] = (), *, tagger=None, cache_dir: Path | None = None) -> list[LibrarySummary]:
    """Every library a render would use, each on its own: bundled packs by name, then the user's folders."""
    bundled = SoundLibrary.bundled()
    packs: dict[str, list[Entry]] = {}
    for entry in bundled.entries:
        packs.setdefault("bundled:" + entry.id.split(":", 1)[0], []).append(entry)
    out = [LibrarySummary(name, entries) for name, entries in packs.items()]
    every, config_warnings = user_folders(folders)
    if config_warnings:
        out.append(LibrarySummary("config", [], config_warnings))
    for folder in dict.fromkeys(every):
        lib = SoundLibrary.scan(folder, cache_dir=cache_dir, tagger=tagger)
        out.append(LibrarySummary(str(Path(folder).expanduser()), lib.entries, lib.warnings))
    return out


@dataclass(frozen=True)
class Coverage:
    """A sounding label: how many clips cover it (by name, by AudioSet class), the models that do."""

    label: str
    by_name: int
    by_class: int
    models: tuple[str, ...]

    @property
    def status(self) -> str:
        if self.by_name or self.by_class:
            return "recorded"
        return "procedural only" if self.models else "nothing"

    def as_dict(self) -> dict:
        return {"label": self.label, "recordings": self.by_name + self.by_class, "by_name": self.by_name,
                "by_class": self.by_class, "models": list(self.models), "status": self.status}


def sounding_labels() -> list[str]:
    """The labels a source may get a sound for: the vocabulary's sounding ones, then places and weather."""
    return [label for label in KINDS if is_sounding(label)] + \
        [label for label in SYNONYMS if label not in KINDS]


def coverage(entries: list[Entry]) -> list[Coverage]:
    """Per sounding label, what covers it."""
    out = []
    for label in sounding_labels():
        wanted = set(KINDS[label].audioset) if label in KINDS else set()
        by_name = sum(1 for e in entries if label in e.labels)
        by_class = sum(1 for e in entries if label not in e.labels and wanted & set(e.audioset))
        models = tuple(name for name, m in MODELS.items() if label in m.labels or wanted & set(m.audioset))
        out.append(Coverage(label, by_name, by_class, models))
    return out
