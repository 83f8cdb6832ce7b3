"""The ``see2sound`` command (SPEC §4): parses, calls the API, reports.

Exit status: 0 done; 2 bad usage or bad input (one ``error:`` line on
stderr); 1 an internal failure. Outputs are written to a temporary name and
renamed at the end, so a failed or interrupted run leaves no partial file.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import re
import sys
import traceback
from pathlib import Path

import numpy as np

from . import __version__
from .errors import See2SoundError
from .io.audio import check_output_path, write_audio_to
from .io.buffer import DiskAudio
from .io.files import atomic_output
from .scene import Scene
from .spatial import FORMATS, RenderOptions
from .spatial.renderer import CHANNELS, render_scene
from .spatial.room import ROOM_CHOICES

#: Renders larger than this are held in a temporary file beside the output, not in memory.
IN_MEMORY_LIMIT_BYTES = 256 * 1024 * 1024

_FORMAT_NAMES = {
    "binaural": r"binaural",
    "foa": r"foa|ambix",
    "stereo": r"stereo",
    "5.1": r"5[._]?1",
    "7.1": r"7[._]?1",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, SPEC §4
        raise See2SoundError(message)


def format_from_name(path: str) -> str | None:
    """The output format named in a file name (``mix.foa.wav``, ``street_5.1.flac``), if exactly one."""
    stem = Path(path).name.lower().rsplit(".", 1)[0]
    found = [fmt for fmt, pattern in _FORMAT_NAMES.items()
             if re.search(rf"(?<![0-9a-z])(?:{pattern})(?![0-9a-z])", stem)]
    return found[0] if len(found) == 1 else None


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="see2sound", description="Turn a picture or a video into spatial audio.")
    parser.add_argument("--version", action="version", version=f"see2sound {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    sp = commands.add_parser("spatialize", help="render a scene whose sources have audio",
                             description="Render a see2sound.scene/1 file to spatial audio.")
    sp.add_argument("scene", metavar="SCENE.json")
    sp.add_argument("-o", "--output", required=True, metavar="OUT",
                    help="output file, .wav (WAVE_FORMAT_EXTENSIBLE) or .flac")
    sp.add_argument("--format", choices=FORMATS,
                    help="binaural (default), foa (AmbiX), stereo, 5.1 or 7.1; else taken from OUT's name")
    sp.add_argument("--sample-rate", type=int, default=48000, metavar="HZ")
    sp.add_argument("--hrtf", metavar="FILE.sofa", help="SOFA SimpleFreeFieldHRIR file (default: MIT KEMAR)")
    sp.add_argument("--room", choices=ROOM_CHOICES, default="auto",
                    help="acoustics: auto (medium for indoor ambiences, else outdoor), none, outdoor, "
                         "small, medium, large")
    sp.add_argument("--loudness", default="-23", metavar="LUFS",
                    help="integrated loudness target (default -23), or 'off'")
    sp.add_argument("--true-peak", default="-1", metavar="DBTP",
                    help="true-peak ceiling of the limiter (default -1), or 'off'")
    sp.add_argument("--doppler", action="store_true", help="delay each path by its travel time (Doppler)")
    sp.add_argument("--lfe", action="store_true", help="feed the LFE a 120 Hz low-pass (default: silent)")
    sp.add_argument("--bits", choices=("float", "24"), default="float", help="WAV sample format (FLAC is 24-bit)")
    sp.add_argument("--preview", metavar="BINAURAL.wav",
                    help="with --format foa: also write its binaural decode here")
    sp.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    sp.add_argument("-v", "--verbose", action="store_true", help="more detail, tracebacks on internal errors")
    an = commands.add_parser("analyze", help="find what in a picture makes sound and where",
                             description="Vision only: a picture in, a see2sound.scene/1 file out (no audio yet).")
    an.add_argument("input", metavar="IMAGE")
    an.add_argument("-o", "--output", required=True, metavar="SCENE.json")
    an.add_argument("--hfov", type=float, metavar="DEG",
                    help="horizontal field of view (default: from EXIF, else 65)")
    an.add_argument("--projection", choices=("auto", "perspective", "equirect"), default="auto",
                    help="equirect = 360 deg panorama (auto: from XMP GPano or a 2:1 picture)")
    an.add_argument("--detector", default="ensemble", help="ensemble (default), ssd or nanodet")
    an.add_argument("--max-sources", type=int, default=6, metavar="N")
    an.add_argument("--duration", type=float, default=10.0, metavar="S", help="the scene's length (default 10)")
    an.add_argument("--overlay", metavar="PNG", help="also draw the sources on the picture and a map")
    an.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    an.add_argument("-v", "--verbose", action="store_true", help="tracebacks on internal errors")
    return parser


def _analyze(args) -> None:
    import os

    from .vision import analyze_picture

    if not 1 <= args.max_sources <= 64:
        raise See2SoundError(f"--max-sources: must be from 1 to 64, got {args.max_sources}")
    if not (math.isfinite(args.duration) and 0 < args.duration <= 86400):
        raise See2SoundError(f"--duration: must be more than 0 and at most 86400 s, got {args.duration:g}")
    if Path(args.output).suffix.lower() != ".json":
        raise See2SoundError(f"{args.output}: the scene file must end in .json")
    if args.overlay is not None and Path(args.overlay).suffix.lower() != ".png":
        raise See2SoundError(f"{args.overlay}: the overlay must end in .png")
    result = analyze_picture(args.input, hfov_deg=args.hfov, projection=args.projection,
                             detector=args.detector, max_sources=args.max_sources, duration_s=args.duration)
    scene = result.scene
    folder = Path(args.output).resolve().parent
    scene.input["path"] = os.path.relpath(Path(args.input).resolve(), folder)
    with contextlib.ExitStack() as stack:
        if args.overlay:
            from .vision.overlay import render_overlay

            image = render_overlay(result.picture.rgb, scene, result.picture.scale)
            overlay_tmp = stack.enter_context(atomic_output(args.overlay))
            image.save(overlay_tmp, format="PNG")
        scene.save(args.output)
    if not args.quiet:
        cam = result.camera
        fov = "360 deg panorama" if cam.projection == "equirect" else f"hfov {cam.hfov_deg:.1f} deg ({cam.fov_source})"
        print(f"wrote {args.output}: {len(scene.sources)} source(s), ambience {scene.ambience.kind} "
              f"({scene.ambience.confidence:.2f}), {fov}")
        for src in scene.sources:
            p = src.position
            spread = f", spread {src.spread_deg:.0f} deg" if src.spread_deg else ""
            print(f"  {src.id:14s} {src.label:12s} azimuth {p.azimuth_deg:+6.1f}  elevation {p.elevation_deg:+5.1f}"
                  f"  {p.distance_m:5.1f} m  (confidence {src.confidence:.2f}{spread})")
        if args.overlay:
            print(f"wrote {args.overlay}")
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)


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


@contextlib.contextmanager
def _progress(enabled: bool, label: str):
    """A rich progress bar on stderr; yields a callback taking the fraction done."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    if not (enabled and console.is_terminal):
        yield None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeRemainingColumn(), console=console, transient=True) as bar:
        task = bar.add_task(label, total=1.0)
        yield lambda fraction: bar.update(task, completed=fraction)


