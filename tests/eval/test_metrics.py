"""SELD, intensity-vector and ITD metrics against values worked out by hand in each test."""

import numpy as np
import pytest

from see2sound.eval.metrics import (
    SeldMetrics,
    angular_distance_deg,
    gcc_phat_itd_s,
    hrtf_itd_s,
    intensity_angular_error_rad,
    intensity_vectors,
    itd_error_us,
    segment_map_scores,
    seld_scores,
)
from see2sound.eval.seld import Labels
from tests.helpers import noise

SR = 48000


def labels(*events):
    """Labels from (first frame, last frame, class, track, azimuth, elevation) events, one row per frame."""
    rows = [(f, c, t, az, el) for first, last, c, t, az, el in events for f in range(first, last + 1)]
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    a = np.array(rows, dtype=float).reshape(-1, 5)
    return Labels(a[:, 0], a[:, 1], a[:, 2], a[:, 3], a[:, 4])


def plane_wave(az, el, x):
    """AmbiX W, Y, Z, X of a plane wave from (az, el) carrying x (SPEC §3's encoding, written out)."""
    a, e = np.radians(az), np.radians(el)
    return np.stack([x, x * np.sin(a) * np.cos(e), x * np.sin(e), x * np.cos(a) * np.cos(e)])


def unit(az, el):
    a, e = np.radians(az), np.radians(el)
    return np.array([np.cos(a) * np.cos(e), np.sin(a) * np.cos(e), np.sin(e)])


# --- SELD ---------------------------------------------------------------------------

def test_angular_distance_on_the_sphere():
    assert angular_distance_deg(unit(0, 0), unit(0, 20)) == pytest.approx(20.0)
    assert angular_distance_deg(unit(10, 0), unit(-10, 0)) == pytest.approx(20.0)
    # Near the pole, 90 deg of azimuth is a small angle: cos d = sin^2 80 + cos^2 80 cos 90.
    expected = np.degrees(np.arccos(np.sin(np.radians(80)) ** 2))
    assert angular_distance_deg(unit(0, 80), unit(90, 80)) == pytest.approx(expected)


def test_two_segments_by_hand():
    ref = labels((0, 9, 0, 0, 0, 0),       # segment 0: class 0 ahead
                 (10, 19, 0, 0, 90, 0),    # segment 1: class 0 on the left
                 (0, 4, 1, 0, -90, 0))     # segment 0: class 1 on the right
    pred = labels((0, 9, 0, 0, 10, 0),     # 10 deg off: a TP
                  (10, 19, 0, 0, 130, 0),  # 40 deg off: a spatial FP
                  (15, 19, 2, 0, 0, 0))    # class 2, never in the reference: an FP
    s = seld_scores(ref, pred)
    # Segment 0: class 0 TP; class 1 missed (FN 1). FN 1, FP 0: D = 1.
    # Segment 1: class 0 spatial FP; class 2 FP. FN 0, FP 2: I = 2.
    # N = 1 + 1 (class 0) + 1 (class 1) = 3, so ER = (0 + 1 + 2) / 3.
    assert (s["substitutions"], s["deletions"], s["insertions"], s["n_ref"]) == (0, 1, 2, 3)
    assert s["error_rate"] == pytest.approx(1.0)
    # F per class: TP / (TP + FP_spatial + (FP + FN) / 2): class 0: 1 / (1 + 1) = 0.5; classes 1, 2: 0.
    assert [s["classes"][c]["f_score"] for c in (0, 1, 2)] == pytest.approx([0.5, 0.0, 0.0])
    assert s["f_score"] == pytest.approx(0.5 / 3)
    # LE_CD: class 0 pairs at 10 and 40 deg -> 25; classes without pairs: 180.
    assert s["le_cd_deg"] == pytest.approx((25 + 180 + 180) / 3)
    # LR_CD: class 0 2 pairs / 2 events; class 1 0 / 1; class 2 none referenced: 0.
    assert s["lr_cd"] == pytest.approx(1 / 3)
    assert s["seld_score"] == pytest.approx(np.mean([1.0, 1 - 0.5 / 3, (385 / 3) / 180, 1 - 1 / 3]))
    # The baseline averages over all of a dataset's classes (13 in STARSS23): absent ones count F 0, LE 180, LR 0.
    s13 = seld_scores(ref, pred, classes=13)
    assert s13["f_score"] == pytest.approx(0.5 / 13)
    assert s13["le_cd_deg"] == pytest.approx((25 + 12 * 180) / 13)
    assert s13["lr_cd"] == pytest.approx(1 / 13)
    assert s13["error_rate"] == s["error_rate"]


def test_several_events_of_one_class_are_paired_by_the_hungarian_algorithm():
    ref = labels((0, 9, 0, 0, 0, 0), (0, 9, 0, 1, 90, 0))
    pred = labels((0, 9, 0, 0, 85, 0), (0, 9, 0, 1, -90, 0), (0, 9, 0, 2, 5, 0))
    s = seld_scores(ref, pred)
    # Pairs 0<->5 and 90<->85 (5 deg each): 2 TP; the third prediction is 1 FP; so I = 1 over N = 2.
    c = s["classes"][0]
    assert (c["tp"], c["fp"], c["fn"], c["pairs"]) == (2, 1, 0, 2)
    assert s["error_rate"] == pytest.approx(1 / 2)
    assert s["f_score"] == pytest.approx(2 / (2 + 0.5 * 1))
    assert s["le_cd_deg"] == pytest.approx(5.0) and s["lr_cd"] == 1.0


