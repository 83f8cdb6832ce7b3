"""`see2sound batch` with inputs and outputs in object storage: an S3 server (moto) on this machine, read and
written through pyarrow's S3 filesystem, gives the same files as a local batch, and resumes."""

import json
import socket

import pytest

from see2sound.batch import MANIFEST_NAME, SUMMARY_NAME, run_batch
from see2sound.batch.engine import InProcessEngine
from see2sound.batch.manifest import RunManifest
from tests.batch.helpers import bad_files, batch_args, pictures
from tests.batch.test_batch import QUICK, _audio, _settings

pafs = pytest.importorskip("pyarrow.fs", reason="URLs need pyarrow (see2sound[cluster])")
moto_server = pytest.importorskip("moto.server", reason="the S3 test server is moto[server] (the test extra)")


@pytest.fixture()
def s3(monkeypatch, tmp_path):
    """A bucket ``media`` on a local S3 server (its contents last for the test process: each test its own
    prefix); the URL query that reaches it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    fs = pafs.S3FileSystem(endpoint_override=f"127.0.0.1:{port}", scheme="http", region="us-east-1",
                           access_key="testing", secret_key="testing", allow_bucket_creation=True)
    fs.create_dir("media")
    try:
        yield fs, f"?endpoint_override=127.0.0.1:{port}&scheme=http&region=us-east-1"
    finally:
        server.stop()


def _put_tree(fs, local, prefix):
    for path in sorted(local.rglob("*")):
        if path.is_file():
            with fs.open_output_stream(f"{prefix}/{path.relative_to(local).as_posix()}") as f:
                f.write(path.read_bytes())


def _objects(fs, prefix):
    found = fs.get_file_info(pafs.FileSelector(prefix, recursive=True))
    return {e.path[len(prefix) + 1:]: e for e in found if e.type == pafs.FileType.File}


def _read(fs, path):
    with fs.open_input_stream(path) as f:
        return f.read()


def _batch(inputs, out):
    args = batch_args(*inputs, "-o", out, *QUICK)
    return run_batch(args, say=None, engine=InProcessEngine(args, _settings(args)))


def test_a_batch_from_and_into_object_storage_renders_what_a_local_one_does_and_resumes(tmp_path, s3):
    fs, query = s3
    pictures(tmp_path / "in", 4)
    bad_files(tmp_path / "in" / "bad")
    _put_tree(fs, tmp_path / "in", "media/photos")
    local = _batch([str(tmp_path / "in")], str(tmp_path / "local"))

    summary = _batch([f"s3://media/photos{query}"], f"s3://media/out{query}")
    assert (summary.done, len(summary.failed)) == (local.done, len(local.failed)) == (4, 3)
    objects = _objects(fs, "media/out")
    wavs = {name: _read(fs, f"media/out/{name}") for name in objects if name.endswith(".wav")}
    assert wavs == _audio(tmp_path / "local")  # byte-identical to the local batch, under the same names
    assert MANIFEST_NAME in objects and SUMMARY_NAME in objects
    records = [json.loads(line) for line in _read(fs, f"media/out/{MANIFEST_NAME}").decode().splitlines()]
    assert sorted(r["item"] for r in records) == sorted(RunManifest(tmp_path / "local").records)
    scene = json.loads(_read(fs, "media/out/" + next(n for n in objects if n.endswith(".json") and "/" not in n
                                                      and n.startswith("p"))))
    assert scene["input"]["path"].startswith("s3://media/photos/")
    assert json.loads(_read(fs, f"media/out/{SUMMARY_NAME}"))["done"] == 4

    again = _batch([f"s3://media/photos{query}"], f"s3://media/out{query}")
    assert (again.skipped, again.done, len(again.failed_before)) == (4, 0, 3)  # nothing rendered again
    fs.delete_file(f"media/out/{sorted(wavs)[0]}")  # an output gone: that item alone is rendered again
    third = _batch([f"s3://media/photos{query}"], f"s3://media/out{query}")
    assert (third.skipped, third.done) == (3, 1)
    assert _read(fs, f"media/out/{sorted(wavs)[0]}") == wavs[sorted(wavs)[0]]


def test_a_url_that_cannot_be_listed_is_one_error_line(tmp_path, s3, capsys):
    from see2sound.cli import main

    _, query = s3
    assert main(["batch", f"s3://nothing-here/photos{query}", "-o", str(tmp_path / "out"), *QUICK]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: s3://nothing-here/photos"), err


def test_keys_that_climb_out_and_outputs_under_the_inputs_and_secrets_in_urls(tmp_path, s3, capsys):
    from see2sound.cli import main

    fs, query = s3
    pictures(tmp_path / "in", 2)
    _put_tree(fs, tmp_path / "in", "media/t2/photos")
    # the output folder inside the input prefix: its files are never taken for inputs (queries told apart)
    first = _batch([f"s3://media/t2/photos{query}"], f"s3://media/t2/photos/out{query}")
    assert first.done == 2
    with fs.open_output_stream("media/t2/photos/out/extra.jpg") as f:  # a picture in the output folder
        f.write(next((tmp_path / "in").rglob("*.jpg")).read_bytes())
    with fs.open_output_stream("media/t2/photos/out/sub/.left.wav.0a1b.part") as f:  # an upload a kill cut short
        f.write(b"half")
    again = _batch([f"s3://media/t2/photos{query}"], f"s3://media/t2/photos/out{query}")
    assert again.items == 2 and again.skipped == 2
    assert "sub/.left.wav.0a1b.part" not in _objects(fs, "media/t2/photos/out")
    # a manifest row whose key climbs out of the bucket's tree is refused, nothing written
    manifest = tmp_path / "list.csv"
    manifest.write_text(f"path\ns3://media/../evil/x.jpg{query}\n")
    assert main(["batch", str(manifest), "-o", str(tmp_path / "out"), *QUICK]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'..'" in err[0] and "endpoint_override" not in err[0], err
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil").exists()
    # user name, password and query stay out of what is recorded
    secret = f"s3://testing:testing@media/t2/photos{query}"
    summary = _batch([secret], str(tmp_path / "recorded"))
    assert summary.done == 3  # the two pictures, and out/extra.jpg: this output folder is elsewhere
    for path in (tmp_path / "recorded").rglob("*"):
        if path.is_file() and path.suffix in (".json", ".jsonl"):
            text = path.read_text()
            assert "testing:testing" not in text and "endpoint_override" not in text, path


def test_an_interrupted_upload_leaves_no_object_under_its_name(tmp_path, s3, monkeypatch):
    from see2sound.batch import storage

    fs, query = s3
    local = tmp_path / "big.bin"
    local.write_bytes(b"x" * (3 << 20))
    reads = []
    real_open = open

    class Interrupted(Exception):
        pass

    def failing_open(path, mode="r", *a, **k):
        handle = real_open(path, mode, *a, **k)
        if str(path) == str(local):
            read = handle.read

            def read_then_fail(n=-1):
                reads.append(n)
                if len(reads) > 1:
                    raise Interrupted()
                return read(n)
            handle.read = read_then_fail
        return handle

    monkeypatch.setattr("builtins.open", failing_open)
    with pytest.raises(Interrupted):
        storage.store(f"s3://media/up{query}").upload(local, "big.bin")
    monkeypatch.undo()
    assert _objects(fs, "media/up") == {}  # neither big.bin nor a temporary key


def test_an_object_named_alone_has_the_identity_its_listing_gives_and_a_missing_one_is_one_line(tmp_path, s3):
    from see2sound import See2SoundError
    from see2sound.batch import storage

    fs, query = s3
    with fs.open_output_stream("media/t4/a.jpg") as f:
        f.write(b"not really a picture")
    info = fs.get_file_info("media/t4/a.jpg")
    alone = storage.identity(f"s3://media/t4/a.jpg{query}")
    assert alone == storage.identity(f"s3://media/t4/a.jpg{query}", info.size, info.mtime_ns)
    assert storage.fetch(f"s3://media/t4/a.jpg{query}", tmp_path).read_bytes() == b"not really a picture"
    with pytest.raises(See2SoundError, match=r"^s3://media/t4/none\.jpg: no such object$"):
        storage.identity(f"s3://media/t4/none.jpg{query}")
