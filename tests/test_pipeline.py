"""The pipeline's contracts: muted sources, decorrelated wide sources, scene/2, options, plug-ins by entry point."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import soundfile as sf

import see2sound
from see2sound import ParameterError, RenderOptions, Scene
from see2sound.cli import main
from tests.helpers import noise, scene_dict, scene_file, source, write_wav


def _energy(path) -> float:
    x, _ = sf.read(str(path))
    return float(np.sum(x.astype(np.float64) ** 2))


def test_a_muted_source_is_silent_in_spatialize(tmp_path):
    write_wav(tmp_path / "loud.wav", noise(3.0, seed=1, level=0.3))
    flags = ["--room", "none", "--loudness", "off", "--true-peak", "off", "-q"]
    quiet = source("quiet", 40)
    for name, loud in (("both", source("loud", -40, audio="loud.wav")),
                       ("muted", source("loud", -40, audio="loud.wav", muted=True))):
        folder = tmp_path / name
        folder.mkdir()
        write_wav(folder / "loud.wav", noise(3.0, seed=1, level=0.3))
        assert main(["spatialize", str(scene_file(folder, [quiet, loud])), "-o", str(folder / "out.wav"), *flags]) == 0
    alone = tmp_path / "alone"
    alone.mkdir()
    assert main(["spatialize", str(scene_file(alone, [quiet])), "-o", str(alone / "out.wav"), *flags]) == 0
    assert _energy(tmp_path / "both" / "out.wav") > 2 * _energy(alone / "out.wav")
    np.testing.assert_allclose(_energy(tmp_path / "muted" / "out.wav"), _energy(alone / "out.wav"), rtol=1e-6)


@pytest.mark.parametrize("renderer", ["see2sound", "see2sound-original"])
def test_muted_sources_are_silent_in_every_renderer(tmp_path, renderer):
    if renderer == "see2sound-original":
        pytest.importorskip("pyroomacoustics", reason='needs pip install -e ".[original]"')
    write_wav(tmp_path / "noise.wav", noise(3.0))
    scene = Scene.from_dict(scene_dict([source("a", 30, muted=True)], duration=1.0), base_dir=tmp_path)
    audio, _ = see2sound.spatialize(scene, format="5.1", renderer=renderer, loudness_lufs=None, true_peak_dbtp=None)
    assert np.max(np.abs(audio)) == 0.0


@pytest.mark.parametrize("fmt", ["binaural", "foa", "5.1"])
def test_a_source_is_heard_only_within_its_active_window(tmp_path, fmt):
    write_wav(tmp_path / "noise.wav", noise(3.0, seed=3))
    scene = Scene.from_dict(scene_dict([source("a", 30, active_s=[1.0, 2.0])], duration=3.0), base_dir=tmp_path)
    audio, sr = see2sound.spatialize(scene, format=fmt, room="none", loudness_lufs=None, true_peak_dbtp=None)
    power = np.mean(audio.astype(np.float64) ** 2, axis=0)
    inside = power[int(1.3 * sr):int(1.7 * sr)].mean()
    assert inside > 0
    for lo, hi in ((0.0, 0.95), (2.05, 3.0)):  # outside, beyond the filters' few ms of spread
        assert power[int(lo * sr):int(hi * sr)].mean() < 1e-6 * inside


def test_the_original_renderer_honours_the_active_window(tmp_path):
    """Its step shifts time (a centre crop of a pixel-sized room), so only the amount of sound is compared."""
    pytest.importorskip("pyroomacoustics", reason='needs pip install -e ".[original]"')
    write_wav(tmp_path / "noise.wav", noise(3.0, seed=3))
    energy = []
    for extra in ({}, {"active_s": [1.0, 2.0]}):
        scene = Scene.from_dict(scene_dict([source("a", 30, **extra)], duration=3.0), base_dir=tmp_path)
        audio, _ = see2sound.spatialize(scene, format="5.1", renderer="see2sound-original", loudness_lufs=None,
                                        true_peak_dbtp=None)
        energy.append(float(np.sum(audio.astype(np.float64) ** 2)))
    assert 0.15 < energy[1] / energy[0] < 0.45  # about a third of the time, less the fades


def test_two_wide_sources_get_different_decorrelators(tmp_path):
    """crowd-1 and crowd-2 share their first 4 bytes: their copies must still be independent."""
    write_wav(tmp_path / "noise.wav", noise(3.0, seed=2))
    renders = []
    for sid in ("crowd-1", "crowd-2"):
        scene = Scene.from_dict(scene_dict([source(sid, 0, spread_deg=180)], duration=2.0), base_dir=tmp_path)
        audio, _ = see2sound.spatialize(scene, format="foa", room="none", loudness_lufs=None, true_peak_dbtp=None)
        renders.append(audio.astype(np.float64))
    a, b = renders[0][1:].ravel(), renders[1][1:].ravel()  # the directional channels (Y Z X)
    correlation = abs(np.dot(a, b)) / np.sqrt(np.dot(a, a) * np.dot(b, b))
    assert correlation < 0.3


def test_scene_1_files_load_as_scene_2_with_typed_fields(tmp_path):
    data = scene_dict([source("dog-1", 10, muted=True, active_s=[0.5, 1.5]), source("crowd-1", -20, people=7)])
    data["segments"] = [{"start_s": 0, "end_s": 1.0, "ambience": "urban-street"},
                        {"start_s": 1.0, "end_s": 2.0, "ambience": "indoor-room"}]
    scene = Scene.from_dict(data)
    dog, crowd = scene.sources
    assert dog.muted and dog.active_s == (0.5, 1.5) and crowd.people == 7 and not dog.extra and not crowd.extra
    assert [s.ambience for s in scene.segments] == ["urban-street", "indoor-room"]
    saved = scene.to_dict()
    assert saved["schema"] == "see2sound.scene/2" and saved["sources"][0]["muted"] is True
    assert Scene.from_dict(saved).to_dict() == saved
    with pytest.raises(see2sound.See2SoundError, match="schema"):
        Scene.from_dict({**data, "schema": "see2sound.scene/9"})
    with pytest.raises(see2sound.See2SoundError, match=r"sources\[0\].active_s"):
        Scene.from_dict(scene_dict([source("a", 0, active_s=[2, 1])]))


def test_scene_1_and_its_scene_2_copy_render_the_same(tmp_path):
    path = scene_file(tmp_path, [source("a", 30, spread_deg=40), source("b", -100, 0, 6.0)])
    old = Scene.load(path)
    old.save(tmp_path / "v2.json")
    new = Scene.load(tmp_path / "v2.json")
    assert new.schema == "see2sound.scene/2"
    a, _ = see2sound.spatialize(old, format="binaural")
    b, _ = see2sound.spatialize(new, format="binaural")
    np.testing.assert_array_equal(a, b)


def test_in_memory_audio_renders_like_the_same_file(tmp_path):
    x = noise(2.0, seed=5)
    write_wav(tmp_path / "noise.wav", x)
    on_disk = Scene.from_dict(scene_dict([source("a", 30)]), base_dir=tmp_path)
    in_memory = Scene.from_dict(scene_dict([source("a", 30)]), base_dir=tmp_path)
    in_memory.sources[0].audio = see2sound.AudioRef(samples=sf.read(str(tmp_path / "noise.wav"), dtype="float32")[0],
                                                    sample_rate=48000)
    a, _ = see2sound.spatialize(on_disk, format="foa", room="none")
    b, _ = see2sound.spatialize(in_memory, format="foa", room="none")
    np.testing.assert_allclose(a, b, atol=1e-6)
    with pytest.raises(see2sound.InputError, match=r"sources\[0\].audio"):
        in_memory.save(tmp_path / "x.json")


def test_options_are_checked_when_made_and_name_the_parameter():
    for kwargs, parameter in (({"format": "9.1"}, "format"), ({"sample_rate": 10}, "sample_rate"),
                              ({"room": "cave"}, "room"), ({"loudness_lufs": 3.0}, "loudness_lufs")):
        with pytest.raises(ParameterError) as caught:
            RenderOptions(**kwargs)
        assert caught.value.parameter == parameter and "--" not in str(caught.value)
    with pytest.raises(ParameterError) as caught:
        see2sound.AnalysisOptions(hfov_deg=500)
    assert caught.value.parameter == "hfov_deg"
    with pytest.raises(ParameterError, match="preset"):
        see2sound.Pipeline.from_preset("best")


def test_library_messages_name_parameters_not_flags():
    import pathlib
    import re

    src = pathlib.Path(see2sound.__file__).parent
    offenders = [f"{path.relative_to(src)}:{n}" for path in src.rglob("*.py") if path.relative_to(src).parts[0] != "cli"
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if re.search(r"(Error|Exception)\(.*[\"'](?:[^\"']*\s)?--[a-z]", line) and "pip install" not in line]
    assert offenders == []


def test_every_output_format_is_one_registry_entry():
    for name, fmt in see2sound.FORMATS.items():
        assert fmt.channels == len(fmt.labels) and see2sound.get_format(name) is fmt
        if fmt.layout is not None:
            assert fmt.layout.channels == fmt.labels


PLUGIN = '''
import numpy as np
import see2sound


class LeftDog(see2sound.Detector):
    """Finds one dog in the left quarter of any picture."""
    name = "left-dog"
    labels = frozenset({"dog"})

    def detect(self, rgb):
        h, w = rgb.shape[:2]
        return [see2sound.Detection((0.05 * w, 0.4 * h, 0.25 * w, 0.8 * h), "dog", 0.9, self.name)]


class Beeps(see2sound.SoundSource):
    """A 1 kHz tone for every source."""
    name = "beeps"

    def __init__(self):
        self.notes = []

    def sounds_for(self, scene, *, seed, sample_rate):
        t = np.arange(int(round(scene.duration_s * sample_rate))) / sample_rate
        tone = (0.1 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
        return {s.id: see2sound.Sound(tone, {"origin": "plugin", "description": "beep"}) for s in scene.sources}
'''


@pytest.fixture
def plugin_path(tmp_path):
    """A package outside src/ that registers a detector and a sound source by entry point (a dist-info on the path)."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "s2s_plugin_test.py").write_text(textwrap.dedent(PLUGIN))
    info = root / "s2s_plugin_test-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: s2s-plugin-test\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[see2sound.detectors]\nleft-dog = s2s_plugin_test:LeftDog\n\n"
                                           "[see2sound.sounds]\nbeeps = s2s_plugin_test:Beeps\n")
    return root


