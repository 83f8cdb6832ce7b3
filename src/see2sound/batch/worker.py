"""One batch worker: a Pipeline kept for the worker's life, and one item rendered as ``see2sound render`` does.

Runs in the engine's worker processes (and in-process for tests). The
pipeline's models load once, when the worker starts (:func:`start`), and
stay loaded: :class:`WorkerPipeline` counts the components it makes
(``model_loads`` in each record) and does not release them between items.
Every failure of an item becomes the one ``error: ...`` line the command
line would print for it; nothing an item does stops the worker.

Contents
--------
start, render_task, error_line, WorkerPipeline
"""

from __future__ import annotations

import argparse
import copy
import errno
import os
import signal
import time
from pathlib import Path

from ..errors import ParameterError, See2SoundError
from ..pipeline import Pipeline

#: Thread pools of the numeric libraries: one thread each in a worker, so workers do not fight over cores and
#: a render's bytes do not depend on how many workers there are.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


class WorkerPipeline(Pipeline):
    """A Pipeline that keeps its models between items and counts how many components it made."""

    made = 0  # components made in this process, all pipelines together

    def _component(self, kind: str, registry_kind: str):
        if kind not in self._made:
            WorkerPipeline.made += 1
        return super()._component(kind, registry_kind)

    def release(self) -> None:  # the next item needs the same models
        return None


_STATE: dict = {}


def start(args: argparse.Namespace, settings: dict, *, in_process: bool = False) -> None:
    """A worker's initializer: one thread per numeric library, signals left to the batch, models loaded."""
    if not in_process:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the batch process decides when workers stop
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        from .. import runtime

        runtime.onnx_session.__kwdefaults__["threads"] = 1
        _limit_memory(settings.get("worker_memory_mb"))
    _STATE.clear()
    _STATE.update(args=args, settings=settings, pipelines={})
    try:
        _pipeline_for(args, video=False).check(_options(args, _pipeline_for(args, video=False)))
    except Exception:  # noqa: BLE001 - a model that cannot load fails each item with its own error line
        pass


def _limit_memory(megabytes: float | None) -> None:
    if not megabytes:
        return
    import resource

    limit = int(megabytes * 2 ** 20)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _pipeline_for(args, *, video: bool) -> Pipeline:
    from ..cli import _pipeline

    key = (args.preset, args.models, video)
    pipelines = _STATE["pipelines"]
    if key not in pipelines:
        made = _pipeline(args, video=video, factory=WorkerPipeline)  # components are made on first use, not here
        same = [p for p in pipelines.values() if p.names == made.names and p.preset == made.preset]
        pipelines[key] = same[0] if same else made  # a video of the offline preset uses the pictures' pipeline
    return pipelines[key]


def _options(args, pipeline):
    from ..cli import _render_options

    return _render_options(args, args.format or pipeline.default_format)


def item_args(base: argparse.Namespace, options: dict) -> argparse.Namespace:
    """The command line's options with an item's (from a manifest, or its variant) put in."""
    args = copy.copy(base)
    for key, attribute in (("format", "format"), ("duration", "duration"), ("seed", "seed"), ("hfov", "hfov"),
                           ("room", "room"), ("hrtf", "hrtf")):
        if key in options:
            setattr(args, attribute, options[key])
    if "preset" in options:
        args.preset, args.models = options["preset"], None
    return args


def outputs_of(task: dict, settings: dict) -> dict[str, str]:
    """Where an item's files go, relative to the output folder: audio, scene, and as asked stems, overlay,
    labels (with its class map beside it)."""
    from ..pipeline import VIDEO_SUFFIXES
    from .storage import is_url, suffix

    name, source = task["item"], task["source"]
    ext = suffix(source) if is_url(source) else Path(source).suffix.lower()
    video = ext in VIDEO_SUFFIXES
    if video and settings.get("mux"):
        audio = name + (".mov" if ext == ".mov" else ".mp4")
    else:
        audio = name + "." + settings.get("ext", "wav")
    out = {"audio": audio, "scene": name + ".json"}
    if settings.get("stems"):
        out["stems"] = name + "-stems"
    if settings.get("overlay") and not video:
        out["overlay"] = name + ".png"
    if settings.get("labels"):
        out["labels"] = name + ".csv"
        out["class_map"] = name + ".classes.json"
    return out


def render_task(task: dict) -> dict:
    """Render one item into its files; returns the record's fields (status, outputs, error, seconds, ...)."""
    began = time.perf_counter()
    record = {"worker": os.getpid()}
    try:
        outputs = _render(task, _STATE["args"], _STATE["settings"])
        record.update(status="done", outputs=sorted(outputs.values()), error=None)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - every failure of an item is recorded, none stops the batch
        cap = _STATE["settings"].get("worker_memory_mb")
        if cap and _out_of_memory(exc):
            line = f"error: out of memory within --worker-memory {cap:g} MB (raise it, or render this item alone)"
        else:
            line = error_line(exc)
        staged = getattr(exc, "see2sound_staged", None)
        if staged is not None:
            line = line.replace(*staged)
        record.update(status="failed", outputs=[], error=line)
    record.update(seconds=round(time.perf_counter() - began, 3), model_loads=WorkerPipeline.made)
    return record


