"""Writing a run's files: the audio (or a video muxed with it), the scene, its stems and an overlay.

All of them appear together or none does: each is written under a
temporary name beside its target and renamed at the end, so a failed or
interrupted run leaves no partial output. Renders too large for memory go
to a temporary file beside the output.

An ``objects`` format (adm) is written as an ADM BW64 file
(:mod:`.io.adm`): its tracks and their metadata come from the scene.

Contents
--------
Targets            where each output goes
render_to_files    a Pipeline run into Targets
spatialize_to_files  a scene rendered into an audio file (and a binaural preview)
write_render       a render into a file, as its format is written (channels, or ADM objects)
write_analysis     a picture's scene (and overlay) from Pipeline.analyze
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import ParameterError, See2SoundError
from .formats import FORMATS, format_from_name, get_format
from .io.audio import OUTPUT_SUFFIXES, check_output_path, write_audio_to
from .io.buffer import DiskAudio
from .io.files import atomic_folder, atomic_output, refuse_overwriting_inputs
from .pipeline import AnalysisOptions, Pipeline, RenderResult, SoundOptions, is_video
from .scene import Scene
from .spatial import RenderOptions
from .spatial.renderer import render_scene

#: Renders larger than this (3 minutes of binaural at 48 kHz) are held in a temporary file beside the output, not in
#: memory: the mastering and the mux read them by range, so memory stays the same whatever the length.
IN_MEMORY_LIMIT_BYTES = 64 * 1024 * 1024
#: The largest WAV file (its chunk sizes are 32-bit).
WAV_MAX_BYTES = 2 ** 32 - 2 ** 16


@dataclass(frozen=True)
class Targets:
    """Where a run's files go. ``stems`` defaults to ``SCENE-stems/`` beside ``scene`` when a scene is saved."""

    audio: str
    scene: str | None = None
    stems: str | None = None
    overlay: str | None = None
    subtype: str = "float"
    keep_original: str = "track"

    def __post_init__(self):
        if self.scene is not None and Path(self.scene).suffix.lower() != ".json":
            raise ParameterError("scene_path", f"{self.scene}: the scene file must end in .json")
        if self.overlay is not None and Path(self.overlay).suffix.lower() != ".png":
            raise ParameterError("overlay", f"{self.overlay}: the overlay must end in .png")
        if self.subtype not in ("float", "pcm24"):
            raise ParameterError("subtype", f"float or pcm24, got {self.subtype!r}")
        if self.stems is None and self.scene is not None:
            object.__setattr__(self, "stems", str(Path(self.scene).with_suffix("")) + "-stems")

    @property
    def muxed(self) -> bool:
        from .video.mux import CONTAINERS

        return Path(self.audio).suffix.lower() in CONTAINERS


def format_for(path: str | os.PathLike, asked: str | None, pipeline: Pipeline | None = None) -> str:
    """The format to write: the one asked for, else the one the file name says, else the pipeline's default."""
    return asked or format_from_name(path) or (pipeline.default_format if pipeline else "binaural")


def check_room(path: str | os.PathLike, channels: int, n: int, subtype: str, *, extra_bytes: int = 0,
               bw64: bool = False) -> None:
    """An error naming ``output`` if a render of ``n`` frames cannot be written to ``path``.

    A WAV file holds at most 4 GiB (its sizes are 32-bit; not so a ``bw64`` one); the folder must have
    room for the file, ``extra_bytes`` more (a preview, stems) and, for long
    renders, the disk buffer. A folder that cannot be written at all is left
    for opening the file to report.
    """
    path = Path(path)
    size = n * channels * (4 if subtype == "float" else 3)
    if path.suffix.lower() == ".wav" and size > WAV_MAX_BYTES and not bw64:
        raise ParameterError("output", f"{path}: {_size(size)} of audio; a WAV file holds at most 4 GiB: "
                                       "write .flac, 24-bit WAV (--bits 24) or a shorter scene")
    needed = size + extra_bytes + (n * channels * 4 if n * channels * 4 > IN_MEMORY_LIMIT_BYTES else 0)
    try:  # a folder that is missing or cannot be written is reported when the file is opened
        free = shutil.disk_usage(path.parent).free if os.access(path.parent, os.W_OK) else None
    except (OSError, ValueError):
        free = None
    if free is not None and needed > free:
        raise ParameterError("output", f"{path}: needs {_size(needed)}; its folder has {_size(free)} free")


def check_container(path: str | os.PathLike, fmt: str) -> None:
    """An error naming ``output`` if ``path`` cannot hold ``fmt``: an ADM file is a BW64 ``.wav``."""
    if get_format(fmt).is_objects and Path(path).suffix.lower() != ".wav":
        raise ParameterError("output", f"{path}: an {fmt} file is BW64 (ITU-R BS.2088): its name must end in .wav")