def _cli(plugin_path, *args):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin_path), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "see2sound.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=120)


@pytest.mark.slow  # three CLI runs; the studio job test below loads the plug-in in the quick tier
def test_a_package_adds_a_detector_and_a_sound_source_by_entry_point(plugin_path, tmp_path):
    listed = _cli(plugin_path, "list")
    assert listed.returncode == 0 and "left-dog" in listed.stdout and "beeps" in listed.stdout
    picture = tmp_path / "grey.png"
    from PIL import Image

    Image.new("RGB", (640, 480), (128, 128, 128)).save(picture)
    out, scene_out = tmp_path / "out.foa.wav", tmp_path / "scene.json"
    run = _cli(plugin_path, "render", picture, "-o", out, "--detector", "left-dog", "--sound", "beeps",
               "--scene-out", scene_out, "--room", "none", "-q")
    assert run.returncode == 0, run.stderr
    scene = Scene.load(scene_out)
    dog = next(s for s in scene.sources if s.label == "dog")
    assert dog.sound["origin"] == "plugin" and dog.position.azimuth_deg > 15  # left of centre is +azimuth
    foa, _ = sf.read(str(out))
    w, y = foa[:, 0], foa[:, 1]
    assert np.dot(w, y) > 0  # measured from the output: the sound comes from the left
    unknown = _cli(plugin_path, "render", picture, "-o", tmp_path / "x.wav", "--detector", "no-such")
    assert unknown.returncode == 2 and unknown.stderr.startswith("error: --detector: unknown detector 'no-such'")
    assert "left-dog" in unknown.stderr and not (tmp_path / "x.wav").exists()


