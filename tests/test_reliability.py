"""Bad input on the command line: one ``error:`` line, its exit status, nothing written, no input touched.

Each case in :data:`CASES` makes its bad input in an empty folder, runs the
command there and checks that stderr is exactly one ``error:`` line holding
the expected words, that the exit status is the expected one, that no file
appeared and that every file there before is byte for byte the same. The
line printed must also be the one that docs/reliability.md shows for the
case: ``python -m tests.test_reliability`` prints that table afresh.

Most cases call :func:`see2sound.cli.main` in this process (fast); those
marked ``proc`` start the command as a user would, where what a process
prints before the error (third-party warnings) and signals matter.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import h5py
import numpy as np
import pytest
import soundfile as sf

from see2sound.cli import main
from tests.helpers import noise, scene_file, source, write_wav

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reliability.md"


@dataclass
class Case:
    args: list[str]
    message: str
    setup: Callable[[Path], None] = lambda d: None
    status: int = 2
    proc: bool = False
    needs: tuple[str, ...] = field(default_factory=tuple)


# --- inputs made on the fly --------------------------------------------------------------------------

def _scene(d: Path, **change) -> Path:
    """scene.json playing noise.wav from one source "a" (2 m ahead), 1 s long, with ``change`` applied."""
    doc = json.loads(scene_file(d, [source("a", 0)], duration=1.0).read_text())
    for where, value in change.items():
        target, *path = where.split(".")
        node = doc if target == "scene" else doc["sources"][0]
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    (d / "scene.json").write_text(json.dumps(doc))
    return d / "scene.json"


def _doc(d: Path, text: str) -> None:
    _scene(d)
    (d / "scene.json").write_text(text)


def _edit(**change):
    return lambda d: _scene(d, **change)


def _picture(d: Path, name: str = "p.png", size=(320, 240)) -> Path:
    from PIL import Image

    Image.new("RGB", size, (120, 120, 120)).save(d / name)
    return d / name


def _jpeg_as(d: Path, name: str) -> None:
    from PIL import Image

    Image.new("RGB", (320, 240), (90, 120, 150)).save(d / name, format="JPEG")


def _bad_sofa(d: Path) -> None:
    _scene(d)
    with h5py.File(d / "x.sofa", "w") as f:
        f.attrs["SOFAConventions"] = "GeneralFIR"
        f["Data.IR"] = np.zeros((2, 2, 64))


def _huge_sofa(d: Path) -> None:
    """A SOFA file that declares 10 million measurements (its data never written: the file stays small)."""
    _scene(d)
    with h5py.File(d / "x.sofa", "w") as f:
        f.attrs["SOFAConventions"] = "SimpleFreeFieldHRIR"
        f.create_dataset("Data.IR", shape=(10_000_000, 2, 256), dtype="f4", chunks=(1, 2, 256))


def _png_header_only(d: Path, name: str, width: int, height: int) -> None:
    """A decompression bomb's header: a PNG that claims width x height 1-bit pixels and holds one row."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pack = zlib.compressobj()
    idat = pack.compress(b"\0" * (1 + (width + 7) // 8)) + pack.flush(zlib.Z_SYNC_FLUSH)
    (d / name).write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
                           + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def _truncated_jpeg(d: Path) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)).save(buffer, "JPEG")
    (d / "cut.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])


def _sparse_picture(d: Path) -> None:
    """A PNG whose file is 1.5 GB (sparse: no disk used)."""
    from PIL import Image

    Image.new("RGB", (64, 64)).save(d / "huge.png")
    with open(d / "huge.png", "r+b") as f:
        f.truncate(1_500_000_000)


def _video(make: str, d: Path, *args):
    """A clip made by tests/video/conftest.py's ``make`` (skipped without PyAV)."""
    pytest.importorskip("av", reason='av is not installed: pip install -e ".[test]"')
    from tests.video import conftest

    return getattr(conftest, make)(*args)


def _damaged_clip(d: Path) -> None:
    """A 40-frame clip with the bytes of frames 5-34 overwritten."""
    _video("damage_frames", d, _video("small_clip", d, d / "src.mp4"), d / "damaged.mp4", range(5, 35))
    (d / "src.mp4").unlink()


def _many_sources(d: Path, count: int) -> None:
    _scene(d)
    doc = json.loads((d / "scene.json").read_text())
    doc["sources"] = [source(f"s{i}", i % 360 - 180) for i in range(count)]
    (d / "scene.json").write_text(json.dumps(doc))


def _trajectory(*times):
    return [{"t": t, "azimuth_deg": 0, "elevation_deg": 0, "distance_m": 1} for t in times]


def _nan_audio(d: Path) -> None:
    _scene(d)
    x = noise(0.5)
    x[100] = np.nan
    sf.write(str(d / "noise.wav"), x, 48000, subtype="FLOAT")


def _zip(path: Path, members: dict[str, bytes]) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


def _eval_files(d: Path) -> None:
    _scene(d)
    write_wav(d / "mix.wav", np.stack([noise(1.0), noise(1.0, seed=1)]))


S = "{dir}/scene.json"

CASES: dict[str, Case] = {
    # the scene file: syntax and structure
    "malformed JSON": Case(["spatialize", S], "invalid JSON at line 1 column 12", lambda d: _doc(d, '{"schema": ')),
    "truncated JSON": Case(["spatialize", S], "invalid JSON",
                           lambda d: _doc(d, _scene(d).read_text()[:40])),
    "empty scene file": Case(["spatialize", S], "invalid JSON at line 1 column 1", lambda d: _doc(d, "")),
    "a number of 5000 digits": Case(["spatialize", S], "invalid JSON (a number with too many digits)",
                                    lambda d: _doc(d, _scene(d).read_text().replace('"distance_m": 2.0',
                                                                                    '"distance_m": ' + "1" * 5000))),
    "JSON nested 100,000 deep": Case(["spatialize", S], "nested deeper than 64 levels",
                                     lambda d: _doc(d, "[" * 100_000)),
    "JSON nested 100,000 deep, eval": Case(["eval", "{dir}/mix.wav", "--scene", S], "nested deeper than 64 levels",
                                           lambda d: (_eval_files(d), _doc(d, "[" * 100_000))),
    "scene not UTF-8": Case(["spatialize", S], "cannot read scene file",
                            lambda d: (_scene(d), (d / "scene.json").write_bytes(b"\xff\xfe\x00{"))),
    "scene is a list": Case(["spatialize", S], "expected an object, got an array", lambda d: _doc(d, "[]")),
    "scene is a folder": Case(["spatialize", "{dir}"], "cannot read scene file", _scene),
    "missing scene": Case(["spatialize", S], "no such scene file", lambda d: _scene(d).unlink()),
    "unknown schema": Case(["spatialize", S], "schema: expected 'see2sound.scene/2'",
                           _edit(**{"scene.schema": "see2sound.scene/9"})),
    "sources not a list": Case(["spatialize", S], "sources: expected an array, got an object",
                               _edit(**{"scene.sources": {}})),
    "duplicate source id": Case(["spatialize", S], "sources[1].id: duplicate id 'a'",
                                lambda d: _doc(d, json.dumps({**json.loads(_scene(d).read_text()),
                                                              "sources": [source("a", 0), source("a", 9)]}))),
    "10,000 sources": Case(["spatialize", S], "sources: 10000 sources; a scene may have at most 256",
                           lambda d: _many_sources(d, 10_000)),
    # the scene file: numbers
    "NaN distance": Case(["spatialize", S], "sources[0].position.distance_m: must be finite",
                         lambda d: _doc(d, _scene(d).read_text().replace('"distance_m": 2.0', '"distance_m": NaN'))),
    "negative distance": Case(["spatialize", S], "distance_m: must be greater than 0",
                              _edit(**{"source.position.distance_m": -1})),
    "distance 1e39": Case(["spatialize", S], "sources[0].position.distance_m: must be at most 10000, got 1e+39",
                          _edit(**{"source.position.distance_m": 1e39})),
    "distance 1e300": Case(["spatialize", S], "distance_m: must be at most 10000",
                           _edit(**{"source.position.distance_m": 1e300})),
    "elevation 91": Case(["spatialize", S], "sources[0].position.elevation_deg: must be at most 90",
                         _edit(**{"source.position.elevation_deg": 91})),
    "azimuth a string": Case(["spatialize", S], "sources[0].position.azimuth_deg: expected a number, got a string",
                             _edit(**{"source.position.azimuth_deg": "left"})),
    "gain_db 1e300": Case(["spatialize", S], "sources[0].audio.gain_db: must be at most 60",
                          _edit(**{"source.audio.gain_db": 1e300})),
    "gain_db -1e300": Case(["spatialize", S], "sources[0].audio.gain_db: must be at least -120",
                           _edit(**{"source.audio.gain_db": -1e300})),
    "offset_s 1e300": Case(["spatialize", S], "sources[0].audio.offset_s: must be at most 3600",
                           _edit(**{"source.audio.offset_s": 1e300})),
    "duration_s 1e9": Case(["spatialize", S], "duration_s: must be at most 3600, got 1e+09",
                           _edit(**{"scene.duration_s": 1e9})),
    "zero length": Case(["spatialize", S], "duration_s: must be greater than 0", _edit(**{"scene.duration_s": 0})),
    "spread 400": Case(["spatialize", S], "sources[0].spread_deg: must be at most 360",
                       _edit(**{"source.spread_deg": 400})),
    "confidence 2": Case(["spatialize", S], "sources[0].confidence: must be at most 1",
                         _edit(**{"source.confidence": 2})),
    "box with infinity": Case(["spatialize", S], "sources[0].box: must be finite",
                              lambda d: _doc(d, _scene(d).read_text().replace(
                                  '"id": "a"', '"id": "a", "box": [0, 0, Infinity, 1]'))),
    "unsorted trajectory": Case(["spatialize", S], "trajectory[1].t: keyframe times must increase",
                                _edit(**{"source.trajectory": _trajectory(2, 1)})),
    "keyframe after an hour": Case(["spatialize", S], "trajectory[1].t: must be at most 3600",
                                   _edit(**{"source.trajectory": _trajectory(0, 1e12)})),
    "active window reversed": Case(["spatialize", S], "sources[0].active_s: must be 0 <= start < end <= 3600",
                                   _edit(**{"source.active_s": [5, 1]})),
    "half a person": Case(["spatialize", S], "sources[0].people: expected a whole number, got 1.5",
                          _edit(**{"source.people": 1.5})),
    "overlapping segments": Case(["spatialize", S], "segments[1].start_s: segments must not overlap",
                                 _edit(**{"scene.segments": [{"start_s": 0, "end_s": 0.6},
                                                             {"start_s": 0.5, "end_s": 1}]})),
    # the sounds a scene plays
    "missing audio file": Case(["spatialize", S], "sources[0].audio.path: ", lambda d: (_scene(d),
                                                                                       (d / "noise.wav").unlink())),
    "unreadable audio file": Case(["spatialize", S], "not a readable audio file",
                                  lambda d: (_scene(d), (d / "noise.wav").write_bytes(b"garbage" * 100))),
    "audio with NaN samples": Case(["spatialize", S], "audio contains NaN or infinite samples", _nan_audio),
    "NUL in an audio path": Case(["spatialize", S], "sources[0].audio.path: a file name cannot hold a NUL character",
                                 _edit(**{"source.audio.path": "\u0000.wav"})),
    "audio path is a pipe": Case(["spatialize", S], "fifo.wav: not a regular file",
                                 lambda d: (_scene(d, **{"source.audio.path": "fifo.wav"}), os.mkfifo(d / "fifo.wav"))),
    "empty audio path": Case(["spatialize", S], "sources[0].audio.path: must not be empty",
                             _edit(**{"source.audio.path": " "})),
    "source without audio": Case(["spatialize", S], "sources[0] ('a'): has no audio",
                                 lambda d: _doc(d, _scene(d).read_text().replace('"audio": {"path": "noise.wav"}',
                                                                                 '"label": "x"'))),
    # flags
    "unknown format": Case(["spatialize", S, "-o", "{dir}/o.wav", "--format", "9.1"], "invalid choice", _scene),
    "unknown room": Case(["spatialize", S, "-o", "{dir}/o.wav", "--room", "cave"], "invalid choice: 'cave'", _scene),
    "bad loudness": Case(["spatialize", S, "-o", "{dir}/o.wav", "--loudness", "loud"], "--loudness", _scene),
    "NaN loudness": Case(["spatialize", S, "-o", "{dir}/o.wav", "--loudness", "nan"],
                         "--loudness: expected a finite number", _scene),
    "true peak above 0": Case(["spatialize", S, "-o", "{dir}/o.wav", "--true-peak", "5"],
                              "--true-peak: must be between -20 and 0 dBTP", _scene),
    "bad sample rate": Case(["spatialize", S, "-o", "{dir}/o.wav", "--sample-rate", "12"], "--sample-rate", _scene),
    "sample rate 1e9": Case(["spatialize", S, "-o", "{dir}/o.wav", "--sample-rate", "1e9"],
                            "argument --sample-rate: invalid int value: '1e9'", _scene),
    "SOFA of another convention": Case(["spatialize", S, "-o", "{dir}/o.wav", "--hrtf", "{dir}/x.sofa"],
                                       "need SimpleFreeFieldHRIR", _bad_sofa),
    "not a SOFA file": Case(["spatialize", S, "-o", "{dir}/o.wav", "--hrtf", "{dir}/x.sofa"], "not a SOFA file",
                            lambda d: (_scene(d), (d / "x.sofa").write_text("hello"))),
    "SOFA declaring 10 million measurements": Case(
        ["spatialize", S, "-o", "{dir}/o.wav", "--hrtf", "{dir}/x.sofa"],
        "10000000 measurements of 256 taps; an HRTF may have at most 100000", _huge_sofa),
    "missing SOFA file": Case(["spatialize", S, "-o", "{dir}/o.wav", "--hrtf", "{dir}/x.sofa"], "no such SOFA file",
                              _scene),
    "preview without foa": Case(["spatialize", S, "-o", "{dir}/o.wav", "--preview", "{dir}/p.wav"], "--preview",
                                _scene),
    "unknown renderer": Case(["spatialize", S, "-o", "{dir}/o.wav", "--renderer", "nope"],
                             "--renderer: unknown renderer 'nope' (choose from see2sound, see2sound-original", _scene),
    "a format the renderer cannot make": Case(
        ["spatialize", S, "-o", "{dir}/o.wav", "--renderer", "see2sound-original", "--format", "foa"],
        "--format: the see2sound-original renderer makes 5.1 only, not foa", _scene),
    "unknown command": Case(["frobnicate"], "argument COMMAND: invalid choice: 'frobnicate'"),
    "duration 1e9": Case(["render", "{dir}/p.png", "-o", "{dir}/o.wav", "--duration", "1e9"],
                         "--duration: must be more than 0 and at most 3600 s", _picture),
    "duration NaN": Case(["render", "{dir}/p.png", "-o", "{dir}/o.wav", "--duration", "nan"],
                         "--duration: must be more than 0 and at most 3600 s, got nan", _picture),
    "field of view 500": Case(["render", "{dir}/p.png", "-o", "{dir}/o.wav", "--hfov", "500"],
                              "--hfov: must be between 1 and 179 degrees", _picture),
    "no sources asked for": Case(["render", "{dir}/p.png", "-o", "{dir}/o.wav", "--max-sources", "0"],
                                 "--max-sources: must be from 1 to 64", _picture),
    "analysis rate 100": Case(["render", "{dir}/p.png", "-o", "{dir}/o.wav", "--analysis-rate", "100"],
                              "--analysis-rate: must be from 0.5 to 30 per second", _picture),
    "preset and models disagree": Case(["render", "{dir}/p.png", "-o", "{dir}/o.wav", "--preset", "offline",
                                        "--models", "hub"], "--models: give --preset or --models, not both", _picture),
    "port 99999": Case(["serve", "--port", "99999"], "--port: must be from 1 to 65535"),
    "no workers": Case(["serve", "--workers", "0"], "--workers: must be from 1 to 16"),
    "studio with no jobs allowed": Case(["serve", "--max-jobs", "0"], "--max-jobs: must be a whole number from 1"),
    "studio keeping jobs -1 days": Case(["serve", "--keep-days", "-1"], "--keep-days: must be from 0 to 36500"),
    "studio store of NaN GB": Case(["serve", "--max-store-gb", "nan"], "--max-store-gb: must be more than 0"),
    "studio jobs of 1e9 s": Case(["serve", "--max-duration", "1e9"], "--max-duration: must be more than 0 and at most"),
    # outputs
    "a picture into a video container": Case(["render", "{dir}/p.png", "-o", "{dir}/p.mp4", "--format", "foa"],
                                             "-o: {dir}/p.mp4: a picture's audio goes into .wav or .flac", _picture),
    "a picture's audio into .mkv": Case(["render", "{dir}/p.png", "-o", "{dir}/x.mkv"],
                                        "-o: {dir}/x.mkv: must end in .wav or .flac", _picture),
    "adm into .flac": Case(["spatialize", S, "-o", "{dir}/o.adm.flac"],
                           "-o: {dir}/o.adm.flac: an adm file is BW64 (ITU-R BS.2088): its name must end in .wav",
                           _scene),
    "preview into .mp3": Case(["spatialize", S, "-o", "{dir}/o.wav", "--format", "foa", "--preview", "{dir}/p.mp3"],
                              "--preview: {dir}/p.mp3: must end in .wav or .flac", _scene),
    "analyze into .txt": Case(["analyze", "{dir}/p.png", "-o", "{dir}/a.txt"],
                              "-o: {dir}/a.txt: the scene file must end in .json", _picture),
    "output inside the stems folder": Case(["render", "{dir}/in/p.png", "-o", "{dir}/st/p-1.wav", "--stems",
                                            "{dir}/st"], "-o: {dir}/st/p-1.wav: is inside {dir}/st, the folder",
                                           lambda d: ((d / "in").mkdir(), (d / "st").mkdir(), _picture(d / "in"))),
    "output replaces a library sound": Case(["render", "{dir}/p.png", "-o", "{dir}/lib/rain.wav", "--library",
                                             "{dir}/lib"], "-o: {dir}/lib/rain.wav: would replace a file of the sound",
                                            lambda d: (_picture(d), (d / "lib").mkdir(),
                                                       write_wav(d / "lib" / "rain.wav", noise(0.5)))),
    "output is a pipe": Case(["spatialize", S, "-o", "{dir}/pipe.wav"], "pipe.wav: is a device, pipe or socket",
                             lambda d: (_scene(d), os.mkfifo(d / "pipe.wav"))),
    "output name of 300 characters": Case(["spatialize", S, "-o", "{dir}/" + "x" * 300 + ".wav"],
                                          "File name too long (nothing was written)", _scene),
    "output folder missing": Case(["spatialize", S, "-o", "{dir}/no/o.wav"], "output folder {dir}/no does not exist",
                                  _scene),
    "overlay replaces the picture": Case(["analyze", "{dir}/in.png", "-o", "{dir}/x.json", "--overlay",
                                          "{dir}/in.png"], "--overlay: {dir}/in.png: would replace the picture",
                                         lambda d: _picture(d, "in.png")),
    "output replaces the picture": Case(["render", "{dir}/in.wav", "-o", "{dir}/in.wav"],
                                        "-o: {dir}/in.wav: would replace the picture", lambda d: _jpeg_as(d, "in.wav")),
    "stems folder holds the picture": Case(["render", "{dir}/p.png", "-o", "{dir}/o.wav", "--stems", "{dir}"],
                                           "--stems: {dir}: would replace the picture", _picture),
    "output replaces a stem the scene plays": Case(["spatialize", S, "-o", "{dir}/noise.wav"],
                                                   "-o: {dir}/noise.wav: would replace the sound of sources[0]",
                                                   _scene),
    "preview onto the output": Case(["spatialize", S, "-o", "{dir}/o.wav", "--format", "foa", "--preview",
                                     "{dir}/o.wav"], "--preview: {dir}/o.wav: is also where output goes", _scene),
    "7.1 for an hour in a WAV": Case(["spatialize", S, "-o", "{dir}/o.wav", "--format", "7.1"],
                                     "a WAV file holds at most 4 GiB", _edit(**{"scene.duration_s": 3600})),
    "eval report not .json": Case(["eval", "{dir}/mix.wav", "--scene", S, "--json", "{dir}/r.txt"],
                                  "--json: {dir}/r.txt: the report is JSON: its name must end in .json", _eval_files),
    "eval report onto the scene": Case(["eval", "{dir}/mix.wav", "--scene", S, "--json", S],
                                       "--json: {dir}/scene.json: would replace the scene file", _eval_files),
    "eval of an adm file": Case(["eval", "{dir}/mix.adm.wav", "--scene", S], "holds objects, not channels",
                                lambda d: (_eval_files(d), shutil.copy(d / "mix.wav", d / "mix.adm.wav"))),
    "eval of a missing file": Case(["eval", "{dir}/nope.wav", "--scene", S], "no such audio file", _scene),
    "eval with the wrong channel count": Case(["eval", "{dir}/mix.wav", "--scene", S, "--format", "foa"],
                                              "2 channels, but format foa has 4", _eval_files),
    "eval against labels and a scene": Case(["eval", "{dir}/mix.wav", "--scene", S, "--labels", "{dir}/l.csv"],
                                            "not allowed with argument --scene", _eval_files),
    "eval of damaged labels": Case(["eval", "{dir}/mix.wav", "--labels", "{dir}/l.csv"], "l.csv",
                                   lambda d: (_eval_files(d), (d / "l.csv").write_text("0,1,0,ninety,0\n"))),
    "a scene given as the class map": Case(["labels", "write", S, "-o", "{dir}/l.csv", "--classes", S],
                                           "or a list of class names", _scene),
    "SELD labels not .csv": Case(["labels", "write", S, "-o", "{dir}/l.txt"], "SELD labels are CSV", _scene),
    "bench into a folder with files": Case(["bench", S, "-o", "{dir}"], "exists and is not an empty folder", _scene),
    "bench of files that are not there": Case(["bench", S, "-o", "{dir}/b", "--contender", "files:{dir}/none"],
                                              "is not a folder", _scene),
    "demo into /proc": Case(["demo", "-o", "/proc/see2sound-demo"], "/proc/see2sound-demo: cannot write there"),
    # pictures and videos
    "missing picture": Case(["render", "{dir}/nope.jpg", "-o", "{dir}/o.wav"], "nope.jpg: no such image file"),
    "text named .png": Case(["render", "{dir}/p.png", "-o", "{dir}/o.wav"], "not a picture see2sound can read",
                            lambda d: (d / "p.png").write_text("hello")),
    "HEIC picture": Case(["render", "{dir}/photo.heic"], "photo.heic: HEIC is not supported: convert it to JPEG or PNG",
                         lambda d: (d / "photo.heic").write_bytes(struct.pack(">I", 24) + b"ftypheic\0\0\0\0mif1heic"
                                                                  + b"\0" * 40)),
    "picture just over 250 MP": Case(["render", "{dir}/over.png"], "over.png: picture has 250.02 MP; the limit is 250 MP",
                                     lambda d: _png_header_only(d, "over.png", 20000, 12501)),
    "decompression bomb": Case(["render", "{dir}/bomb.png"], "bomb.png: picture has 400.0 MP; the limit is 250 MP",
                               lambda d: _png_header_only(d, "bomb.png", 20000, 20000)),
    "truncated JPEG": Case(["render", "{dir}/cut.jpg"], "cut.jpg: the picture is truncated", _truncated_jpeg),
    "picture file of 1.5 GB": Case(["render", "{dir}/huge.png"], "huge.png: picture file is 1,500.0 MB; the limit is",
                                   _sparse_picture),
    "damaged video": Case(["render", "{dir}/damaged.mp4"], "damaged.mp4: 30 of 40 video frames could not be decoded",
                          _damaged_clip, proc=True),
    "text named .mp4": Case(["render", "{dir}/notes.mp4"], "notes.mp4: not a video see2sound can read",
                            lambda d: (d / "notes.mp4").write_text("this is not a video\n")),
    "video without pictures": Case(["render", "{dir}/song.mp4"], "song.mp4: audio only: a video needs a picture stream",
                                   lambda d: _video("audio_only", d, d / "song.mp4")),
    "a video into .mkv": Case(["render", "{dir}/c.mp4", "-o", "{dir}/x.mkv"],
                              "-o: {dir}/x.mkv: a video's output must end in .wav, .flac, .mp4, .mov, .m4v",
                              lambda d: _video("small_clip", d, d / "c.mp4", 5)),
    "head-locked stereo beside binaural": Case(
        ["render", "{dir}/c.mp4", "-o", "{dir}/x.mp4", "--keep-original", "headlocked"],
        "--keep-original: headlocked is first-order ambisonics with head-locked stereo: it needs the foa format",
        lambda d: _video("small_clip", d, d / "c.mp4", 5)),
    "head-locked stereo into .wav": Case(
        ["render", "{dir}/c.mp4", "-o", "{dir}/x.foa.wav", "--keep-original", "headlocked"],
        "--keep-original: {dir}/x.foa.wav: headlocked is for a video written into .mp4 or .mov",
        lambda d: _video("small_clip", d, d / "c.mp4", 5)),
    "analyze a video": Case(["analyze", "{dir}/c.mp4", "-o", "{dir}/s.json"], "analyze takes a picture",
                            lambda d: (d / "c.mp4").write_bytes(b"\0" * 64)),
    # filling the sound library
    "sounds without a subcommand": Case(["sounds"], "the following arguments are required: SUBCOMMAND"),
    "import of a missing folder": Case(["sounds", "import", "{dir}/nope"],
                                       "{dir}/nope: no such folder, .deb or .zip, and not a package see2sound knows"),
    "import of an empty folder": Case(["sounds", "import", "{dir}/empty"], "{dir}/empty: no sound files",
                                      lambda d: (d / "empty").mkdir()),
    "import of text named .zip": Case(["sounds", "import", "{dir}/x.zip"], "{dir}/x.zip: not a zip archive",
                                      lambda d: (d / "x.zip").write_text("hello")),
    "import of a zip without sounds": Case(["sounds", "import", "{dir}/x.zip"], "{dir}/x.zip: no sound files",
                                           lambda d: _zip(d / "x.zip", {"readme.txt": b"no sounds here"})),
    "import of text named .deb": Case(["sounds", "import", "{dir}/x_1_all.deb"],
                                      "{dir}/x_1_all.deb: not a Debian package (.deb)",
                                      lambda d: (d / "x_1_all.deb").write_text("hello")),
    "import of a file of another kind": Case(["sounds", "import", "{dir}/notes.txt"], "not a folder, a .deb or a .zip",
                                             lambda d: (d / "notes.txt").write_text("hello")),
    "import name for a folder": Case(["sounds", "import", "{dir}", "--name", "mine"],
                                     "--name: only for a package, .deb or .zip", lambda d: write_wav(d / "dog.wav",
                                                                                                     noise(0.2))),
    "import name with a slash": Case(["sounds", "import", "{dir}/x.zip", "--name", "../up"],
                                     "--name: '../up': use letters, digits", lambda d: _zip(d / "x.zip", {})),
    "fetch with an empty key": Case(["sounds", "fetch", "freesound", "--key", " "], "--key: must not be empty"),
    "fetch of an unknown class": Case(["sounds", "fetch", "freesound", "--key", "k", "--classes", "unicorn"],
                                      "--classes: unknown class 'unicorn'"),
    "fetch into a file": Case(["sounds", "fetch", "freesound", "--key", "k", "--out", "{dir}/f.txt"],
                              "--out: {dir}/f.txt: is a file, not a folder", lambda d: (d / "f.txt").write_text("x")),
    "fetch from elsewhere": Case(["sounds", "fetch", "soundcloud", "--key", "k"], "invalid choice: 'soundcloud'"),
    "fetch with the server unreachable": Case(
        ["sounds", "fetch", "freesound", "--key", "k", "--classes", "dog", "--out", "{dir}/fs", "--api-url",
         "http://127.0.0.1:9"], "freesound: cannot reach http://127.0.0.1:9 ("),
}


# --- running a case -------------------------------------------------------------------------------

def _files(d: Path) -> dict[str, str]:
    """Each file's digest (size and time for the sparse giant ones), "dir" for folders."""
    def fingerprint(p: Path) -> str:
        if not p.is_file():
            return "dir"
        stat = p.stat()
        if stat.st_size > 64 * 1024 * 1024:
            return f"{stat.st_size} {stat.st_mtime_ns}"
        return hashlib.sha256(p.read_bytes()).hexdigest()

    return {str(p.relative_to(d)): fingerprint(p) for p in sorted(d.rglob("*"))}


def _args(case: Case, d: Path) -> list[str]:
    args = [a.format(dir=d) for a in case.args]
    if args[0] in ("render", "spatialize") and "-o" not in args:
        args += ["-o", str(d / "out.wav")]
    return args


def _run(case: Case, d: Path, capsys) -> tuple[int, list[str]]:
    args = _args(case, d)
    if case.proc:
        result = subprocess.run([sys.executable, "-m", "see2sound.cli", *args], capture_output=True, text=True,
                                timeout=120, cwd=d)
        return result.returncode, result.stderr.strip().splitlines()
    status = main(args)
    return status, capsys.readouterr().err.strip().splitlines()


def _shown(line: str, d: Path) -> str:
    """The line as docs/reliability.md shows it: the case's folder written as DIR."""
    return line.replace(str(d), "DIR")


def doc_rows() -> dict[str, tuple[str, str]]:
    """case -> (exit status, message) from docs/reliability.md's CLI table."""
    rows = {}
    section = DOC.read_text().split("\n## Command line\n")[1].split("\n## ")[0]
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[2].isdigit():
            rows[cells[0]] = (cells[2], cells[3].removeprefix("`` ").removesuffix(" ``").replace("\\|", "|"))
    return rows


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_one_error_line_and_nothing_written(tmp_path, capsys, name):
    case = CASES[name]
    case.setup(tmp_path)
    before = _files(tmp_path)
    status, lines = _run(case, tmp_path, capsys)
    assert status == case.status, lines
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert case.message.format(dir=tmp_path) in lines[0], lines
    assert _files(tmp_path) == before  # no output, no temporary, every input as it was
    assert doc_rows().get(name) == (str(status), _shown(lines[0], tmp_path)), \
        "docs/reliability.md is out of date: python -m tests.test_reliability > the CLI table"


def test_every_documented_case_is_tested():
    assert set(doc_rows()) - set(CASES) == set()


@pytest.mark.slow
def test_sigterm_leaves_no_file_behind(tmp_path):
    """What `timeout -s TERM`, systemd and container runtimes do to a long render."""
    photo = ROOT / "tests" / "data" / "photos" / "bus.jpg"
    if not photo.exists():
        pytest.skip("test photos missing: run scripts/fetch_test_photos.sh")
    shutil.copy(photo, tmp_path / "bus.jpg")
    before = _files(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "see2sound.cli", "render", "bus.jpg", "-o", "out.wav",
                             "--duration", "1800", "--scene-out", "s.json", "-q"], cwd=tmp_path,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".*.part")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)  # until the outputs' temporaries exist: the render is under way
    assert list(tmp_path.glob(".*.part")), "the render did not start"
    time.sleep(3.0)  # into analysis or rendering
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and err.strip().splitlines() == ["error: terminated"]
    assert _files(tmp_path) == before


