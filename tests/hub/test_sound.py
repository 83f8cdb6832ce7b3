"""Quality mode's text-to-audio, with a tiny randomly initialised Stable Audio pipeline, offline."""

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf

from see2sound import See2SoundError
from tests.helpers import need

pytestmark = pytest.mark.hub
torch = need("torch", "hub")
transformers = need("transformers", "hub")
diffusers = need("diffusers", "hub")


def test_prompt_names_the_source_and_the_place():
    from see2sound.sound.generate import prompt_for

    assert prompt_for("dog", ("Dog", "Bark"), "outdoor-nature") == \
        "the sound of a dog (dog, bark), outdoors in nature, field recording"
    assert prompt_for("bus", (), None) == "the sound of a bus, field recording"


def test_clips_have_the_engine_rate_length_and_level_and_follow_the_seed(tiny_stable_audio):
    from see2sound.sound.generate import TextToAudio

    t2a = TextToAudio(str(tiny_stable_audio), steps=2, batch_size=2)
    assert t2a.max_s == pytest.approx(2.0)
    prompts = ["the sound of a dog", "the sound of a car", "the sound of a cat"]
    clips = t2a.generate(prompts, [1, 2, 3], 1.5, 48000)
    assert len(clips) == 3
    for clip in clips:
        assert clip.dtype == np.float32 and clip.ndim == 1
        assert len(clip) == pytest.approx(1.5 * 48000, abs=48000 / 4)  # one model sample at 4 Hz
        assert 0 < np.sqrt(np.mean(clip.astype(np.float64) ** 2)) <= 0.1 and np.max(np.abs(clip)) <= 0.95
    # Longer than the model can make at once: capped at its maximum.
    assert 1.75 * 48000 <= len(t2a.generate(["the sound of a dog"], [1], 60.0, 48000)[0]) <= 2.0 * 48000
    # Same seed, same sound, whatever the batch it is in; another seed, another sound.
    alone = TextToAudio(str(tiny_stable_audio), steps=2, batch_size=1).generate(prompts[1:2], [2], 1.5, 48000)[0]
    np.testing.assert_allclose(alone, clips[1], atol=1e-4)
    other = t2a.generate(prompts[1:2], [7], 1.5, 48000)[0]
    assert np.max(np.abs(other - clips[1])) > 1e-3


def test_audioldm2_clips_have_the_engine_rate_and_length_and_follow_the_seed(tiny_audioldm2):
    from see2sound.sound.generate import TextToAudio

    t2a = TextToAudio(str(tiny_audioldm2), steps=2, batch_size=2)
    assert t2a.family == "audioldm" and t2a.guidance == 3.5
    assert t2a.max_s == pytest.approx(32 * 2 * 4 / 16000)  # unet size x VAE scale x vocoder hop
    prompts = ["the sound of a dog", "the sound of a car", "the sound of a cat"]
    clips = t2a.generate(prompts, [1, 2, 3], 0.01, 44100)
    assert len(clips) == 3
    for clip in clips:
        assert clip.dtype == np.float32 and clip.ndim == 1 and len(clip) == pytest.approx(441, abs=3)
        assert 0 < np.sqrt(np.mean(clip.astype(np.float64) ** 2)) <= 0.1 and np.max(np.abs(clip)) <= 0.95
    assert len(t2a.generate(prompts[:1], [1], 60.0, 16000)[0]) == round(t2a.max_s * 16000)  # capped
    alone = TextToAudio(str(tiny_audioldm2), steps=2, batch_size=1).generate(prompts[1:2], [2], 0.01, 44100)[0]
    np.testing.assert_allclose(alone, clips[1], atol=1e-4)


