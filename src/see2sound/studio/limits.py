"""What the studio lets its clients use: jobs in the queue, disk, seconds of audio, days kept.

A client is a remote address (behind a reverse proxy, the proxy's unless
it forwards the client's in ``X-Forwarded-For`` and uvicorn trusts it).

==========================  =======  ==========================================================
limit                       default  when it is reached
==========================  =======  ==========================================================
``jobs_per_client``         4        a client's queued + running jobs -> 429
``jobs``                    16       everyone's queued + running jobs -> 429
``store_gb``                10       the jobs' files and uploads in progress -> 507
``duration_s``              120      a picture's asked duration, a video's length -> 422
``keep_days``               7        finished and failed jobs older than this are deleted (0: never)
==========================  =======  ==========================================================

Contents
--------
Limits, Refused, size_text
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import ParameterError
from ..scene import MAX_DURATION_S

GB = 1024 ** 3


class Refused(Exception):
    """A request the studio will not take (over a limit, an unusable upload): ``status`` is the HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Limits:
    """The studio's limits (see the module's table); each is checked here, naming its parameter."""

    jobs_per_client: int = 4
    jobs: int = 16
    store_gb: float = 10.0
    duration_s: float = 120.0
    keep_days: float = 7.0

    def __post_init__(self):
        _check(self.jobs_per_client, "max_jobs_per_client", 1, 1000, whole=True)
        _check(self.jobs, "max_jobs", 1, 10000, whole=True)
        _check(self.store_gb, "max_store_gb", 0, 100_000, low_open=True)
        _check(self.duration_s, "max_duration_s", 0, MAX_DURATION_S, low_open=True)
        _check(self.keep_days, "keep_days", 0, 36500)

    def admit(self, everyone: int, yours: int) -> None:
        """Refused(429) unless one more job fits beside ``everyone``'s and ``yours`` (queued + running)."""
        if yours >= self.jobs_per_client:
            raise Refused(429, f"too many jobs from you: {yours} queued or running (at most "
                                  f"{self.jobs_per_client}); wait for one to finish")
        if everyone >= self.jobs:
            raise Refused(429, f"the studio is busy: {everyone} jobs queued or running (at most "
                                  f"{self.jobs}); try again later")

    def check_duration(self, duration_s: float, what: str = "duration") -> None:
        """Refused(422) if ``duration_s`` is over the studio's maximum."""
        if duration_s > self.duration_s:
            raise Refused(422, f"{what}: at most {self.duration_s:g} s in this studio, got {duration_s:g} s")

    def check_space(self, used: int) -> None:
        """Refused(507) if ``used`` bytes pass the store's size."""
        limit = int(self.store_gb * GB)
        if used > limit:
            raise Refused(507, f"the studio's store is full ({size_text(used)} of {size_text(limit)}): "
                                  "delete earlier jobs, or wait until old ones expire")


def _check(value, name: str, lo: float, hi: float, *, low_open: bool = False, whole: bool = False) -> None:
    kinds = (int,) if whole else (int, float)
    is_number = isinstance(value, kinds) and not isinstance(value, bool) and math.isfinite(value)
    if not is_number or value > hi or value < lo or (low_open and value == lo):
        bound = f"more than {lo:g} and at most" if low_open else f"from {lo:g} to"
        kind = "a whole number " if whole else ""
        raise ParameterError(name, f"must be {kind}{bound} {hi:g}, got {value!r}")


def size_text(n_bytes: float) -> str:
    """``1536`` -> ``"1.5 kB"`` (binary units, up to GB)."""
    for unit in ("B", "kB", "MB"):
        if n_bytes < 1024:
            return f"{n_bytes:.3g} {unit}" if n_bytes < 100 else f"{n_bytes:.0f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.3g} GB" if n_bytes < 100 else f"{n_bytes:.0f} GB"
