"""Where the studio keeps its jobs: state in SQLite, files in one folder per job.

Layout of the data folder::

    studio.sqlite3          job id, status, progress, error, times, kind, name, options
    jobs/<id>/input.<ext>   the upload (extension from its content, not its name)
    jobs/<id>/scene.json    the scene (see2sound.scene/1), stems beside it
    jobs/<id>/stems/        each source's dry mono sound
    jobs/<id>/picture.png   what the page shows (the picture, or a video's first frame)
    jobs/<id>/results/      rendered audio, one file per format

- Ids are 128-bit random (``secrets.token_urlsafe``); anything else is not an id.
- Files are only ever opened through :meth:`JobStore.file`, which takes a
  name from a fixed set, refuses anything that resolves outside the job's
  folder and refuses symbolic links.
- Every write of state is one SQLite transaction; the connection is per
  call (SQLite serialises writers; threads never share a connection).
- On opening, jobs left ``queued`` or ``running`` by a previous process
  are marked ``failed`` ("interrupted"): nothing runs them any more.

Contents
--------
Job, JobStore, new_id, valid_id, FILES
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import See2SoundError

STATUSES = ("queued", "running", "done", "failed")
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}")
#: The only names a job's files can have (results are looked up by format).
FILES = {"scene": "scene.json", "picture": "picture.png"}
INTERRUPTED = "interrupted: the studio stopped while this job ran; upload it again"

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    stage TEXT NOT NULL DEFAULT '',
    error TEXT,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    input TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    created REAL NOT NULL,
    updated REAL NOT NULL
)
"""


def new_id() -> str:
    return secrets.token_urlsafe(16)  # 22 characters, 128 bits


def valid_id(job_id: str) -> bool:
    return bool(ID_PATTERN.fullmatch(job_id or ""))


@dataclass
class Job:
    id: str
    status: str
    progress: float
    stage: str
    error: str | None
    kind: str  # "image" or "video"
    name: str  # the upload's file name, for display only
    input: str  # the stored input's file name inside the job folder
    options: dict = field(default_factory=dict)
    created: float = 0.0
    updated: float = 0.0

    def public(self) -> dict:
        """What the API shows of a job."""
        return {"id": self.id, "status": self.status, "progress": round(self.progress, 3), "stage": self.stage,
                "error": self.error, "kind": self.kind, "name": self.name, "options": self.options}


class JobStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).expanduser().resolve()
        self.db = self.root / "studio.sqlite3"
        try:
            (self.root / "jobs").mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.execute(SCHEMA)
                db.execute("UPDATE jobs SET status = 'failed', error = ?, updated = ? "
                           "WHERE status IN ('queued', 'running')", (INTERRUPTED, time.time()))
        except (OSError, sqlite3.Error) as exc:
            raise See2SoundError(f"{root}: cannot keep the studio's jobs there ({exc})") from None

    @contextlib.contextmanager
    def _connect(self):
        db = sqlite3.connect(self.db, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    # -- state -------------------------------------------------------------------------------------------------------

    def create(self, kind: str, name: str, suffix: str, data_path: Path, options: dict) -> Job:
        """A new queued job whose input is the file at ``data_path`` (moved into the job's folder)."""
        job_id = new_id()
        folder = self.folder(job_id)
        folder.mkdir(parents=True)
        (folder / "results").mkdir()
        stored = "input" + suffix
        os.replace(data_path, folder / stored)
        now = time.time()
        with self._connect() as db:
            db.execute("INSERT INTO jobs (id, status, kind, name, input, options, created, updated) "
                       "VALUES (?, 'queued', ?, ?, ?, ?, ?, ?)",
                       (job_id, kind, name[:200], stored, json.dumps(options), now, now))
        return self.get(job_id)

    def get(self, job_id: str) -> Job | None:
        if not valid_id(job_id):
            return None
        with self._connect() as db:
            row = db.execute("SELECT id, status, progress, stage, error, kind, name, input, options, created, updated "
                             "FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        return Job(*row[:8], options=json.loads(row[8]), created=row[9], updated=row[10])

    def update(self, job_id: str, **fields) -> None:
        allowed = {"status", "progress", "stage", "error"}
        if not fields or not set(fields) <= allowed:
            raise ValueError(f"cannot update {sorted(set(fields) - allowed)}")
        if "status" in fields and fields["status"] not in STATUSES:
            raise ValueError(f"unknown status {fields['status']!r}")
        names = ", ".join(f"{k} = ?" for k in fields)
        with self._connect() as db:
            db.execute(f"UPDATE jobs SET {names}, updated = ? WHERE id = ?", (*fields.values(), time.time(), job_id))

    def claim(self, job_id: str) -> bool:
        """Queued -> running, atomically; False if someone else took it or it is not queued."""
        with self._connect() as db:
            cur = db.execute("UPDATE jobs SET status = 'running', progress = 0, error = NULL, updated = ? "
                             "WHERE id = ? AND status = 'queued'", (time.time(), job_id))
            return cur.rowcount == 1

    def requeue(self, job_id: str) -> bool:
        """A finished job back to queued (to render an edited scene); False while it is queued or running."""
        with self._connect() as db:
            cur = db.execute("UPDATE jobs SET status = 'queued', progress = 0, stage = '', error = NULL, "
                             "updated = ? WHERE id = ? AND status IN ('done', 'failed')", (time.time(), job_id))
            return cur.rowcount == 1

    def delete(self, job_id: str) -> bool:
        job = self.get(job_id)
        if job is None:
            return False
        with self._connect() as db:
            db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
        shutil.rmtree(self.folder(job_id), ignore_errors=True)
        return True

    def all(self, limit: int = 100) -> list[Job]:
        with self._connect() as db:
            ids = [r[0] for r in db.execute("SELECT id FROM jobs ORDER BY created DESC LIMIT ?", (limit,))]
        return [job for job in map(self.get, ids) if job is not None]

    # -- files -------------------------------------------------------------------------------------------------------

    def folder(self, job_id: str) -> Path:
        if not valid_id(job_id):
            raise ValueError("not a job id")
        return self.root / "jobs" / job_id

    def file(self, job_id: str, name: str) -> Path | None:
        """A job's existing regular file by its name in :data:`FILES` (or ``results/<format>.wav``, or its
        input), never a link and never outside the job's folder; None if there is no such file."""
        job = self.get(job_id)
        if job is None:
            return None
        folder = self.folder(job_id)
        relative = FILES.get(name) or (job.input if name == "input" else None)
        if relative is None and re.fullmatch(r"results/[a-z0-9.]{1,12}\.wav", name):
            relative = name
        if relative is None:
            return None
        path = folder / relative
        return path if _plain_file_inside(path, folder) else None


def _plain_file_inside(path: Path, folder: Path) -> bool:
    """``path`` is a regular file (not a link, at any level below ``folder``) inside ``folder``."""
    try:
        relative = path.relative_to(folder)
    except ValueError:
        return False
    current = folder
    for part in relative.parts:
        if part in ("", ".", ".."):
            return False
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except OSError:
            return False
        if stat.S_ISLNK(mode):
            return False
    return stat.S_ISREG(mode) and current.resolve().is_relative_to(folder.resolve())
