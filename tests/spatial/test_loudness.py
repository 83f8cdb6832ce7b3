"""Loudness normalisation and true-peak limiting, checked with pyloudnorm and 4x oversampling."""

import numpy as np
import pyloudnorm
import pytest

from see2sound import Scene
from see2sound.spatial import RenderOptions, render_scene
from see2sound.spatial.loudness import channel_weights, integrated_loudness, limit_true_peak
from tests.helpers import noise, scene_dict, source, tone, true_peak_dbtp, write_wav


@pytest.mark.parametrize("fmt, target", [("binaural", -23.0), ("stereo", -16.0), ("binaural", -30.0)])
def test_render_hits_the_target_measured_independently(tmp_path, fmt, target):
    write_wav(tmp_path / "noise.wav", noise(3.0, level=0.01))
    scene = Scene.from_dict(scene_dict([source("a", 40), source("b", -100, distance=6)], duration=3.0),
                            base_dir=tmp_path)
    audio, report = render_scene(scene, RenderOptions(format=fmt, loudness_lufs=target))
    measured = pyloudnorm.Meter(48000).integrated_loudness(audio.T.astype(np.float64))
    assert abs(measured - target) < 0.5
    assert abs(report.loudness_lufs - measured) < 0.05
    assert true_peak_dbtp(audio) <= -1.0 + 0.05


def test_peaky_material_is_limited_not_clipped(tmp_path):
    clicks = np.zeros(48000 * 3, np.float32)
    clicks[::4800] = 1.0
    write_wav(tmp_path / "clicks.wav", clicks + tone(200, 3.0, level=0.001))
    scene = Scene.from_dict(scene_dict([source("a", 0, audio="clicks.wav")], duration=3.0), base_dir=tmp_path)
    audio, report = render_scene(scene, RenderOptions(format="stereo", loudness_lufs=-10.0))
    assert report.limiter_db > 1.0
    assert true_peak_dbtp(audio) <= -1.0 + 0.05
    assert np.max(np.abs(audio)) < 1.0


def test_meter_agrees_with_pyloudnorm_up_to_five_channels():
    x = np.stack([noise(5.0, seed=k, level=0.05 * (k + 1)) for k in range(5)])
    for channels in (1, 2, 5):
        ours = integrated_loudness(x[:channels], 48000, channel_weights([30, -30, 0, 110, -110][:channels]))
        ref = pyloudnorm.Meter(48000).integrated_loudness(x[:channels].T.astype(np.float64))
        assert abs(ours - ref) < 0.01


def test_seven_one_weights_follow_bs1770():
    # L R C LFE Lb Rb Ls Rs: side loudspeakers (90 deg) weigh 1.41, back ones (150 deg) 1, LFE 0.
    np.testing.assert_allclose(channel_weights([30, -30, 0, None, 150, -150, 90, -90]),
                               [1, 1, 1, 0, 1, 1, 1.41, 1.41])


def test_limiter_chunk_edges_are_seamless():
    from see2sound.spatial import loudness
    x = (np.random.default_rng(3).standard_normal((2, 200_000)) * 0.5).astype(np.float32)
    whole, chunked = x.copy(), x.copy()
    limit_true_peak(whole, 48000, -1.0)
    saved = loudness.CHUNK
    loudness.CHUNK = 30_011
    try:
        limit_true_peak(chunked, 48000, -1.0)
    finally:
        loudness.CHUNK = saved
    np.testing.assert_allclose(whole, chunked, atol=1e-6)
    assert true_peak_dbtp(chunked) <= -1.0 + 1e-3


@pytest.mark.parametrize("fmt", ["binaural", "foa"])
def test_without_target_or_limiter_nothing_is_touched_or_measured(tmp_path, fmt):
    from see2sound.spatial.renderer import master, render_dry

    write_wav(tmp_path / "loud.wav", noise(2.0, level=0.9))
    scene = Scene.from_dict(scene_dict([source("a", 30, distance=0.5, audio="loud.wav")], duration=2.0),
                            base_dir=tmp_path)
    options = RenderOptions(format=fmt, room="none", loudness_lufs=None, true_peak_dbtp=None)
    dry, report = render_dry(scene, options)
    assert np.max(np.abs(dry)) > 1.0  # over full scale, and left so
    mastered = dry.copy()
    master(mastered, options, report)
    np.testing.assert_array_equal(mastered, dry)
    assert report.loudness_lufs is None and report.true_peak_dbtp is None
    assert report.gain_db == 0.0 and report.limiter_db == 0.0 and "nothing" in report.measured_on
    audio, _ = render_scene(scene, options)
    np.testing.assert_array_equal(audio, dry)
