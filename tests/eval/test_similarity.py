"""The published similarity metrics, against values worked out by hand."""

import numpy as np
import pytest

from see2sound.eval import similarity as S

SR = S.RATE


def test_zcr_similarity_by_hand():
    a = np.array([1.0, -1.0, 1.0, -1.0, 1.0])  # 4 sign changes in 4 steps: zcr 1.0
    b = np.array([1.0, 1.0, -1.0, -1.0, 1.0])  # 2 in 4: zcr 0.5
    assert S.zcr(a) == 1.0 and S.zcr(b) == 0.5
    assert S.zcr_similarity(a, b, SR) == pytest.approx(0.5)


def test_dtw_path_cost_by_hand():
    x = np.array([[0.0, 1.0, 2.0]])
    y = np.array([[0.0, 0.0, 1.0, 2.0]])
    acc, length = S.dtw(x, y)
    # The best path repeats the first frame: costs 0, 0, 0, 0 over four steps.
    assert acc[-1, -1] == 0.0 and length == 4
    # Every cell of the matrix, as the original averaged it:
    expected = np.array([[0, 0, 1, 3], [1, 1, 0, 1], [3, 3, 1, 0]], float)
    np.testing.assert_allclose(acc, expected)


def test_mfcc_dtw_correct_and_original_differ_as_documented():
    t = np.arange(SR) / SR
    a = 0.3 * np.sin(2 * np.pi * 440 * t)
    assert S.mfcc_dtw_similarity(a, a, SR) == pytest.approx(1.0)
    # The original averages the whole matrix: even a signal against itself scores far below 1.
    assert S.mfcc_dtw_similarity(a, a, SR, original=True) < 0.1


def test_rhythm_original_needs_sample_exact_onsets():
    clicks = np.zeros(2 * SR)
    clicks[::SR // 2] = 1.0
    late = np.roll(clicks, 1500)  # 68 ms later: the same beat
    assert S.rhythm_similarity(clicks, late, SR) > 0.95
    assert S.rhythm_similarity(clicks, late, SR, original=True) < 0.6
    faster = np.zeros(2 * SR)
    faster[::SR // 3] = 1.0
    assert S.rhythm_similarity(clicks, faster, SR) < S.rhythm_similarity(clicks, late, SR)


def test_swass_weights_correct_and_shifted():
    scores = {"zcr": 1.0, "rhythm": 1.0, "chroma": 1.0, "spectral_contrast": 0.0}
    # Correct: contrast weighs 0.1 of the 0.7 available.
    assert S.swass(scores) == pytest.approx(0.6 / 0.7)
    # Original: the weights by position sum to 0.8 and nothing is renormalised.
    assert S.swass({**scores, "perceptual": 1.0}, original=True) == pytest.approx(0.2 * 3 + 0.1)


def test_features_have_librosa_shapes_and_ranges():
    rng = np.random.default_rng(0)
    y = rng.standard_normal(SR) * 0.1
    assert S.mfcc(y).shape == (13, 1 + SR // S.HOP)
    c = S.chroma(y)
    assert c.shape[0] == 12 and np.allclose(c.max(axis=0), 1.0)
    assert S.spectral_contrast(y).shape[0] == 7
    scores = S.compare(y, y, SR)
    assert all(0.99 <= scores[k] <= 1.0 for k in ("mfcc_dtw", "zcr", "chroma", "spectral_contrast", "rhythm"))


def test_matches_librosa_where_installed():
    librosa = pytest.importorskip("librosa", reason="librosa is not installed (an optional cross-check, in no extra)")
    rng = np.random.default_rng(1)
    y = 0.3 * np.sin(2 * np.pi * 440 * np.arange(SR) / SR) + 0.05 * rng.standard_normal(SR)
    np.testing.assert_allclose(S.mfcc(y), librosa.feature.mfcc(y=y, sr=SR, n_mfcc=13), atol=1e-4)
    np.testing.assert_allclose(S.spectral_contrast(y), librosa.feature.spectral_contrast(y=y, sr=SR), atol=1e-6)
