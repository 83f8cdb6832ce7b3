"""`see2sound bench`, `see2sound labels` and `eval --labels/--channels`: the comparison and the standard labels, from the CLI."""

import csv
import json

import numpy as np
import pytest
import soundfile as sf

import see2sound
from see2sound.cli import main
from see2sound.eval import evaluate
from see2sound.spatial.geometry import Path as SourcePath
from see2sound.spatial.geometry import to_spherical
from tests.eval.helpers import mirrored, moving_scene, two_band_scene
from tests.helpers import SR


def _save(scene, path):
    path.write_text(json.dumps(scene.to_dict()))
    return path


@pytest.mark.slow
def test_bench_tells_a_mirrored_file_from_a_right_render(tmp_path, capsys):
    scene_file = _save(two_band_scene(tmp_path), tmp_path / "two-band.json")
    audio, _ = see2sound.spatialize(see2sound.Scene.load(scene_file), format="foa", room="none")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    sf.write(elsewhere / "two-band.foa.wav", mirrored(audio, "foa").T, SR, subtype="FLOAT")
    (elsewhere / "two-band.wav").symlink_to(elsewhere / "two-band.foa.wav")
    out = tmp_path / "bench"
    assert main(["bench", str(scene_file), "-o", str(out), "--contender", "see2sound:foa",
                 "--contender", f"files:{elsewhere}", "-q"]) == 0
    data = json.loads((out / "bench.json").read_text())
    errors = {(r["contender"], r["source"]): r["doa_error_deg"] for r in data["sources"]}
    assert errors[("see2sound foa", "low")] <= 3 and errors[("see2sound foa", "high")] <= 3
    assert errors[("files elsewhere", "low")] >= 60 and errors[("files elsewhere", "high")] >= 60
    aggregate = {r["contender"]: r for r in data["aggregate"]}
    assert aggregate["see2sound foa"]["within_20_deg"] == 1.0 and aggregate["files elsewhere"]["within_20_deg"] == 0.0
    table = (out / "bench.md").read_text()
    assert "| see2sound foa | angle | 1 |" in table and "| two-band | low |" in table


def test_bench_that_fails_leaves_no_folder(tmp_path, capsys):
    scene_file = _save(two_band_scene(tmp_path), tmp_path / "s.json")
    out = tmp_path / "bench"
    rc = main(["bench", str(scene_file), "-o", str(out), "--contender", f"files:{tmp_path / 'nothing'}"])
    assert rc == 2 and not out.exists()
    assert capsys.readouterr().err.startswith("error: ")
    (tmp_path / "empty").mkdir()
    rc = main(["bench", str(scene_file), "-o", str(out), "--contender", f"files:{tmp_path / 'empty'}"])
    assert rc == 2 and not out.exists()
    assert "no file s.wav" in capsys.readouterr().err


@pytest.mark.slow
def test_the_default_bench_scores_ours_the_original_and_a_naive_pan(tmp_path, capsys):
    scene_file = _save(two_band_scene(tmp_path, low_az=120.0, high_az=-100.0), tmp_path / "behind.json")
    out = tmp_path / "bench"
    assert main(["bench", str(tmp_path), "-o", str(out), "-q"]) == 0
    aggregate = {r["contender"]: r for r in json.loads((out / "bench.json").read_text())["aggregate"]}
    assert set(aggregate) == {"see2sound binaural", "see2sound foa", "see2sound 5.1", "see2sound-original 5.1",
                              "naive-pan stereo"}
    assert aggregate["see2sound foa"]["mean_doa_error_deg"] <= 3
    # Sources behind the listener: a pan clipped to +-90 deg cannot put them there.
    assert aggregate["naive-pan stereo"]["mean_doa_error_deg"] >= 20
    assert (out / "bench-errors.png").stat().st_size > 1000
    assert "behind" in {r["scene"] for r in json.loads((out / "bench.json").read_text())["files"]}
    assert scene_file.exists()


