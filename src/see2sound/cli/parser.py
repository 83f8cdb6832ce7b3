"""The command line's grammar: commands, flags, and which flag sets which Python parameter (SPEC §4).

Contents
--------
build_parser   the argparse parser with every command
FLAGS          Python parameter -> the flag that sets it (errors name parameters; the CLI says flags)
level          a level in dB or "off", as a flag's type
"""

from __future__ import annotations

import argparse
import math

from .. import __version__
from ..errors import See2SoundError
from ..formats import FORMATS
from ..registry import PRESETS

#: ``--room``'s choices: :data:`see2sound.spatial.room.ROOM_CHOICES` (a test keeps them equal), written out here
#: so that building the parser (``see2sound --help``) does not import the spatial stage and scipy.
ROOM_CHOICES = ("auto", "none", "outdoor", "small", "medium", "large")

#: ``--keep-original``'s choices: :data:`see2sound.video.mux.KEEP` (a test keeps them equal), written out here so
#: that building the parser does not import numpy and scipy.
KEEP_ORIGINAL = ("track", "mix", "drop", "headlocked")

#: Python parameter -> the flag that sets it.
FLAGS = {"format": "--format", "sample_rate": "--sample-rate", "hrtf": "--hrtf", "room": "--room",
         "loudness_lufs": "--loudness", "true_peak_dbtp": "--true-peak", "hfov_deg": "--hfov", "contender": "--contender",
         "projection": "--projection", "max_sources": "--max-sources", "duration_s": "--duration",
         "analysis_rate_hz": "--analysis-rate", "detect_every": "--detect-every", "seed": "--seed", "detector": "--detector", "depth": "--depth",
         "sound": "--sound", "sound_steps": "--sound-steps", "renderer": "--renderer", "preset": "--preset",
         "keep_original": "--keep-original", "overlay": "--overlay", "scene_path": "--scene-out",
         "preview": "--preview", "output": "-o", "port": "--port", "workers": "--workers", "max_upload_mb": "--max-upload-mb",
         "report": "--json", "stems": "--stems", "max_jobs_per_client": "--max-jobs-per-client",
         "max_jobs": "--max-jobs", "max_store_gb": "--max-store-gb", "max_duration_s": "--max-duration",
         "keep_days": "--keep-days", "name": "--name", "key": "--key", "license": "--license",
         "classes": "--classes", "out": "--out", "variants": "--variants", "hrtf_dir": "--hrtf-dir",
         "ray_address": "--ray-address", "gpus_per_worker": "--gpus-per-worker", "worker_memory": "--worker-memory"}



class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, SPEC §4
        raise See2SoundError(message)


# --- option groups ----------------------------------------------------------------

def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    p.add_argument("-v", "--verbose", action="store_true", help="more detail, tracebacks on internal errors")


def _audio_options(p: argparse.ArgumentParser, output: bool = True) -> None:
    if output:
        p.add_argument("-o", "--output", required=True, metavar="OUT",
                       help="output file, .wav (WAVE_FORMAT_EXTENSIBLE) or .flac (adm: .wav only, BW64)")
    p.add_argument("--format", choices=tuple(FORMATS),
                   help="binaural (default), foa (first-order AmbiX), hoa2 or hoa3 (second- and third-order "
                        "AmbiX: ACN, SN3D, 9 and 16 channels), stereo, 5.1, 7.1, 5.1.4 / 7.1.4 (with four upper "
                        "loudspeakers; .wav or .mov, not .flac or .mp4), or adm (ADM BW64 for DAWs: an object per "
                        "source, the ambience as an FOA bed); else taken from OUT's name")
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


