"""The ``see2sound`` command (SPEC §4): parses, builds a Pipeline and options, reports.

Commands: ``render``, ``batch``, ``analyze``, ``spatialize``, ``eval``, ``labels`` (``write``, ``score``), ``bench``, ``demo``,
``serve``, ``list``, ``sounds`` (``import``, ``fetch``, ``list``, ``check``);
their flags are in :mod:`.parser`. Library errors name Python parameters;
:func:`main` turns them into flags (:data:`.parser.FLAGS`).

Exit status: 0 done; 2 bad usage or bad input (one ``error:`` line on
stderr); 1 an internal failure. Outputs are written under temporary names
and renamed at the end, so a failed or interrupted run leaves none behind.
"""

from __future__ import annotations

import contextlib
import errno
import json
import signal
import sys
import threading
import traceback
from pathlib import Path

from typing import TYPE_CHECKING

from ..errors import ParameterError, See2SoundError
from ..formats import FORMATS
from ..registry import PRESETS
from .parser import FLAGS, build_parser, level

if TYPE_CHECKING:
    from ..pipeline import AnalysisOptions, Pipeline
    from ..scene import Scene
    from ..spatial import RenderOptions

# The library (numpy, scipy, the models) is imported by the command that runs, not here: parsing,
# --help and --version need none of it.


# --- from flags to the library's objects ---------------------------------------------------------

def _render_options(args, fmt: str) -> RenderOptions:
    from ..spatial import RenderOptions

    return RenderOptions(format=fmt, sample_rate=args.sample_rate, hrtf=args.hrtf, room=args.room,
                         loudness_lufs=level("--loudness", args.loudness),
                         true_peak_dbtp=level("--true-peak", args.true_peak),
                         doppler=getattr(args, "doppler", False), lfe=getattr(args, "lfe", False))


def _analysis_options(args) -> AnalysisOptions:
    from ..pipeline import AnalysisOptions

    return AnalysisOptions(hfov_deg=args.hfov, projection=args.projection, max_sources=args.max_sources,
                           duration_s=args.duration, analysis_rate_hz=args.analysis_rate,
                           detect_every=args.detect_every)


