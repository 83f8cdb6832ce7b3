"""The Ray engine: a batch's tasks through a Ray Data pipeline, on this machine or on a Ray cluster.

``see2sound batch ... --engine ray`` (extra ``see2sound[cluster]``) turns
the tasks left to do into a dataset of one task per block, and maps it with
an actor pool (``map_batches``, one task per call): each actor is one batch
worker (:mod:`.worker`) with its pipeline, and so its models, loaded once
when it starts. Records stream back to the batch process as tasks finish,
which writes the same run manifest as the local engine; resume, ``--retry-
failed`` and the summary are the batch's and do not depend on the engine.

Where it runs: ``address`` (``--ray-address``, else ``RAY_ADDRESS``) joins a
running cluster; without one, a Ray instance is started on this machine for
the run and stopped after it. Every node must have see2sound installed
and see the inputs and the output folder at the same paths (a shared
filesystem).

A task whose actor dies (a decoder's crash, the kernel's out-of-memory kill)
is not retried by Ray: Ray restarts the actor and the dataset goes on past
the failed block. As with the local engine, the tasks that failed so (the
one that killed the actor, and the one queued behind it) are run again one
at a time; one that fails alone is recorded as failed
(:func:`.engine.crashed_record`).

Contents
--------
RayEngine, require_ray
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from typing import Iterable

from ..errors import See2SoundError
from . import worker
from .engine import OnResult, crashed_record

#: What ``--engine ray`` needs, said when Ray is missing.
INSTALL_HINT = "--engine ray needs Ray Data: pip install 'see2sound[cluster]'"


class _Renderer:
    """One Ray actor: a batch worker for the actor's life; ``__call__`` renders a batch of tasks.

    The batch's options travel with the class (:func:`_renderer_for`), so the actor is made without arguments.
    (Ray Data's own actor wrapper still keeps arguments in Ray's object store and logs one line saying so.)
    """

    args = settings = None

    def __init__(self):
        worker.start(self.args, self.settings)

    def __call__(self, batch: dict) -> dict:
        tasks = [str(t) for t in batch["task"]]
        records = [json.dumps(worker.render_task(json.loads(t))) for t in tasks]
        return {"task": tasks, "record": records}


def _renderer_for(args, settings: dict) -> type:
    return type("Renderer", (_Renderer,), {"args": args, "settings": settings})


def require_ray():
    """Ray and Ray Data, imported (a See2SoundError saying how to install them otherwise)."""
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise See2SoundError(f"{INSTALL_HINT} ({exc})") from None
    return ray


class RayEngine:
    """``workers`` Ray actors (1 CPU and ``gpus_per_worker`` GPUs each), on ``address`` or a local Ray instance."""

    def __init__(self, args, settings: dict, workers: int, *, address: str | None = None,
                 gpus_per_worker: float = 0.0):
        self.args, self.settings, self.workers = args, settings, workers
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        self.gpus_per_worker = gpus_per_worker
        require_ray()

    def _connect(self, ray) -> bool:
        """Join the cluster, or start Ray here; True when this call started it (and so stops it)."""
        if ray.is_initialized():
            return False
        quiet = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR}
        try:
            if self.address:
                ray.init(address=self.address, **quiet)
            else:
                ray.init(num_cpus=max(self.workers, 1), num_gpus=None if self.gpus_per_worker else 0, **quiet)
        except Exception as exc:  # noqa: BLE001 - Ray's own connection errors, said in one line
            where = self.address or "this machine"
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise See2SoundError(f"Ray could not start on {where}: {first}") from None
        return True

    def run(self, tasks: Iterable[dict], on_result: OnResult) -> None:
        tasks = list(tasks)
        if not tasks:
            return
        ray = require_ray()
        started = self._connect(ray)
        try:
            context = ray.data.DataContext.get_current()
            context.enable_progress_bars = False
            context.max_errored_blocks = -1  # a task whose actor died is recorded, not the end of the run
            logging.getLogger("ray.data").setLevel(logging.CRITICAL)
            # Two tasks in flight per actor, so an actor never waits for the scheduler between items; when an
            # actor dies, the task queued behind the one that killed it fails too. Those tasks are run again one
            # at a time, and only one that fails alone is recorded as having killed its worker.
            suspects = self._map(ray, tasks, on_result, in_flight=2)
            for task in self._map(ray, suspects, on_result, in_flight=1):
                on_result(task, crashed_record())
        finally:
            if started:
                ray.shutdown()

    def _map(self, ray, tasks: list[dict], on_result: OnResult, *, in_flight: int) -> list[dict]:
        """Render ``tasks`` through the actor pool, handing each record on; the tasks whose block failed."""
        if not tasks:
            return []
        threads = {name: "1" for name in worker.THREAD_VARIABLES}
        dataset = ray.data.from_items([{"task": json.dumps(t)} for t in tasks], override_num_blocks=len(tasks))
        with warnings.catch_warnings():
            # max_task_retries has no named parameter yet (Ray 2.60); the extra pins Ray below 2.64.
            warnings.simplefilter("ignore", DeprecationWarning)
            dataset = dataset.map_batches(
                _renderer_for(self.args, self.settings), batch_size=1,
                compute=ray.data.ActorPoolStrategy(size=min(self.workers, len(tasks)),
                                                   max_tasks_in_flight_per_actor=in_flight),
                num_cpus=1, num_gpus=self.gpus_per_worker or None, runtime_env={"env_vars": threads},
                max_restarts=-1, max_task_retries=0)  # a task that kills its actor is not run again here
        by_name = {t["item"]: t for t in tasks}
        for row in dataset.iter_rows():
            task = json.loads(row["task"])
            on_result(by_name.pop(task["item"], task), json.loads(row["record"]))
        return list(by_name.values())