def test_labels_written_for_a_moving_source_follow_its_trajectory(tmp_path, capsys):
    scene_file = _save(moving_scene(tmp_path, [90.0, 0.0, -90.0]), tmp_path / "moving.json")
    out = tmp_path / "moving.csv"
    assert main(["labels", "write", str(scene_file), "-o", str(out), "--decimals", "2", "-q"]) == 0
    rows = [list(map(float, row)) for row in csv.reader(out.open())]
    assert [int(r[0]) for r in rows] == list(range(30))  # 3 s of 100 ms frames, one source
    path = SourcePath.of(see2sound.Scene.load(scene_file).sources[0])
    for frame, _, _, azimuth, elevation, distance_cm in rows:
        directions, distances = path.at(np.array([frame * 0.1]))
        want_az, want_el = to_spherical(directions[0])
        assert abs(azimuth - float(want_az)) <= 1.0 and abs(elevation - float(want_el)) <= 1.0
        assert abs(distance_cm - 100 * distances[0]) <= 1.0
    classes = json.loads((tmp_path / "moving.classes.json").read_text())
    assert classes["tracks"][0]["id"] == "m"


def test_a_file_scored_against_labels_and_against_its_scene_agrees(tmp_path, capsys):
    scene = two_band_scene(tmp_path)
    scene_file = _save(scene, tmp_path / "s.json")
    audio, _ = see2sound.spatialize(scene, format="foa", room="none")
    render = tmp_path / "r.foa.wav"
    sf.write(render, audio.T, SR, subtype="FLOAT")
    assert main(["labels", "write", str(scene_file), "-o", str(tmp_path / "s.csv"), "-q"]) == 0
    assert main(["eval", str(render), "--labels", str(tmp_path / "s.csv"), "--no-tags", "--json",
                 str(tmp_path / "by-labels.json"), "-q"]) == 0
    report = json.loads((tmp_path / "by-labels.json").read_text())
    assert len(report["sources"]) == 2
    assert report["summary"]["mean_matched_error_deg"] <= 3


@pytest.mark.slow
def test_a_fuma_file_is_scored_as_its_ambix_original(tmp_path, capsys):
    scene = two_band_scene(tmp_path)
    scene_file = _save(scene, tmp_path / "s.json")
    audio, _ = see2sound.spatialize(scene, format="foa", room="none")
    w, y, z, x = audio  # AmbiX: ACN order, SN3D
    fuma = np.stack([w / np.sqrt(2.0), x, y, z])  # Furse-Malham: W at -3 dB, then X, Y, Z
    sf.write(tmp_path / "ambix.wav", audio.T, SR, subtype="FLOAT")
    sf.write(tmp_path / "take.fuma.wav", fuma.T, SR, subtype="FLOAT")  # the name says FuMa
    sf.write(tmp_path / "take.wav", fuma.T, SR, subtype="FLOAT")  # nothing says it
    reports = {}
    for name, file, extra in (("ambix", "ambix.wav", []), ("by name", "take.fuma.wav", []),
                              ("by flag", "take.wav", ["--channels", "fuma"]), ("unsaid", "take.wav", [])):
        assert main(["eval", str(tmp_path / file), "--scene", str(scene_file), "--format", "foa", "--no-tags",
                     "--json", str(tmp_path / "report.json"), "-q", *extra]) == 0
        reports[name] = json.loads((tmp_path / "report.json").read_text())
    errors = {name: [s["doa_error_deg"] for s in r["sources"]] for name, r in reports.items()}
    assert errors["by name"] == errors["by flag"] == errors["ambix"] and max(errors["ambix"]) <= 3
    assert reports["by name"]["summary"]["channels"] == reports["by flag"]["summary"]["channels"] == "fuma"
    assert reports["unsaid"]["summary"]["channels"] == "ambix"
    assert max(errors["unsaid"]) >= 20  # read as AmbiX, FuMa's channels mean other directions


@pytest.mark.slow
def test_one_source_gets_the_fields_whole_file_scores(tmp_path):
    scene = two_band_scene(tmp_path)
    scene.sources[1].muted = True
    for fmt, key, bound in (("foa", "intensity_error_rad", 0.05), ("binaural", "itd_error_us", 30.0)):
        audio, _ = see2sound.spatialize(scene, format=fmt, room="none")
        sf.write(tmp_path / f"{fmt}.wav", audio.T, SR, subtype="FLOAT")
        summary = evaluate(tmp_path / f"{fmt}.wav", scene, fmt=fmt, tags=False)["summary"]
        assert summary[key] is not None and summary[key] <= bound, (fmt, summary[key])
        mirror = mirrored(audio, fmt)
        sf.write(tmp_path / f"{fmt}-mirror.wav", mirror.T, SR, subtype="FLOAT")
        summary = evaluate(tmp_path / f"{fmt}-mirror.wav", scene, fmt=fmt, tags=False)["summary"]
        assert summary[key] > 10 * bound, (fmt, summary[key])
