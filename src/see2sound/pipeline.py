"""The whole pipeline: picture or video -> scene -> sounds -> spatial audio.

A :class:`Pipeline` is four components, each chosen by name from the
registry (:mod:`see2sound.registry`) or given as an object: a detector, a
depth estimator, sound sources and a renderer. :meth:`Pipeline.run` serves
a picture and a video alike, and the CLI, the studio and :func:`render` all
go through it. Presets name whole pipelines:

- ``offline`` (default): the bundled detectors, size priors, the sound
  library, see2sound's renderer; nothing is downloaded.
- ``hub``: SAM + CLIP regions, Depth Anything V2 metric depth, Stable Audio
  Open sounds (needs ``see2sound[hub]`` and the weights); for a video, only
  the sounds are learned (tracking stays with the offline ensemble).
- ``paper``: the published method's choices for side-by-side comparison:
  the 3 largest SAM regions, relative depth, generated sounds, and its own
  5.1 spatial step.

Options come in three checked dataclasses: :class:`AnalysisOptions`
(seeing), :class:`SoundOptions` (hearing) and
:class:`~see2sound.spatial.RenderOptions` (rendering).

Contents
--------
Pipeline, RenderResult, AnalysisOptions, SoundOptions, PRESETS, render, analyze
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .errors import ParameterError
from .io.audio import write_audio
from .registry import PRESETS, create, release
from .scene import MAX_DURATION_S, Scene
from .sound import LibrarySounds, assign_sounds
from .spatial import RenderOptions, RenderReport
from .spatial.options import with_fields
from .spatial.renderer import check_renderer

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v")
#: The most sources analysis finds (``max_sources``); a scene file may hold up to :data:`.scene.MAX_SOURCES`.
MAX_SOURCES = 64
#: Stems are kept in memory up to this many bytes in all; beyond, in a temporary folder.
IN_MEMORY_STEMS_BYTES = 256 * 1024 * 1024
#: Called with a stage name ("analyse", "sounds", "render") and the fraction of it done.
StageProgress = Callable[[str, float], None]

def _check_duration(value: float, parameter: str = "duration_s") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and 0 < value <= MAX_DURATION_S):
        raise ParameterError(parameter, f"must be more than 0 and at most {MAX_DURATION_S:g} s, got {value!r}")
    return float(value)


#: A video's detectors run on every this-many-th analysed picture (1 to MAX_DETECT_EVERY); tracks are followed
#: by their looks in between (benchmarks/results-video-accuracy.md chose 5).
DEFAULT_DETECT_EVERY = 5
MAX_DETECT_EVERY = 30


def check_detect_every(detect_every) -> int:
    """``detect_every`` if it is a whole number from 1 to :data:`MAX_DETECT_EVERY`, else a ParameterError."""
    if isinstance(detect_every, bool) or not isinstance(detect_every, (int, np.integer)) \
            or not 1 <= detect_every <= MAX_DETECT_EVERY:
        raise ParameterError("detect_every", f"must be a whole number from 1 to {MAX_DETECT_EVERY}, "
                                             f"got {detect_every!r}")
    return int(detect_every)


@dataclass(frozen=True)
class AnalysisOptions:
    """How to see (checked when made).

    ``hfov_deg``: horizontal field of view (default from EXIF, else 65);
    ``projection``: ``auto``, ``perspective`` or ``equirect``;
    ``max_sources``: at most this many sources (1-64); ``duration_s``: a
    picture's scene length (a video's is the video's); ``analysis_rate_hz``:
    video pictures analysed per second (0.5-30); ``detect_every``: the
    detectors run on every this-many-th of them (1-30; 1: on all), and
    tracks are followed by their looks in between (:mod:`see2sound.video.follow`).
    """

    hfov_deg: float | None = None
    projection: str = "auto"
    max_sources: int = 6
    duration_s: float = 10.0
    analysis_rate_hz: float = 5.0
    detect_every: int = DEFAULT_DETECT_EVERY

    def __post_init__(self):
        if self.hfov_deg is not None and (isinstance(self.hfov_deg, bool) or not isinstance(self.hfov_deg, (int, float))
                                          or not 1.0 <= self.hfov_deg <= 179.0):
            raise ParameterError("hfov_deg", f"must be between 1 and 179 degrees, got {self.hfov_deg!r}")
        if self.projection not in ("auto", "perspective", "equirect"):
            raise ParameterError("projection", f"unknown projection {self.projection!r} (auto, perspective, equirect)")
        if isinstance(self.max_sources, bool) or not isinstance(self.max_sources, (int, np.integer)) \
                or not 1 <= self.max_sources <= MAX_SOURCES:
            raise ParameterError("max_sources", f"must be from 1 to {MAX_SOURCES}, got {self.max_sources!r}")
        _check_duration(self.duration_s)
        if isinstance(self.analysis_rate_hz, bool) or not isinstance(self.analysis_rate_hz, (int, float)) \
                or not (math.isfinite(self.analysis_rate_hz) and 0.5 <= self.analysis_rate_hz <= 30):
            raise ParameterError("analysis_rate_hz", f"must be from 0.5 to 30 per second, got {self.analysis_rate_hz!r}")
        check_detect_every(self.detect_every)


@dataclass(frozen=True)
class SoundOptions:
    """How to hear (checked when made): ``seed`` picks sounds and where they start (same seed, same bytes)."""

    seed: int = 0

    def __post_init__(self):
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)):
            raise ParameterError("seed", f"expected a whole number, got {self.seed!r}")


@dataclass
class RenderResult:
    """Audio [shape=(channels, n), float32], its rate, the scene it came from, and reports.

    ``analysis`` is the picture's :class:`~see2sound.vision.Analysis`
    (None for a video); ``video`` the video's
    :class:`~see2sound.video.decode.VideoInfo` (None for a picture).
    """

    audio: np.ndarray
    sample_rate: int
    scene: Scene
    report: RenderReport
    analysis: Any = None
    notes: list[str] = field(default_factory=list)
    video: Any = None

    @property
    def format(self) -> str:
        return self.report.format

    def save(self, path: str | os.PathLike, *, subtype: str = "float") -> None:
        """Write the audio as WAV (WAVE_FORMAT_EXTENSIBLE) or FLAC, atomically."""
        write_audio(path, self.audio, self.sample_rate, self.format, subtype=subtype)


def is_video(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


class Pipeline:
    """Detector, depth estimator, sound sources and renderer, run in order on a picture or a video.

    Each component is a registered name or an object
    (:func:`see2sound.list_components` lists the names). ``libraries``:
    your own sound folders for the library. ``detector_options`` and
    ``sound_options`` are passed to the components' factories (e.g.
    ``{"sam": "sam-vit-large"}``, ``{"steps": 50}``). A learned sound
    source is backed by the library for sources it does not answer.

    Examples
    --------
    >>> pipeline = see2sound.Pipeline.from_preset("offline")        # doctest: +SKIP
    >>> result = pipeline.run("street.jpg", options=see2sound.RenderOptions(format="foa"))  # doctest: +SKIP
    """

    def __init__(self, detector: Any = "ensemble", depth: Any = "priors", sound: Any = "library",
                 renderer: Any = "see2sound", *, libraries: tuple[str, ...] | list[str] = (),
                 detector_options: dict | None = None, sound_options: dict | None = None,
                 max_sources: int | None = None, preset: str | None = None):
        self.preset = preset
        self.names = {kind: value if isinstance(value, str) else getattr(value, "name", type(value).__name__)
                      for kind, value in (("detector", detector), ("depth", depth), ("sound", sound),
                                          ("renderer", renderer))}
        self._specs = {"detector": (detector, detector_options or {}), "depth": (depth, {}),
                       "sound": (sound, sound_options or {}), "renderer": (renderer, {})}
        self._made: dict[str, Any] = {}
        self.library = LibrarySounds(tuple(libraries))
        self.max_sources = max_sources

    def _component(self, kind: str, registry_kind: str) -> Any:
        """The component ``kind``, made from its name on first use (learned models load then)."""
        if kind not in self._made:
            value, options = self._specs[kind]
            self._made[kind] = create(registry_kind, value, **options)
        return self._made[kind]

    @property
    def detector(self):
        return self._component("detector", "detectors")

    @property
    def depth(self):
        return self._component("depth", "depth")

    @property
    def renderer(self):
        return self._component("renderer", "renderers")

    @property
    def sounds(self) -> list:
        """The sound sources, asked in order: the chosen one, then the library for what it does not answer."""
        if self._specs["sound"][0] == "library":
            return [self.library]
        return [self._component("sound", "sounds"), self.library]

    def _check_video(self) -> None:
        for kind, offline, why in (("detector", "ensemble", "video is tracked with the offline ensemble"),
                                   ("depth", "priors", "video uses size priors")):
            if self.names[kind] != offline:
                raise ParameterError(kind, f"for pictures only ({why})")

    def check(self, options: RenderOptions, path: str | os.PathLike | None = None) -> None:
        """Refuse, before any model loads, what this pipeline cannot do: a format its renderer does not make,
        picture-only components on a video; then make the components in the order they run, so a missing
        model is reported for the first stage that needs one."""
        check_renderer(self.renderer, options)
        if path is not None and is_video(path):
            self._check_video()
        else:
            self.detector, self.depth  # noqa: B018 - made now, in stage order
        self.sounds  # noqa: B018

    @classmethod
    def from_preset(cls, preset: str = "offline", *, video: bool = False, detector: Any = None, depth: Any = None,
                    sound: Any = None, renderer: Any = None, **kwargs) -> Pipeline:
        """The pipeline a preset names, with any component replaced (``detector="nanodet"``).

        ``video=True``: for a video, where only the sound source of the
        ``hub`` preset applies (tracking uses the offline ensemble and size
        priors); ``paper`` is for pictures only.
        """
        if preset not in PRESETS:
            raise ParameterError("preset", f"unknown preset {preset!r} (choose from {', '.join(PRESETS)})")
        if video and preset == "paper":
            raise ParameterError("preset", "for pictures only (video is tracked with the offline ensemble)")
        chosen = dict(PRESETS[preset])
        if video:
            chosen.update(detector=PRESETS["offline"]["detector"], depth=PRESETS["offline"]["depth"])
        given = {"detector": detector, "depth": depth, "sound": sound, "renderer": renderer}
        chosen.update({k: v for k, v in given.items() if v is not None})
        if preset == "paper" and chosen["detector"] == "sam-clip":
            kwargs.setdefault("detector_options", {}).setdefault("top_by_area", chosen["max_sources"])
        max_sources = chosen.pop("max_sources", None)
        return cls(**chosen, max_sources=max_sources, preset=preset, **kwargs)

    @property
    def default_format(self) -> str:
        """The format rendered when none is asked for: binaural, or the renderer's only format."""
        formats = self.renderer.formats
        return formats[0] if formats else "binaural"

    def release(self) -> None:
        """Free the vision models (the detector's and depth estimator's weights, the shared classifier's), if
        they were made, and the process's shared ONNX sessions (:func:`see2sound.runtime.onnx_session`)."""
        from .runtime import forget_sessions
        from .vision.classify import release_shared_classifier

        for kind in ("detector", "depth"):
            if kind in self._made:
                release(self._made[kind])
        for member in getattr(self._made.get("detector"), "members", ()):
            release(member)
        release_shared_classifier()
        forget_sessions()

    # -- stages --------------------------------------------------------------------------------------------------

    def analyze(self, path: str | os.PathLike, analysis: AnalysisOptions | None = None, *,
                progress: Callable[[float], None] | None = None):
        """The scene of a picture (an :class:`~see2sound.vision.Analysis`) or a video ((scene, info, notes))."""
        analysis = analysis or AnalysisOptions()
        max_sources = min(analysis.max_sources, self.max_sources or analysis.max_sources)
        if is_video(path):
            from .video.track import analyze_video

            self._check_video()

            return analyze_video(path, rate_hz=analysis.analysis_rate_hz, detect_every=analysis.detect_every,
                                 hfov_deg=analysis.hfov_deg, projection=analysis.projection, max_sources=max_sources,
                                 progress=progress)
        from .vision import analyze_picture

        return analyze_picture(path, hfov_deg=analysis.hfov_deg, projection=analysis.projection,
                               detector=self.detector, max_sources=max_sources, duration_s=analysis.duration_s,
                               depth=self.depth)

    def run(self, path: str | os.PathLike, *, options: RenderOptions | None = None,
            analysis: AnalysisOptions | None = None, sounds: SoundOptions | None = None,
            stems_dir: str | os.PathLike | None = None, scene_path: str | os.PathLike | None = None,
            out: np.ndarray | None = None, progress: StageProgress | None = None,
            low_memory: bool = False) -> RenderResult:
        """Picture or video in, spatial audio out: analyse, give each source a sound, render.

        ``scene_path``: where the scene will be saved (its paths are made
        relative to that folder). ``stems_dir``: write each source's dry
        sound there; without one, stems stay in memory (in a temporary
        folder when they would take more than 256 MB). ``out``: an array to
        render into (a disk-backed memmap for long renders). ``low_memory``:
        free the vision models once the picture is analysed.
        """
        options = options or RenderOptions(format=self.default_format)
        self.check(options, path)
        sounds = sounds or SoundOptions()
        step = progress or (lambda stage, fraction: None)
        path = Path(path)
        step("analyse", 0.0)
        found = self.analyze(path, analysis, progress=lambda f: step("analyse", f))
        if is_video(path):
            (scene, video, notes), picture_analysis = found, None
        else:
            scene, video, notes, picture_analysis = found.scene, None, list(found.notes), found
        if low_memory:
            self.release()
        step("analyse", 1.0)
        scene.base_dir = Path(scene_path if scene_path is not None else path).resolve().parent
        scene.input["path"] = os.path.relpath(path.resolve(), scene.base_dir)
        with contextlib.ExitStack() as stack:
            stems = stems_dir
            n = int(round(scene.duration_s * options.sample_rate))
            if stems is None and n * 4 * (len(scene.sources) + 1) > IN_MEMORY_STEMS_BYTES:
                stems = stack.enter_context(tempfile.TemporaryDirectory(prefix="see2sound-stems-"))
            step("sounds", 0.0)
            scene, sound_notes = assign_sounds(scene, self.sounds, stems, seed=sounds.seed,
                                               sample_rate=options.sample_rate)
            notes.extend(sound_notes)
            if low_memory:
                for source in self.sounds:
                    release(source)
            step("sounds", 1.0)
            scene.check_limits()
            audio, report = self.renderer.render(scene, options, out=out, progress=lambda f: step("render", f))
        notes.extend(report.notes)
        return RenderResult(audio, options.sample_rate, scene, report, picture_analysis, notes, video)

    def describe(self) -> dict[str, str]:
        """The preset and component names of this pipeline (for reports and the studio)."""
        return {"preset": self.preset or "", **self.names}