def _picture_options(p: argparse.ArgumentParser, overlay: bool = True) -> None:
    p.add_argument("--hfov", type=float, metavar="DEG", help="horizontal field of view (default: from EXIF, else 65)")
    p.add_argument("--projection", choices=("auto", "perspective", "equirect"), default="auto",
                   help="equirect = 360 deg panorama (auto: from XMP GPano or a 2:1 picture)")
    p.add_argument("--detector", default=None, metavar="NAME",
                   help="ensemble (default), ssd, nanodet, movenet (people, with poses), sam-clip (SAM masks "
                        "named by CLIP; quality mode), or any registered detector (see2sound list)")
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
    p.add_argument("--detect-every", type=int, default=5, metavar="N",
                   help="video: the detectors run on every N-th analysed picture, tracks followed in between "
                        "(default 5; 1: on all)")
    if overlay:
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
    rd.add_argument("--keep-original", choices=KEEP_ORIGINAL, default="track",
                    help="video into .mp4/.mov: keep its soundtrack as a second track (default), mix it in, drop it, "
                         "or (foa) keep it as head-locked stereo beside the ambisonics, one 6-channel track for YouTube")
    _common(rd)

    _batch(commands)

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
    sp.add_argument("--preview", metavar="BINAURAL.wav",
                    help="with --format foa, hoa2 or hoa3: also write its binaural decode here (MagLS for hoa2, hoa3)")
    _common(sp)

    ev = commands.add_parser("eval", help="score a rendered file against its scene",
                             description="Direction, sound and level of a rendered file against the scene "
                                         "it was rendered from; optionally the published similarity scores.")
    ev.add_argument("audio", metavar="AUDIO")
    truth = ev.add_mutually_exclusive_group(required=True)
    truth.add_argument("--scene", metavar="SCENE.json", help="the scene it was rendered from")
    truth.add_argument("--labels", metavar="LABELS.csv",
                       help="or DCASE SELD labels (STARSS23 CSV) of where the sounds are; direction by position only")
    ev.add_argument("--classes", metavar="MAP.json",
                    help="with --labels: class index -> label (default: the labels' .classes.json, else class-N)")
    ev.add_argument("--channels", choices=("ambix", "fuma", "wyzx"),
                    help="an FOA file's channel convention (default: from its metadata or name, else ambix)")
    ev.add_argument("--json", metavar="REPORT.json", help="also write the report as JSON")
    ev.add_argument("--format", choices=tuple(FORMATS), help="the file's format (default: from its channels and name)")
    ev.add_argument("--hrtf", metavar="FILE.sofa", help="the HRTF binaural cues are mapped through (default KEMAR)")
    ev.add_argument("--no-tags", action="store_true", help="skip the optional AudioSet tagger")
    ev.add_argument("--compare", metavar="OTHER", help="also score SEE-2-SOUND's similarity metrics against OTHER")
    ev.add_argument("--original-metrics", action="store_true",
                    help="with --compare: the original's variants (mean-matrix DTW, impulse rhythm, shifted weights)")
    _common(ev)

    lb = commands.add_parser("labels", help="DCASE SELD labels: write a scene's, or score labels against labels",
                             description="Write a scene's sources as DCASE SELD metadata (STARSS23 CSV: 100 ms "
                                         "frames, class, source index, azimuth, elevation, distance in cm) with its "
                                         "class map beside it; or score predicted labels against reference ones "
                                         "(ER20, F20, LE_CD, LR_CD in 1 s segments, DCASE 2023).")
    lsub = lb.add_subparsers(dest="labels_command", metavar="SUBCOMMAND", parser_class=_Parser, required=True)
    lw = lsub.add_parser("write", help="a scene's sources as SELD labels",
                         description="A scene's heard sources as DCASE SELD labels, frame by frame along their "
                                     "trajectories; the class map goes to LABELS.classes.json.")
    lw.add_argument("scene", metavar="SCENE.json")
    lw.add_argument("-o", "--output", required=True, metavar="LABELS.csv")
    lw.add_argument("--classes", metavar="MAP.json|starss23",
                    help="class map (default: the scene's labels, sorted); starss23: the 13 STARSS23 classes")
    lw.add_argument("--decimals", type=int, default=0, metavar="N", help="decimals of the angles (default 0, as STARSS23)")
    lw.add_argument("--no-distance", action="store_true", help="five columns, as STARSS23 v1 (no distance)")
    _common(lw)
    lsc = lsub.add_parser("score", help="SELD metrics of predicted labels against reference labels",
                          description="DCASE 2023 SELD metrics: ER and F within 20 deg, class-dependent "
                                      "localisation error and recall, 1 s segments, macro-averaged over classes.")
    lsc.add_argument("prediction", metavar="PREDICTED.csv")
    lsc.add_argument("reference", metavar="REFERENCE.csv")
    lsc.add_argument("--nb-classes", type=int, metavar="N",
                     help="average over N classes as the DCASE baseline does (default: the classes present)")
    lsc.add_argument("--json", action="store_true", help="print JSON")
    _common(lsc)

    bn = commands.add_parser("bench", help="compare renderers (or rendered files) over scenes, per source",
                             description="Render every scene with every contender (or take files rendered "
                                         "elsewhere), score each with see2sound eval and write one table "
                                         "(bench.md), the rows (bench.json) and a plot into a new folder.")
    bn.add_argument("scenes", nargs="+", metavar="SCENE", help="scene files, or folders of them (*.json)")
    bn.add_argument("-o", "--output", required=True, metavar="DIR", help="a new or empty folder")
    bn.add_argument("--contender", action="append", default=[], metavar="RENDERER:FORMAT|files:DIR",
                    help="repeatable (default: see2sound binaural, foa and 5.1, see2sound-original 5.1, naive-pan "
                         "stereo); files:DIR takes DIR/<scene name>.wav for each scene")
    bn.add_argument("--room", default="none", choices=ROOM_CHOICES, help="room for the renders (default none: dry)")
    bn.add_argument("--keep-renders", action="store_true", help="keep the rendered files in DIR/renders/")
    _common(bn)

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
    sv.add_argument("--max-jobs-per-client", type=int, default=4, metavar="N",
                    help="jobs one client (address) may have queued or running (default 4)")
    sv.add_argument("--max-jobs", type=int, default=16, metavar="N", help="jobs queued or running in all (default 16)")
    sv.add_argument("--max-store-gb", type=float, default=10.0, metavar="GB",
                    help="disk the jobs' files and uploads may take (default 10)")
    sv.add_argument("--max-duration", type=float, default=120.0, metavar="S",
                    help="longest audio a job may ask for, and longest video (default 120)")
    sv.add_argument("--keep-days", type=float, default=7.0, metavar="DAYS",
                    help="delete finished and failed jobs after this many days (default 7; 0: keep them)")
    _common(sv)

    ls = commands.add_parser("list", help="the registered components and output formats",
                             description="Detectors, depth estimators, sound sources and renderers (built in and "
                                         "from installed packages' entry points), and the output formats.")
    _common(ls)
    _sounds(commands)
    return parser


