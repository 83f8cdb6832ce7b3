"""The command line's success paths (bad input: tests/test_reliability.py)."""

import subprocess
import sys

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


# --- start-up: what a command and the API import before they need it ---------------------------------------

#: Stacks that take a second or more to import, or load models: not needed to parse a command or to import the API.
HEAVY = ("numpy", "scipy", "scipy.signal", "scipy.stats", "onnxruntime", "PIL", "h5py", "soundfile")

LOADED = r"""
import json, sys
{code}
print(json.dumps(sorted(m for m in sys.modules if m in {heavy!r} or m.startswith("see2sound"))))
"""


def _loaded_after(code: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", LOADED.format(code=code, heavy=HEAVY)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return __import__("json").loads(result.stdout.splitlines()[-1])


def test_import_see2sound_loads_no_numpy_scipy_or_models():
    assert _loaded_after("import see2sound") == ["see2sound"]


def test_help_and_version_load_only_the_parser():
    for argv in (["--help"], ["render", "--help"], ["sounds", "fetch", "--help"], ["--version"]):
        code = f"from see2sound.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass"
        loaded = _loaded_after(code)
        assert not set(loaded) & set(HEAVY), (argv, loaded)
        assert not {"see2sound.pipeline", "see2sound.spatial", "see2sound.vision"} & set(loaded), (argv, loaded)


def test_the_api_names_load_on_first_use_and_stay_what_they_were():
    import see2sound
    import see2sound.pipeline
    import see2sound.registry

    assert set(see2sound.__all__) <= set(dir(see2sound))
    assert see2sound.PRESETS is see2sound.pipeline.PRESETS is see2sound.registry.PRESETS
    assert see2sound.render is see2sound.pipeline.render and see2sound.Scene is see2sound.scene.Scene
    assert see2sound.spatial.spatialize is see2sound.spatialize  # a subpackage is an attribute too
    namespace: dict = {}
    exec("from see2sound import *", namespace)
    assert set(see2sound.__all__) <= set(namespace)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        see2sound.nothing  # noqa: B018


def test_room_choices_written_in_the_parser_are_the_renderers():
    from see2sound.cli.parser import ROOM_CHOICES
    from see2sound.spatial.room import ROOM_CHOICES as RENDERER_ROOMS

    assert ROOM_CHOICES == RENDERER_ROOMS
