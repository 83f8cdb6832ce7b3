"""What a batch renders: inputs (folders, globs, manifest files) expanded into items.

An :class:`Item` is one input file, the per-item options a manifest gave it,
and the name its outputs take under the output folder, which mirrors the
input tree: ``photos/street/bus.jpg`` given as the folder ``photos`` becomes
``OUT/street/bus.wav``. Two items that would write the same name are refused.

Inputs may be URLs of object storage (``s3://bucket/photos/``: every
picture and video under that prefix, named by their keys below it; see
:mod:`.storage`). Manifest files (``.csv``, ``.jsonl``, ``.parquet``) have a
``path`` column (relative paths are read from the manifest's folder; a URL
is an object, named by its key) and optional columns
``format``, ``duration``, ``seed``, ``hfov`` and ``preset``; an empty cell
takes the command line's value.

Contents
--------
Item, expand_inputs, read_manifest, PICTURE_SUFFIXES, MANIFEST_COLUMNS
"""

from __future__ import annotations

import csv
import glob
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from ..errors import See2SoundError
from ..formats import FORMATS
from ..pipeline import VIDEO_SUFFIXES
from ..registry import PRESETS
from .storage import is_url

PICTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif")
MANIFEST_SUFFIXES = (".csv", ".jsonl", ".parquet")
#: A manifest's optional columns -> the type of their values.
MANIFEST_COLUMNS = {"format": str, "duration": float, "seed": int, "hfov": float, "preset": str}


@dataclass(frozen=True)
class Item:
    """One input and where its outputs go: ``name`` is OUT-relative, without suffix (``street/bus``)."""

    source: Path | str  # a str: a URL (see :mod:`.storage`)
    name: str
    options: dict = field(default_factory=dict)
    stamp: tuple[int, int] | None = None  # a listed object's size and modification time (ns)

    @property
    def is_video(self) -> bool:
        from .storage import suffix

        ext = suffix(self.source) if isinstance(self.source, str) else self.source.suffix.lower()
        return ext in VIDEO_SUFFIXES


def _media(path: Path) -> bool:
    return path.suffix.lower() in PICTURE_SUFFIXES + VIDEO_SUFFIXES


def _stem(relative: Path) -> str:
    return PurePosixPath(*relative.parts).with_suffix("").as_posix()


def _inside(path: Path, folder: Path | None) -> bool:
    return folder is not None and path.resolve().is_relative_to(folder)


def expand_inputs(inputs: list[str], *, skip: str | os.PathLike | None = None) -> list[Item]:
    """Items of ``inputs`` (folders walked recursively, globs, media files, manifest files), in order.

    Files under ``skip`` (the output folder) are left out, so a batch that
    writes into its input tree does not take its own outputs for inputs.
    Raises :class:`See2SoundError` for an input that is none of these, a
    manifest error, no items at all, or two items with one output name.
    """
    skip_at = Path(skip).resolve() if skip is not None else None
    items: list[Item] = []
    for text in inputs:
        path = Path(text)
        if is_url(text):
            items += _url_items(text, skip)
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and _media(p) and not _inside(p, skip_at))
            items += [Item(p, _stem(p.relative_to(path))) for p in found]
        elif path.is_file() and path.suffix.lower() in MANIFEST_SUFFIXES:
            items += read_manifest(path)
        elif path.is_file():
            if not _media(path):
                raise See2SoundError(f"{path}: not a picture, a video or a manifest "
                                     f"({', '.join(MANIFEST_SUFFIXES)})")
            items.append(Item(path, path.stem))
        elif glob.has_magic(text):
            base = _glob_base(text)
            found = sorted(Path(p) for p in glob.glob(text, recursive=True))
            found = [p for p in found if p.is_file() and _media(p) and not _inside(p, skip_at)]
            if not found:
                raise See2SoundError(f"{text}: no pictures or videos match")
            items += [Item(p, _stem(p.relative_to(base))) for p in found]
        else:
            raise See2SoundError(f"{text}: no such file, folder or glob")
    if not items:
        raise See2SoundError(f"no pictures or videos in {', '.join(inputs)}")
    _refuse_duplicates(items)
    return items


def _url_items(url: str, skip) -> list[Item]:
    """The object ``url``, or every picture and video under it (a prefix), as items named by their keys."""
    from .storage import child, display, same_place, store

    where = store(url)
    if where.is_file():
        name = PurePosixPath(urlsplit(url).path).name
        if not _media(Path(name)):
            raise See2SoundError(f"{display(url)}: not a picture or a video (a manifest must be a local file)")
        return [Item(url, PurePosixPath(name).stem)]
    below = same_place(str(skip)) if is_url(str(skip)) else None
    items = []
    for relative, size, mtime in where.files():
        source = child(url, relative)
        place = same_place(source)
        inside_output = below is not None and place[:2] == below[:2] and place[2].startswith(below[2] + "/")
        if _media(Path(relative)) and not inside_output:
            items.append(Item(source, _safe_name(relative, display(source)), stamp=(size, mtime)))
    if not items:
        raise See2SoundError(f"{display(url)}: no pictures or videos there")
    return items