def _table() -> str:
    """The CLI table of docs/reliability.md, from running every case."""
    import tempfile

    rows = ["| case | command | exit | message |", "|---|---|---|---|"]
    for name in sorted(CASES):
        case = CASES[name]
        with tempfile.TemporaryDirectory() as folder:
            d = Path(folder)
            case.setup(d)
            args = _args(case, d)
            result = subprocess.run([sys.executable, "-m", "see2sound.cli", *args],
                                    capture_output=True, text=True, cwd=d, timeout=120)
            line = _shown(result.stderr.strip().splitlines()[-1], d).replace("|", "\\|")
            command = " ".join(["see2sound", *(_shown(a, d) for a in args)])
            command = re.sub(r"\s+", " ", command).replace("|", "\\|")
            rows.append(f"| {name} | `{command}` | {result.returncode} | `` {line} `` |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(_table())


def test_a_disk_too_small_is_one_line_before_anything_runs(tmp_path, capsys, monkeypatch):
    import see2sound.outputs as outputs

    _scene(tmp_path)
    before = _files(tmp_path)
    monkeypatch.setattr(outputs.shutil, "disk_usage", lambda folder: shutil._ntuple_diskusage(10 ** 12, 10 ** 12, 1000))
    assert main(["spatialize", str(tmp_path / "scene.json"), "-o", str(tmp_path / "o.wav")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [f"error: -o: {tmp_path}/o.wav: needs 375.0 KiB; its folder has 1000 bytes free"]
    assert _files(tmp_path) == before