def write_render_to(tmp: Path, audio, scene: Scene, sample_rate: int, fmt: str, *, subtype: str,
                    suffix: str) -> None:
    """Write a render of ``scene`` to ``tmp`` (no rename): an ``objects`` format as ADM BW64 (24-bit PCM, its
    metadata from the scene), any other as :func:`~.io.audio.write_audio_to` writes it."""
    if get_format(fmt).is_objects:
        from .io.adm import write_adm_to
        from .spatial.objects import object_tracks

        write_adm_to(tmp, audio, object_tracks(scene), sample_rate)
    else:
        write_audio_to(tmp, audio, sample_rate, fmt, subtype=subtype, suffix=suffix)


def write_render(path: str | os.PathLike, audio, scene: Scene, sample_rate: int, fmt: str, *,
                 subtype: str = "float") -> None:
    """:func:`write_render_to`, atomically: the file at ``path`` appears whole or not at all."""
    with atomic_output(path) as tmp:
        write_render_to(tmp, audio, scene, sample_rate, fmt, subtype=subtype, suffix=Path(path).suffix)


def _size(n: int) -> str:
    for unit, scale in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def _buffer(stack: contextlib.ExitStack, channels: int, n: int, folder: Path):
    if channels * n * 4 > IN_MEMORY_LIMIT_BYTES:
        return stack.enter_context(DiskAudio(channels, n, folder=folder))
    return None


def _rebase_audio(scene: Scene, written: Path, final: Path, scene_dir: Path) -> None:
    """Point the scene's audio paths from the temporary stems folder to where the stems end up."""
    for _, ref in scene.audio_refs():
        if ref.path is not None and Path(scene.resolve(ref.path)).resolve().parent == written.resolve():
            ref.path = os.path.relpath(final.resolve() / Path(ref.path).name, scene_dir.resolve())


def render_to_files(pipeline: Pipeline, source: str | os.PathLike, targets: Targets, *, options: RenderOptions,
                    analysis: AnalysisOptions, sounds: SoundOptions, progress=None) -> RenderResult:
    """Run ``pipeline`` on a picture or video and write ``targets`` (all or nothing)."""
    video = is_video(source)
    if targets.muxed and not video:
        raise ParameterError("output", f"{targets.audio}: a picture's audio goes into .wav or .flac")
    if video and not targets.muxed and Path(targets.audio).suffix.lower() not in OUTPUT_SUFFIXES:
        from .video.mux import CONTAINERS

        raise ParameterError("output", f"{targets.audio}: a video's output must end in "
                                       f"{', '.join(OUTPUT_SUFFIXES + tuple(CONTAINERS))}")
    if targets.overlay and video:
        raise ParameterError("overlay", "for pictures only")
    if targets.muxed:  # refused before the long part, not after it
        from .video.mux import check_format, check_keep_original

        check_format(options.format, targets.audio)
        check_keep_original(targets.keep_original, options.format)
    elif video and targets.keep_original == "headlocked":
        raise ParameterError("keep_original", f"{targets.audio}: headlocked is for a video written into .mp4 or .mov")
    suffix = None if targets.muxed else check_output_path(targets.audio, channels=options.channels)
    check_container(targets.audio, options.format)
    from .sound.library import user_folders

    refuse_overwriting_inputs(
        {"output": targets.audio, "scene_path": targets.scene, "stems": targets.stems, "overlay": targets.overlay},
        {f"the {'video' if video else 'picture'}": source, "the HRTF file": options.hrtf},
        input_folders={f"the sound library {folder}": folder for folder in user_folders(pipeline.library.folders)[0]})
    if video:
        from .video.decode import probe

        duration_s = probe(source).duration_s
    else:
        duration_s = analysis.duration_s
    if not targets.muxed:
        n = int(round(duration_s * options.sample_rate))
        check_room(targets.audio, options.channels, n, targets.subtype,
                   extra_bytes=n * 4 * (analysis.max_sources + 1) if targets.stems else 0)
    out_dir = Path(targets.audio).resolve().parent
    with contextlib.ExitStack() as stack:
        audio_tmp = None if targets.muxed else stack.enter_context(atomic_output(targets.audio))
        scene_tmp = stack.enter_context(atomic_output(targets.scene)) if targets.scene else None
        overlay_tmp = stack.enter_context(atomic_output(targets.overlay)) if targets.overlay else None
        stems_tmp = stack.enter_context(atomic_folder(targets.stems)) if targets.stems else None
        buffer = _buffer(stack, options.channels, int(round(duration_s * options.sample_rate)), out_dir)
        result = pipeline.run(source, options=options, analysis=analysis, sounds=sounds, stems_dir=stems_tmp,
                              scene_path=targets.scene, out=buffer, progress=progress, low_memory=True)
        if targets.muxed:
            from .video.mux import mux

            spherical = (result.scene.camera or {}).get("projection") == "equirect"
            mux(source, result.audio, options.sample_rate, options.format, targets.audio,
                keep_original=targets.keep_original, spherical=spherical, notes=result.notes,
                progress=(lambda f: progress("mux", f)) if progress else None)
        else:
            write_render_to(audio_tmp, result.audio, result.scene, options.sample_rate, options.format,
                            subtype=targets.subtype, suffix=suffix)
        if scene_tmp is not None:
            scene_dir = Path(targets.scene).resolve().parent
            _rebase_audio(result.scene, stems_tmp, Path(targets.stems), scene_dir)
            result.scene.base_dir = scene_dir
            result.scene.save(scene_tmp)
        if overlay_tmp is not None:
            from .vision.overlay import render_overlay

            picture = result.analysis.picture
            render_overlay(picture.rgb, result.scene, picture.scale).save(overlay_tmp, format="PNG")
    return result