def _split(shortcuts: dict[str, Any]) -> tuple[dict, dict, dict, dict]:
    """Keyword shortcuts -> (render options, analysis options, sound options, pipeline components)."""
    import dataclasses

    fields = {cls: {f.name for f in dataclasses.fields(cls)} for cls in (RenderOptions, AnalysisOptions, SoundOptions)}
    groups: tuple[dict, dict, dict, dict] = ({}, {}, {}, {})
    for name, value in shortcuts.items():
        for i, cls in enumerate((RenderOptions, AnalysisOptions, SoundOptions)):
            if name in fields[cls]:
                groups[i][name] = value
                break
        else:
            if name in ("detector", "depth", "sound", "renderer", "libraries", "detector_options", "sound_options"):
                groups[3][name] = value
            else:
                raise ParameterError(name, "not an option of render() (see RenderOptions, AnalysisOptions, "
                                           "SoundOptions and the Pipeline's components)")
    return groups


def render(path: str | os.PathLike, *, preset: str = "offline", options: RenderOptions | None = None,
           analysis: AnalysisOptions | None = None, sounds: SoundOptions | None = None,
           stems_dir: str | os.PathLike | None = None, scene_path: str | os.PathLike | None = None,
           progress: StageProgress | None = None, **shortcuts) -> RenderResult:
    """Turn a picture or a video into spatial audio.

    ``preset`` names the pipeline (``offline``, ``hub``, ``paper``).
    Options are passed whole (``options=RenderOptions(...)``,
    ``analysis=AnalysisOptions(...)``, ``sounds=SoundOptions(...)``) or as
    keyword shortcuts for their fields (``format``, ``duration_s``,
    ``seed``, ``hfov_deg``, ``room``, ...), which override them; components
    may be named too (``detector="nanodet"``, ``libraries=["~/sounds"]``).

    Examples
    --------
    >>> result = see2sound.render("photo.jpg", format="binaural", duration_s=10, seed=0)  # doctest: +SKIP
    >>> result.save("photo.wav")                                                          # doctest: +SKIP
    >>> see2sound.render("photo.jpg", preset="paper").format                              # doctest: +SKIP
    '5.1'
    """
    render_fields, analysis_fields, sound_fields, components = _split(shortcuts)
    pipeline = Pipeline.from_preset(preset, video=is_video(path), **components)
    options = with_fields(options or RenderOptions(format=pipeline.default_format), **render_fields)
    analysis = with_fields(analysis or AnalysisOptions(), **analysis_fields)
    sounds = with_fields(sounds or SoundOptions(), **sound_fields)
    return pipeline.run(path, options=options, analysis=analysis, sounds=sounds, stems_dir=stems_dir,
                        scene_path=scene_path, progress=progress, low_memory=preset != "offline")


def analyze(path: str | os.PathLike, *, preset: str = "offline", analysis: AnalysisOptions | None = None,
            **shortcuts) -> Scene:
    """Find what in a picture makes sound and place it around the listener (no audio yet).

    Shortcuts: the fields of :class:`AnalysisOptions` (``hfov_deg``,
    ``projection``, ``max_sources``, ``duration_s``) and components
    (``detector``, ``depth``).

    Examples
    --------
    >>> scene = see2sound.analyze("street.jpg", hfov_deg=60)   # doctest: +SKIP
    >>> [(s.label, round(s.position.azimuth_deg)) for s in scene.sources]   # doctest: +SKIP
    [('bus', 2), ('person', 21), ('person', -17)]
    """
    render_fields, analysis_fields, sound_fields, components = _split(shortcuts)
    if render_fields or sound_fields:
        name = next(iter({**render_fields, **sound_fields}))
        raise ParameterError(name, "not an option of analyze()")
    pipeline = Pipeline.from_preset(preset, video=is_video(path), **components)
    found = pipeline.analyze(path, with_fields(analysis or AnalysisOptions(), **analysis_fields))
    return found[0] if isinstance(found, tuple) else found.scene
