"""`see2sound batch --engine ray`: a local Ray instance started by the test gives the local engine's outputs."""

import pytest

from see2sound.batch import run_batch
from see2sound.batch.engine import LocalEngine
from see2sound.cli import main
from tests.batch.helpers import CrashingDetector, bad_files, batch_args, crash_picture, pictures
from tests.batch.test_batch import QUICK, _audio, _records, _settings


@pytest.mark.slow
def test_ray_engine_renders_what_the_local_engine_does_and_records_a_dead_actor_alone(tmp_path):
    pytest.importorskip("ray.data", reason="the Ray engine needs see2sound[cluster]")
    from see2sound.batch.ray_engine import RayEngine

    pictures(tmp_path / "in", 6)
    bad_files(tmp_path / "in" / "bad")
    crash_picture(tmp_path / "in" / "boom.png")
    summaries, outs = {}, {}
    detector = CrashingDetector()  # one object: its repr is part of the options' hash
    for name in ("local", "ray"):
        outs[name] = tmp_path / name
        args = batch_args(str(tmp_path / "in"), "-o", str(outs[name]), *QUICK, "--workers", "2", "--engine", name)
        args.detector = detector
        engine = (LocalEngine(args, _settings(args), 2) if name == "local"
                  else RayEngine(args, _settings(args), 2))
        summaries[name] = run_batch(args, say=None, engine=engine)
    local, ray_ = summaries["local"], summaries["ray"]
    assert ray_.done == local.done == 6
    assert sorted(local.failed) == sorted(ray_.failed)  # the same items, with the same error lines
    assert sorted(item for item, _ in ray_.failed) == ["bad/cut", "bad/empty", "bad/notes", "boom"]
    assert "worker process died" in dict(ray_.failed)["boom"]
    assert _audio(outs["ray"]) == _audio(outs["local"]) and len(_audio(outs["ray"])) == 6  # byte-identical
    records = _records(outs["ray"])
    assert {n: r["status"] for n, r in records.items()} == {n: r["status"] for n, r in _records(outs["local"]).items()}
    # models load once per Ray worker: the count an actor reports never grows between its items
    by_worker: dict[int, set] = {}
    for record in records.values():
        if record.get("worker") is not None:
            by_worker.setdefault(record["worker"], set()).add(record["model_loads"])
    assert by_worker and all(len(loads) == 1 for loads in by_worker.values())
    assert not list(outs["ray"].rglob("*.part"))
    # the manifest is the engine's neither: the local engine finds the Ray run's items done
    args = batch_args(str(tmp_path / "in"), "-o", str(outs["ray"]), *QUICK, "--workers", "2")
    args.detector = detector
    again = run_batch(args, say=None)
    assert (again.skipped, again.done, len(again.failed_before)) == (6, 0, 4)


def test_ray_options_need_the_ray_engine(tmp_path, capsys):
    pictures(tmp_path / "in", 1)
    assert main(["batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--ray-address", "auto"]) == 2
    assert capsys.readouterr().err.strip() == "error: --ray-address: only with the ray engine"
    assert not (tmp_path / "out").exists()


def test_ray_engine_without_ray_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails as it does where Ray is not installed
    pictures(tmp_path / "in", 1)
    assert main(["batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--engine", "ray"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --engine ray needs Ray Data: pip install 'see2sound[cluster]'")
    assert not (tmp_path / "out").exists()


def test_worker_memory_is_refused_with_the_ray_engine(tmp_path, capsys):
    pictures(tmp_path / "in", 1)
    assert main(["batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--engine", "ray",
                 "--worker-memory", "4000"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --worker-memory: not with the ray engine"), err
    assert not (tmp_path / "out").exists()