def _safe_name(key: str, shown: str) -> str:
    """An object key as an output name: refused if it could reach outside the output folder (``..``)."""
    from .storage import safe_key

    if safe_key(key) is None:
        raise See2SoundError(f"{shown}: its key {key!r} has empty, '.' or '..' parts; rename the object")
    return _stem(Path(key))


def _glob_base(pattern: str) -> Path:
    """The folder a glob's matches are mirrored from: its parts before the first wildcard."""
    parts = Path(pattern).parts
    fixed = []
    for part in parts[:-1]:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path(".")


def _shown(source) -> str:
    from .storage import display

    return display(source) if isinstance(source, str) else str(source)


def _refuse_duplicates(items: list[Item]) -> None:
    seen: dict[str, Path] = {}
    for item in items:
        key = item.name.casefold()  # two names that differ in case are one file on some file systems
        if key in seen:
            raise See2SoundError(f"{_shown(item.source)} and {_shown(seen[key])}: both would write {item.name}.* "
                                 "in the output "
                                 "folder; rename one or give them in separate batches")
        seen[key] = item.source


# --- manifests ---------------------------------------------------------------------------

def read_manifest(path: Path) -> list[Item]:
    """Items of a CSV, JSONL or Parquet manifest: a ``path`` column and optional :data:`MANIFEST_COLUMNS`."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(path)
    elif suffix == ".jsonl":
        rows = _jsonl_rows(path)
    else:
        rows = _parquet_rows(path)
    items = []
    base = path.parent
    for where, row in rows:
        if not isinstance(row, dict):
            raise See2SoundError(f"{path} {where}: expected an object with a path")
        unknown = sorted(set(row) - {"path", *MANIFEST_COLUMNS})
        if unknown:
            raise See2SoundError(f"{path} {where}: unknown column {unknown[0]!r} (path, "
                                 f"{', '.join(MANIFEST_COLUMNS)})")
        text = row.get("path")
        if not isinstance(text, str) or not text.strip():
            raise See2SoundError(f"{path} {where}: path: expected a file name")
        options = {key: _value(path, where, key, row.get(key)) for key in MANIFEST_COLUMNS}
        if is_url(text):  # an object: named by its key (its bucket left out)
            from .storage import display

            name = _safe_name(urlsplit(text).path.lstrip("/"), display(text))
            items.append(Item(text, name, {k: v for k, v in options.items() if v is not None}))
            continue
        source = Path(text) if Path(text).is_absolute() else base / text
        if not source.is_file():
            raise See2SoundError(f"{path} {where}: {text}: no such file")
        relative = Path(os.path.relpath(source.resolve(), base.resolve()))
        name = _stem(relative) if not relative.parts or relative.parts[0] != ".." else source.stem
        items.append(Item(source, name, {k: v for k, v in options.items() if v is not None}))
    return items


def _value(path: Path, where: str, key: str, value):
    if value is None or (isinstance(value, str) and not value.strip()) or \
            (isinstance(value, float) and math.isnan(value) and key != "duration"):
        return None
    kind = MANIFEST_COLUMNS[key]
    try:
        if kind is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            if isinstance(value, bool):
                raise ValueError
            value = int(value) if not isinstance(value, str) else int(value.strip())
        elif kind is float:
            if isinstance(value, bool):
                raise ValueError
            value = float(value)
            if not math.isfinite(value):
                raise ValueError
        elif not isinstance(value, str):
            raise ValueError
    except ValueError:
        raise See2SoundError(f"{path} {where}: {key}: expected {_kinds[kind]}, got {value!r}") from None
    if key == "format" and value not in FORMATS:
        raise See2SoundError(f"{path} {where}: format: {value!r} is not one of {', '.join(FORMATS)}")
    if key == "preset" and value not in PRESETS:
        raise See2SoundError(f"{path} {where}: preset: {value!r} is not one of {', '.join(PRESETS)}")
    return value


_kinds = {int: "a whole number", float: "a number", str: "a name"}


def _csv_rows(path: Path):
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames is None or "path" not in reader.fieldnames:
                raise See2SoundError(f"{path}: a manifest needs a 'path' column")
            rows = [(f"line {reader.line_num}", {k: v for k, v in row.items() if k is not None})
                    for row in reader]
    except UnicodeDecodeError:
        raise See2SoundError(f"{path}: not UTF-8 text") from None
    except csv.Error as exc:
        raise See2SoundError(f"{path}: not a readable CSV file ({exc})") from None
    return rows


def _jsonl_rows(path: Path):
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise See2SoundError(f"{path}: not UTF-8 text") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rows.append((f"line {n}", json.loads(line)))
        except json.JSONDecodeError as exc:
            raise See2SoundError(f"{path} line {n}: not JSON ({exc.msg})") from None
    return rows


def _parquet_rows(path: Path):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise See2SoundError(f"{path}: a Parquet manifest needs pyarrow (pip install pyarrow)") from None
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow's errors are many; any of them means the file cannot be read
        raise See2SoundError(f"{path}: not a readable Parquet file ({exc})") from None
    if "path" not in table.column_names:
        raise See2SoundError(f"{path}: a manifest needs a 'path' column")
    return [(f"row {i + 1}", row) for i, row in enumerate(table.to_pylist())]
