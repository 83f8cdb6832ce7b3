"""``see2sound serve``: the studio on a local port (uvicorn; stops cleanly on SIGTERM and SIGINT)."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

from ..errors import MissingExtraError, ParameterError, See2SoundError


def serve(*, host: str = "127.0.0.1", port: int = 7860, data_dir: str | os.PathLike | None = None,
          max_upload_mb: float = 50.0, workers: int = 2, libraries: tuple[str, ...] = (), detector: str = "ensemble",
          max_jobs_per_client: int = 4, max_jobs: int = 16, max_store_gb: float = 10.0,
          max_duration_s: float = 120.0, keep_days: float = 7.0, quiet: bool = False) -> None:
    """Serve the studio until SIGTERM or SIGINT; a busy port, bad folder or bad limit is one error first.

    The limits (``max_jobs_per_client`` ... ``keep_days``) are those of :class:`~.limits.Limits`. On
    SIGTERM or SIGINT, running jobs stop at their next step, leave no partial file and are marked failed.
    """
    import ipaddress
    import socket

    from .limits import Limits

    Limits(jobs_per_client=max_jobs_per_client, jobs=max_jobs, store_gb=max_store_gb, duration_s=max_duration_s,
           keep_days=keep_days)  # checked here, so a bad value is one error line before the port is taken
    if not 1 <= port <= 65535:
        raise ParameterError("port", f"must be from 1 to 65535, got {port}")
    if not (math.isfinite(max_upload_mb) and 0 < max_upload_mb <= 4096):
        raise ParameterError("max_upload_mb", f"must be more than 0 and at most 4096, got {max_upload_mb:g}")
    if not 1 <= workers <= 16:
        raise ParameterError("workers", f"must be from 1 to 16, got {workers}")
    try:
        import uvicorn
    except ImportError:
        raise MissingExtraError("the studio", "studio") from None
    from .app import LOOPBACK_HOSTS, create_app

    data_dir = Path(data_dir or Path.home() / ".local" / "share" / "see2sound" / "studio")
    try:
        loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = host == "localhost"
    host = host.strip("[]")
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))  # here, so a busy port is one error line, not the server's log
    except OSError as exc:
        sock.close()
        raise See2SoundError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    app = create_app(data_dir, max_upload_mb=max_upload_mb, workers=workers,
                     libraries=tuple(libraries), allowed_hosts=LOOPBACK_HOSTS if loopback else None,
                     detector=detector, max_jobs_per_client=max_jobs_per_client, max_jobs=max_jobs,
                     max_store_gb=max_store_gb, max_duration_s=max_duration_s, keep_days=keep_days)
    if not quiet:
        shown = f"[{host}]" if ":" in host else host
        print(f"see2sound studio on http://{shown}:{port}/ (API docs /docs); jobs in {data_dir}")
        if not loopback:
            print("warning: listening beyond this computer; anyone who can reach it can upload", file=sys.stderr)
    config = uvicorn.Config(app, log_level="warning" if quiet else "info")
    uvicorn.Server(config).run(sockets=[sock])
