"""Batch rendering: many pictures and videos, resumable, one failure never stopping the rest.

``see2sound batch INPUTS... -o OUT`` (SPEC §4, docs/guide/batch.md) expands
its inputs into items (:mod:`.items`), skips those the run manifest
(:mod:`.manifest`) says are done with the same input and options, renders
the others through an engine (:mod:`.engine`: a pool of worker processes,
each with its models loaded once; :mod:`.worker`), records each as it
finishes, and ends with a summary (done, skipped, failed with reasons,
throughput) as a table and ``OUT/see2sound-summary.json``. Dataset mode
writes DCASE SELD labels beside each output with one class map for the
batch (``OUT/classes.json``) and augmented variants (:mod:`.variants`).

Contents
--------
run_batch, BatchSummary, plan, batch_class_map
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..errors import ParameterError, See2SoundError
from .items import Item, expand_inputs
from .manifest import MANIFEST_NAME, RunManifest, file_sha256, options_sha256, versions
from .storage import display, is_url, local_mirror

SUMMARY_NAME = "see2sound-summary.json"
CLASSES_NAME = "classes.json"
LOCK_NAME = ".see2sound-batch.lock"
#: Command-line options that do not change what an item's files hold (left out of its options hash).
NOT_RENDER_OPTIONS = {"command", "inputs", "output", "workers", "quiet", "verbose", "retry_failed", "engine",
                      "ray_address", "gpus_per_worker",
                      "worker_memory", "variants", "hrtf_dir", "labels", "stems", "overlay", "mux", "ext"}


def batch_class_map():
    """One class per label of see2sound's vocabulary, sorted: the same indices for every item and every run."""
    from ..eval.seld import ClassMap
    from ..vision.vocabulary import KINDS

    names = sorted(KINDS)
    return ClassMap(names, {name: i for i, name in enumerate(names)})


@dataclass
class BatchSummary:
    """What a run did: counts, failures (item, error line), throughput, and each worker's model loads."""

    items: int = 0
    done: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    failed_before: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 1
    engine: str = "local"
    model_loads: dict[str, int] = field(default_factory=dict)

    @property
    def items_per_minute(self) -> float:
        rendered = self.done + len(self.failed)
        return 60.0 * rendered / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict:
        return {"items": self.items, "done": self.done, "skipped": self.skipped,
                "failed": [{"item": i, "error": e} for i, e in self.failed],
                "failed_before": [{"item": i, "error": e} for i, e in self.failed_before],
                "seconds": round(self.seconds, 3), "items_per_minute": round(self.items_per_minute, 2),
                "workers": self.workers, "engine": self.engine, "model_loads": self.model_loads}

    def table(self) -> str:
        lines = [f"{'items':16s} {self.items}", f"{'done':16s} {self.done}",
                 f"{'skipped (done)':16s} {self.skipped}", f"{'failed':16s} {len(self.failed)}"]
        if self.failed_before:
            lines.append(f"{'failed before':16s} {len(self.failed_before)} (--retry-failed to try again)")
        lines.append(f"{'throughput':16s} {self.items_per_minute:.1f} items/min over {self.seconds:.1f} s "
                     f"with {self.workers} worker(s), {self.engine} engine")
        for item, error in self.failed + self.failed_before:
            lines.append(f"  {item}: {error}")
        return "\n".join(lines)


def plan(items: list[Item], args, hrtfs: list[Path]) -> list[dict]:
    """One task per item, or per variant of it: name, source, options (the item's and its variant's)."""
    from .variants import variant_options

    tasks = []
    for item in items:
        if args.variants <= 1:
            tasks.append({"item": item.name, "source": str(item.source), "options": dict(item.options)})
            if hrtfs:
                tasks[-1]["options"]["hrtf"] = str(hrtfs[0])
            continue
        seed = item.options.get("seed", args.seed)
        for k in range(args.variants):
            options = {**item.options, **variant_options(k, seed, hrtfs, item.name)}
            tasks.append({"item": f"{item.name}.v{k}", "source": str(item.source), "options": options,
                          "variant": k})
    return tasks


def _task_hash(task: dict, args, settings: dict) -> str:
    base = {k: v for k, v in sorted(vars(args).items()) if k not in NOT_RENDER_OPTIONS}
    outputs = {k: settings.get(k) for k in ("ext", "mux", "stems", "overlay", "labels")}
    return options_sha256({"args": base, "item": task["options"], "outputs": outputs})


