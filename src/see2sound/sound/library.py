"""Sound libraries: the bundled starter pack and the user's own folders.

An entry knows its file, the vocabulary labels it suits, AudioSet class
names, whether it is a ``loop`` (a continuous bed) or an ``event`` (a bark,
a horn), and its licence and credit.

User folders (``--library DIR``, repeatable; ``SEE2SOUND_LIBRARY`` with
paths separated by ``:``; or ``libraries = ["~/sounds", ...]`` in
``~/.config/see2sound/config.toml``) are indexed from folder and file names and
embedded tags (title, comment, genre): a file ``dogs/barking_01.wav`` suits
``dog``. When the optional tagger is installed (see :mod:`.tagger`), files
whose names say nothing get AudioSet classes from it. The index is cached
per folder in the user's cache directory and updated incrementally by size
and modification time. Corrupt, empty, very long, odd-rate or many-channel
files are skipped with a warning.

A folder may hold an index, ``see2sound-sounds.json`` (written by
``see2sound sounds import`` and ``see2sound sounds fetch``; see
:mod:`.imports`), that gives files labels, AudioSet classes, a title, a
licence and a credit: ``{"files": {"dog/1234.ogg": {"labels": ["dog"],
"license": "CC0-1.0", "credit": "..."}}}``. Its labels and classes are
added to those found from names and the tagger.

Contents
--------
Entry, SoundLibrary, load_libraries, read_folder_index
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import warnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..userdirs import user_dir

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".mp3")
#: A library folder's walk visits at most this many entries ...
MAX_SCAN_ENTRIES = 200_000
#: ... and indexes at most this many sound files.
MAX_LIBRARY_FILES = 20_000
MAX_FILE_SECONDS = 600.0
MAX_CHANNELS = 8
RATE_RANGE = (4000, 384000)
LOOP_MIN_SECONDS = 8.0
#: 2: tags from the float-simulated tagger (1 ran its fused int8 kernels, whose tags differ by CPU);
#: 3: with the tagger's scores for the top classes (``heard``), for choosing by ear.
INDEX_VERSION = 3
#: A folder's own index of labels, licences and credits (see the module's docstring).
FOLDER_INDEX = "see2sound-sounds.json"

#: Words in file and folder names that point at a vocabulary label.
SYNONYMS = {
    "dog": ("dog", "dogs", "bark", "barking", "woof", "puppy"),
    "cat": ("cat", "cats", "meow", "miaow", "purr", "kitten"),
    "bird": ("bird", "birds", "birdsong", "chirp", "tweet", "songbird"),
    "person": ("person", "speech", "voice", "talk", "talking", "footsteps", "steps"),
    "crowd": ("crowd", "crowds", "babble", "chatter", "applause", "people", "walla"),
    "car": ("car", "cars", "engine", "auto", "horn"),
    "bus": ("bus", "buses", "coach"),
    "truck": ("truck", "trucks", "lorry"),
    "motorcycle": ("motorcycle", "motorbike", "scooter", "moped"),
    "bicycle": ("bicycle", "bike", "cycling"),
    "train": ("train", "trains", "railway", "rail", "locomotive", "tram", "metro"),
    "airplane": ("airplane", "aeroplane", "plane", "jet", "aircraft"),
    "boat": ("boat", "ship", "ferry", "motorboat"),
    "horse": ("horse", "horses", "neigh", "hooves"),
    "cow": ("cow", "cows", "cattle", "moo"),
    "sheep": ("sheep", "bleat", "lamb"),
    "clock": ("clock", "tick", "ticking"),
    "cell phone": ("phone", "telephone", "ringtone", "ring"),
    "keyboard": ("keyboard", "typing"),
    "tv": ("tv", "television"),
    "sink": ("sink", "tap", "faucet"),
    "refrigerator": ("fridge", "refrigerator"),
    # Places and weather: the labels of the procedural models and ambience beds.
    "rain": ("rain", "rainfall", "drizzle", "storm"),
    "wind": ("wind", "windy", "gust", "breeze"),
    "waves": ("waves", "wave", "surf", "sea", "ocean", "beach", "shore"),
    "stream": ("stream", "river", "brook", "creek", "waterfall"),
    "fire": ("fire", "campfire", "fireplace", "crackling"),
    "traffic": ("traffic", "street", "road"),
    "insect": ("insect", "insects", "cricket", "crickets", "cicada"),
}


@functools.cache
def _word_to_label() -> dict[str, str]:
    """Word -> label: :data:`SYNONYMS` and the vocabulary's one-word labels (made on first use: the vocabulary
    lives in the vision package, which ``sounds import`` and ``sounds fetch`` need no more of)."""
    from ..vision.vocabulary import KINDS

    table = {w: label for label, words in SYNONYMS.items() for w in words}
    table.update({label: label for label in KINDS if " " not in label})
    return table


@dataclass(frozen=True)
class Entry:
    id: str
    path: str
    labels: tuple[str, ...]
    audioset: tuple[str, ...]
    kind: str
    duration_s: float
    origin: str  # "library" (bundled) or "user"
    license: str | None = None
    credit: str | None = None
    title: str | None = None
    #: The tagger's classes and scores for the clip (:mod:`.heard`); empty when it was not heard.
    heard: tuple[tuple[str, float], ...] = ()


@dataclass
class SoundLibrary:
    entries: list[Entry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.entries)

    def extend(self, other: SoundLibrary) -> None:
        self.entries.extend(other.entries)
        self.warnings.extend(other.warnings)

    @classmethod
    def bundled(cls) -> SoundLibrary:
        """Every bundled pack: each folder of ``data/sounds`` with an ``index.json``; ids ``<pack>:<clip id>``."""
        root = Path(str(resources.files("see2sound") / "data" / "sounds"))
        entries = []
        for folder in sorted(p.parent for p in root.glob("*/index.json")):
            index = json.loads((folder / "index.json").read_text())
            pack = index.get("pack", folder.name)
            entries += [Entry(id=f"{pack}:{c['id']}", path=str(folder / c["file"]), labels=tuple(c["labels"]),
                              audioset=tuple(c["audioset"]), kind=c["kind"], duration_s=c["duration_s"],
                              origin="library", license=c["license"], credit=c.get("credit"), title=c.get("title"))
                        for c in index["clips"]]
        return cls(entries)

    @classmethod
    def scan(cls, folder: str | os.PathLike, *, cache_dir: Path | None = None, tagger=None) -> SoundLibrary:
        """Index a user's folder (cached; only new or changed files are read)."""
        root = Path(folder).expanduser().resolve()
        lib = cls()
        if not root.is_dir():
            lib.warnings.append(f"{folder}: not a folder; library skipped")
            return lib
        cache_file = _cache_path(root, cache_dir)
        cached = _read_cache(cache_file)
        given, index_warning = read_folder_index(root)
        if index_warning:
            lib.warnings.append(index_warning)
        fresh: dict[str, dict] = {}
        paths, walk_warnings = _sound_files(root)
        lib.warnings.extend(f"{folder}: {w}" for w in walk_warnings)
        for path in paths:
            rel = str(path.relative_to(root))
            try:
                stat = path.stat()
            except OSError as exc:
                lib.warnings.append(f"{path}: cannot read ({exc.strerror}); skipped")
                continue
            stamp = [stat.st_size, stat.st_mtime_ns]
            record = cached.get(rel)
            if record is None or record.get("stamp") != stamp or (tagger is not None and not record.get("tagged")):
                record = _index_file(path, rel, tagger)
                record["stamp"] = stamp
            fresh[rel] = record
            if record.get("skip"):
                lib.warnings.append(f"{path}: {record['skip']}; skipped")
                continue
            meta = given.get(Path(rel).as_posix(), {})
            labels = tuple(sorted({*record["labels"], *meta.get("labels", ())}))
            audioset = tuple(dict.fromkeys([*meta.get("audioset", ()), *record["audioset"]]))
            if labels or audioset:
                lib.entries.append(Entry(id=f"user:{root.name}/{rel}", path=str(path), labels=labels,
                                         audioset=audioset, kind=record["kind"], duration_s=record["duration_s"],
                                         origin="user", license=meta.get("license"), credit=meta.get("credit"),
                                         title=meta.get("title") or record.get("title"),
                                         heard=tuple((k, float(v)) for k, v in (record.get("heard") or {}).items())))
        _write_cache(cache_file, fresh)
        return lib