def test_the_same_pipeline_object_serves_a_studio_job(plugin_path, tmp_path, monkeypatch):
    pytest.importorskip("fastapi", reason='needs pip install -e ".[studio]"')
    from see2sound import registry
    from see2sound.studio.jobs import Runner
    from see2sound.studio.store import JobStore
    from PIL import Image

    monkeypatch.syspath_prepend(str(plugin_path))
    monkeypatch.setattr(registry, "_DISCOVERED", set())
    pipeline = see2sound.Pipeline.from_preset("offline", detector="left-dog", sound="beeps")
    store = JobStore(tmp_path / "jobs")
    runner = Runner(store, workers=1, pipeline=pipeline)
    try:
        picture = tmp_path / "grey.png"
        Image.new("RGB", (320, 240), (90, 90, 90)).save(picture)
        job = store.create("image", "grey.png", ".png", picture, {"duration_s": 1.0}).id
        runner.run(job)
        assert store.get(job).status == "done", store.get(job).error
        scene = Scene.load(store.folder(job) / "scene.json")
        assert [s.label for s in scene.sources] == ["dog"] and scene.sources[0].sound["origin"] == "plugin"
    finally:
        runner.shutdown()


def test_releasing_a_pipeline_frees_the_shared_onnx_sessions(photos):
    """Sessions are shared within a process (renders build their detectors anew); low-memory renders free them."""
    from see2sound import runtime

    pipeline = see2sound.Pipeline()
    pipeline.analyze(photos["bus.jpg"])
    held = dict(runtime._SESSIONS)
    assert len(held) >= 3  # SSD, NanoDet, MoveNet, the classifier
    again = see2sound.Pipeline()
    again.analyze(photos["bus.jpg"])
    assert runtime._SESSIONS == held  # the second pipeline reused them
    again.release()
    assert runtime._SESSIONS == {}
