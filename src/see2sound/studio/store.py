"""Where the studio keeps its jobs: state in SQLite, files in one folder per job.

Layout of the data folder::

    studio.sqlite3          job id, status, progress, error, times, kind, name, options, client
    incoming/               uploads while they stream in (upload-*), before they become a job
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
  are marked ``failed`` ("interrupted"): nothing runs them any more; the
  temporary files (``*.part``) a killed process left are removed.
- Only a finished or failed job is ever deleted (:meth:`JobStore.delete`
  checks it in the same transaction): a queued or running job's files stay.
- Each job remembers its client (the remote address), so the number of a
  client's queued and running jobs can be limited when it asks for one more.

Contents
--------
Job, JobStore, new_id, valid_id, FILES, INTERRUPTED
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import secrets
import shutil
import sqlite3
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import See2SoundError

STATUSES = ("queued", "running", "done", "failed")
#: ``admit(everyone, yours)``: raises to refuse one more queued job (see :meth:`JobStore.create`).
Admit = Callable[[int, int], None]
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}")
#: The only names a job's files can have (results are looked up by format).
FILES = {"scene": "scene.json", "picture": "picture.png"}
INTERRUPTED = "interrupted: the studio stopped while this job ran; upload it again"
PARTIAL = ".part"  # the suffix of what io.files.atomic_output and atomic_folder write before renaming

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
    updated REAL NOT NULL,
    client TEXT NOT NULL DEFAULT ''
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
        self.incoming = self.root / "incoming"
        try:
            (self.root / "jobs").mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.execute(SCHEMA)
                if "client" not in {row[1] for row in db.execute("PRAGMA table_info(jobs)")}:
                    db.execute("ALTER TABLE jobs ADD COLUMN client TEXT NOT NULL DEFAULT ''")  # an older store
            self.interrupt()
            self.incoming.mkdir(exist_ok=True)
            for stray in self.incoming.glob("upload-*"):  # a killed process's uploads in progress
                stray.unlink(missing_ok=True)
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

    def create(self, kind: str, name: str, suffix: str, data_path: Path, options: dict, *, client: str = "",
               admit: Admit | None = None) -> Job:
        """A new queued job whose input is the file at ``data_path`` (moved into the job's folder).

        ``admit(everyone, yours)`` is called with the numbers of queued and running jobs (all, and
        ``client``'s) in the same transaction as the new job's, and may raise to refuse it.
        """
        job_id = new_id()
        folder = self.folder(job_id)
        stored = "input" + suffix
        now = time.time()
        with self._connect() as db:
            if admit is not None:
                admit(*_active(db, client))
            db.execute("INSERT INTO jobs (id, status, kind, name, input, options, created, updated, client) "
                       "VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?)",
                       (job_id, kind, name[:200], stored, json.dumps(options), now, now, client[:100]))
            try:
                (folder / "results").mkdir(parents=True)
                os.replace(data_path, folder / stored)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
        return self.get(job_id)

    def active(self, client: str = "") -> tuple[int, int]:
        """How many jobs are queued or running: everyone's, and ``client``'s."""
        with self._connect() as db:
            return _active(db, client)

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

    def delete(self, job_id: str, *, before: float | None = None) -> bool:
        """Forget a finished or failed job and its files (only if last changed before ``before``, a time).

        False, and nothing deleted, if there is no such job or it is queued or running.
        """
        if not valid_id(job_id):
            return False
        with self._connect() as db:
            cur = db.execute("DELETE FROM jobs WHERE id = ? AND status IN ('done', 'failed') AND updated < ?",
                             (job_id, math.inf if before is None else before))
            if cur.rowcount != 1:
                return False
        shutil.rmtree(self.folder(job_id), ignore_errors=True)
        return True

    def expired(self, before: float) -> list[str]:
        """Ids of the finished and failed jobs last changed before ``before`` (a time)."""
        with self._connect() as db:
            return [r[0] for r in db.execute("SELECT id FROM jobs WHERE status IN ('done', 'failed') "
                                             "AND updated < ?", (before,))]

    def interrupt(self) -> list[str]:
        """Mark every queued or running job failed (:data:`INTERRUPTED`) and remove their partial files.

        For when no worker runs: at opening and after the workers stopped.
        """
        with self._connect() as db:
            ids = [r[0] for r in db.execute("SELECT id FROM jobs WHERE status IN ('queued', 'running')")]
            db.execute("UPDATE jobs SET status = 'failed', error = ?, updated = ? "
                       "WHERE status IN ('queued', 'running')", (INTERRUPTED, time.time()))
        _remove_partial(self.root / "jobs")
        return ids

    def all(self, limit: int = 100) -> list[Job]:
        with self._connect() as db:
            ids = [r[0] for r in db.execute("SELECT id FROM jobs ORDER BY created DESC LIMIT ?", (limit,))]
        return [job for job in map(self.get, ids) if job is not None]

    # -- files -------------------------------------------------------------------------------------------------------

    def size(self) -> int:
        """Bytes on disk of every job's files and the uploads in progress (not the small SQLite file)."""
        return _folder_bytes(self.root / "jobs") + _folder_bytes(self.incoming)

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


def _active(db, client: str) -> tuple[int, int]:
    everyone, yours = db.execute("SELECT COUNT(*), COALESCE(SUM(client = ?), 0) FROM jobs "
                                 "WHERE status IN ('queued', 'running')", (client[:100],)).fetchone()
    return everyone, yours


def _folder_bytes(root: Path) -> int:
    """The bytes of the regular files under ``root`` (links are not followed)."""
    total = 0
    stack = [root]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
    return total


def _remove_partial(root: Path) -> None:
    """Remove every ``*.part`` file and folder under ``root`` (links are removed, never followed)."""
    for folder, folders, files in os.walk(root):
        for name in [n for n in folders if n.endswith(PARTIAL)]:
            path = Path(folder) / name
            if path.is_symlink():
                path.unlink(missing_ok=True)
            else:
                shutil.rmtree(path, ignore_errors=True)
            folders.remove(name)
        for name in files:
            if name.endswith(PARTIAL):
                (Path(folder) / name).unlink(missing_ok=True)


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