def read_folder_index(root: Path) -> tuple[dict[str, dict], str | None]:
    """(relative path -> {labels, audioset, title, license, credit}, warning) from a folder's
    :data:`FOLDER_INDEX`; a missing index is empty, a broken one a warning. Only well-typed fields are kept."""
    path = Path(root) / FOLDER_INDEX
    if not path.is_file():
        return {}, None
    try:
        files = json.loads(path.read_text(encoding="utf-8"))["files"]
        if not isinstance(files, dict):
            raise TypeError("'files' is not an object")
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        return {}, f"{path}: not a see2sound sounds index ({exc}); its labels and licences are not used"
    kept: dict[str, dict] = {}
    for rel, meta in files.items():
        if isinstance(meta, dict):
            kept[rel] = {k: v for k, v in meta.items()
                         if (k in ("title", "license", "credit") and isinstance(v, str))
                         or (k in ("labels", "audioset") and isinstance(v, list) and all(isinstance(x, str) for x in v))}
    return kept, None


def _sound_files(root: Path) -> tuple[list[Path], list[str]]:
    """The sound files under ``root`` (links not followed, unreadable folders passed over), sorted,
    and warnings. The walk stops after :data:`MAX_SCAN_ENTRIES` entries or :data:`MAX_LIBRARY_FILES` sounds,
    so a folder like ``/`` or ``/proc`` cannot keep it going."""
    found: list[Path] = []
    seen, warnings_ = 0, []
    for folder, dirs, files in os.walk(root, onerror=lambda exc: None):
        seen += len(dirs) + len(files)
        dirs.sort()
        found.extend(Path(folder) / f for f in sorted(files) if Path(f).suffix.lower() in AUDIO_SUFFIXES)
        if seen > MAX_SCAN_ENTRIES or len(found) > MAX_LIBRARY_FILES:
            warnings_.append(f"stopped after {seen} entries and {len(found)} sound files "
                             f"(a library holds at most {MAX_LIBRARY_FILES}); point --library at its sound folder")
            break
    if not found and not warnings_:
        warnings_.append("no sound files (.wav, .flac, .ogg, .mp3) in it")
    return sorted(p for p in found[:MAX_LIBRARY_FILES] if p.is_file()), warnings_


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]


