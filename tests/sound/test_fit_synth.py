"""Fitting sounds to any length, and the procedural models."""

import numpy as np
import pytest

from see2sound.sound.fit import MIN_GAP_S, fit
from see2sound.sound.synth import MODELS, synthesize
from tests.helpers import tone

SR = 48000


@pytest.mark.parametrize("duration", [0.3, 2.5, 10.0, 31.7])
@pytest.mark.parametrize("kind", ["loop", "event"])
def test_exact_length(kind, duration):
    y = fit(tone(300, 1.3), kind, duration, SR, np.random.default_rng(0))
    assert y.dtype == np.float32 and len(y) == int(round(duration * SR))
    assert np.all(np.isfinite(y))
    assert abs(y[0]) < 1e-3 and abs(y[-1]) < 1e-3  # faded in and out


def test_loop_seams_are_crossfaded_not_clicked():
    # A ramp-shaped clip jumps hard at its end; looped, the seam must not jump.
    clip = np.linspace(-0.5, 0.5, SR).astype(np.float32) + tone(200, 1.0)
    y = fit(clip, "loop", 6.0, SR, np.random.default_rng(3))
    step = np.max(np.abs(np.diff(y[SR // 10:-SR // 10])))
    assert step < 0.05, step


def test_events_recur_with_gaps_and_random_starts():
    click = np.zeros(SR // 10, np.float32)
    click[:100] = 1.0
    y = fit(click, "event", 30.0, SR, np.random.default_rng(1))
    onsets = np.flatnonzero((np.abs(y[1:]) > 0.2) & (np.abs(y[:-1]) <= 0.2)) / SR
    gaps = np.diff(onsets)
    assert len(onsets) >= 4 and gaps.min() >= MIN_GAP_S
    other = fit(click, "event", 30.0, SR, np.random.default_rng(2))
    assert not np.array_equal(y, other)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n == "rain" else n  # rain: 2 s
                                  for n in sorted(MODELS)])
def test_every_model_is_seeded_finite_and_at_level(name):
    a = synthesize(name, 3.0, 44100, seed=5)
    assert len(a) == 3 * 44100 and a.dtype == np.float32 and np.all(np.isfinite(a))
    assert np.max(np.abs(a)) <= 0.95
    rms_db = 20 * np.log10(np.sqrt(np.mean(a.astype(np.float64) ** 2)))
    assert -40 < rms_db < -15, rms_db
    np.testing.assert_array_equal(a, synthesize(name, 3.0, 44100, seed=5))
    assert not np.array_equal(a, synthesize(name, 3.0, 44100, seed=6))


def test_the_issue_s_required_families_exist():
    labels = {label for m in MODELS.values() for label in m.labels}
    for needed in ("car", "bus", "truck", "motorcycle", "train", "airplane", "boat", "traffic", "clock",
                   "cell phone", "keyboard", "sink", "stream", "waves", "rain", "wind", "fire", "bird", "insect",
                   "refrigerator", "tv", "laptop", "person", "crowd"):
        assert needed in labels, needed


@pytest.mark.slow
def test_long_synthesis_is_made_in_seamless_segments():
    x = synthesize("rain", 125.0, 16000, seed=1)
    assert len(x) == 125 * 16000 and np.all(np.isfinite(x))
    for seam in (60, 120):  # no jump or level dip where segments meet
        around = x[(seam - 2) * 16000:(seam + 2) * 16000].astype(np.float64)
        rms = [np.sqrt(np.mean(around[i:i + 8000] ** 2)) for i in range(0, len(around), 8000)]
        assert max(rms) / min(rms) < 2.0
