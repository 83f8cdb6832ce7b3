"""The ``see2sound`` command (SPEC §4): parses, builds a Pipeline and options, reports.

Commands: ``render``, ``analyze``, ``spatialize``, ``eval``, ``demo``,
``serve``, ``list``. Library errors name Python parameters; this module
turns them into its flags (:data:`FLAGS`).

Exit status: 0 done; 2 bad usage or bad input (one ``error:`` line on
stderr); 1 an internal failure. Outputs are written under temporary names
and renamed at the end, so a failed or interrupted run leaves none behind.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import traceback
from pathlib import Path

from . import __version__
from .errors import ParameterError, See2SoundError
from .formats import FORMATS
from .pipeline import PRESETS, AnalysisOptions, Pipeline, SoundOptions, is_video
from .scene import Scene
from .spatial import RenderOptions
from .spatial.room import ROOM_CHOICES

#: Python parameter -> the flag that sets it.
FLAGS = {"format": "--format", "sample_rate": "--sample-rate", "hrtf": "--hrtf", "room": "--room",
         "loudness_lufs": "--loudness", "true_peak_dbtp": "--true-peak", "hfov_deg": "--hfov",
         "projection": "--projection", "max_sources": "--max-sources", "duration_s": "--duration",
         "analysis_rate_hz": "--analysis-rate", "seed": "--seed", "detector": "--detector", "depth": "--depth",
         "sound": "--sound", "sound_steps": "--sound-steps", "renderer": "--renderer", "preset": "--preset",
         "keep_original": "--keep-original", "overlay": "--overlay", "scene_path": "--scene-out",
         "preview": "--preview", "port": "--port", "workers": "--workers", "max_upload_mb": "--max-upload-mb"}



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
    p.add_argument("--format", choices=tuple(FORMATS),
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
    p.add_argument("--renderer", default=None, metavar="NAME",
                   help="see2sound (default) or see2sound-original: SEE-2-SOUND's own spatial step "
                        "(5.1 only, needs pyroomacoustics); any registered renderer (see2sound list)")


def _picture_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hfov", type=float, metavar="DEG", help="horizontal field of view (default: from EXIF, else 65)")
    p.add_argument("--projection", choices=("auto", "perspective", "equirect"), default="auto",
                   help="equirect = 360 deg panorama (auto: from XMP GPano or a 2:1 picture)")
    p.add_argument("--detector", default=None, metavar="NAME",
                   help="ensemble (default), ssd, nanodet, sam-clip (SAM masks named by CLIP; quality mode), "
                        "or any registered detector (see2sound list)")
    p.add_argument("--sam", default="sam-vit-base", metavar="MODEL",
                   help="with sam-clip: sam-vit-base (default), sam-vit-large, sam-vit-huge, a hub id or a folder")
    p.add_argument("--clip", default="clip-vit-base", metavar="MODEL",
                   help="with sam-clip: clip-vit-base (default), clip-vit-large, a hub id or a folder")
    p.add_argument("--models", choices=("offline", "hub"), default=None,
                   help="same as --preset offline|hub")
    p.add_argument("--preset", choices=tuple(PRESETS), default=None,
                   help="offline (default); hub: every stage from learned models (sam-clip, depth-anything-outdoor, "
                        "stable-audio-open) unless named otherwise, needs see2sound[hub]; paper: the published "
                        "method's choices (3 largest masks, relative depth, generated sounds, its own 5.1 step)")
    p.add_argument("--max-sources", type=int, default=6, metavar="N")
    p.add_argument("--duration", type=float, default=10.0, metavar="S", help="the scene's length (default 10)")
    p.add_argument("--analysis-rate", type=float, default=5.0, metavar="HZ",
                   help="video: pictures analysed per second (default 5)")
    p.add_argument("--overlay", metavar="PNG", help="also draw the sources on the picture and a map")
    p.add_argument("--depth", default=None, metavar="MODEL",
                   help="distances from learned depth: depth-anything-outdoor, depth-anything-indoor, "
                        "depth-anything-relative, a hub id or a folder (quality mode, needs see2sound[hub]); "
                        "default: priors (size priors and ground contact)")


def build_parser() -> argparse.ArgumentParser:
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
    rd.add_argument("--sound-steps", type=int, default=None, metavar="N",
                    help="text-to-audio diffusion steps (default 100; fewer is faster and rougher)")
    rd.add_argument("--scene-out", metavar="SCENE.json", help="also save the scene (its stems go beside it)")
    rd.add_argument("--stems", metavar="DIR", help="write each source's dry mono sound here")
    rd.add_argument("--doppler", action="store_true", help="delay each path by its travel time (Doppler)")
    rd.add_argument("--keep-original", choices=("track", "mix", "drop"), default="track",
                    help="video into .mp4/.mov: keep its soundtrack as a second track (default), mix it in, or drop it")
    _common(rd)

    an = commands.add_parser("analyze", help="find what in a picture makes sound and where",
                             description="Vision only: a picture in, a see2sound.scene/2 file out (no audio yet).")
    an.add_argument("input", metavar="IMAGE")
    an.add_argument("-o", "--output", required=True, metavar="SCENE.json")
    _picture_options(an)
    _common(an)

    sp = commands.add_parser("spatialize", help="render a scene whose sources have audio",
                             description="Render a see2sound.scene file (/2, or /1 migrated) to spatial audio.")
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
    ev.add_argument("--format", choices=tuple(FORMATS), help="the file's format (default: from its channels and name)")
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
    sv.add_argument("--detector", default="ensemble", metavar="NAME",
                    help="the detector for every job's pictures: ensemble (default) or any registered one")
    sv.add_argument("--library", action="append", default=[], metavar="DIR",
                    help="a folder of your own sounds (repeatable; also SEE2SOUND_LIBRARY)")
    _common(sv)

    ls = commands.add_parser("list", help="the registered components and output formats",
                             description="Detectors, depth estimators, sound sources and renderers (built in and "
                                         "from installed packages' entry points), and the output formats.")
    _common(ls)
    return parser


# --- from flags to the library's objects ---------------------------------------------------------

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
    return RenderOptions(format=fmt, sample_rate=args.sample_rate, hrtf=args.hrtf, room=args.room,
                         loudness_lufs=_level("--loudness", args.loudness),
                         true_peak_dbtp=_level("--true-peak", args.true_peak),
                         doppler=getattr(args, "doppler", False), lfe=getattr(args, "lfe", False))


def _analysis_options(args) -> AnalysisOptions:
    return AnalysisOptions(hfov_deg=args.hfov, projection=args.projection, max_sources=args.max_sources,
                           duration_s=args.duration, analysis_rate_hz=args.analysis_rate)


def _pipeline(args, video: bool = False) -> Pipeline:
    """The Pipeline the flags ask for: a preset with any component named on the command line."""
    if args.models and args.preset and args.models != args.preset:
        raise See2SoundError("--models: give --preset or --models, not both")
    preset = args.preset or args.models or "offline"
    detector = getattr(args, "detector", None)
    sam_clip = (detector or PRESETS[preset]["detector"]) == "sam-clip" and not video
    for flag, value, default in (("--sam", args.sam, "sam-vit-base"), ("--clip", args.clip, "clip-vit-base")):
        if value != default and not sam_clip:
            raise See2SoundError(f"{flag}: only with --detector sam-clip (or --preset hub, --preset paper)")
    sound = getattr(args, "sound", None)
    return Pipeline.from_preset(
        preset, video=video, detector=detector, depth=None if args.depth in (None, "none", "") else args.depth,
        sound=sound, renderer=getattr(args, "renderer", None), libraries=tuple(getattr(args, "library", ())),
        detector_options={"sam": args.sam, "clip": args.clip} if sam_clip else None,
        sound_options={"steps": args.sound_steps} if getattr(args, "sound_steps", None) is not None else None)


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


# --- reporting -------------------------------------------------------------------------------------

def _report_line(path, report) -> str:
    return (f"wrote {path}: {report.format}, {report.channels} ch, {report.sample_rate} Hz, "
            f"{report.duration_s:.2f} s, {report.loudness_lufs:.1f} LUFS, true peak {report.true_peak_dbtp:.1f} dBTP")


def _print_sources(scene: Scene) -> None:
    camera = scene.camera or {}
    fov = "360 deg panorama" if camera.get("projection") == "equirect" else \
        f"hfov {camera.get('hfov_deg', 0):.1f} deg ({camera.get('fov_source', '')})"
    ambience = f"ambience {scene.ambience.kind} ({scene.ambience.confidence or 0:.2f})" if scene.ambience else ""
    print(f"  {len(scene.sources)} source(s), {ambience}, {fov}")
    for src in scene.sources:
        first, last = (src.trajectory[0], src.trajectory[-1]) if src.trajectory else (src.position, src.position)
        where = f"azimuth {first.azimuth_deg:+6.1f}" + (f" -> {last.azimuth_deg:+6.1f}" if src.trajectory else "")
        when = f"  {src.active_s[0]:5.1f}-{src.active_s[1]:5.1f} s" if src.active_s else ""
        sound = f"  <- {src.sound.get('description')}" if src.sound and src.sound.get("description") else ""
        spread = f", spread {src.spread_deg:.0f} deg" if src.spread_deg else ""
        print(f"  {src.id:14s} {src.label:12s} {where}  elevation {first.elevation_deg:+5.1f}  "
              f"{first.distance_m:5.1f} m{when}  (confidence {src.confidence or 0:.2f}{spread}){sound}")


def _notes(notes) -> None:
    for note in notes:
        print(f"note: {note}", file=sys.stderr)


# --- commands ------------------------------------------------------------------------------------

def _render(args) -> None:
    from .outputs import Targets, format_for, render_to_files

    video = is_video(args.input)
    pipeline = _pipeline(args, video=video)
    options = _render_options(args, format_for(args.output, args.format, pipeline))
    targets = Targets(args.output, scene=args.scene_out, stems=args.stems, overlay=args.overlay,
                      subtype="float" if args.bits == "float" else "pcm24", keep_original=args.keep_original)
    with _progress(not args.quiet) as progress:
        result = render_to_files(pipeline, args.input, targets, options=options, analysis=_analysis_options(args),
                                 sounds=SoundOptions(seed=args.seed), progress=progress)
    if not args.quiet:
        print(_report_line(args.output, result.report) + (" (muxed with the picture)" if targets.muxed else ""))
        _print_sources(result.scene)
        for extra in (targets.scene, targets.overlay, targets.stems):
            if extra:
                print(f"wrote {extra}")
    _notes(result.notes)
    if not result.scene.sources:
        print("warning: no sound source found; only the ambience is heard", file=sys.stderr)


def _analyze(args) -> None:
    from .outputs import write_analysis

    found = write_analysis(_pipeline(args), args.input, args.output, analysis=_analysis_options(args),
                           overlay=args.overlay)
    if not args.quiet:
        print(f"wrote {args.output}")
        _print_sources(found.scene)
        if args.overlay:
            print(f"wrote {args.overlay}")
    _notes(found.notes)


def _spatialize(args) -> None:
    from .outputs import format_for, spatialize_to_files

    options = _render_options(args, format_for(args.output, args.format))
    scene = Scene.load(args.scene)
    with _progress(not args.quiet) as progress:
        report = spatialize_to_files(scene, args.output, options, renderer=args.renderer or "see2sound",
                                     preview=args.preview, subtype="float" if args.bits == "float" else "pcm24",
                                     progress=(lambda f: progress("render", f)) if progress else None)
    if not args.quiet:
        print(_report_line(args.output, report))
        if args.verbose:
            print(f"  room {report.room}; gain {report.gain_db:+.1f} dB; limiter {report.limiter_db:.1f} dB; "
                  f"loudness measured on {report.measured_on}")
    _notes(report.notes)


def _eval(args) -> None:
    from .eval import evaluate_file, format_table
    from .io.files import atomic_output

    if args.json is not None and Path(args.json).suffix.lower() != ".json":
        raise See2SoundError(f"{args.json}: the report must end in .json")
    report = evaluate_file(args.audio, Scene.load(args.scene), fmt=args.format, hrtf=args.hrtf,
                           tags=not args.no_tags, compare=args.compare, original_metrics=args.original_metrics)
    if args.json is not None:
        with atomic_output(args.json) as tmp:
            Path(tmp).write_text(json.dumps(report, indent=2, allow_nan=False) + "\n")
    if not args.quiet:
        print(format_table(report))


def _demo(args) -> None:
    from .demo import render_demo

    written = render_demo(args.output, duration_s=args.duration, seed=args.seed,
                          say=None if args.quiet else print)
    if not args.quiet:
        for path, report in written:
            print(_report_line(path, report))
        print(f"each folder in {args.output}/ also has the picture, its scene (.json), stems/ and an overlay (.png)")


def _list(args) -> None:
    from .registry import list_components

    for kind, entries in list_components().items():
        print(f"{kind}:")
        for name, summary in entries:
            print(f"  {name:26s} {summary}")
    print("formats:")
    for name, fmt in FORMATS.items():
        print(f"  {name:26s} {fmt.channels} ch {' '.join(fmt.labels)}: {fmt.description}")


def _serve(args) -> None:
    from .studio.serve import serve

    serve(host=args.host, port=args.port, data_dir=args.data_dir, max_upload_mb=args.max_upload_mb,
          workers=args.workers, libraries=tuple(args.library), detector=args.detector, quiet=args.quiet)


COMMANDS = {"render": _render, "analyze": _analyze, "spatialize": _spatialize, "eval": _eval, "demo": _demo,
            "serve": _serve, "list": _list}


def _flag_message(exc: ParameterError) -> str:
    flag = FLAGS.get(exc.parameter)
    return f"{flag}: {exc.detail}" if flag else str(exc)


def main(argv: list[str] | None = None) -> int:
    verbose = False
    try:
        args = build_parser().parse_args(argv)
        verbose = getattr(args, "verbose", False)
        if args.command is None:
            build_parser().print_help()
            return 2
        COMMANDS[args.command](args)
        return 0
    except ParameterError as exc:
        print(f"error: {_flag_message(exc)}", file=sys.stderr)
        return 2
    except See2SoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (``see2sound list | head``): nothing more to say
        sys.stdout = None
        return 0
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