def _index_file(path: Path, rel: str, tagger) -> dict:
    import soundfile as sf

    try:
        info = sf.info(str(path))
    except Exception as exc:  # libsndfile raises several types for broken files
        return {"skip": f"not a readable sound file ({str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__})"}
    if info.frames <= 0:
        return {"skip": "no samples"}
    if not RATE_RANGE[0] <= info.samplerate <= RATE_RANGE[1]:
        return {"skip": f"unsupported sample rate {info.samplerate} Hz"}
    if info.channels > MAX_CHANNELS:
        return {"skip": f"{info.channels} channels (at most {MAX_CHANNELS})"}
    duration = info.frames / info.samplerate
    if duration > MAX_FILE_SECONDS:
        return {"skip": f"{duration:.0f} s long (at most {MAX_FILE_SECONDS:.0f} s)"}
    text = " ".join(rel.split(os.sep))
    title = None
    try:
        with sf.SoundFile(str(path)) as f:
            meta = f.copy_metadata()
        title = meta.get("title")
        text += " " + " ".join(str(meta.get(k, "")) for k in ("title", "comment", "genre"))
    except Exception:
        pass
    words = _words(text)
    word_to_label = _word_to_label()
    labels = sorted({word_to_label[w] for w in words if w in word_to_label})
    audioset: list[str] = []
    heard: dict[str, float] = {}
    tagged = False
    if tagger is not None:
        try:
            import numpy as np

            from .heard import heard_classes

            x, rate = sf.read(str(path), frames=int(30 * info.samplerate), dtype="float32", always_2d=True)
            heard = heard_classes(tagger, x.mean(axis=1), rate)
            generic = ("Silence", "Music", "Sound effect", "Noise")
            audioset = [name for name, score in list(heard.items())[:5] if score >= 0.2 and name not in generic]
            tagged = bool(np.isfinite(x).all())
        except Exception as exc:
            return {"skip": f"could not be tagged ({exc})"}
    looped = duration >= LOOP_MIN_SECONDS or any(w in ("loop", "ambience", "ambiance", "bed", "atmos") for w in words)
    return {"labels": labels, "audioset": audioset, "kind": "loop" if looped else "event",
            "duration_s": round(duration, 3), "title": title, "tagged": tagged, "heard": heard if tagged else {}}


def _cache_path(root: Path, cache_dir: Path | None) -> Path:
    base = cache_dir or user_dir("cache") / "libraries"
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:16]
    return Path(base) / f"{root.name}-{digest}.json"


def _read_cache(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
        return data["files"] if data.get("version") == INDEX_VERSION else {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _write_cache(path: Path, files: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"version": INDEX_VERSION, "files": files}))
        os.replace(tmp, path)
    except OSError as exc:  # a read-only home: work without a cache
        warnings.warn(f"library index not cached ({exc})", stacklevel=2)


def config_path() -> Path:
    return user_dir("config") / "config.toml"


def user_folders(folders: list[str] | tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """(every user library folder: ``folders``, then ``SEE2SOUND_LIBRARY``, then the config file; warnings)."""
    configured, warnings_ = configured_folders()
    env = [p for p in os.environ.get("SEE2SOUND_LIBRARY", "").split(os.pathsep) if p]
    return [*folders, *env, *configured], warnings_


def configured_folders() -> tuple[list[str], list[str]]:
    """(folders from the config file, warnings) - a broken config is a warning, not a failure."""
    path = config_path()
    if not path.is_file():
        return [], []
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            return [], [f"{path}: reading it needs Python 3.11 or the tomli package; ignored"]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return [], [f"{path}: not valid TOML ({exc}); ignored"]
    folders = data.get("libraries", [])
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        return [], [f"{path}: 'libraries' must be a list of folder paths; ignored"]
    return [os.path.expanduser(f) for f in folders], []


def load_libraries(folders: list[str] | tuple[str, ...] = (), *, cache_dir: Path | None = None,
                   tag: bool | None = None) -> SoundLibrary:
    """The bundled pack plus the user's folders (arguments, ``SEE2SOUND_LIBRARY``, config file).

    ``tag``: use the optional tagger for untagged files (default: when installed).
    """
    from . import tagger as tagging

    lib = SoundLibrary.bundled()
    every, config_warnings = user_folders(folders)
    lib.warnings.extend(config_warnings)
    use_tagger = tagging.available() if tag is None else tag
    model = tagging.load_tagger() if (use_tagger and every) else None
    for folder in every:
        lib.extend(SoundLibrary.scan(folder, cache_dir=cache_dir, tagger=model))
    return lib