def _spatialize(args) -> None:
    fmt = args.format or format_from_name(args.output) or "binaural"
    suffix = check_output_path(args.output)
    if args.preview is not None:
        if fmt != "foa":
            raise See2SoundError("--preview: only with --format foa")
        check_output_path(args.preview)
    options = RenderOptions(format=fmt, sample_rate=args.sample_rate, hrtf=args.hrtf, room=args.room,
                            loudness_lufs=_level("--loudness", args.loudness),
                            true_peak_dbtp=_level("--true-peak", args.true_peak),
                            doppler=args.doppler, lfe=args.lfe)
    options.check()
    scene = Scene.load(args.scene)
    n = int(round(scene.duration_s * options.sample_rate))
    channels = CHANNELS[fmt]
    subtype = "float" if args.bits == "float" else "pcm24"
    with contextlib.ExitStack() as stack:
        out_tmp = stack.enter_context(atomic_output(args.output))
        preview_tmp = stack.enter_context(atomic_output(args.preview)) if args.preview else None
        buffer = None
        if channels * n * 4 > IN_MEMORY_LIMIT_BYTES:
            buffer = stack.enter_context(DiskAudio(channels, n, folder=out_tmp.parent))
        with _progress(not args.quiet, f"rendering {fmt}") as progress:
            audio, report = render_scene(scene, options, out=buffer, progress=progress)
        write_audio_to(out_tmp, audio, options.sample_rate, fmt, subtype=subtype, suffix=suffix)
        if preview_tmp is not None:
            from .spatial.ambisonics import decode_binaural
            from .spatial.hrtf import HRTF

            hrtf = HRTF.load(options.hrtf, options.sample_rate)
            write_audio_to(preview_tmp, decode_binaural(audio, hrtf), options.sample_rate,
                           "binaural", subtype=subtype, suffix=Path(args.preview).suffix)
    if not args.quiet:
        print(f"wrote {args.output}: {fmt}, {report.channels} ch, {report.sample_rate} Hz, "
              f"{report.duration_s:.2f} s, {report.loudness_lufs:.1f} LUFS, "
              f"true peak {report.true_peak_dbtp:.1f} dBTP")
        if args.verbose:
            print(f"  room {report.room}; gain {report.gain_db:+.1f} dB; limiter {report.limiter_db:.1f} dB; "
                  f"loudness measured on {report.measured_on}")
        for note in report.notes:
            print(f"note: {note}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    verbose = False
    try:
        args = _parser().parse_args(argv)
        verbose = getattr(args, "verbose", False)
        if args.command is None:
            _parser().print_help()
            return 2
        {"spatialize": _spatialize, "analyze": _analyze}[args.command](args)
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