def _pipeline(args, video: bool = False, factory: type | None = None) -> Pipeline:
    """The Pipeline the flags ask for: a preset with any component named on the command line
    (``factory``: a Pipeline subclass to make it with)."""
    from ..pipeline import Pipeline

    if args.models and args.preset and args.models != args.preset:
        raise See2SoundError("--models: give --preset or --models, not both")
    preset = args.preset or args.models or "offline"
    detector = getattr(args, "detector", None)
    sam_clip = (detector or PRESETS[preset]["detector"]) == "sam-clip" and not video
    for flag, value, default in (("--sam", args.sam, "sam-vit-base"), ("--clip", args.clip, "clip-vit-base")):
        if value != default and not sam_clip:
            raise See2SoundError(f"{flag}: only with --detector sam-clip (or --preset hub, --preset paper)")
    sound = getattr(args, "sound", None)
    return (factory or Pipeline).from_preset(
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
    if report.loudness_lufs is None:  # no loudness target and no limiter: not metered
        level = "loudness not measured (no target, no limiter)"
    else:
        level = f"{report.loudness_lufs:.1f} LUFS, true peak {report.true_peak_dbtp:.1f} dBTP"
    return (f"wrote {path}: {report.format}, {report.channels} ch, {report.sample_rate} Hz, "
            f"{report.duration_s:.2f} s, {level}")


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
    from ..outputs import Targets, format_for, render_to_files
    from ..pipeline import SoundOptions, is_video

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
    from ..outputs import write_analysis

    found = write_analysis(_pipeline(args), args.input, args.output, analysis=_analysis_options(args),
                           overlay=args.overlay)
    if not args.quiet:
        print(f"wrote {args.output}")
        _print_sources(found.scene)
        if args.overlay:
            print(f"wrote {args.overlay}")
    _notes(found.notes)


def _spatialize(args) -> None:
    from ..outputs import format_for, spatialize_to_files
    from ..scene import Scene

    options = _render_options(args, format_for(args.output, args.format))
    scene = Scene.load(args.scene)
    with _progress(not args.quiet) as progress:
        report = spatialize_to_files(scene, args.output, options, renderer=args.renderer or "see2sound",
                                     preview=args.preview, subtype="float" if args.bits == "float" else "pcm24",
                                     progress=(lambda f: progress("render", f)) if progress else None,
                                     scene_file=args.scene)
    if not args.quiet:
        print(_report_line(args.output, report))
        if args.verbose:
            print(f"  room {report.room}; gain {report.gain_db:+.1f} dB; limiter {report.limiter_db:.1f} dB; "
                  f"loudness measured on {report.measured_on}")
    _notes(report.notes)


def _eval(args) -> None:
    from ..eval import evaluate_file, format_table
    from ..io.files import atomic_output, refuse_overwriting_inputs
    from ..scene import Scene

    if args.json is not None:
        if Path(args.json).suffix.lower() != ".json":
            raise ParameterError("report", f"{args.json}: the report is JSON: its name must end in .json")
        refuse_overwriting_inputs({"report": args.json}, {"the audio": args.audio, "the scene file": args.scene,
                                                          "the labels": args.labels,
                                                          "the audio to compare": args.compare})
    if args.classes is not None and args.labels is None:
        raise See2SoundError("--classes: goes with --labels")
    if args.labels is not None:
        import soundfile as sf

        from ..eval.seld import labels_scene, read_labels

        labels, class_map = read_labels(args.labels, args.classes)
        try:
            duration_s = sf.info(str(args.audio)).duration
        except Exception:
            raise See2SoundError(f"{args.audio}: not a readable audio file") from None
        scene = labels_scene(labels, class_map, duration_s=duration_s)
    else:
        scene = Scene.load(args.scene)
    report = evaluate_file(args.audio, scene, fmt=args.format, hrtf=args.hrtf,
                           tags=not args.no_tags, compare=args.compare, original_metrics=args.original_metrics,
                           channels=args.channels)
    if args.json is not None:
        with atomic_output(args.json) as tmp:
            Path(tmp).write_text(json.dumps(report, indent=2, allow_nan=False) + "\n")
    if not args.quiet:
        print(format_table(report))


def _labels(args) -> None:
    from ..eval.seld import ClassMap, read_csv, write_labels

    if args.labels_command == "score":
        from ..eval.metrics import seld_scores

        if args.nb_classes is not None and not 1 <= args.nb_classes <= 10_000:
            raise See2SoundError(f"--nb-classes: from 1 to 10000, got {args.nb_classes}")
        scores = seld_scores(read_csv(args.reference), read_csv(args.prediction), classes=args.nb_classes)
        if args.json:
            print(json.dumps(scores, indent=2, allow_nan=False, default=str))
        elif not args.quiet:
            for key in ("error_rate", "f_score", "le_cd_deg", "lr_cd", "seld_score"):
                print(f"  {key:12s} {scores[key]:.4f}")
        return
    from ..io.files import refuse_overwriting_inputs
    from ..scene import Scene

    if Path(args.output).suffix.lower() != ".csv":
        raise See2SoundError(f"{args.output}: SELD labels are CSV: the name must end in .csv")
    if not 0 <= args.decimals <= 6:
        raise See2SoundError(f"--decimals: from 0 to 6, got {args.decimals}")
    from ..eval.seld import sidecar_path

    refuse_overwriting_inputs({"labels": args.output, "class map": sidecar_path(args.output)},
                              {"the scene file": args.scene, "the class map": args.classes})
    if args.classes is None:
        class_map = None
    elif args.classes == "starss23":
        class_map = ClassMap.starss23()
    else:
        class_map = ClassMap.load(args.classes)
    labels = write_labels(Scene.load(args.scene), args.output, class_map, decimals=args.decimals,
                          distance=not args.no_distance)
    if not args.quiet:
        print(f"{args.output}: {len(labels)} row(s), {labels.n_frames} frame(s) of {labels.frame_s:g} s; "
              f"classes in {sidecar_path(args.output)}")


def _bench(args) -> None:
    from ..eval.compare import DEFAULT_CONTENDERS, parse_contender, run_bench
    from ..io.files import atomic_folder

    scene_paths: list[Path] = []
    for item in map(Path, args.scenes):
        if item.is_dir():
            scene_paths += sorted(p for p in item.glob("*.json") if p.is_file())
        elif item.is_file():
            scene_paths.append(item)
        else:
            raise See2SoundError(f"{item}: no such scene file or folder")
    if not scene_paths:
        raise See2SoundError(f"no scene files (*.json) in {', '.join(args.scenes)}")
    if len({p.stem for p in scene_paths}) != len(scene_paths):
        raise See2SoundError("two scene files share a name: each scene's results are kept under its file's name")
    out = Path(args.output)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise See2SoundError(f"{out}: exists and is not an empty folder (bench writes into a new one)")
    if args.contender:
        contenders = [parse_contender(text) for text in args.contender]
    else:
        contenders = [parse_contender(text) for text in DEFAULT_CONTENDERS if _renderer_installed(text)]
    say = None if args.quiet else print
    with atomic_folder(out) as tmp:
        bench = run_bench(scene_paths, contenders, room=args.room,
                          renders=tmp / "renders" if args.keep_renders else None, say=say)
        written = bench.write(tmp, title=f"see2sound bench: {len(scene_paths)} scene(s)")
    if say is not None:
        print(bench.markdown().split("\n\nPer source")[0])
        print("wrote " + ", ".join(str(out / p.name) for p in written))


def _renderer_installed(contender: str) -> bool:
    """A default contender whose renderer needs an extra that is missing is left out (named contenders are not)."""
    if not contender.startswith("see2sound-original:"):
        return True
    import importlib.util

    return importlib.util.find_spec("pyroomacoustics") is not None


def _demo(args) -> None:
    from ..demo import render_demo

    written = render_demo(args.output, duration_s=args.duration, seed=args.seed,
                          say=None if args.quiet else print)
    if not args.quiet:
        for path, report in written:
            print(_report_line(path, report))
        print(f"each folder in {args.output}/ also has the picture, its scene (.json), stems/ and an overlay (.png)")


def _batch(args) -> None:
    from ..batch import SUMMARY_NAME, run_batch

    summary = run_batch(args, say=None if args.quiet else print)
    failed = len(summary.failed) + len(summary.failed_before)
    if failed:
        raise See2SoundError(f"{failed} of {summary.items} item(s) failed; see "
                             f"{Path(args.output) / SUMMARY_NAME}")


def _list(args) -> None:
    from ..registry import list_components

    for kind, entries in list_components().items():
        print(f"{kind}:")
        for name, summary in entries:
            print(f"  {name:26s} {summary}")
    print("formats:")
    for name, fmt in FORMATS.items():
        tracks = f"{fmt.channels} ch {' '.join(fmt.labels)}" if fmt.labels else "a track per source (+ W Y Z X)"
        print(f"  {name:26s} {tracks}: {fmt.description}")


def _serve(args) -> None:
    from ..studio.serve import serve

    serve(host=args.host, port=args.port, data_dir=args.data_dir, max_upload_mb=args.max_upload_mb,
          workers=args.workers, libraries=tuple(args.library), detector=args.detector, quiet=args.quiet,
          max_jobs_per_client=args.max_jobs_per_client, max_jobs=args.max_jobs, max_store_gb=args.max_store_gb,
          max_duration_s=args.max_duration, keep_days=args.keep_days)


def _sounds(args) -> None:
    from ..sound import coverage
    from ..sound import tagger as tagging
    from ..sound.library import config_path

    say = (lambda line: None) if args.quiet else print
    if args.sounds_command == "import":
        from ..sound.imports import import_sounds

        report = import_sounds(args.what, name=args.name, tag=False if args.no_tags else None)
        for line in report.lines():
            say(line)
        _notes(report.library.warnings[:20] if args.verbose else [])
        return
    if args.sounds_command == "fetch":
        from ..sound.freesound import INTERVAL_S, FreesoundClient, fetch_previews

        interval = INTERVAL_S if args.interval is None else args.interval
        if not 0 <= interval <= 3600:
            raise See2SoundError(f"--interval: must be from 0 to 3600 s, got {interval}")
        client = FreesoundClient(args.key, base_url=args.api_url, interval_s=interval)
        report = fetch_previews(args.key, out=args.out, license=args.license, labels=args.classes, client=client,
                                say=say)
        say(f"fetched {len(report.fetched)} clip(s) into {report.folder} ({report.skipped} search(es) done before, "
            f"{len(report.not_found)} found nothing, {report.requests} request(s))")
        if report.not_found:
            say("  nothing under the licence for: " + ", ".join(report.not_found))
        say(f"  {'registered in' if report.registered else 'already in'} {config_path()}")
        return
    tagger = tagging.load_tagger() if tagging.available() else None
    if args.sounds_command == "list":
        found = coverage.libraries(tuple(args.library), tagger=tagger)
        if args.json:
            print(json.dumps([lib.as_dict() for lib in found], indent=2))
            return
        for lib in found:
            if lib.name == "config":
                _notes(lib.warnings)
                continue
            licences = ", ".join(f"{k} {v}" for k, v in lib.licenses.most_common())
            print(f"{lib.name}: {len(lib.entries)} clip(s)" + (f"; {licences}" if licences else ""))
            labels = sorted(lib.labels.items())
            if labels:
                print("  " + ", ".join(f"{k} {v}" for k, v in labels))
    else:
        entries = [e for lib in coverage.libraries(tuple(args.library), tagger=tagger) for e in lib.entries]
        rows = coverage.coverage(entries)
        if args.json:
            print(json.dumps([row.as_dict() for row in rows], indent=2))
            return
        print(f"  {'label':16s} {'by name':>7s} {'by class':>8s}  {'status':16s} procedural models")
        for row in rows:
            print(f"  {row.label:16s} {row.by_name:7d} {row.by_class:8d}  {row.status:16s} "
                  f"{', '.join(row.models) or '-'}")
        counts = {s: sum(1 for r in rows if r.status == s) for s in ("recorded", "procedural only", "nothing")}
        print(f"{len(rows)} sounding labels: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


COMMANDS = {"render": _render, "analyze": _analyze, "spatialize": _spatialize, "eval": _eval, "labels": _labels,
            "bench": _bench, "batch": _batch, "demo": _demo, "serve": _serve, "list": _list, "sounds": _sounds}


def _flag_message(exc: ParameterError) -> str:
    flag = FLAGS.get(exc.parameter)
    return f"{flag}: {exc.detail}" if flag else str(exc)


class Terminated(BaseException):
    """SIGTERM arrived (``timeout``, systemd, a container runtime): unwind like Ctrl-C, removing partial outputs."""


def _terminate(signum, frame):
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status (SIGTERM is handled as Ctrl-C is, for the duration)."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        return _main(argv)
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str] | None) -> int:
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
        _error(_flag_message(exc))
        return 2
    except See2SoundError as exc:
        _error(str(exc))
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("error: terminated", file=sys.stderr)
        return 143
    except BrokenPipeError:  # the reader went away (``see2sound list | head``): nothing more to say
        sys.stdout = None
        return 0
    except OSError as exc:
        if exc.errno not in USER_OS_ERRORS:
            return _internal(exc, verbose)
        where = f"{exc.filename}: " if exc.filename else ""
        _error(f"{where}{exc.strerror or exc} (nothing was written)")
        return 2
    except MemoryError:
        print("error: out of memory (try a shorter --duration or a lower --sample-rate)", file=sys.stderr)
        return 1
    except Exception as exc:
        return _internal(exc, verbose)


#: Errors of the machine, not of see2sound, while writing: one line, exit 2.
USER_OS_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG, errno.EACCES, errno.EPERM,
                  errno.ENAMETOOLONG, errno.ELOOP)


def _internal(exc: BaseException, verbose: bool) -> int:
    """An internal failure: said in one line (the trace only with -v), exit 1."""
    if verbose:
        traceback.print_exc()
    _error(f"internal failure: {type(exc).__name__}: {exc}")
    return 1


def _error(message: str) -> None:
    """One ``error:`` line on stderr, whatever the message holds (a path with a newline stays escaped)."""
    print("error: " + message.replace("\r", "\\r").replace("\n", "\\n"), file=sys.stderr)
