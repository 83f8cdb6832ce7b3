"""`see2sound serve`: its failures are one line, exit 2, and leave nothing behind."""

import socket
import subprocess
import sys

import pytest


def _serve(*args, timeout=30):
    return subprocess.run([sys.executable, "-m", "see2sound.cli", "serve", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


def test_a_busy_port_is_one_error_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = _serve("--port", port, "--data-dir", tmp_path / "data")
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [f"error: cannot listen on 127.0.0.1:{port} (Address already in use)"]
    assert not (tmp_path / "data").exists()


@pytest.mark.slow
@pytest.mark.parametrize("flags, words", [
    (["--port", "70000"], "--port: must be from 1 to 65535"),
    (["--max-upload-mb", "0"], "--max-upload-mb: must be more than 0"),
    (["--workers", "0"], "--workers: must be from 1 to 16"),
])
def test_bad_options_are_one_error_line(flags, words, tmp_path):
    run = _serve(*flags, "--data-dir", tmp_path / "data")
    assert run.returncode == 2 and run.stderr.strip().startswith(f"error: {words}")
    assert len(run.stderr.strip().splitlines()) == 1 and not (tmp_path / "data").exists()


@pytest.mark.slow
def test_an_unusable_data_folder_is_one_error_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = _serve("--port", port, "--data-dir", blocker / "data")
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1
    assert run.stderr.startswith(f"error: {blocker / 'data'}: cannot keep the studio's jobs there")


@pytest.mark.parametrize("limit, value, words", [
    ("max_jobs_per_client", 0, "max_jobs_per_client: must be a whole number from 1 to 1000, got 0"),
    ("max_store_gb", -1.0, "max_store_gb: must be more than 0 and at most 100000, got -1.0"),
    ("max_duration_s", 7200.0, "max_duration_s: must be more than 0 and at most 3600, got 7200.0"),
    ("keep_days", float("inf"), "keep_days: must be from 0 to 36500, got inf"),
])
def test_bad_limits_are_one_error_before_anything_starts(limit, value, words, tmp_path):
    from see2sound.errors import ParameterError
    from see2sound.studio.serve import serve

    with pytest.raises(ParameterError) as error:
        serve(port=1, data_dir=tmp_path / "data", **{limit: value})  # port 1: it would fail later
    assert str(error.value) == words and not (tmp_path / "data").exists()
