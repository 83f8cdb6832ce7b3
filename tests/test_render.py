"""`see2sound render IMAGE` end to end, and the demo."""

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

import see2sound
from see2sound import Scene
from tests.helpers import wav_channel_mask


def run(*args, timeout=180):
    return subprocess.run([sys.executable, "-m", "see2sound.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("fmt, channels, mask", [("binaural", 2, 0x3), pytest.param("foa", 4, 0, marks=pytest.mark.slow),
                                                  pytest.param("5.1", 6, 0x3F, marks=pytest.mark.slow)])
def test_real_photo_to_each_format(tmp_path, photos, fmt, channels, mask):
    out = tmp_path / f"bus.{fmt}.wav"
    result = run("render", photos["bus.jpg"], "-o", out, "--duration", "3.5", "--sample-rate", "44100", "-q")
    assert result.returncode == 0, result.stderr
    info = sf.info(str(out))
    assert (info.channels, info.samplerate, info.frames) == (channels, 44100, int(3.5 * 44100))
    assert wav_channel_mask(out) == (0xFFFE, mask)


@pytest.mark.slow
def test_scene_and_stems_let_a_user_edit_and_spatialize_again(tmp_path, photos):
    result = run("render", photos["chelsea.png"], "-o", tmp_path / "cat.wav", "--scene-out", tmp_path / "cat.json",
                 "--stems", tmp_path / "stems", "--overlay", tmp_path / "cat.png", "--duration", "4")
    assert result.returncode == 0, result.stderr
    scene = Scene.load(tmp_path / "cat.json")
    assert scene.sources and scene.sources[0].label == "cat"
    for src in scene.sources:
        stem = scene.resolve(src.audio.path)
        assert stem.parent == (tmp_path / "stems") and sf.info(str(stem)).frames == 4 * 48000
    assert (tmp_path / scene.input["path"]).resolve() == photos["chelsea.png"].resolve()
    # Move the cat hard left and render the edited scene.
    data = json.loads((tmp_path / "cat.json").read_text())
    data["sources"][0]["position"]["azimuth_deg"] = 90.0
    data["ambience"].pop("audio", None)
    (tmp_path / "edited.json").write_text(json.dumps(data))
    assert run("spatialize", tmp_path / "edited.json", "-o", tmp_path / "left.wav", "-q").returncode == 0
    left, right = sf.read(str(tmp_path / "left.wav"))[0].T
    assert np.sum(left ** 2) > 3 * np.sum(right ** 2)


@pytest.mark.slow
def test_same_seed_same_bytes_other_seed_other_sound(tmp_path, photos):
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        assert run("render", photos["bus.jpg"], "-o", tmp_path / f"{name}.wav", "--seed", seed,
                   "--duration", "3", "-q").returncode == 0
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()
    assert (tmp_path / "a.wav").read_bytes() != (tmp_path / "c.wav").read_bytes()


@pytest.mark.slow
def test_no_source_still_gets_ambience_and_a_warning(tmp_path, photos):
    result = run("render", photos["leuvenA.jpg"], "-o", tmp_path / "street.wav", "--duration", "3")
    assert result.returncode == 0
    assert "warning: no sound source" in result.stderr
    audio, _ = sf.read(str(tmp_path / "street.wav"))
    assert np.sqrt(np.mean(audio ** 2)) > 1e-3  # the street's ambience is there


def test_python_api(tmp_path, photos):
    result = see2sound.render(photos["chelsea.png"], format="stereo", duration_s=2.0, seed=3)
    assert result.audio.shape == (2, 96000) and result.sample_rate == 48000
    assert result.scene.sources[0].label == "cat"
    result.save(tmp_path / "x.flac")
    assert sf.info(str(tmp_path / "x.flac")).channels == 2


@pytest.mark.slow
def test_bad_inputs_are_one_error_line_and_no_output(tmp_path, photos):
    (tmp_path / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    cases = [("render", tmp_path / "clip.mp4"), ("render", tmp_path / "missing.jpg"),
             ("render", photos["bus.jpg"], "--duration", "0"), ("render", photos["bus.jpg"], "--format", "9.1"),
             ("render", photos["bus.jpg"], "--scene-out", tmp_path / "scene.txt"),
             ("render", photos["bus.jpg"], "--sound", "stable-audio-open", "--sound-steps", "0")]
    for args in cases:
        before = set(tmp_path.iterdir())
        result = run(*args, "-o", tmp_path / "out.wav", "--stems", tmp_path / "stems")
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), (args, result.stderr)
        assert set(tmp_path.iterdir()) == before, args


def test_demo_renders_every_format_offline(tmp_path):  # about 5 s, but the quick tier's only test of `demo`
    result = run("demo", "-o", tmp_path / "demo", "--duration", "2", timeout=300)
    assert result.returncode == 0, result.stderr
    for name in ("chelsea", "coffee", "astronaut"):
        folder = tmp_path / "demo" / name
        for fmt, channels in (("binaural", 2), ("foa", 4), ("stereo", 2), ("5.1", 6), ("7.1", 8), ("5.1.4", 10),
                               ("7.1.4", 12)):
            assert sf.info(str(folder / f"{name}.{fmt}.wav")).channels == channels
        assert (folder / f"{name}-overlay.png").is_file() and Scene.load(folder / f"{name}.json")
    assert "wrote" in result.stdout