def test_fewer_predicted_events_than_referenced_are_misses():
    ref = labels((0, 9, 0, 0, 0, 0), (0, 9, 0, 1, 90, 0))
    pred = labels((0, 9, 0, 0, 80, 0))
    s = seld_scores(ref, pred)
    # 80 pairs with 90 (10 deg): a TP; the reference at 0 is an FN: D = 1, N = 2.
    assert s["error_rate"] == pytest.approx(0.5)
    assert s["f_score"] == pytest.approx(1 / (1 + 0.5))
    assert s["lr_cd"] == pytest.approx(1 / 2) and s["le_cd_deg"] == pytest.approx(10.0)


def test_a_pair_error_is_the_mean_over_the_frames_of_the_segment():
    ref = labels((0, 9, 0, 0, 0, 0))
    pred = labels((0, 4, 0, 0, 0, 0), (5, 9, 0, 0, 30, 0))  # 0 deg for 5 frames, 30 deg for 5
    s = seld_scores(ref, pred)
    assert s["le_cd_deg"] == pytest.approx(15.0)  # (5 * 0 + 5 * 30) / 10
    assert s["classes"][0]["tp"] == 1 and s["error_rate"] == 0.0
    # Averaged over frames, not judged per frame: 30 deg in every frame is a spatial FP.
    s30 = seld_scores(ref, labels((0, 9, 0, 0, 30, 0)))
    assert s30["classes"][0]["fp_spatial"] == 1 and s30["f_score"] == 0.0 and s30["le_cd_deg"] == pytest.approx(30)


def test_events_in_one_segment_that_never_share_a_frame_count_as_the_baseline_counts_them():
    ref = labels((0, 4, 0, 0, 0, 0))
    pred = labels((5, 9, 0, 0, 0, 0))
    s = seld_scores(ref, pred)
    # The baseline adds n_pred (1) FN and no FP: D = 1, N = 1.
    assert (s["deletions"], s["insertions"]) == (1, 0) and s["error_rate"] == 1.0
    assert s["f_score"] == 0.0 and s["lr_cd"] == 0.0 and s["le_cd_deg"] == 180.0


def test_a_perfect_prediction_and_an_empty_one():
    ref = labels((0, 24, 3, 0, 45, 10), (12, 30, 7, 0, -100, -20))
    perfect = seld_scores(ref, ref)
    assert (perfect["error_rate"], perfect["f_score"], perfect["le_cd_deg"], perfect["lr_cd"]) == (0, 1, 0, 1)
    assert perfect["seld_score"] == 0.0
    # Class 3 in segments 0, 1, 2; class 7 in 1, 2, 3: N = 6, all deleted.
    empty = seld_scores(ref, Labels.empty())
    assert empty["n_ref"] == 6 and empty["error_rate"] == 1.0 and empty["f_score"] == 0.0


def test_scores_accumulate_over_files():
    a_ref, a_pred = labels((0, 9, 0, 0, 0, 0)), labels((0, 9, 0, 0, 5, 0))
    b_ref, b_pred = labels((0, 9, 0, 0, 0, 0)), labels((0, 9, 1, 0, 0, 0))
    m = SeldMetrics()
    m.update(a_ref, a_pred)
    m.update(b_ref, b_pred)
    s = m.scores()
    # File a: TP. File b: class 0 missed and class 1 inserted in one segment: S = 1. N = 2.
    assert (s["substitutions"], s["deletions"], s["insertions"]) == (1, 0, 0)
    assert s["error_rate"] == pytest.approx(0.5)
    assert s["classes"][0]["f_score"] == pytest.approx(1 / (1 + 0.5))


def test_frames_beyond_n_frames_are_not_scored():
    ref = labels((0, 9, 0, 0, 0, 0))
    pred = labels((0, 9, 0, 0, 0, 0), (10, 19, 1, 0, 0, 0))
    assert seld_scores(ref, pred, n_frames=10)["error_rate"] == 0.0
    assert seld_scores(ref, pred)["error_rate"] == 1.0  # the extra second: one insertion over N = 1


# --- intensity vectors -------------------------------------------------------------------

@pytest.mark.parametrize("az, el", [(0, 0), (90, 0), (-135, 30), (60, -45)])
def test_a_plane_wave_has_no_intensity_error(az, el):
    foa = plane_wave(az, el, noise(0.5).astype(np.float64))
    assert intensity_angular_error_rad(foa, unit(az, el)) == pytest.approx(0.0, abs=1e-6)


