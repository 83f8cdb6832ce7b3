"""The whole pipeline: picture -> scene -> sounds -> spatial audio.

``render(path)`` runs the three stages in order, each through its public
function: :func:`see2sound.vision.analyze_picture`,
:func:`see2sound.sound.assign_sounds`, :func:`see2sound.spatial.render_scene`.
The stems (each source's dry mono sound) go to ``stems_dir`` so a user can
edit the scene and run ``spatialize`` again; without one they live in a
temporary folder that is removed afterwards.

Contents
--------
RenderResult, render, STAGES
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import See2SoundError
from .io.audio import write_audio
from .scene import Scene
from .sound import assign_sounds, load_libraries
from .spatial import RenderOptions, RenderReport
from .spatial.renderer import render_scene
from .video import VIDEO_SUFFIXES
from .vision import Analysis, analyze_picture

STAGES = ("analyse", "sounds", "render")
#: Called with a stage name and the fraction of that stage done.
StageProgress = Callable[[str, float], None]


@dataclass
class RenderResult:
    """Audio [shape=(channels, n), float32], its rate, the scene it came from, and reports."""

    audio: np.ndarray
    sample_rate: int
    scene: Scene
    report: RenderReport
    analysis: Analysis
    notes: list[str] = field(default_factory=list)

    @property
    def format(self) -> str:
        return self.report.format

    def save(self, path: str | os.PathLike, *, subtype: str = "float") -> None:
        """Write the audio as WAV (WAVE_FORMAT_EXTENSIBLE) or FLAC, atomically."""
        write_audio(path, self.audio, self.sample_rate, self.format, subtype=subtype)


def render(path: str | os.PathLike, *, format: str = "binaural", duration_s: float = 10.0, seed: int = 0,
           hfov_deg: float | None = None, projection: str = "auto", detector: str = "ensemble",
           max_sources: int = 6, libraries: tuple[str, ...] | list[str] = (), stems_dir: str | os.PathLike | None = None,
           scene_path: str | os.PathLike | None = None, sample_rate: int = 48000, room: str = "auto",
           loudness_lufs: float | None = -23.0, true_peak_dbtp: float | None = -1.0,
           hrtf: str | os.PathLike | None = None, renderer: str = "see2sound", depth=None,
           text_to_audio=None, out: np.ndarray | None = None,
           progress: StageProgress | None = None, low_memory: bool = False) -> RenderResult:
    """Turn a picture into spatial audio, offline.

    Parameters are those of :func:`see2sound.analyze` (``hfov_deg``,
    ``projection``, ``detector``, ``max_sources``), of the sound stage
    (``libraries``: extra folders of your own sounds; ``seed``: which sounds
    and where they start), and of :func:`see2sound.spatialize` (``format``,
    ``sample_rate``, ``room``, ``loudness_lufs``, ``hrtf``); ``depth`` a
    learned :class:`~see2sound.vision.distance.DepthEstimator` and
    ``text_to_audio`` a :class:`~see2sound.hub.sound.TextToAudio` (quality mode). ``scene_path``
    is where the scene will be saved (stem paths are made relative to its
    folder); ``stems_dir`` keeps the stems. ``low_memory``: free the
    detector's and the depth model's weights once the picture is analysed
    (they are spent afterwards), before text-to-audio loads its own.

    Examples
    --------
    >>> result = see2sound.render("photo.jpg", format="binaural", duration_s=10, seed=0)  # doctest: +SKIP
    >>> result.save("photo.wav")                                                          # doctest: +SKIP
    """
    path = Path(path)
    if path.suffix.lower() in VIDEO_SUFFIXES:
        raise See2SoundError(f"{path}: a video: use see2sound.video.render_video_audio, or `see2sound render`")
    if not (np.isfinite(duration_s) and 0 < duration_s <= 3600):
        raise See2SoundError(f"--duration: must be more than 0 and at most 3600 s, got {duration_s:g}")
    options = RenderOptions(format=format, sample_rate=sample_rate, hrtf=hrtf, room=room,
                            loudness_lufs=loudness_lufs, true_peak_dbtp=true_peak_dbtp, renderer=renderer)
    options.check()
    library = load_libraries(tuple(libraries))
    step = progress or (lambda stage, fraction: None)

    step("analyse", 0.0)
    analysis = analyze_picture(path, hfov_deg=hfov_deg, projection=projection, detector=detector,
                               max_sources=max_sources, duration_s=duration_s, depth=depth)
    scene = analysis.scene
    notes = list(analysis.notes) + list(library.warnings)
    if low_memory:
        for stage in (detector, depth):
            if callable(getattr(stage, "release", None)):
                stage.release()
    step("analyse", 1.0)

    with tempfile.TemporaryDirectory(prefix="see2sound-stems-") as tmp:
        stems = Path(stems_dir) if stems_dir is not None else Path(tmp)
        scene.base_dir = Path(scene_path).resolve().parent if scene_path is not None else stems.resolve().parent
        scene.input["path"] = os.path.relpath(path.resolve(), scene.base_dir)
        step("sounds", 0.0)
        scene, sound_notes = assign_sounds(scene, library, stems, seed=seed, sample_rate=sample_rate,
                                           text_to_audio=text_to_audio)
        notes.extend(sound_notes)
        step("sounds", 1.0)
        audio, report = render_scene(scene, options, out=out, progress=lambda f: step("render", f))
    notes.extend(report.notes)
    return RenderResult(audio, sample_rate, scene, report, analysis, notes)