def test_render_with_generated_sounds(tiny_stable_audio, photos, tmp_path):
    from see2sound import render
    from see2sound.sound.generate import TextToAudio

    t2a = TextToAudio(str(tiny_stable_audio), steps=2)
    result = render(photos["bus.jpg"], duration_s=5.0, sound=t2a, stems_dir=tmp_path / "stems",
                    scene_path=tmp_path / "scene.json")
    assert result.scene.sources
    for src in result.scene.sources:
        assert src.sound["origin"] == "generated" and src.sound["prompt"].startswith(f"the sound of a {src.label}")
        stem, rate = sf.read(tmp_path / "stems" / f"{src.id}.wav")
        assert rate == 48000 and len(stem) == 5 * 48000  # a 2 s clip looped to the scene's 5 s
        assert np.sqrt(np.mean(stem[:48000] ** 2)) > 1e-3 and np.sqrt(np.mean(stem[-2 * 48000:] ** 2)) > 1e-3
    assert result.audio.shape == (2, 5 * 48000) and np.all(np.isfinite(result.audio))


def test_cli_sound_option_and_offline_error(tiny_stable_audio, photos, tmp_path):
    out, scene = tmp_path / "bus.wav", tmp_path / "bus.json"
    cmd = [sys.executable, "-m", "see2sound.cli", "render", str(photos["bus.jpg"]), "-o", str(out), "--duration", "3",
           "--sound", str(tiny_stable_audio), "--sound-steps", "2", "--scene-out", str(scene), "-q"]
    run = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert run.returncode == 0, run.stderr
    sources = json.loads(scene.read_text())["sources"]
    assert sources and all(s["sound"]["origin"] == "generated" for s in sources)

    missing = tmp_path / "missing.wav"
    t = time.perf_counter()
    run = subprocess.run(cmd[:6] + [str(missing), "--sound", "stable-audio-open", "-q"], capture_output=True,
                         text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert time.perf_counter() - t < 30
    assert run.returncode == 2 and not missing.exists()
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: model stabilityai/stable-audio-open-1.0 is not available")


def test_a_missing_folder_is_one_clear_error(tmp_path):
    from see2sound.sound.generate import TextToAudio

    with pytest.raises(See2SoundError, match="not available offline"):
        TextToAudio(str(tmp_path / "nothing-here"))


def test_decoding_only_the_frames_needed_gives_the_same_audio(tiny_stable_audio):
    from see2sound.sound.generate import TextToAudio

    t2a = TextToAudio(str(tiny_stable_audio), steps=2)
    latent = torch.randn(3, 60, generator=torch.Generator().manual_seed(0))
    part = t2a._decode(latent, 2.0)  # 8 samples at 4 Hz: 4 latent frames + context, not all 60
    with torch.inference_mode():
        whole = t2a.pipe.vae.decode(latent[None]).sample[0].numpy()
    assert part.shape == (2, 8) and whole.shape[1] > 100
    np.testing.assert_allclose(part, whole[:, :8], atol=1e-5)


def test_video_sources_get_generated_sounds_within_their_active_time(tiny_stable_audio, photos, tmp_path):
    need("av", "video")
    need("supervision", "video")
    from see2sound.sound.generate import TextToAudio
    from see2sound.spatial import RenderOptions
    from see2sound.pipeline import Pipeline
    from tests.video.conftest import cat_frames, write_clip

    clip = write_clip(tmp_path / "catwalk.mp4", cat_frames(photos))
    pipeline = Pipeline(sound=TextToAudio(str(tiny_stable_audio), steps=2))
    result = pipeline.run(clip, options=RenderOptions(format="foa"), stems_dir=tmp_path / "stems",
                          scene_path=tmp_path / "scene.json")
    audio, scene, info = result.audio, result.scene, result.video
    cats = [s for s in scene.sources if s.label == "cat"]
    assert cats and all(s.sound["origin"] == "generated" for s in scene.sources)
    assert audio.shape[1] == pytest.approx(info.duration_s * 48000, abs=48000 / info.fps)
    stem, rate = sf.read(tmp_path / "stems" / f"{cats[0].id}.wav")
    assert len(stem) == audio.shape[1] and np.sqrt(np.mean(stem ** 2)) > 1e-3
