"""Quality mode with the real weights: run only where the hub can be reached (skipped offline, as here)."""

import os

import numpy as np
import pytest

from tests.helpers import need

pytestmark = pytest.mark.hub
need("torch", "hub")
need("diffusers", "hub")

from see2sound.runtime import hub_reachable  # noqa: E402

if not hub_reachable():
    pytest.skip("the Hugging Face hub is unreachable: real-weight tests skipped", allow_module_level=True)


def test_metric_depth_puts_the_bus_behind_the_people_in_front_of_it(photos):
    from see2sound.vision.depth.depth_anything import DepthAnythingEstimator
    from see2sound.vision import analyze_picture

    sources = analyze_picture(photos["bus.jpg"], depth=DepthAnythingEstimator("depth-anything-outdoor")).scene.sources
    bus = [s.position.distance_m for s in sources if s.label == "bus"]
    people = [s.position.distance_m for s in sources if s.label == "person"]
    assert bus and people and min(people) < max(bus) and 1.0 < min(people) < 20.0


@pytest.mark.skipif(not (os.environ.get("HF_TOKEN") or os.path.exists(os.path.expanduser("~/.cache/huggingface/token"))),
                    reason="Stable Audio Open is gated: needs a Hugging Face token with its terms accepted")
def test_stable_audio_open_makes_a_seeded_sound():
    from see2sound.sound.generate import TextToAudio

    t2a = TextToAudio("stable-audio-open", steps=20)
    a, b = t2a.generate(["the sound of a dog (dog, bark), field recording"] * 2, [1, 1], 3.0, 48000)
    assert len(a) == pytest.approx(3 * 48000, abs=48) and np.sqrt(np.mean(a ** 2)) > 0.01
    np.testing.assert_allclose(a, b, atol=1e-3)


def test_sam_clip_finds_and_names_the_bus_and_people(photos):
    from see2sound.vision.detect.sam_clip import SamClipDetector
    from see2sound.vision import analyze_picture

    labels = {d.label for d in analyze_picture(photos["bus.jpg"], detector=SamClipDetector()).detections}
    assert {"bus", "person"} <= labels, labels


def test_audioldm2_makes_a_seeded_sound():
    from see2sound.sound.generate import TextToAudio

    t2a = TextToAudio("audioldm2", steps=20)
    a, b = t2a.generate(["the sound of a dog (dog, bark), field recording"] * 2, [1, 1], 3.0, 48000)
    assert len(a) == pytest.approx(3 * 48000, abs=48) and np.sqrt(np.mean(a ** 2)) > 0.01
    np.testing.assert_allclose(a, b, atol=1e-3)
