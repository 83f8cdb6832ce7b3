"""Running the studio's jobs: a pool of worker threads over the :class:`~.store.JobStore`.

A job is one upload. Its first run analyses the picture or video, gives
each source a sound (stems in the job's folder), saves the scene and renders
the binaural preview. After the scene is edited, the job is queued again and
its run only re-renders. Other formats are rendered on request from the
saved scene (:meth:`Runner.result`), once, then kept.

Each job only ever writes inside its own folder, through temporary files
renamed into place, so two jobs running side by side cannot touch each
other's files; a job's state moves queued -> running -> done/failed in
single SQLite transactions (:meth:`JobStore.claim` makes sure only one
worker runs a job).

A failed job's error is the message of the :class:`~see2sound.errors.See2SoundError`
that stopped it (what the CLI prints after ``error:``, without the
server's paths); anything else is a bug, shown as ``internal error: <type>``.

When the studio stops (:meth:`Runner.shutdown`, on SIGTERM or SIGINT),
each running job is interrupted at its next progress step: its temporary
files are removed as it unwinds, and it is marked failed with
:data:`~.store.INTERRUPTED`, as are the jobs still queued.

Contents
--------
Runner, JobOptions, Interrupted, FORMATS
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import See2SoundError
from ..formats import FORMATS as REGISTERED_FORMATS
from ..io.audio import write_audio
from ..io.files import atomic_output
from ..outputs import write_render
from ..pipeline import AnalysisOptions, Pipeline, SoundOptions
from ..scene import MAX_DURATION_S, Scene
from ..spatial import RenderOptions
from ..spatial.renderer import render_scene
from .store import INTERRUPTED, JobStore

log = logging.getLogger("see2sound.studio")

FORMATS = tuple(REGISTERED_FORMATS)
PREVIEW = "binaural"
PICTURE_MAX_SIDE = 1280
#: How much of a job's progress each stage stands for.
STAGE_SHARE = {"analyse": (0.0, 0.6), "sounds": (0.6, 0.85), "render": (0.85, 1.0)}


@dataclass(frozen=True)
class JobOptions:
    """What a user may set for a job (checked; nothing here is a path)."""

    duration_s: float = 10.0
    seed: int = 0
    hfov_deg: float | None = None
    max_sources: int = 6
    sample_rate: int = 48000

    def __post_init__(self):
        if not (math.isfinite(self.duration_s) and self.duration_s > 0):
            raise See2SoundError(f"duration: must be more than 0 s, got {self.duration_s:g}")
        if self.duration_s > MAX_DURATION_S:
            raise See2SoundError(f"duration: at most {MAX_DURATION_S:g} s, got {self.duration_s:g}")
        if self.hfov_deg is not None and not (math.isfinite(self.hfov_deg) and 1 <= self.hfov_deg <= 360):
            raise See2SoundError(f"hfov: must be from 1 to 360 degrees, got {self.hfov_deg:g}")
        if not 1 <= self.max_sources <= 32:
            raise See2SoundError(f"max_sources: must be from 1 to 32, got {self.max_sources}")
        if not 0 <= self.seed < 2 ** 31:
            raise See2SoundError(f"seed: must be from 0 to 2147483647, got {self.seed}")
        if self.sample_rate not in (44100, 48000):
            raise See2SoundError(f"sample_rate: 44100 or 48000, got {self.sample_rate}")

    def to_json(self) -> dict:
        return asdict(self)


class Interrupted(BaseException):
    """Raised in a running job when the studio stops.

    A BaseException, like KeyboardInterrupt, so that no ``except Exception``
    on the way catches it; the temporary files of the job unwind with it.
    """


class Runner:
    """Runs jobs on ``workers`` threads; renders results on request."""

    def __init__(self, store: JobStore, *, workers: int = 2, libraries: tuple[str, ...] = (),
                 pipeline: Pipeline | None = None):
        self.store = store
        self.libraries = tuple(libraries)
        #: One pipeline for every job (its components are made once): pictures and videos alike.
        self.pipeline = pipeline or Pipeline.from_preset("offline", libraries=self.libraries)
        self.pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="see2sound-job")
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._stopping = threading.Event()

    def lock(self, job_id: str) -> threading.Lock:
        """The lock held while a job's files change."""
        with self._locks_guard:
            return self._locks.setdefault(job_id, threading.Lock())

    def submit(self, job_id: str):
        return self.pool.submit(self.run, job_id)

    def delete(self, job_id: str, *, before: float | None = None) -> bool:
        """Forget a finished or failed job and its files (see :meth:`JobStore.delete`), under its lock.

        False if the job is queued or running, or busy otherwise (its lock is held: a format is being
        rendered, its scene edited): nothing waits for it.
        """
        lock = self.lock(job_id)
        if not lock.acquire(blocking=False):
            return False
        try:
            deleted = self.store.delete(job_id, before=before)
        finally:
            lock.release()
        if deleted:
            with self._locks_guard:
                self._locks.pop(job_id, None)
        return deleted

    def shutdown(self) -> None:
        """Interrupt the running jobs, wait for them to unwind, and mark every unfinished job failed."""
        self._stopping.set()
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.store.interrupt()

    # -- a job's run -------------------------------------------------------------------------------------------------

    def run(self, job_id: str) -> None:
        if self._stopping.is_set() or not self.store.claim(job_id):
            return
        folder = self.store.folder(job_id)
        try:
            with self.lock(job_id):
                if (folder / "scene.json").is_file():
                    self._rerender(job_id, folder)
                else:
                    self._first_run(job_id, folder)
            self.store.update(job_id, status="done", progress=1.0, stage="")
        except Interrupted:
            self.store.update(job_id, status="failed", error=INTERRUPTED)
        except See2SoundError as exc:
            self.store.update(job_id, status="failed", error=_public(str(exc), folder))
        except MemoryError:
            self.store.update(job_id, status="failed", error="out of memory: try a shorter duration or clip")
        except Exception as exc:  # a bug: keep the studio up, say what happened
            log.exception("job %s failed", job_id)
            self.store.update(job_id, status="failed", error=f"internal error: {type(exc).__name__}")

    def _progress(self, job_id: str):
        def step(stage: str, fraction: float) -> None:
            if self._stopping.is_set():
                raise Interrupted
            lo, hi = STAGE_SHARE.get(stage, (0.0, 1.0))
            self.store.update(job_id, progress=lo + (hi - lo) * min(1.0, max(0.0, fraction)), stage=stage)
        return step

    def _first_run(self, job_id: str, folder: Path) -> None:
        job = self.store.get(job_id)
        options = JobOptions(**job.options)
        source = folder / job.input
        scene_path = folder / "scene.json"
        result = self.pipeline.run(
            source, options=RenderOptions(format=PREVIEW, sample_rate=options.sample_rate),
            analysis=AnalysisOptions(hfov_deg=options.hfov_deg, max_sources=options.max_sources,
                                     duration_s=options.duration_s),
            sounds=SoundOptions(seed=options.seed), stems_dir=folder / "stems", scene_path=scene_path,
            progress=self._progress(job_id))
        audio, scene = result.audio, result.scene
        picture = _first_frame(source) if result.analysis is None else result.analysis.picture.rgb
        _save_picture(picture, folder / "picture.png")
        scene.input["path"] = job.input
        scene.save(scene_path)
        write_audio(folder / "results" / f"{PREVIEW}.wav", audio, options.sample_rate, PREVIEW)

    def _rerender(self, job_id: str, folder: Path) -> None:
        step = self._progress(job_id)
        step("render", 0.0)
        self._render(job_id, folder, PREVIEW, progress=lambda f: step("render", f))

    def _render(self, job_id: str, folder: Path, fmt: str, progress: Callable[[float], None] | None = None) -> Path:
        job = self.store.get(job_id)
        options = JobOptions(**job.options)
        scene = Scene.load(folder / "scene.json")  # muted sources stay silent: the renderer honours them
        audio, _ = render_scene(scene, RenderOptions(format=fmt, sample_rate=options.sample_rate),
                                renderer=self.pipeline.renderer, progress=progress)
        path = folder / "results" / f"{fmt}.wav"
        write_render(path, audio, scene, options.sample_rate, fmt)
        return path

    # -- results on request ------------------------------------------------------------------------------------------

    def result(self, job_id: str, fmt: str) -> Path:
        """The job's audio in ``fmt`` (rendered now if it was not yet). The job must be done."""
        if fmt not in FORMATS:
            raise See2SoundError(f"format: one of {', '.join(FORMATS)}, got {fmt!r}")
        with self.lock(job_id):
            existing = self.store.file(job_id, f"results/{fmt}.wav")
            if existing is not None:
                return existing
            folder = self.store.folder(job_id)
            try:
                return self._render(job_id, folder, fmt)
            except See2SoundError as exc:
                raise See2SoundError(_public(str(exc), folder)) from None

    def clear_results(self, job_id: str) -> None:
        """Forget every rendered format (the scene changed)."""
        for path in (self.store.folder(job_id) / "results").glob("*.wav"):
            path.unlink(missing_ok=True)


def _public(message: str, folder: Path) -> str:
    """An error message without the server's paths."""
    return message.replace(str(folder) + "/", "").replace(str(folder), "the job")


def _first_frame(path: Path) -> np.ndarray:
    from ..video.decode import analysis_frames

    for _, rgb in analysis_frames(path, 1.0, max_side=PICTURE_MAX_SIDE):
        return rgb
    raise See2SoundError("the video has no picture to show")


def _save_picture(rgb: np.ndarray, path: Path) -> None:
    from PIL import Image

    image = Image.fromarray(rgb)
    image.thumbnail((PICTURE_MAX_SIDE, PICTURE_MAX_SIDE))
    with atomic_output(path) as tmp:
        image.save(tmp, format="PNG")
