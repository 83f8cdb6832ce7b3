"""Engines run a batch's tasks and hand back each task's record; the batch keeps the manifest.

An engine is anything with ``run(tasks, on_result)``: it calls
``on_result(task, record)`` in the batch process once per task, as each
finishes, in any order. :class:`LocalEngine` (the default) is a pool of
worker processes on this machine; :class:`InProcessEngine` runs tasks one
by one in the calling process (tests, debugging).

A worker that dies (a decoder's crash, the kernel's out-of-memory kill)
breaks the pool. The tasks it was running are then run again one at a
time in a new pool: one that breaks it alone is recorded as failed, the
others are rendered; the batch goes on.

Contents
--------
Engine, LocalEngine, InProcessEngine, crashed_record
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterable, Protocol

from . import worker

OnResult = Callable[[dict, dict], None]


class Engine(Protocol):
    def run(self, tasks: Iterable[dict], on_result: OnResult) -> None: ...


def crashed_record() -> dict:
    return {"status": "failed", "outputs": [], "seconds": None, "worker": None, "model_loads": None,
            "error": "error: the worker process died while rendering it (a crash, or killed: out of memory?)"}


@contextlib.contextmanager
def _one_thread_each():
    """Worker processes start with one thread per numeric library (they inherit this environment)."""
    saved = {name: os.environ.get(name) for name in worker.THREAD_VARIABLES}
    os.environ.update({name: "1" for name in worker.THREAD_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class LocalEngine:
    """``workers`` processes (spawned: safe with onnxruntime's threads), each with one Pipeline for its life."""

    def __init__(self, args, settings: dict, workers: int):
        self.args, self.settings, self.workers = args, settings, workers

    def _pool(self) -> ProcessPoolExecutor:
        with _one_thread_each():
            pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=worker.start, initargs=(self.args, self.settings))
        return pool

    def run(self, tasks: Iterable[dict], on_result: OnResult) -> None:
        pending, suspects = deque(tasks), deque()
        in_flight: dict = {}
        pool = self._pool()
        try:
            while pending or suspects or in_flight:
                if suspects:  # after a crash: the tasks that were running, one at a time
                    if not in_flight:
                        task = suspects.popleft()
                        in_flight[_submit(pool, task)] = task
                else:
                    while pending and len(in_flight) < self.workers:
                        task = pending.popleft()
                        in_flight[_submit(pool, task)] = task
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                if any(isinstance(f.exception(), BrokenProcessPool) for f in done):
                    wait(in_flight)  # every other running task fails with the pool
                    broken = [task for f, task in in_flight.items() if isinstance(f.exception(), BrokenProcessPool)]
                    for f, task in in_flight.items():
                        if not isinstance(f.exception(), BrokenProcessPool):
                            on_result(task, f.result())
                    in_flight.clear()
                    if len(broken) == 1:
                        on_result(broken[0], crashed_record())
                    else:
                        suspects.extend(broken)
                    _stop(pool)
                    pool = self._pool()
                    continue
                for f in done:
                    task = in_flight.pop(f)
                    on_result(task, f.result())
        except BaseException:
            _stop(pool, kill=True)
            raise
        pool.shutdown(wait=True)


def _submit(pool: ProcessPoolExecutor, task: dict) -> Future:
    """``task`` submitted to ``pool``; if a worker died since the last look, a future failed as the pool broke
    (so the task is handled with those that were running, not lost to an exception here)."""
    try:
        return pool.submit(worker.render_task, task)
    except BrokenProcessPool as exc:
        failed: Future = Future()
        failed.set_exception(exc)
        return failed


def _stop(pool: ProcessPoolExecutor, *, kill: bool = False) -> None:
    """Shut a pool down; with ``kill``, end its workers now (by their process ids) and wait for them."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    if kill:
        for process in processes:
            with contextlib.suppress(Exception):
                process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(timeout=10)


class InProcessEngine:
    """Tasks one by one in this process, with one worker state (models loaded once)."""

    def __init__(self, args, settings: dict):
        worker.start(args, settings, in_process=True)

    def run(self, tasks: Iterable[dict], on_result: OnResult) -> None:
        for task in tasks:
            on_result(task, worker.render_task(task))