def _render(task: dict, base, settings: dict) -> dict[str, str]:
    """Render one task; URL inputs and outputs (:mod:`.storage`) go through a temporary folder."""
    import shutil
    import tempfile

    from .storage import display, fetch, is_url, upload_tree

    if not (is_url(task["source"]) or is_url(task["out_dir"])):
        return _render_local(task, base, settings, Path(task["source"]), Path(task["out_dir"]))
    staging = Path(tempfile.mkdtemp(prefix="see2sound-batch-"))
    try:
        source = fetch(task["source"], staging) if is_url(task["source"]) else Path(task["source"])
        out_dir = staging / "out" if is_url(task["out_dir"]) else Path(task["out_dir"])
        try:
            names = _render_local(task, base, settings, source, out_dir, shown_as=task["source"])
        except BaseException as exc:
            exc.see2sound_staged = (str(source), display(task["source"]))  # an error line names the URL
            raise
        if is_url(task["out_dir"]):
            upload_tree(out_dir, sorted(names.values()), task["out_dir"])
        return names
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _render_local(task: dict, base, settings: dict, source: Path, out_dir: Path, shown_as: str | None = None):
    from ..outputs import Targets, render_to_files
    from ..pipeline import SoundOptions, is_video
    from .storage import display, is_url

    from ..cli import _analysis_options

    args = item_args(base, task["options"])
    video = is_video(source)
    pipeline = _pipeline_for(args, video=video)
    options = _options(args, pipeline)
    names = outputs_of(task, settings)
    paths = {key: str(out_dir / value) for key, value in names.items()}
    Path(paths["audio"]).parent.mkdir(parents=True, exist_ok=True)
    targets = Targets(paths["audio"], scene=paths["scene"] if "stems" in paths else None, stems=paths.get("stems"),
                      overlay=paths.get("overlay"), subtype="float" if args.bits == "float" else "pcm24",
                      keep_original=args.keep_original)
    yaw = task["options"].get("yaw_deg")
    if yaw:
        _rotate_analysis(pipeline, yaw)
    try:
        result = render_to_files(pipeline, source, targets, options=options, analysis=_analysis_options(args),
                                 sounds=SoundOptions(seed=args.seed))
    finally:
        pipeline.__dict__.pop("analyze", None)
    scene = result.scene
    if "stems" not in paths:  # the scene without its sounds' files: where each source is, and what it sounds like
        for src in scene.sources:
            src.audio = None
        if scene.ambience is not None:
            scene.ambience.audio = None
        scene.base_dir = Path(paths["scene"]).resolve().parent
        scene.input["path"] = (display(shown_as) if shown_as and is_url(shown_as)
                               else os.path.relpath(source.resolve(), scene.base_dir))
        scene.save(paths["scene"])
    if "labels" in paths:
        from ..eval.seld import ClassMap, write_labels

        write_labels(scene, paths["labels"], ClassMap.from_dict(settings["class_map"]), skip_unmapped=True)
    return names


def _rotate_analysis(pipeline: Pipeline, yaw_deg: float) -> None:
    """Make ``pipeline.analyze`` turn the scene it finds by ``yaw_deg`` (until the attribute is removed)."""
    from .variants import rotate_scene

    analyze = type(pipeline).analyze.__get__(pipeline)

    def rotated(path, analysis=None, **kwargs):
        found = analyze(path, analysis, **kwargs)
        rotate_scene(found[0] if isinstance(found, tuple) else found.scene, yaw_deg)
        return found

    pipeline.analyze = rotated


def _out_of_memory(exc: BaseException) -> bool:
    """A MemoryError, or a library that could not be mapped into the capped address space."""
    return isinstance(exc, MemoryError) or (isinstance(exc, (ImportError, OSError))
                                            and "failed to map segment" in str(exc))


#: Errors of the machine, not of see2sound, said in one line as the command line does.
_USER_OS_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG, errno.EACCES, errno.EPERM,
                   errno.ENAMETOOLONG, errno.ELOOP, errno.ENOENT)


def error_line(exc: BaseException) -> str:
    """The ``error: ...`` line ``see2sound render`` would print for ``exc``."""
    from ..cli import _flag_message

    if isinstance(exc, ParameterError):
        message = _flag_message(exc)
    elif isinstance(exc, See2SoundError):
        message = str(exc)
    elif isinstance(exc, MemoryError):
        message = "out of memory (try a shorter --duration or a lower --sample-rate)"
    elif isinstance(exc, OSError) and exc.errno in _USER_OS_ERRORS:
        where = f"{exc.filename}: " if exc.filename else ""
        message = f"{where}{exc.strerror or exc} (nothing was written)"
    else:
        message = f"internal failure: {type(exc).__name__}: {exc}"
    return "error: " + message.replace("\r", "\\r").replace("\n", "\\n")