def test_the_intensity_error_is_the_angle_to_the_intended_direction_in_radians():
    foa = plane_wave(0, 0, noise(0.5).astype(np.float64))
    assert intensity_angular_error_rad(foa, unit(30, 0)) == pytest.approx(np.pi / 6)
    assert intensity_angular_error_rad(foa, unit(0, -90)) == pytest.approx(np.pi / 2)
    # Against another recording: a wave from the left.
    left = plane_wave(90, 0, noise(0.5, seed=1).astype(np.float64))
    assert intensity_angular_error_rad(foa, left) == pytest.approx(np.pi / 2, abs=1e-6)


def test_the_intensity_error_per_segment():
    x = noise(2.0).astype(np.float64)
    foa = np.concatenate([plane_wave(0, 0, x[:SR]), plane_wave(90, 0, x[SR:])], axis=1)
    err = intensity_angular_error_rad(foa, unit(0, 0), sample_rate=SR, segment_s=1.0)
    np.testing.assert_allclose(err, [0.0, np.pi / 2], atol=1e-6)
    # The whole file: intensity (1, 1, 0) * power, 45 deg from ahead.
    assert intensity_angular_error_rad(foa, unit(0, 0)) == pytest.approx(np.pi / 4, abs=0.02)


def test_the_intensity_in_a_band_sees_only_the_source_in_it():
    t = np.arange(SR) / SR
    low, high = np.sin(2 * np.pi * 200 * t), np.sin(2 * np.pi * 4000 * t)
    foa = plane_wave(-60, 0, low) + plane_wave(60, 0, high)
    i_low = intensity_vectors(foa, sample_rate=SR, band_hz=(100, 400))[0]
    assert np.degrees(np.arctan2(i_low[1], i_low[0])) == pytest.approx(-60, abs=1e-6)
    assert intensity_vectors(foa)[0][1] == pytest.approx(0.0, abs=1e-9)  # the two cancel in y, in all


def test_silence_has_no_direction():
    assert np.isnan(intensity_angular_error_rad(np.zeros((4, 100)), unit(0, 0)))


# --- ITD ----------------------------------------------------------------------------

def delayed(x, samples):
    """x delayed by a (fractional) number of samples, by a linear phase, zero-padded so nothing wraps."""
    n = 2 * len(x)
    spectrum = np.fft.rfft(x, n) * np.exp(-2j * np.pi * np.fft.rfftfreq(n) * samples)
    return np.fft.irfft(spectrum, n)[: len(x)]


@pytest.mark.parametrize("samples", [12, 7.5, -20.25, 0])
def test_gcc_phat_finds_a_known_delay(samples):
    x = noise(0.5).astype(np.float64)
    pair = np.stack([x, delayed(x, samples)])  # the right ear `samples` late: the left leads
    expected_us = samples / SR * 1e6           # 12 samples at 48 kHz: 250 us
    assert gcc_phat_itd_s(pair, SR) * 1e6 == pytest.approx(expected_us, abs=1.0)


def test_itd_error_against_a_value_and_against_a_pair():
    x = noise(0.5).astype(np.float64)
    rendered = np.stack([x, delayed(x, 24)])  # 500 us
    assert itd_error_us(rendered, 400e-6, SR) == pytest.approx(100.0, abs=1.0)
    reference = np.stack([delayed(x, 24), x])  # -500 us: the other side
    assert itd_error_us(rendered, reference, SR) == pytest.approx(1000.0, abs=2.0)


def test_a_delay_beyond_the_search_range_is_not_found():
    x = noise(0.5).astype(np.float64)
    pair = np.stack([x, delayed(x, 96)])  # 2 ms, beyond +-1 ms
    assert abs(gcc_phat_itd_s(pair, SR)) <= 1e-3 + 1e-9


def test_the_hrtf_itd_points_to_the_side_of_the_source():
    from see2sound.spatial.hrtf import HRTF

    hrtf = HRTF.load(sample_rate=SR)
    left, right, ahead = hrtf_itd_s(hrtf, 90.0), hrtf_itd_s(hrtf, -90.0), hrtf_itd_s(hrtf, 0.0)
    # A head ~18 cm wide: Woodworth's ITD at 90 deg is (r / c)(pi / 2 + 1) ~ 0.09 / 343 * 2.57 ~ 670 us.
    assert 500e-6 < left < 850e-6 and -850e-6 < right < -500e-6
    assert abs(ahead) < 50e-6
    # Noise through the HRIR at 45 deg has the HRIR's own ITD.
    x = noise(1.0).astype(np.float64)
    h = hrtf.hrir(45.0, 0.0).astype(np.float64)
    heard = np.stack([np.convolve(x, h[0]), np.convolve(x, h[1])])
    assert itd_error_us(heard, h, SR) < 10.0


# --- energy maps per segment -------------------------------------------------------------

def test_segment_map_scores_favour_the_labelled_direction():
    foa = plane_wave(90, 0, noise(1.0).astype(np.float64))
    right = segment_map_scores(foa, SR, labels((0, 9, 0, 0, 90, 0)))
    wrong = segment_map_scores(foa, SR, labels((0, 9, 0, 0, -90, 0)))
    assert len(right["segments"]) == 1 and right["auc_judd"] > 0.99
    assert right["cc"] > 0.5 > wrong["cc"]
