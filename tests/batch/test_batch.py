"""`see2sound batch`: every item rendered as `render` would, failures recorded, resumable, models loaded once."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from see2sound.batch import MANIFEST_NAME, SUMMARY_NAME, run_batch
from see2sound.batch.engine import InProcessEngine, LocalEngine
from see2sound.batch.manifest import RunManifest
from see2sound.cli import main
from tests.batch.helpers import (CrashingDetector, ROOT, bad_files, batch_args, clips, crash_picture, pictures)

QUICK = ("--duration", "1", "--format", "foa", "--sample-rate", "16000", "-q")


def _run(inputs, out, *flags, engine="in-process"):
    args = batch_args(*map(str, inputs), "-o", str(out), *QUICK, *flags)
    if engine == "in-process":
        return run_batch(args, say=None, engine=InProcessEngine(args, _settings(args)))
    return run_batch(args, say=None)


def _settings(args):
    from see2sound.batch import _settings

    return _settings(args)


def _records(out: Path) -> dict:
    return RunManifest(out).records


def _audio(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.wav"))}


def test_items_render_failures_are_recorded_and_the_rest_go_on(tmp_path):
    pictures(tmp_path / "in", 2)
    bad_files(tmp_path / "in" / "bad")
    summary = _run([tmp_path / "in"], tmp_path / "out")
    assert summary.done == 2 and len(summary.failed) == 3
    records = _records(tmp_path / "out")
    for name in ("bad/notes", "bad/cut", "bad/empty"):
        assert records[name]["status"] == "failed"
        assert records[name]["error"].startswith("error: ") and "\n" not in records[name]["error"]
    done = records["set0/p00-astronaut"]
    assert done["status"] == "done" and done["input_sha256"] and done["versions"]["see2sound"]
    assert sorted(done["outputs"]) == ["set0/p00-astronaut.json", "set0/p00-astronaut.wav"]
    audio, rate = sf.read(tmp_path / "out" / "set0/p00-astronaut.wav")
    assert audio.shape == (16000, 4) and rate == 16000 and np.isfinite(audio).all()
    scene = json.loads((tmp_path / "out" / "set0/p00-astronaut.json").read_text())
    assert scene["input"]["path"] == "../../in/set0/p00-astronaut.jpg"
    assert not list((tmp_path / "out").rglob("*.part"))
    assert json.loads((tmp_path / "out" / SUMMARY_NAME).read_text())["done"] == 2


def test_a_rerun_skips_what_is_done_and_retries_failures_only_when_asked(tmp_path):
    pictures(tmp_path / "in", 2)
    bad = bad_files(tmp_path / "in")[0]
    _run([tmp_path / "in"], tmp_path / "out")
    written = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*.wav")}
    again = _run([tmp_path / "in"], tmp_path / "out")
    assert (again.done, again.skipped, len(again.failed), len(again.failed_before)) == (0, 2, 0, 3)
    assert {p: p.stat().st_mtime_ns for p in written} == written
    retried = _run([tmp_path / "in"], tmp_path / "out", "--retry-failed")
    assert retried.skipped == 2 and len(retried.failed) == 3
    bad.write_bytes((ROOT / "src/see2sound/data/examples/coffee.jpg").read_bytes())  # the input changed
    fixed = _run([tmp_path / "in"], tmp_path / "out")
    assert fixed.done == 1 and fixed.skipped == 2
    changed = _run([tmp_path / "in"], tmp_path / "out", "--seed", "3")  # other options: everything again
    assert changed.done == 3


def test_manifest_options_apply_per_item(tmp_path):
    made = pictures(tmp_path, 2)
    (tmp_path / "list.jsonl").write_text(json.dumps({"path": str(made[0].relative_to(tmp_path)),
                                                     "format": "binaural", "duration": 0.5}) + "\n"
                                         + json.dumps({"path": str(made[1].relative_to(tmp_path))}) + "\n")
    _run([tmp_path / "list.jsonl"], tmp_path / "out")
    assert sf.info(tmp_path / "out/set0/p00-astronaut.wav").channels == 2
    assert sf.info(tmp_path / "out/set0/p00-astronaut.wav").duration == 0.5
    assert sf.info(tmp_path / "out/p01-chelsea.wav").channels == 4


def test_dataset_mode_labels_every_variant_with_one_class_map_and_the_turned_field(tmp_path):
    pictures(tmp_path / "in", 1)
    _run([tmp_path / "in"], tmp_path / "out", "--labels", "--variants", "2")
    out = tmp_path / "out"
    classes = json.loads((out / "classes.json").read_text())
    assert classes["classes"] == sorted(classes["classes"]) and "dog" in classes["classes"]
    records = _records(out)
    yaw = records["set0/p00-astronaut.v1"]["options"]["yaw_deg"]
    scenes = [json.loads((out / f"set0/p00-astronaut.v{k}.json").read_text()) for k in (0, 1)]
    for before, after in zip(scenes[0]["sources"], scenes[1]["sources"]):
        turned = (before["position"]["azimuth_deg"] + yaw + 180) % 360 - 180
        assert after["position"]["azimuth_deg"] == pytest.approx(turned, abs=1e-6)
    rows = [line.split(",") for line in (out / "set0/p00-astronaut.v1.csv").read_text().split()]
    assert rows and all(0 <= int(r[1]) < len(classes["classes"]) for r in rows)
    labelled = {classes["classes"][int(r[1])] for r in rows}
    assert labelled <= {s["label"] for s in scenes[1]["sources"]}


def test_the_command_line_says_one_error_line_and_exits_2_when_items_failed(tmp_path, capsys):
    bad_files(tmp_path / "in")
    assert main(["batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"), *QUICK, "--workers", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: 3 of 3 item(s) failed; see {tmp_path / 'out' / SUMMARY_NAME}"]
    assert main(["batch", str(tmp_path / "nothing"), "-o", str(tmp_path / "out2")]) == 2
    assert not (tmp_path / "out2").exists()


@pytest.mark.slow
def test_a_worker_that_dies_fails_its_item_alone_and_the_pool_goes_on(tmp_path):
    pictures(tmp_path / "in", 3)
    crash_picture(tmp_path / "in" / "boom.png")
    args = batch_args(str(tmp_path / "in"), "-o", str(tmp_path / "out"), *QUICK, "--workers", "2")
    args.detector = CrashingDetector()
    summary = run_batch(args, say=None, engine=LocalEngine(args, _settings(args), 2))
    assert summary.done == 3 and [item for item, _ in summary.failed] == ["boom"]
    assert "worker process died" in summary.failed[0][1]


@pytest.mark.slow
def test_thirty_pictures_three_clips_three_bad_files_with_models_loaded_once_per_worker(tmp_path):
    pictures(tmp_path / "in", 30)
    bad_files(tmp_path / "in" / "bad")
    try:
        clips(tmp_path / "in" / "clips", 3)
        n_clips = 3
    except ImportError:
        n_clips = 0
    summary = _run([tmp_path / "in"], tmp_path / "out", "--workers", "2", engine="local")
    assert summary.done == 30 + n_clips and len(summary.failed) == 3
    records = _records(tmp_path / "out")
    assert sorted(n for n, r in records.items() if r["status"] == "failed") == ["bad/cut", "bad/empty", "bad/notes"]
    for name, record in records.items():
        if record["status"] == "done":
            for output in record["outputs"]:
                assert (tmp_path / "out" / output).exists()
            audio, _ = sf.read(tmp_path / "out" / f"{name}.wav")
            assert audio.shape[1] == 4 and np.isfinite(audio).all() and np.abs(audio).max() > 0
            json.loads((tmp_path / "out" / f"{name}.json").read_text())
    # models load once per worker: each worker made its components when it started and never again
    by_worker: dict[int, set] = {}
    for record in records.values():
        if record.get("worker") is not None:
            by_worker.setdefault(record["worker"], set()).add(record["model_loads"])
    assert len(by_worker) <= 2 and all(len(loads) == 1 for loads in by_worker.values())
    first = min(by_worker.values(), key=lambda s: min(s))
    assert min(first) <= 4  # detector, depth, renderer, sound source(s): made once, not once per item


@pytest.mark.slow
def test_kill_9_half_way_then_the_same_command_gives_the_uninterrupted_outputs(tmp_path):
    pictures(tmp_path / "in", 12)
    bad_files(tmp_path / "in" / "bad")
    command = [sys.executable, "-m", "see2sound.cli", "batch", str(tmp_path / "in"), *QUICK, "--workers", "2"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    reference = subprocess.run(command + ["-o", str(tmp_path / "ref")], env=env, capture_output=True)
    assert reference.returncode == 2

    out = tmp_path / "out"
    process = subprocess.Popen(command + ["-o", str(out)], env=env, start_new_session=True,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if (out / MANIFEST_NAME).exists() and sum(
                r["status"] == "done" for r in RunManifest(out).records.values()) >= 4:
            break
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    before = {n: r for n, r in RunManifest(out).records.items() if r["status"] == "done"}
    assert 4 <= len(before) < 15
    stamps = {p: p.stat().st_mtime_ns for n in before for p in (out / o for o in before[n]["outputs"])}

    again = subprocess.run(command + ["-o", str(out)], env=env, capture_output=True)
    assert again.returncode == 2
    assert _audio(out) == _audio(tmp_path / "ref")  # byte-identical, whatever the worker and order
    after, ref = RunManifest(out).records, RunManifest(tmp_path / "ref").records
    assert {n: r["status"] for n, r in after.items()} == {n: r["status"] for n, r in ref.items()}
    assert all(after[n]["finished"] == before[n]["finished"] for n in before)  # not redone
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    assert not list(out.rglob("*.part"))


@pytest.mark.slow
def test_worker_memory_caps_each_worker_so_an_item_that_needs_more_fails_alone(tmp_path):
    pictures(tmp_path / "in", 2)
    # 150 MB of address space cannot hold the models and a render: every item fails with its own error line
    tight = _run([tmp_path / "in"], tmp_path / "tight", "--workers", "1", "--worker-memory", "150", engine="local")
    assert tight.done == 0 and len(tight.failed) == 2
    assert all(error == "error: out of memory within --worker-memory 150 MB (raise it, or render this item alone)"
               for _, error in tight.failed)
    assert not list((tmp_path / "tight").rglob("*.wav"))
    # a cap a render fits in changes nothing
    roomy = _run([tmp_path / "in"], tmp_path / "roomy", "--workers", "1", "--worker-memory", "8000", engine="local")
    assert roomy.done == 2 and not roomy.failed
