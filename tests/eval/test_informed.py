"""Informed, per-source direction: each source judged from its own share of the file (issue 17).

Scenes are analytic (band-limited and white noises at known places); the
tampered renders are what a wrong renderer would write: the field mirrored
left-right, two sources exchanged, a trajectory run backwards.
"""

import json

import numpy as np
import pytest

from see2sound import Scene, spatialize
from see2sound.eval import evaluate, format_table
from see2sound.eval.informed import informed_directions
from tests.eval.helpers import mirrored, moving_scene, two_band_scene, two_noise_scene
from tests.helpers import SR, noise, scene_dict, source, write_wav


def errors(audio, fmt, scene):
    """Source id -> per-source error in degrees."""
    return {sid: m.error_deg for sid, m in informed_directions(audio, SR, fmt, scene).sources.items()}


def render(scene, fmt):
    audio, _ = spatialize(scene, fmt, room="none")
    return audio


@pytest.mark.parametrize("fmt", ["foa", "binaural", "5.1", pytest.param("7.1", marks=pytest.mark.slow)])
def test_a_mirrored_or_swapped_render_of_two_bands_is_caught(tmp_path, fmt):
    # Low band at +50, high band at -40. Position-only matching scores the mirrored field 10 and 10 deg.
    scene = two_band_scene(tmp_path)
    swapped = two_band_scene(tmp_path, low_az=-40.0, high_az=50.0)
    correct = errors(render(scene, fmt), fmt, scene)
    assert all(e <= 3.0 for e in correct.values()), correct
    flipped = errors(mirrored(render(scene, fmt), fmt), fmt, scene)
    assert all(e >= 60.0 for e in flipped.values()), flipped
    exchanged = errors(render(swapped, fmt), fmt, scene)
    assert all(e >= 60.0 for e in exchanged.values()), exchanged


@pytest.mark.parametrize("fmt", ["foa", "binaural", pytest.param("5.1", marks=pytest.mark.slow),
                                 pytest.param("7.1", marks=pytest.mark.slow)])
def test_a_moving_source_is_scored_along_its_trajectory(tmp_path, fmt):
    forward = moving_scene(tmp_path, [90.0, 0.0, -90.0])
    backward = moving_scene(tmp_path, [-90.0, 0.0, 90.0])
    result = informed_directions(render(forward, fmt), SR, fmt, forward).sources["m"]
    assert result.error_deg <= 3.0, result
    # Per segment, the intended direction follows the path: +60, 0, -60 deg (FOA: the mean of each second's arc).
    assert [round(float(np.degrees(np.arctan2(s.intended[1], s.intended[0]))) if fmt == "foa" else s.intended)
            for s in result.segments] == [60, 0, -60]
    reversed_error = errors(render(backward, fmt), fmt, forward)["m"]
    assert reversed_error >= 60.0  # the same path's mean direction, so position-only matching sees nothing wrong


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["foa", "binaural", "7.1"])
def test_sources_sharing_every_bin_are_told_apart(tmp_path, fmt):
    # Two equal white noises 90 deg apart: no bin belongs to one source, yet each is measured within 3 deg.
    scene = two_noise_scene(tmp_path)
    correct = errors(render(scene, fmt), fmt, scene)
    assert all(e <= 3.0 for e in correct.values()), correct
    assert all(e >= 60.0 for e in errors(mirrored(render(scene, fmt), fmt), fmt, scene).values())


def test_a_file_that_lags_its_stems_is_lined_up(tmp_path):
    scene = two_noise_scene(tmp_path, seconds=2.0)
    audio = render(scene, "foa")
    late = np.concatenate([np.zeros((4, 1024), np.float32), audio[:, :-1024]], axis=1)  # an encoder's priming
    result = informed_directions(late, SR, "foa", scene)
    assert result.lag_samples == 1024
    assert all(m.error_deg <= 3.0 for m in result.sources.values())


