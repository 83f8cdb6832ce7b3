"""The command line: success paths, and one `error:` line, exit 2 and no output for bad input."""

import json
import subprocess
import sys

import h5py
import numpy as np
import pytest
import soundfile as sf

from see2sound.cli import main
from see2sound.formats import format_from_name
from tests.helpers import scene_file, source, tone, wav_channel_mask, write_wav


def run(*args):
    return subprocess.run([sys.executable, "-m", "see2sound.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_spatialize_writes_each_format(tmp_path, capsys):
    scene = scene_file(tmp_path, [source("a", 30), source("b", -120, 10, 5.0)], duration=1.0)
    for fmt, channels in (("binaural", 2), ("foa", 4), ("stereo", 2), ("5.1", 6), ("7.1", 8)):
        out = tmp_path / f"out-{fmt}.wav"
        assert main(["spatialize", str(scene), "-o", str(out), "--format", fmt, "-q"]) == 0
        info = sf.info(str(out))
        assert (info.channels, info.frames, info.samplerate) == (channels, 48000, 48000)
    assert capsys.readouterr().out == ""


def test_format_is_taken_from_the_output_name(tmp_path):
    assert format_from_name("street.foa.wav") == "foa"
    assert format_from_name("mix_5.1.flac") == "5.1"
    assert format_from_name("a-7.1.wav") == "7.1"
    assert format_from_name("take51.wav") is None
    assert format_from_name("foa_to_stereo.wav") is None  # ambiguous
    scene = scene_file(tmp_path, [source("a", 0)], duration=0.5)
    assert main(["spatialize", str(scene), "-o", str(tmp_path / "bed.ambix.wav"), "-q"]) == 0
    assert wav_channel_mask(tmp_path / "bed.ambix.wav") == (0xFFFE, 0)
    assert sf.info(str(tmp_path / "bed.ambix.wav")).channels == 4


@pytest.mark.slow
def test_report_and_preview(tmp_path):
    scene = scene_file(tmp_path, [source("a", 60)], duration=1.0)
    result = run("spatialize", scene, "-o", tmp_path / "x.wav", "--format", "foa",
                 "--preview", tmp_path / "x-binaural.wav", "--loudness", "-20", "-v")
    assert result.returncode == 0, result.stderr
    assert "-20.0 LUFS" in result.stdout and "binaural decode" in result.stdout
    left, right = sf.read(str(tmp_path / "x-binaural.wav"))[0].T
    assert np.sum(left ** 2) > 2 * np.sum(right ** 2)  # +60 deg is on the left


@pytest.mark.slow
def test_sample_rate_and_multichannel_inputs_are_converted_with_a_note(tmp_path):
    write_wav(tmp_path / "odd.wav", np.stack([tone(440, 1.0, sr=44100)] * 3), sr=44100)
    scene = scene_file(tmp_path, [source("a", 0, audio="odd.wav")], duration=1.0)
    result = run("spatialize", scene, "-o", tmp_path / "x.wav", "--sample-rate", "32000")
    assert result.returncode == 0, result.stderr
    assert "note: odd.wav: downmixed 3 channels" in result.stderr
    assert "note: odd.wav: resampled 44100 Hz to 32000 Hz" in result.stderr
    assert sf.info(str(tmp_path / "x.wav")).frames == 32000


def _bad_sofa(path):
    with h5py.File(path, "w") as f:
        f.attrs["SOFAConventions"] = "GeneralFIR"
        f["Data.IR"] = np.zeros((2, 2, 64))
    return path


BAD = {
    "malformed JSON": (lambda d, s: s.write_text("{\"schema\": "), ["spatialize", "{scene}"], "invalid JSON"),
    "truncated JSON": (lambda d, s: s.write_text(s.read_text()[:40]), ["spatialize", "{scene}"], "invalid JSON"),
    "NaN distance": (lambda d, s: s.write_text(s.read_text().replace('"distance_m": 2.0', '"distance_m": NaN')),
                     ["spatialize", "{scene}"], "sources[0].position.distance_m: must be finite"),
    "negative distance": (lambda d, s: s.write_text(s.read_text().replace('"distance_m": 2.0', '"distance_m": -1')),
                          ["spatialize", "{scene}"], "distance_m: must be greater than 0"),
    "unsorted trajectory": (
        lambda d, s: s.write_text(json.dumps({**json.loads(s.read_text()), "sources": [{
            **source("a", 0), "trajectory": [{"t": 2, "azimuth_deg": 0, "elevation_deg": 0, "distance_m": 1},
                                             {"t": 1, "azimuth_deg": 0, "elevation_deg": 0, "distance_m": 1}]}]})),
        ["spatialize", "{scene}"], "trajectory[1].t: keyframe times must increase"),
    "zero length": (lambda d, s: s.write_text(s.read_text().replace('"duration_s": 1.0', '"duration_s": 0')),
                    ["spatialize", "{scene}"], "duration_s: must be greater than 0"),
    "missing audio file": (lambda d, s: (d / "noise.wav").unlink(), ["spatialize", "{scene}"],
                           "sources[0].audio.path: "),
    "unreadable audio file": (lambda d, s: (d / "noise.wav").write_bytes(b"garbage" * 100),
                              ["spatialize", "{scene}"], "not a readable audio file"),
    "source without audio": (lambda d, s: s.write_text(s.read_text().replace('"audio": {"path": "noise.wav"}', '"label": "x"')),
                             ["spatialize", "{scene}"], "sources[0] ('a'): has no audio"),
    "unknown format": (lambda d, s: None, ["spatialize", "{scene}", "--format", "9.1"], "invalid choice"),
    "SOFA of another convention": (lambda d, s: _bad_sofa(d / "x.sofa"), ["spatialize", "{scene}", "--hrtf", "{dir}/x.sofa"],
                                   "need SimpleFreeFieldHRIR"),
    "not a SOFA file": (lambda d, s: (d / "x.sofa").write_text("hello"), ["spatialize", "{scene}", "--hrtf", "{dir}/x.sofa"],
                        "not a SOFA file"),
    "bad loudness": (lambda d, s: None, ["spatialize", "{scene}", "--loudness", "loud"], "--loudness"),
    "bad sample rate": (lambda d, s: None, ["spatialize", "{scene}", "--sample-rate", "12"], "--sample-rate"),
    "missing scene": (lambda d, s: s.unlink(), ["spatialize", "{scene}"], "no such scene file"),
    "preview without foa": (lambda d, s: None, ["spatialize", "{scene}", "--preview", "{dir}/p.wav"], "--preview"),
    "unknown renderer": (lambda d, s: None, ["spatialize", "{scene}", "--renderer", "nope"],
                         "--renderer: unknown renderer 'nope' (choose from see2sound, see2sound-original"),
    "a format the renderer cannot make": (lambda d, s: None, ["spatialize", "{scene}", "--renderer", "see2sound-original",
                                                              "--format", "foa"],
                                          "--format: the see2sound-original renderer makes 5.1 only, not foa"),
    "preset and models disagree": (lambda d, s: _grey_picture(d / "p.png"), ["render", "{dir}/p.png", "--preset",
                                                                             "offline", "--models", "hub"],
                                   "--models: give --preset or --models, not both"),
    "a picture into a video container": (lambda d, s: _grey_picture(d / "p.png"), ["render", "{dir}/p.png", "-o",
                                                                                   "{dir}/p.mp4", "--format", "foa"],
                                         "-o: "),
    "analyze a video": (lambda d, s: (d / "c.mp4").write_bytes(b"\0" * 64), ["analyze", "{dir}/c.mp4", "-o",
                                                                           "{dir}/s.json"], "analyze takes a picture"),
}


def _grey_picture(path):
    from PIL import Image

    Image.new("RGB", (320, 240), (120, 120, 120)).save(path)


QUICK_BAD = {"malformed JSON"}  # each case starts the CLI (about 1.3 s): the others are slow


@pytest.mark.parametrize("case", [c if c in QUICK_BAD else pytest.param(c, marks=pytest.mark.slow) for c in sorted(BAD)])
def test_bad_input_is_one_error_line_exit_2_and_no_output(tmp_path, case):
    setup, args, message = BAD[case]
    scene = scene_file(tmp_path, [source("a", 0)], duration=1.0)
    setup(tmp_path, scene)
    before = set(tmp_path.iterdir())
    out = tmp_path / "out.wav"
    args = [a.format(scene=scene, dir=tmp_path) for a in args]
    result = run(*args, *([] if "-o" in args else ["-o", out]))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert set(tmp_path.iterdir()) == before  # no output, no temporary left behind


@pytest.mark.slow
def test_output_folder_must_exist(tmp_path):
    scene = scene_file(tmp_path, [source("a", 0)], duration=0.5)
    result = run("spatialize", scene, "-o", tmp_path / "no" / "out.wav")
    assert result.returncode == 2 and result.stderr.startswith("error: ")


def test_long_renders_go_through_a_disk_buffer_with_the_same_result(tmp_path, monkeypatch):
    import see2sound.outputs as cli
    scene = scene_file(tmp_path, [source("a", 30, spread_deg=40), source("b", -100, 0, 6.0)], duration=2.0)
    assert main(["spatialize", str(scene), "-o", str(tmp_path / "mem.wav"), "--format", "foa",
                 "--room", "small", "--preview", str(tmp_path / "mem-bin.wav"), "-q"]) == 0
    monkeypatch.setattr(cli, "IN_MEMORY_LIMIT_BYTES", 1000)
    assert main(["spatialize", str(scene), "-o", str(tmp_path / "disk.wav"), "--format", "foa",
                 "--room", "small", "--preview", str(tmp_path / "disk-bin.wav"), "-q"]) == 0
    for a, b in (("mem.wav", "disk.wav"), ("mem-bin.wav", "disk-bin.wav")):
        np.testing.assert_allclose(sf.read(str(tmp_path / a))[0], sf.read(str(tmp_path / b))[0], atol=1e-6)