def _render_sound_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=0, help="which sounds, and where they start (default 0)")
    p.add_argument("--library", action="append", default=[], metavar="DIR",
                   help="a folder of your own sounds (repeatable; also SEE2SOUND_LIBRARY)")
    p.add_argument("--sound", default=None, metavar="MODEL",
                   help="library (default) or text-to-audio: stable-audio-open, audioldm2, a hub id or a folder")
    p.add_argument("--sound-steps", type=int, default=None, metavar="N", help="text-to-audio diffusion steps")
    p.add_argument("--doppler", action="store_true", help="delay each path by its travel time (Doppler)")
    p.add_argument("--keep-original", choices=KEEP_ORIGINAL, default="track",
                   help="with --mux: keep a video's soundtrack as a second track (default), mix it in, drop it, "
                        "or (foa) keep it as head-locked stereo beside the ambisonics")


def _batch(commands) -> None:
    ba = commands.add_parser("batch", help="many pictures and videos, resumable, one process per core",
                             description="Render every picture and video of folders, globs or manifests "
                                         "(CSV, JSONL, Parquet: a path column, optional format, duration, seed, "
                                         "hfov, preset) into OUT_DIR, mirroring the input tree: per item the "
                                         "audio and the scene. Resumable: run the same command again to go on; "
                                         "a failed item is recorded and the rest go on. See docs/guide/batch.md.")
    ba.add_argument("inputs", nargs="+", metavar="INPUT", help="folders, globs, pictures, videos or manifests")
    ba.add_argument("-o", "--output", required=True, metavar="OUT_DIR", help="a folder (made if missing)")
    ba.add_argument("--workers", type=int, default=None, metavar="N", help="worker processes (default: the cores)")
    ba.add_argument("--engine", choices=("local", "ray"), default="local",
                    help="local: a process pool (default); ray: Ray Data actors, here or on a cluster "
                         "(see2sound[cluster])")
    ba.add_argument("--ray-address", metavar="ADDRESS", default=None,
                    help="with --engine ray: the cluster to join (default: $RAY_ADDRESS, else Ray on this machine)")
    ba.add_argument("--gpus-per-worker", type=float, default=0.0, metavar="G",
                    help="with --engine ray: GPUs each worker asks Ray for (quality mode on GPU nodes)")
    ba.add_argument("--retry-failed", action="store_true", help="render again the items that failed before")
    ba.add_argument("--ext", choices=("wav", "flac"), default="wav", help="the audio files' type (default wav)")
    ba.add_argument("--mux", action="store_true", help="a video's output is the video with the sound (.mp4/.mov)")
    ba.add_argument("--stems", action="store_true", help="also each source's dry sound in NAME-stems/ (the scene "
                                                         "then names them)")
    ba.add_argument("--overlay", action="store_true", help="also NAME.png: the sources drawn on the picture")
    ba.add_argument("--labels", action="store_true",
                    help="dataset mode: also NAME.csv, DCASE SELD labels (one class map: OUT_DIR/classes.json)")
    ba.add_argument("--variants", type=int, default=1, metavar="K",
                    help="K renders per item (NAME.vk.*): other seeds, rooms, HRTFs and a turn of the whole field")
    ba.add_argument("--hrtf-dir", metavar="DIR", help="SOFA files the variants take in turn")
    ba.add_argument("--worker-memory", type=float, default=None, metavar="MB",
                    help="address-space limit of each worker; an item that needs more fails alone")
    _audio_options(ba, output=False)
    _picture_options(ba, overlay=False)
    _render_sound_options(ba)
    _common(ba)