def test_segments_report_where_a_source_is_heard(tmp_path):
    write_wav(tmp_path / "a.wav", noise(3.0, seed=1))
    scene = Scene.from_dict(scene_dict([source("a", 30, audio="a.wav", active_s=[0.0, 1.2])], duration=3.0),
                            base_dir=tmp_path)
    segments = informed_directions(render(scene, "5.1"), SR, "5.1", scene).sources["a"].segments
    assert [(s.t0_s, s.t1_s) for s in segments] == [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]
    assert segments[0].error_deg < 1.0 and segments[0].weight > 0.5
    assert segments[2].error_deg is None and segments[2].weight == 0.0  # silent: not scored


def test_the_report_gives_per_source_and_position_only_figures(tmp_path):
    scene = two_band_scene(tmp_path)
    write_wav(tmp_path / "mirrored.wav", mirrored(render(scene, "binaural"), "binaural"))
    report = evaluate(tmp_path / "mirrored.wav", scene, fmt="binaural", tags=False)
    low, high = report["sources"]
    for entry in (low, high):
        assert entry["method"] == "informed" and entry["doa_error_deg"] >= 60.0
        assert entry["matched_error_deg"] <= 15.0  # peaks are still where sources are: matching is fooled
        assert [(s["t0_s"], s["t1_s"]) for s in entry["segments"]] == [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]
        assert all(s["error_deg"] >= 60.0 and set(s["intended"]) == {"lateral_deg"} for s in entry["segments"])
    assert low["estimated"]["lateral_deg"] == pytest.approx(-50.0, abs=3.0)
    summary = report["summary"]
    assert summary["direction_method"] == "informed"
    assert summary["mean_doa_error_deg"] >= 60.0 and summary["mean_matched_error_deg"] <= 15.0
    json.dumps(report, allow_nan=False)
    table = format_table(report)
    assert "mean error" in table and "position-only matching" in table


def test_without_a_stem_a_source_falls_back_to_position_only(tmp_path):
    write_wav(tmp_path / "a.wav", noise(2.0, seed=1))
    scene = Scene.from_dict(scene_dict([source("a", 40, audio="a.wav"), source("gone", -30, audio="gone.wav"),
                                        source("quiet", 0, audio="a.wav", muted=True)]), base_dir=tmp_path)
    later = source("b", -30, audio="a.wav")
    later["audio"]["offset_s"] = 0.5
    heard = Scene.from_dict(scene_dict([source("a", 40, audio="a.wav"), later]), base_dir=tmp_path)
    # "gone" was rendered from a sound the scene no longer has: it is in the file, unexplained
    write_wav(tmp_path / "mix.wav", render(heard, "5.1"))
    report = evaluate(tmp_path / "mix.wav", scene, fmt="5.1", tags=False)
    a, gone, quiet = report["sources"]
    assert a["method"] == "informed" and a["doa_error_deg"] < 3.0
    assert gone["method"] == "matched" and gone["doa_error_deg"] == gone["matched_error_deg"] < 15.0
    assert gone["note"].startswith("position-only: sources[1]") and "gone.wav" in gone["note"]
    assert quiet["method"] == "not heard" and quiet["doa_error_deg"] is None
    assert report["summary"]["direction_method"] == "mixed"


def test_sources_playing_the_same_sound_are_said_to_be_alike(tmp_path):
    write_wav(tmp_path / "a.wav", noise(2.0, seed=1))
    scene = Scene.from_dict(scene_dict([source("left", 60, audio="a.wav"), source("right", -60, audio="a.wav")]),
                            base_dir=tmp_path)
    write_wav(tmp_path / "mix.wav", render(scene, "5.1"))
    report = evaluate(tmp_path / "mix.wav", scene, fmt="5.1", tags=False)
    left, right = report["sources"]
    assert "plays the same sound as right" in left["note"] and "as left" in right["note"]
