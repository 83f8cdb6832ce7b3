"""The run manifest: what a batch did to each item, kept in the output folder so a run can resume.

``OUT/see2sound-manifest.jsonl`` holds one JSON record a line. A record is
appended (one ``write`` of a whole line) as each item finishes, so a run
killed at any moment keeps every finished item's record; a torn last line
is ignored when read. At the end of a run the file is rewritten, atomically,
with the latest record of each item. A record:

``item`` (the output name), ``input``, ``input_sha256``, ``options_sha256``,
``options``, ``status`` (``done`` or ``failed``), ``outputs`` (paths under
OUT), ``error`` (the ``error: ...`` line), ``seconds``, ``worker`` (process
id), ``model_loads`` (components the worker had made), ``finished`` (UTC),
``versions``.

Contents
--------
RunManifest, MANIFEST_NAME, file_sha256, options_sha256, versions
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..io.files import atomic_output

MANIFEST_NAME = "see2sound-manifest.jsonl"


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def options_sha256(options: dict) -> str:
    return hashlib.sha256(json.dumps(options, sort_keys=True, default=str).encode()).hexdigest()


def versions() -> dict[str, str]:
    """Versions that can change a render's bytes."""
    import platform

    import numpy
    import onnxruntime

    from .. import __version__

    return {"see2sound": __version__, "python": platform.python_version(), "numpy": numpy.__version__,
            "onnxruntime": onnxruntime.__version__}


class RunManifest:
    """The records of a batch's output folder, by item name (the latest record of each)."""

    def __init__(self, folder: str | os.PathLike):
        self.path = Path(folder) / MANIFEST_NAME
        self.records: dict[str, dict] = {}
        if self.path.is_file():
            for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:  # a line torn by a kill: that item is simply not done
                    continue
                if isinstance(record, dict) and isinstance(record.get("item"), str):
                    self.records[record["item"]] = record

    def is_done(self, name: str, input_sha: str, options_sha: str, exists) -> bool:
        """Done before with the same input and options, and every output still there (``exists(relative)``,
        or a folder the outputs are under)."""
        if not callable(exists):
            folder = Path(exists)
            exists = lambda relative: (folder / relative).exists()  # noqa: E731
        record = self.records.get(name)
        return (record is not None and record.get("status") == "done" and record.get("input_sha256") == input_sha
                and record.get("options_sha256") == options_sha
                and all(exists(p) for p in record.get("outputs") or ()))

    def failed_before(self, name: str, input_sha: str, options_sha: str) -> dict | None:
        record = self.records.get(name)
        if (record is not None and record.get("status") == "failed" and record.get("input_sha256") == input_sha
                and record.get("options_sha256") == options_sha):
            return record
        return None

    def append(self, record: dict) -> None:
        """Add a record (one write of one line; a kill leaves at most a torn line, which reading skips)."""
        self.records[record["item"]] = record
        line = (json.dumps(record, sort_keys=True, allow_nan=False) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def compact(self) -> None:
        """Rewrite the file with one record per item, atomically."""
        with atomic_output(self.path) as tmp:
            Path(tmp).write_text("".join(json.dumps(r, sort_keys=True, allow_nan=False) + "\n"
                                         for r in self.records.values()), encoding="utf-8")