def _sounds(commands) -> None:
    from ..sound.freesound import LICENSES
    from ..sound.imports import PACKAGES

    so = commands.add_parser("sounds", help="fill the sound library and see what it covers",
                             description="Import folders, Debian packages, .deb and .zip archives; fetch Freesound "
                                         "previews; list the libraries and check which labels have no recording.")
    sub = so.add_subparsers(dest="sounds_command", metavar="SUBCOMMAND", parser_class=_Parser, required=True)
    im = sub.add_parser("import", help="index a folder, package, .deb or .zip and add it to your library",
                        description="Index sounds and add them to the library in ~/.config/see2sound/config.toml. "
                                    "A folder is used where it is; a package's files where Debian installed them "
                                    "(links, never copies); a .deb or .zip is extracted under "
                                    "~/.local/share/see2sound/imports/. Licences come from the package's copyright "
                                    "file. Packages known by name: " + ", ".join(PACKAGES) + ".")
    im.add_argument("what", metavar="WHAT", help="a folder, a package name (see above), a .deb or a .zip")
    im.add_argument("--name", metavar="NAME", help="the import's folder name (default: the package's or zip's)")
    im.add_argument("--no-tags", action="store_true", help="skip the optional AudioSet tagger")
    _common(im)
    fe = sub.add_parser("fetch", help="download Freesound previews for the classes see2sound uses",
                        description="Download one HQ preview per class and query through the Freesound API v2, "
                                    "with its attribution, into a folder added to your library. Resumable: run "
                                    "it again to go on; spaced to Freesound's 60 requests a minute.")
    fe.add_argument("source", choices=("freesound",), help="where from (freesound)")
    fe.add_argument("--key", required=True, metavar="KEY", help="your Freesound API key (freesound.org/apiv2/apply)")
    fe.add_argument("--license", choices=tuple(LICENSES), default="cc0",
                    help="cc0 (default) or cc-by (credited in each scene)")
    fe.add_argument("--classes", nargs="+", metavar="CLASS",
                    help="labels (dog, 'cell phone') or AudioSet classes (default: every sounding label)")
    fe.add_argument("--out", metavar="DIR", help="folder (default ~/.local/share/see2sound/freesound)")
    fe.add_argument("--api-url", default=None, help=argparse.SUPPRESS)
    fe.add_argument("--interval", type=float, default=None, help=argparse.SUPPRESS)
    _common(fe)
    li = sub.add_parser("list", help="the libraries: clips per label and licences",
                        description="Each library a render uses (bundled packs, your folders and imports): its "
                                    "clips per label and their licences.")
    li.add_argument("--json", action="store_true", help="print JSON")
    li.add_argument("--library", action="append", default=[], metavar="DIR", help="also this folder (repeatable)")
    _common(li)
    ch = sub.add_parser("check", help="which sounding labels have no recording, or nothing",
                        description="For each label see2sound gives a sound: recordings (by name, by AudioSet "
                                    "class), procedural models, and the status: recorded, procedural only or "
                                    "nothing. Exit 0.")
    ch.add_argument("--json", action="store_true", help="print JSON")
    ch.add_argument("--library", action="append", default=[], metavar="DIR", help="also this folder (repeatable)")
    _common(ch)


def level(flag: str, text: str) -> float | None:
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