def _hrtf_files(folder: str | None) -> list[Path]:
    if folder is None:
        return []
    path = Path(folder)
    if not path.is_dir():
        raise ParameterError("hrtf_dir", f"{folder}: no such folder")
    files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".sofa" and p.is_file())
    if not files:
        raise ParameterError("hrtf_dir", f"no .sofa files in {folder}")
    return files


def _remove_partials(out: Path) -> None:
    """Temporary files and folders (``.NAME.XXXX.part``) an interrupted or killed run left behind."""
    for path in sorted(out.rglob(".*.part"), key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()


@contextlib.contextmanager
def _locked(out: Path):
    import fcntl

    with open(out / LOCK_NAME, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise See2SoundError(f"{out}: another batch is writing into this folder") from None
        yield


def _settings(args) -> dict:
    settings = {"ext": args.ext, "mux": args.mux, "stems": args.stems, "overlay": args.overlay,
                "labels": args.labels, "worker_memory_mb": args.worker_memory}
    if args.labels:
        settings["class_map"] = batch_class_map().to_dict()
    return settings


def _progress(enabled: bool, total: int):
    """A rich progress bar on stderr with items/s and the time left; a callback (done count) or a no-op."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    if not (enabled and console.is_terminal):
        return contextlib.nullcontext(lambda n: None)

    @contextlib.contextmanager
    def bar():
        with Progress(TextColumn("batch"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=console,
                      transient=True) as progress:
            task = progress.add_task("batch", total=total, rate="")
            began = time.perf_counter()

            def update(n: int) -> None:
                rate = n / max(time.perf_counter() - began, 1e-9)
                progress.update(task, completed=n, rate=f"{rate:.2f} items/s")

            yield update

    return bar()


def _engine(args, settings: dict, workers: int):
    """The engine ``args.engine`` names: ``local`` (a process pool) or ``ray`` (Ray Data, here or on a cluster)."""
    if getattr(args, "engine", "local") == "ray":
        from .ray_engine import RayEngine

        return RayEngine(args, settings, workers, address=args.ray_address, gpus_per_worker=args.gpus_per_worker)
    from .engine import LocalEngine

    return LocalEngine(args, settings, workers)


def run_batch(args, *, say=print, engine=None) -> BatchSummary:
    """Run ``see2sound batch`` with the parsed command line ``args``; returns the summary.

    ``say``: where the summary table goes (None: nowhere). ``engine``: an
    engine object (default: :class:`.engine.LocalEngine` with ``args.workers``).
    """
    remote = args.output if is_url(args.output) else None
    out = local_mirror(remote) if remote else Path(args.output)
    if out.exists() and not out.is_dir():
        raise See2SoundError(f"{out}: exists and is not a folder")
    if args.variants < 1 or args.variants > 1000:
        raise ParameterError("variants", f"from 1 to 1000, got {args.variants}")
    if args.workers is not None and not 1 <= args.workers <= 256:
        raise ParameterError("workers", f"from 1 to 256, got {args.workers}")
    if getattr(args, "gpus_per_worker", 0) and not 0 < args.gpus_per_worker <= 64:
        raise ParameterError("gpus_per_worker", f"from 0 to 64, got {args.gpus_per_worker}")
    if getattr(args, "engine", "local") == "ray" and args.worker_memory:
        raise ParameterError("worker_memory", "not with the ray engine: a Ray worker does not start within an "
                                              "address-space cap (give the cluster's nodes the memory instead)")
    if getattr(args, "engine", "local") != "ray" and (getattr(args, "ray_address", None)
                                                      or getattr(args, "gpus_per_worker", 0)):
        raise ParameterError("ray_address" if args.ray_address else "gpus_per_worker", "only with the ray engine")
    if args.hrtf_dir is not None and args.hrtf is not None:
        raise ParameterError("hrtf_dir", "give a folder of SOFA files or one HRTF file, not both")
    if getattr(args, "engine", "local") == "ray" and engine is None:
        from .ray_engine import require_ray

        require_ray()  # before the output folder is made
    items = expand_inputs(args.inputs, skip=remote or out)
    hrtfs = _hrtf_files(args.hrtf_dir)
    settings = _settings(args)
    if not out.parent.is_dir():
        raise See2SoundError(f"{out}: folder {out.parent} does not exist")
    out.mkdir(exist_ok=True)
    with _locked(out):
        _remove_partials(out)
        return _run(args, out, items, hrtfs, settings, say, engine, remote)


class _Remote:
    """A URL output folder: its manifest mirrored in a local folder, pushed back as the batch goes."""

    PUSH_EVERY_S = 10.0

    def __init__(self, url: str, mirror: Path):
        from .storage import store

        self.url, self.mirror, self.store = url, mirror, store(url)
        listed = [relative for relative, _, _ in self.store.files()]  # one listing of the folder, used twice
        self.existing = set(self.store.remove_partials(listed))  # uploads an earlier run left unfinished go
        self.folders = {str(parent) for name in self.existing for parent in PurePosixPath(name).parents}
        data = self.store.read_bytes(MANIFEST_NAME)
        (mirror / MANIFEST_NAME).write_bytes(data or b"")
        for name in (SUMMARY_NAME, CLASSES_NAME):  # only this run's go back up
            (mirror / name).unlink(missing_ok=True)
        self.pushed = time.monotonic()

    def exists(self, relative: str) -> bool:
        """An output there (a stems folder: any object under it)."""
        return relative in self.existing or relative in self.folders

    def push(self, *names: str, force: bool = False) -> None:
        if force or time.monotonic() - self.pushed >= self.PUSH_EVERY_S:
            for name in names or (MANIFEST_NAME,):
                if (self.mirror / name).is_file():
                    self.store.upload(self.mirror / name, name)
            self.pushed = time.monotonic()


def _run(args, out: Path, items: list[Item], hrtfs, settings, say, engine, remote: str | None) -> BatchSummary:
    from .storage import identity

    remote = _Remote(remote, out) if remote else None
    manifest = RunManifest(out)
    tasks = plan(items, args, hrtfs)
    stamps = {item.source: item.stamp for item in items if item.stamp is not None}
    summary = BatchSummary(items=len(tasks), workers=1)
    hashes: dict[str, str] = {}
    todo = []
    for task in tasks:
        source = task["source"]
        try:
            if source not in hashes:
                hashes[source] = identity(source, *stamps.get(source, ())) if is_url(source) else file_sha256(source)
        except OSError as exc:
            raise See2SoundError(f"{source}: cannot be read ({exc.strerror})") from None
        task.update(out_dir=remote.url if remote else str(out), input_sha256=hashes[source],
                    options_sha256=_task_hash(task, args, settings))
        exists = remote.exists if remote else (lambda relative: (out / relative).exists())
        if manifest.is_done(task["item"], task["input_sha256"], task["options_sha256"], exists):
            summary.skipped += 1
            continue
        before = manifest.failed_before(task["item"], task["input_sha256"], task["options_sha256"])
        if before is not None and not args.retry_failed:
            summary.failed_before.append((task["item"], before.get("error") or "error: failed"))
            continue
        todo.append(task)
    if settings.get("labels"):
        from ..io.files import atomic_output

        with atomic_output(out / CLASSES_NAME) as tmp:
            Path(tmp).write_text(json.dumps(settings["class_map"], indent=2) + "\n", encoding="utf-8")
    stamp = versions()
    workers = min(args.workers or os.cpu_count() or 1, max(len(todo), 1))
    summary.workers = workers
    summary.engine = getattr(args, "engine", "local")
    if engine is None and todo:
        engine = _engine(args, settings, workers)
    began = time.perf_counter()
    count = 0
    try:
        with _progress(not args.quiet, len(todo)) as progress:
            def on_result(task: dict, result: dict) -> None:
                nonlocal count
                record = {"item": task["item"], "input": display(task["source"]), "input_sha256": task["input_sha256"],
                          "options_sha256": task["options_sha256"], "options": task["options"], **result,
                          "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                          "versions": stamp}
                manifest.append(record)
                if remote is not None:
                    remote.push()
                if record["status"] == "done":
                    summary.done += 1
                else:
                    summary.failed.append((task["item"], record["error"]))
                if result.get("worker") is not None:
                    summary.model_loads[str(result["worker"])] = result["model_loads"]
                count += 1
                progress(count)

            if todo:
                engine.run(todo, on_result)
    finally:
        summary.seconds = time.perf_counter() - began
        _remove_partials(out)
        manifest.compact()
        if remote is not None:  # what finished reaches the bucket, even when the batch was interrupted
            remote.push(MANIFEST_NAME, force=True)
    from ..io.files import atomic_output

    with atomic_output(out / SUMMARY_NAME) as tmp:
        Path(tmp).write_text(json.dumps(summary.as_dict(), indent=2) + "\n", encoding="utf-8")
    if remote is not None:
        remote.push(MANIFEST_NAME, SUMMARY_NAME, CLASSES_NAME, force=True)
    if say is not None:
        say(summary.table())
    return summary


__all__ = ["run_batch", "BatchSummary", "plan", "batch_class_map", "MANIFEST_NAME", "SUMMARY_NAME"]