def spatialize_to_files(scene: Scene, output: str, options: RenderOptions, *, renderer: str = "see2sound",
                        preview: str | None = None, subtype: str = "float", progress=None,
                        scene_file: str | os.PathLike | None = None):
    """Render ``scene`` into ``output`` (and, for an ambisonic format, its binaural decode into ``preview``).

    Neither output may replace ``scene_file`` (the file ``scene`` was read
    from), a sound the scene plays or the HRTF file.
    """
    suffix = check_output_path(output, channels=options.channels)
    check_container(output, options.format)
    if preview is not None:
        if not options.output.is_ambisonic:
            ambisonic = ", ".join(name for name, fmt in FORMATS.items() if fmt.is_ambisonic)
            raise ParameterError("preview", f"only for an ambisonic format ({ambisonic})")
        check_output_path(preview, "preview")
    refuse_overwriting_inputs({"output": output, "preview": preview},
                              {"the scene file": scene_file, "the HRTF file": options.hrtf, **_sounds_of(scene)})
    n = int(round(scene.duration_s * options.sample_rate))
    objects = options.output.is_objects
    if objects:  # as many tracks as the scene has heard sources (and a bed), written as 24-bit BW64
        from .spatial.objects import object_tracks

        channels, subtype = len(object_tracks(scene)), "pcm24"
    else:
        channels = options.channels
    check_room(output, channels, n, subtype, extra_bytes=n * 2 * 4 if preview else 0, bw64=objects)
    with contextlib.ExitStack() as stack:
        out_tmp = stack.enter_context(atomic_output(output))
        preview_tmp = stack.enter_context(atomic_output(preview)) if preview else None
        buffer = _buffer(stack, channels, n, out_tmp.parent)
        audio, report = render_scene(scene, options, renderer=renderer, out=buffer, progress=progress)
        write_render_to(out_tmp, audio, scene, options.sample_rate, options.format, subtype=subtype, suffix=suffix)
        if preview_tmp is not None:
            from .spatial.ambisonics import decode_binaural
            from .spatial.hrtf import HRTF

            decoded = decode_binaural(audio, HRTF.load(options.hrtf, options.sample_rate),
                                      order=options.output.ambisonic_order)
            write_audio_to(preview_tmp, decoded, options.sample_rate, "binaural", subtype=subtype,
                           suffix=Path(preview).suffix)
    return report


def _sounds_of(scene: Scene) -> dict[str, Path]:
    """Each sound file the scene plays, by where the scene names it."""
    return {f"the sound of {where.removesuffix('.audio')} in the scene": scene.resolve(ref.path)
            for where, ref in scene.audio_refs() if ref.path is not None}


def write_analysis(pipeline: Pipeline, picture: str | os.PathLike, scene_path: str, *,
                   analysis: AnalysisOptions, overlay: str | None = None):
    """Analyse a picture and save its scene (and an overlay), all or nothing; returns the Analysis."""
    if is_video(picture):
        raise See2SoundError(f"{picture}: analyze takes a picture; render a video with `render`")
    if Path(scene_path).suffix.lower() != ".json":  # here the scene is the output (-o)
        raise ParameterError("output", f"{scene_path}: the scene file must end in .json")
    Targets(scene_path, scene=scene_path, overlay=overlay)  # checks the overlay's name
    refuse_overwriting_inputs({"output": scene_path, "overlay": overlay}, {"the picture": picture})
    found = pipeline.analyze(picture, analysis)
    found.scene.input["path"] = os.path.relpath(Path(picture).resolve(), Path(scene_path).resolve().parent)
    with contextlib.ExitStack() as stack:
        if overlay:
            from .vision.overlay import render_overlay

            image = render_overlay(found.picture.rgb, found.scene, found.picture.scale)
            image.save(stack.enter_context(atomic_output(overlay)), format="PNG")
        found.scene.save(scene_path)
    return found
