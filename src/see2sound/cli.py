"""The ``see2sound`` command (SPEC §4): parses, calls the API, reports.

Commands: ``render`` (picture -> spatial audio), ``analyze`` (picture ->
scene), ``spatialize`` (scene -> spatial audio), ``demo``.

Exit status: 0 done; 2 bad usage or bad input (one ``error:`` line on
stderr); 1 an internal failure. Outputs are written under temporary names
and renamed at the end, so a failed or interrupted run leaves none behind.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path


from . import __version__
from .errors import See2SoundError
from .io.audio import check_output_path, format_from_name, write_audio_to
from .io.buffer import DiskAudio
from .io.files import atomic_output
from .scene import Scene
from .spatial import FORMATS, RenderOptions
from .spatial.renderer import CHANNELS, render_scene
from .spatial.room import ROOM_CHOICES

#: Renders larger than this are held in a temporary file beside the output, not in memory.
IN_MEMORY_LIMIT_BYTES = 256 * 1024 * 1024
DEMO_PICTURES = ("chelsea.jpg", "coffee.jpg", "astronaut.jpg")

class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, SPEC §4
        raise See2SoundError(message)


# --- option groups ----------------------------------------------------------------

def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    p.add_argument("-v", "--verbose", action="store_true", help="more detail, tracebacks on internal errors")


def _audio_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output file, .wav (WAVE_FORMAT_EXTENSIBLE) or .flac")
    p.add_argument("--format", choices=FORMATS,
                   help="binaural (default), foa (AmbiX), stereo, 5.1 or 7.1; else taken from OUT's name")
    p.add_argument("--sample-rate", type=int, default=48000, metavar="HZ")
    p.add_argument("--hrtf", metavar="FILE.sofa", help="SOFA SimpleFreeFieldHRIR file (default: MIT KEMAR)")
    p.add_argument("--room", choices=ROOM_CHOICES, default="auto",
                   help="acoustics: auto (medium for indoor ambiences, else outdoor), none, outdoor, "
                        "small, medium, large")
    p.add_argument("--loudness", default="-23", metavar="LUFS",
                   help="integrated loudness target (default -23), or 'off'")
    p.add_argument("--true-peak", default="-1", metavar="DBTP",
                   help="true-peak ceiling of the limiter (default -1), or 'off'")
    p.add_argument("--bits", choices=("float", "24"), default="float", help="WAV sample format (FLAC is 24-bit)")
    p.add_argument("--renderer", choices=("see2sound", "see2sound-original"), default="see2sound",
                   help="see2sound-original: SEE-2-SOUND's own spatial step (5.1 only, needs pyroomacoustics)")


def _picture_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hfov", type=float, metavar="DEG", help="horizontal field of view (default: from EXIF, else 65)")
    p.add_argument("--projection", choices=("auto", "perspective", "equirect"), default="auto",
                   help="equirect = 360 deg panorama (auto: from XMP GPano or a 2:1 picture)")
    p.add_argument("--detector", default=None,
                   help="ensemble (default), ssd, nanodet, or sam-clip (SAM masks named by CLIP; quality mode)")
    p.add_argument("--sam", default="sam-vit-base", metavar="MODEL",
                   help="with sam-clip: sam-vit-base (default), sam-vit-large, sam-vit-huge, a hub id or a folder")
    p.add_argument("--clip", default="clip-vit-base", metavar="MODEL",
                   help="with sam-clip: clip-vit-base (default), clip-vit-large, a hub id or a folder")
    p.add_argument("--models", choices=("offline", "hub"), default="offline",
                   help="hub: every stage from learned models (sam-clip, depth-anything-outdoor, "
                        "stable-audio-open) unless named otherwise; needs see2sound[hub]")
    p.add_argument("--preset", choices=("paper",),
                   help="paper: the published method's choices (3 largest masks, relative depth, generated "
                        "sounds, its own 5.1 step) for side-by-side comparison")
    p.add_argument("--max-sources", type=int, default=6, metavar="N")
    p.add_argument("--duration", type=float, default=10.0, metavar="S", help="the scene's length (default 10)")
    p.add_argument("--overlay", metavar="PNG", help="also draw the sources on the picture and a map")
    p.add_argument("--depth", default=None, metavar="MODEL",
                   help="distances from learned depth: depth-anything-outdoor, depth-anything-indoor, "
                        "depth-anything-relative, a hub id or a folder (quality mode, needs see2sound[hub]); "
                        "default: size priors")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="see2sound", description="Turn a picture or a video into spatial audio.")
    parser.add_argument("--version", action="version", version=f"see2sound {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    rd = commands.add_parser("render", help="a picture or video in, spatial audio (or video with it) out",
                             description="Find what in a picture or video makes sound, give each a sound, "
                                         "render it. A video into .mp4/.mov gets the picture back with the sound.")
    rd.add_argument("input", metavar="INPUT", help="a picture, or a video (.mp4 .mov .mkv .avi .webm .m4v)")
    _audio_options(rd)
    _picture_options(rd)
    rd.add_argument("--seed", type=int, default=0, help="which sounds, and where they start (default 0)")
    rd.add_argument("--library", action="append", default=[], metavar="DIR",
                    help="a folder of your own sounds (repeatable; also SEE2SOUND_LIBRARY)")
    rd.add_argument("--sound", default=None, metavar="MODEL",
                    help="library (default: your sounds, bundled clips, procedural models) or text-to-audio: "
                         "stable-audio-open, audioldm2, a hub id or a folder (quality mode, needs see2sound[hub])")
    rd.add_argument("--sound-steps", type=int, default=100, metavar="N",
                    help="text-to-audio diffusion steps (default 100; fewer is faster and rougher)")
    rd.add_argument("--scene-out", metavar="SCENE.json", help="also save the scene (its stems go beside it)")
    rd.add_argument("--stems", metavar="DIR", help="write each source's dry mono sound here")
    rd.add_argument("--doppler", action="store_true", help="delay each path by its travel time (Doppler)")
    rd.add_argument("--analysis-rate", type=float, default=5.0, metavar="HZ",
                    help="video: pictures analysed per second (default 5)")
    rd.add_argument("--keep-original", choices=("track", "mix", "drop"), default="track",
                    help="video into .mp4/.mov: keep its soundtrack as a second track (default), mix it in, or drop it")
    _common(rd)

    an = commands.add_parser("analyze", help="find what in a picture makes sound and where",
                             description="Vision only: a picture in, a see2sound.scene/1 file out (no audio yet).")
    an.add_argument("input", metavar="IMAGE")
    an.add_argument("-o", "--output", required=True, metavar="SCENE.json")
    _picture_options(an)
    _common(an)

    sp = commands.add_parser("spatialize", help="render a scene whose sources have audio",
                             description="Render a see2sound.scene/1 file to spatial audio.")
    sp.add_argument("scene", metavar="SCENE.json")
    _audio_options(sp)
    sp.add_argument("--doppler", action="store_true", help="delay each path by its travel time (Doppler)")
    sp.add_argument("--lfe", action="store_true", help="feed the LFE a 120 Hz low-pass (default: silent)")
    sp.add_argument("--preview", metavar="BINAURAL.wav", help="with --format foa: also write its binaural decode here")
    _common(sp)

    ev = commands.add_parser("eval", help="score a rendered file against its scene",
                             description="Direction, sound and level of a rendered file against the scene "
                                         "it was rendered from; optionally the published similarity scores.")
    ev.add_argument("audio", metavar="AUDIO")
    ev.add_argument("--scene", required=True, metavar="SCENE.json")
    ev.add_argument("--json", metavar="REPORT.json", help="also write the report as JSON")
    ev.add_argument("--format", choices=FORMATS, help="the file's format (default: from its channels and name)")
    ev.add_argument("--hrtf", metavar="FILE.sofa", help="the HRTF binaural cues are mapped through (default KEMAR)")
    ev.add_argument("--no-tags", action="store_true", help="skip the optional AudioSet tagger")
    ev.add_argument("--compare", metavar="OTHER", help="also score SEE-2-SOUND's similarity metrics against OTHER")
    ev.add_argument("--original-metrics", action="store_true",
                    help="with --compare: the original's variants (mean-matrix DTW, impulse rhythm, shifted weights)")
    _common(ev)

    dm = commands.add_parser("demo", help="render the bundled example pictures in every format, offline",
                             description="Render the bundled example pictures in every format.")
    dm.add_argument("-o", "--output", default="see2sound-demo", metavar="DIR", help="folder (default ./see2sound-demo)")
    dm.add_argument("--duration", type=float, default=10.0, metavar="S")
    dm.add_argument("--seed", type=int, default=0)
    _common(dm)

    sv = commands.add_parser("serve", help="the studio: a local web app to see, move and hear the sources",
                             description="Serve the studio (page and HTTP API, OpenAPI at /docs). "
                                         "Needs see2sound[studio].")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this computer only)")
    sv.add_argument("--port", type=int, default=7860)
    sv.add_argument("--data-dir", default=None, metavar="DIR",
                    help="where jobs are kept (default ~/.local/share/see2sound/studio)")
    sv.add_argument("--max-upload-mb", type=float, default=50.0, metavar="MB", help="largest upload (default 50)")
    sv.add_argument("--workers", type=int, default=2, metavar="N", help="jobs run side by side (default 2)")
    sv.add_argument("--library", action="append", default=[], metavar="DIR",
                    help="a folder of your own sounds (repeatable; also SEE2SOUND_LIBRARY)")
    _common(sv)
    return parser


# --- helpers ---------------------------------------------------------------------------

def _level(flag: str, text: str) -> float | None:
    """A level in dB, or None for 'off'."""
    if text.lower() in ("off", "none"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise See2SoundError(f"{flag}: expected a number or 'off', got {text!r}") from None
    if not math.isfinite(value):
        raise See2SoundError(f"{flag}: expected a finite number, got {text!r}")
    return value


def _render_options(args, fmt: str) -> RenderOptions:
    options = RenderOptions(format=fmt, sample_rate=args.sample_rate, hrtf=args.hrtf, room=args.room,
                            loudness_lufs=_level("--loudness", args.loudness),
                            true_peak_dbtp=_level("--true-peak", args.true_peak),
                            doppler=getattr(args, "doppler", False), lfe=getattr(args, "lfe", False),
                            renderer=args.renderer)
    options.check()
    return options


def _check_max_sources(args) -> None:
    if not 1 <= args.max_sources <= 64:
        raise See2SoundError(f"--max-sources: must be from 1 to 64, got {args.max_sources}")


def _check_picture_options(args) -> None:
    _check_max_sources(args)
    if not (math.isfinite(args.duration) and 0 < args.duration <= 3600):
        raise See2SoundError(f"--duration: must be more than 0 and at most 3600 s, got {args.duration:g}")
    if args.overlay is not None and Path(args.overlay).suffix.lower() != ".png":
        raise See2SoundError(f"{args.overlay}: the overlay must end in .png")


#: What --models hub and --preset paper choose for each stage the user did not name.
HUB_STAGES = {"detector": "sam-clip", "depth": "depth-anything-outdoor", "sound": "stable-audio-open"}
PAPER_STAGES = {"detector": "sam-clip", "depth": "depth-anything-relative", "sound": "stable-audio-open"}
OFFLINE_STAGES = {"detector": "ensemble", "depth": "none", "sound": "library"}
PAPER_MASKS = 3


def _resolve_stages(args, video: bool = False) -> None:
    """Fill the stages the user did not name from --preset or --models (else the offline defaults).

    A video is tracked with the offline ensemble and sized by priors, so for
    a video --models hub only generates its sounds.
    """
    preset = getattr(args, "preset", None)
    chosen = PAPER_STAGES if preset == "paper" else HUB_STAGES if args.models == "hub" else OFFLINE_STAGES
    if video:
        chosen = {**chosen, **{k: OFFLINE_STAGES[k] for k in ("detector", "depth") if args.models == "hub"}}
    for stage, default in chosen.items():
        if hasattr(args, stage) and getattr(args, stage) is None:
            setattr(args, stage, default)
    if preset == "paper":
        if getattr(args, "format", None) not in (None, "5.1"):
            raise See2SoundError(f"--preset paper: its spatial step makes 5.1 only, not {args.format}")
        if hasattr(args, "renderer"):
            args.renderer, args.format = "see2sound-original", "5.1"
        args.max_sources = min(args.max_sources, PAPER_MASKS)


def _detector(args):
    """The detector --detector names: a registered name, or a SAM + CLIP detector built from --sam/--clip."""
    if args.detector != "sam-clip":
        for flag, value, default in (("--sam", args.sam, "sam-vit-base"), ("--clip", args.clip, "clip-vit-base")):
            if value != default:
                raise See2SoundError(f"{flag}: only with --detector sam-clip (or --models hub, --preset paper)")
        return args.detector
    from .hub.regions import SamClipDetector

    top = PAPER_MASKS if getattr(args, "preset", None) == "paper" else None
    return SamClipDetector(args.sam, args.clip, top_by_area=top)


def _depth(args):
    """The learned DepthEstimator that --depth names, or None."""
    if args.depth in ("none", ""):
        return None
    from .hub.depth import DepthAnythingEstimator

    return DepthAnythingEstimator(args.depth)


def _text_to_audio(args):
    """The text-to-audio stage that --sound names, or None for the libraries."""
    if args.sound in ("library", ""):
        return None
    if not 1 <= args.sound_steps <= 1000:
        raise See2SoundError(f"--sound-steps: must be from 1 to 1000, got {args.sound_steps}")
    from .hub.sound import TextToAudio

    return TextToAudio(args.sound, steps=args.sound_steps, lazy=True)


def _check_json(path: str | None) -> None:
    if path is not None and Path(path).suffix.lower() != ".json":
        raise See2SoundError(f"{path}: the scene file must end in .json")


@contextlib.contextmanager
def _progress(enabled: bool):
    """A rich progress bar on stderr; yields a callback (stage, fraction) or None."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    if not (enabled and console.is_terminal):
        yield None
        return
    with Progress(TextColumn("{task.description:<10}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeRemainingColumn(), console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, fraction: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=1.0)
            bar.update(tasks[stage], completed=fraction)

        yield update


@contextlib.contextmanager
def _atomic_folder(target: str | os.PathLike):
    """A temporary folder beside ``target`` whose files move into it on success."""
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise See2SoundError(f"{target}: folder {parent} does not exist")
    if target.exists() and not target.is_dir():
        raise See2SoundError(f"{target}: exists and is not a folder")
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=parent))
    try:
        yield tmp
        target.mkdir(exist_ok=True)
        for item in tmp.iterdir():
            dest = target / item.name
            if dest.is_dir() and not dest.is_symlink():
                shutil.rmtree(dest)  # a folder from an earlier run is replaced whole
            os.replace(item, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _buffer(stack: contextlib.ExitStack, channels: int, n: int, folder: Path) -> DiskAudio | None:
    if channels * n * 4 > IN_MEMORY_LIMIT_BYTES:
        return stack.enter_context(DiskAudio(channels, n, folder=folder))
    return None


def _report_line(path, report) -> str:
    return (f"wrote {path}: {report.format}, {report.channels} ch, {report.sample_rate} Hz, "
            f"{report.duration_s:.2f} s, {report.loudness_lufs:.1f} LUFS, true peak {report.true_peak_dbtp:.1f} dBTP")


def _print_sources(scene: Scene, camera) -> None:
    fov = "360 deg panorama" if camera.projection == "equirect" else \
        f"hfov {camera.hfov_deg:.1f} deg ({camera.fov_source})"
    ambience = f"ambience {scene.ambience.kind} ({scene.ambience.confidence:.2f})" if scene.ambience else ""
    print(f"  {len(scene.sources)} source(s), {ambience}, {fov}")
    for src in scene.sources:
        p = src.position
        spread = f", spread {src.spread_deg:.0f} deg" if src.spread_deg else ""
        sound = f"  <- {src.sound.get('description')}" if src.sound and src.sound.get("description") else ""
        print(f"  {src.id:14s} {src.label:12s} azimuth {p.azimuth_deg:+6.1f}  elevation {p.elevation_deg:+5.1f}"
              f"  {p.distance_m:5.1f} m  (confidence {src.confidence or 0:.2f}{spread}){sound}")


def _notes(notes) -> None:
    for note in notes:
        print(f"note: {note}", file=sys.stderr)


# --- commands ------------------------------------------------------------------------

def _spatialize(args) -> None:
    fmt = args.format or format_from_name(args.output) or "binaural"
    suffix = check_output_path(args.output)
    if args.preview is not None:
        if fmt != "foa":
            raise See2SoundError("--preview: only with --format foa")
        check_output_path(args.preview)
    options = _render_options(args, fmt)
    scene = Scene.load(args.scene)
    n = int(round(scene.duration_s * options.sample_rate))
    subtype = "float" if args.bits == "float" else "pcm24"
    with contextlib.ExitStack() as stack:
        out_tmp = stack.enter_context(atomic_output(args.output))
        preview_tmp = stack.enter_context(atomic_output(args.preview)) if args.preview else None
        buffer = _buffer(stack, CHANNELS[fmt], n, out_tmp.parent)
        with _progress(not args.quiet) as progress:
            audio, report = render_scene(scene, options, out=buffer,
                                         progress=(lambda f: progress("render", f)) if progress else None)
        write_audio_to(out_tmp, audio, options.sample_rate, fmt, subtype=subtype, suffix=suffix)
        if preview_tmp is not None:
            from .spatial.ambisonics import decode_binaural
            from .spatial.hrtf import HRTF

            hrtf = HRTF.load(options.hrtf, options.sample_rate)
            write_audio_to(preview_tmp, decode_binaural(audio, hrtf), options.sample_rate,
                           "binaural", subtype=subtype, suffix=Path(args.preview).suffix)
    if not args.quiet:
        print(_report_line(args.output, report))
        if args.verbose:
            print(f"  room {report.room}; gain {report.gain_db:+.1f} dB; limiter {report.limiter_db:.1f} dB; "
                  f"loudness measured on {report.measured_on}")
    _notes(report.notes)


def _analyze(args) -> None:
    from .vision import analyze_picture

    _resolve_stages(args)
    _check_picture_options(args)
    _check_json(args.output)
    result = analyze_picture(args.input, hfov_deg=args.hfov, projection=args.projection,
                             detector=_detector(args), max_sources=args.max_sources, duration_s=args.duration,
                             depth=_depth(args))
    scene = result.scene
    scene.input["path"] = os.path.relpath(Path(args.input).resolve(), Path(args.output).resolve().parent)
    with contextlib.ExitStack() as stack:
        if args.overlay:
            from .vision.overlay import render_overlay

            image = render_overlay(result.picture.rgb, scene, result.picture.scale)
            image.save(stack.enter_context(atomic_output(args.overlay)), format="PNG")
        scene.save(args.output)
    if not args.quiet:
        print(f"wrote {args.output}")
        _print_sources(scene, result.camera)
        if args.overlay:
            print(f"wrote {args.overlay}")
    _notes(result.notes)


def _relink_stems(scene: Scene, final: Path, scene_dir: Path) -> None:
    """Point the scene's audio paths from the temporary stems folder to the final one."""
    refs = [s.audio for s in scene.sources] + ([scene.ambience.audio] if scene.ambience and scene.ambience.audio else [])
    for ref in refs:
        name = Path(ref.path).name
        ref.path = os.path.relpath(final.resolve() / name, scene_dir.resolve())


def _render(args) -> None:
    from .pipeline import render
    from .video import VIDEO_SUFFIXES

    video = Path(args.input).suffix.lower() in VIDEO_SUFFIXES
    _resolve_stages(args, video=video)
    if video:
        return _render_video(args)
    fmt = args.format or format_from_name(args.output) or "binaural"
    suffix = check_output_path(args.output)
    _check_picture_options(args)
    _check_json(args.scene_out)
    options = _render_options(args, fmt)
    stems_target = args.stems
    if stems_target is None and args.scene_out is not None:
        stems_target = str(Path(args.scene_out).with_suffix("")) + "-stems"
    subtype = "float" if args.bits == "float" else "pcm24"
    n = int(round(args.duration * options.sample_rate))
    with contextlib.ExitStack() as stack:
        out_tmp = stack.enter_context(atomic_output(args.output))
        scene_tmp = stack.enter_context(atomic_output(args.scene_out)) if args.scene_out else None
        overlay_tmp = stack.enter_context(atomic_output(args.overlay)) if args.overlay else None
        stems_tmp = stack.enter_context(_atomic_folder(stems_target)) if stems_target else None
        buffer = _buffer(stack, CHANNELS[fmt], n, out_tmp.parent)
        with _progress(not args.quiet) as progress:
            result = render(args.input, format=fmt, duration_s=args.duration, seed=args.seed, hfov_deg=args.hfov,
                            projection=args.projection, detector=_detector(args), max_sources=args.max_sources,
                            libraries=tuple(args.library), stems_dir=stems_tmp,
                            scene_path=args.scene_out, sample_rate=options.sample_rate, room=options.room,
                            loudness_lufs=options.loudness_lufs, true_peak_dbtp=options.true_peak_dbtp,
                            hrtf=options.hrtf, renderer=options.renderer, depth=_depth(args),
                            text_to_audio=_text_to_audio(args), out=buffer,
                            progress=progress, low_memory=True)
        write_audio_to(out_tmp, result.audio, options.sample_rate, fmt, subtype=subtype, suffix=suffix)
        if scene_tmp is not None:
            scene_dir = Path(args.scene_out).resolve().parent
            _relink_stems(result.scene, Path(stems_target), scene_dir)
            result.scene.input["path"] = os.path.relpath(Path(args.input).resolve(), scene_dir)
            Path(scene_tmp).write_text(json.dumps(result.scene.to_dict(), indent=2) + "\n")
        if overlay_tmp is not None:
            from .vision.overlay import render_overlay

            render_overlay(result.analysis.picture.rgb, result.scene,
                           result.analysis.picture.scale).save(overlay_tmp, format="PNG")
    if not args.quiet:
        print(_report_line(args.output, result.report))
        _print_sources(result.scene, result.analysis.camera)
        for extra in (args.scene_out, args.overlay, stems_target):
            if extra:
                print(f"wrote {extra}")
    _notes(result.notes)
    if not result.scene.sources:
        print("warning: no sound source found in the picture; only its ambience is heard", file=sys.stderr)


def _render_video(args) -> None:
    from .video import render_video_audio
    from .video.decode import probe
    from .video.mux import CONTAINERS, mux

    out_suffix = Path(args.output).suffix.lower()
    muxed = out_suffix in CONTAINERS
    fmt = args.format or format_from_name(args.output) or "binaural"
    if not muxed:
        check_output_path(args.output)
    if args.overlay:
        raise See2SoundError("--overlay: for pictures only")
    if args.detector != "ensemble" or args.preset:  # first: --preset fills in --depth too
        raise See2SoundError(f"--{'preset' if args.preset else 'detector'}: for pictures only "
                             "(video is tracked with the offline ensemble)")
    if args.depth not in ("none", ""):
        raise See2SoundError("--depth: for pictures only (video uses size priors)")
    _check_json(args.scene_out)
    _check_max_sources(args)
    options = _render_options(args, fmt)
    info = probe(args.input)
    stems_target = args.stems or (str(Path(args.scene_out).with_suffix("")) + "-stems" if args.scene_out else None)
    notes: list[str] = []
    with contextlib.ExitStack() as stack:
        out_tmp = None if muxed else stack.enter_context(atomic_output(args.output))
        scene_tmp = stack.enter_context(atomic_output(args.scene_out)) if args.scene_out else None
        stems_tmp = stack.enter_context(_atomic_folder(stems_target)) if stems_target else None
        n = int(round(info.duration_s * options.sample_rate))
        buffer = _buffer(stack, CHANNELS[fmt], n, Path(args.output).resolve().parent)
        with _progress(not args.quiet) as progress:
            audio, report, scene, _, found_notes = render_video_audio(
                args.input, options, seed=args.seed, libraries=tuple(args.library), stems_dir=stems_tmp,
                scene_path=args.scene_out, rate_hz=args.analysis_rate, hfov_deg=args.hfov,
                projection=args.projection, max_sources=args.max_sources, text_to_audio=_text_to_audio(args),
                out=buffer, progress=progress)
            notes.extend(found_notes)
            if muxed:
                spherical = (scene.camera or {}).get("projection") == "equirect"
                mux(args.input, audio, options.sample_rate, fmt, args.output,
                    keep_original=args.keep_original, spherical=spherical, notes=notes,
                    progress=(lambda f: progress("mux", f)) if progress else None)
            else:
                write_audio_to(out_tmp, audio, options.sample_rate, fmt,
                               subtype="float" if args.bits == "float" else "pcm24", suffix=out_suffix)
        if scene_tmp is not None:
            scene_dir = Path(args.scene_out).resolve().parent
            _relink_stems(scene, Path(stems_target), scene_dir)
            scene.input["path"] = os.path.relpath(Path(args.input).resolve(), scene_dir)
            Path(scene_tmp).write_text(json.dumps(scene.to_dict(), indent=2) + "\n")
    if not args.quiet:
        what = f"{fmt} audio muxed with the picture" if muxed else f"{fmt} audio"
        print(f"wrote {args.output}: {what}, {info.duration_s:.2f} s, {report.loudness_lufs:.1f} LUFS, "
              f"true peak {report.true_peak_dbtp:.1f} dBTP")
        for src in scene.sources:
            start, end = src.extra.get("active_s", [0, info.duration_s])
            first, last = (src.trajectory[0], src.trajectory[-1]) if src.trajectory else (src.position, src.position)
            sound = src.sound.get("description") if src.sound else ""
            print(f"  {src.id:14s} {src.label:12s} {start:5.1f}-{end:5.1f} s, azimuth {first.azimuth_deg:+6.1f} -> "
                  f"{last.azimuth_deg:+6.1f}  <- {sound}")
        for extra in (args.scene_out, stems_target):
            if extra:
                print(f"wrote {extra}")
    _notes(notes)


def _eval(args) -> None:
    from .eval import evaluate, format_table

    if args.json is not None:
        _check_json(args.json)
    scene = Scene.load(args.scene)
    report = evaluate(args.audio, scene, fmt=args.format, hrtf=args.hrtf, tags=not args.no_tags)
    if args.compare:

        from .eval import similarity
        from .eval.report import _load

        a, rate_a = _load(Path(args.audio))
        b, rate_b = _load(Path(args.compare))
        if rate_b != rate_a:
            from .io.audio import resample

            b = resample(b, rate_b, rate_a)
        scores = similarity.compare(a, b, rate_a, original=args.original_metrics)
        report["similarity"] = {"against": args.compare, "variant": "original" if args.original_metrics else "correct",
                                **{k: round(v, 4) for k, v in scores.items()}}
    if args.json is not None:
        with atomic_output(args.json) as tmp:
            Path(tmp).write_text(json.dumps(report, indent=2, allow_nan=False) + "\n")
    if not args.quiet:
        print(format_table(report))
        if "similarity" in report:
            sim = report["similarity"]
            print("similarity (" + sim["variant"] + "): " + ", ".join(
                f"{k} {sim[k]:.3f}" for k in ("mfcc_dtw", "zcr", "rhythm", "chroma", "spectral_contrast", "swass")))


def _demo(args) -> None:
    from importlib import resources

    from .pipeline import render
    from .vision.overlay import render_overlay

    if not (math.isfinite(args.duration) and 0 < args.duration <= 600):
        raise See2SoundError(f"--duration: must be more than 0 and at most 600 s, got {args.duration:g}")
    folder = Path(args.output)
    examples = Path(str(resources.files("see2sound") / "data" / "examples"))
    with _atomic_folder(folder) as tmp:
        written = []
        for picture in DEMO_PICTURES:
            name = Path(picture).stem
            (tmp / name).mkdir()
            scene_path = tmp / name / f"{name}.json"
            result = render(examples / picture, duration_s=args.duration, seed=args.seed,
                            stems_dir=tmp / name / "stems", scene_path=scene_path)
            result.scene.input["path"] = picture
            result.scene.save(scene_path)
            shutil.copy(examples / picture, tmp / name / picture)
            render_overlay(result.analysis.picture.rgb, result.scene, result.analysis.picture.scale).save(
                tmp / name / f"{name}-overlay.png")
            scene = Scene.load(scene_path)
            for fmt in FORMATS:
                audio, report = render_scene(scene, RenderOptions(format=fmt))
                out = tmp / name / f"{name}.{fmt}.wav"
                write_audio_to(out, audio, report.sample_rate, fmt, subtype="float", suffix=".wav")
                written.append((folder / name / out.name, report))
            if not args.quiet:
                labels = ", ".join(f"{s.label} ({s.sound.get('description')})" for s in result.scene.sources) or "none"
                print(f"{picture}: sources: {labels}; ambience {result.scene.ambience.kind}")
    if not args.quiet:
        for path, report in written:
            print(_report_line(path, report))
        print(f"each folder in {folder}/ also has the picture, its scene (.json), stems/ and an overlay (.png)")


def _serve(args) -> None:
    import ipaddress
    import socket

    if not 1 <= args.port <= 65535:
        raise See2SoundError(f"--port: must be from 1 to 65535, got {args.port}")
    if not (math.isfinite(args.max_upload_mb) and 0 < args.max_upload_mb <= 4096):
        raise See2SoundError(f"--max-upload-mb: must be more than 0 and at most 4096, got {args.max_upload_mb:g}")
    if not 1 <= args.workers <= 16:
        raise See2SoundError(f"--workers: must be from 1 to 16, got {args.workers}")
    try:
        import uvicorn
    except ImportError:
        raise See2SoundError('the studio needs its optional packages: pip install "see2sound[studio]"') from None
    from .studio.app import LOOPBACK_HOSTS, create_app

    data_dir = Path(args.data_dir or Path.home() / ".local" / "share" / "see2sound" / "studio")
    try:
        loopback = ipaddress.ip_address(args.host.strip("[]")).is_loopback
    except ValueError:
        loopback = args.host == "localhost"
    host = args.host.strip("[]")
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, args.port))  # here, so a busy port is one error line, not the server's log
    except OSError as exc:
        sock.close()
        raise See2SoundError(f"cannot listen on {args.host}:{args.port} ({exc.strerror or exc})") from None
    app = create_app(data_dir, max_upload_mb=args.max_upload_mb, workers=args.workers,
                     libraries=tuple(args.library), allowed_hosts=LOOPBACK_HOSTS if loopback else None)
    if not args.quiet:
        shown = f"[{host}]" if ":" in host else host
        print(f"see2sound studio on http://{shown}:{args.port}/ (API docs /docs); jobs in {data_dir}")
        if not loopback:
            print("warning: listening beyond this computer; anyone who can reach it can upload", file=sys.stderr)
    config = uvicorn.Config(app, log_level="warning" if args.quiet else "info")
    uvicorn.Server(config).run(sockets=[sock])


def main(argv: list[str] | None = None) -> int:
    verbose = False
    try:
        args = _parser().parse_args(argv)
        verbose = getattr(args, "verbose", False)
        if args.command is None:
            _parser().print_help()
            return 2
        commands = {"spatialize": _spatialize, "analyze": _analyze, "render": _render, "eval": _eval, "demo": _demo,
                    "serve": _serve}
        commands[args.command](args)
        return 0
    except See2SoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("error: out of memory (try a shorter --duration or a lower --sample-rate)", file=sys.stderr)
        return 1
    except Exception as exc:  # an internal failure: say so in one line, trace only on -v
        if verbose:
            traceback.print_exc()
        print(f"error: internal failure: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
