"""How long the studio keeps jobs: finished and failed ones go after ``keep_days``, with their files.

The :class:`Janitor` sweeps when the studio starts, every hour after, and
when a job is made (at most once a minute, so an upload costs one SQLite
query at most). A job's age is the time of its last change (finished,
failed, or edited). A queued or running job is never deleted: the store
deletes a job only if it is finished or failed in the same transaction,
under the job's lock (:meth:`~.jobs.Runner.delete`).

Contents
--------
Janitor
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from .store import JobStore

log = logging.getLogger("see2sound.studio")

DAY_S = 86400.0


class Janitor:
    """Deletes finished and failed jobs older than ``keep_days`` (0: keeps every job).

    ``delete(job_id, before)`` forgets a job if it is finished and was last changed before ``before``.
    """

    def __init__(self, store: JobStore, delete: Callable[..., bool], keep_days: float, *,
                 every_s: float = 3600.0, nudge_s: float = 60.0):
        self.store, self.delete, self.keep_s = store, delete, keep_days * DAY_S
        self.every_s, self.nudge_s = every_s, nudge_s
        self._last = -float("inf")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sweeping = threading.Lock()

    def sweep(self, now: float | None = None) -> list[str]:
        """Delete what has expired by ``now`` (default: the present); the ids deleted."""
        if self.keep_s <= 0:
            return []
        with self._sweeping:
            now = time.time() if now is None else now
            self._last = time.monotonic()
            before = now - self.keep_s
            gone = [job_id for job_id in self.store.expired(before) if self.delete(job_id, before=before)]
        if gone:
            log.info("deleted %d jobs older than %g days", len(gone), self.keep_s / DAY_S)
        return gone

    def nudge(self) -> None:
        """Sweep if the last sweep was over ``nudge_s`` ago (cheap enough to call on every new job)."""
        if time.monotonic() - self._last > self.nudge_s:
            self.sweep()

    def start(self) -> None:
        """Sweep now, then every ``every_s`` on a background thread until :meth:`stop`."""
        self.sweep()
        if self.keep_s > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="see2sound-janitor", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.sweep()
            except Exception:  # a locked or vanished database: try again next time
                log.exception("clean-up of old jobs failed")
