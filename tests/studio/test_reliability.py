"""The studio against hostile and careless clients: each bad request is one JSON error, and changes nothing.

Every case in CASES is sent to one studio that holds a finished, a queued,
a running and a failed job; the answer must be the status and
``{"error": <message>}`` the case names, and the data folder (every file,
every job's state) must be the same after it as before. The limits,
retention, shutdown and failed-job cases follow. docs/reliability.md (Studio)
lists every case with the studio's real answer.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import threading
import time

import pytest

from see2sound.formats import FORMATS
from tests.helpers import need
from tests.studio.conftest import start_server, upload, wait

TOKEN = "reliability-token-0123456789"
ORIGIN = "http://127.0.0.1:7860"
FAILED = "frame 3 of the video cannot be decoded (Invalid data found when processing input)"
OUTSIDER = "10.0.0.9"  # the client of the standing queued and running jobs


def _file(name: str, content: bytes, **form):
    return {"files": {"file": (name, content, "application/octet-stream")},
            "data": {k: str(v) for k, v in form.items()}}


def _scene(edit):
    """A PUT of the finished job's scene after ``edit(scene)``."""
    def make(client, ids):
        scene = client.get(f"/api/jobs/{ids['done']}/scene").json()
        edit(scene)
        return {"content": json.dumps(scene), "headers": {"content-type": "application/json"}}
    return make


def _set(path: str, value):
    def edit(scene):
        *parents, last = path.split(".")
        node = scene["sources"][0]
        for key in parents:
            node = node[key]
        node[last] = value
    return _scene(edit)


def _add_intruder(scene):
    scene["sources"].append({**scene["sources"][0], "id": "intruder-1"})


def _adding(add):
    """A PUT of the finished job's scene with ``add`` (sources to add) in its body."""
    def edit(scene):
        scene["add"] = add
    return _scene(edit)


def _browser(headers: dict, **extra):
    return lambda client, ids: {**extra, "headers": headers}


PNG_HEAD = b"\x89PNG\r\n\x1a\n"
SAME_ORIGIN = {"origin": ORIGIN, "sec-fetch-site": "same-origin", "x-see2sound-token": TOKEN}

# (id, method, path, request, status, words in the error). Paths name jobs as {done}, {queued}, {running},
# {failed} and {unknown}; a request is the keyword arguments of the call, or makes them from (client, job ids).
CASES = [
    # -- other web pages (cross-site request forgery) ------------------------------------------------------------
    ("cross-origin upload", "POST", "/api/jobs", "picture+evil", 403,
     "cross-origin request refused: 'http://evil.example' is not this studio's page"),
    ("cross-site fetch metadata", "POST", "/api/jobs", "picture+cross-site", 403, "cross-site request refused"),
    ("same-site, other origin", "POST", "/api/jobs", "picture+same-site", 403, "same-site request refused"),
    ("browser, no token", "POST", "/api/jobs", "picture+no-token", 403, "missing or wrong X-See2Sound-Token"),
    ("browser, wrong token", "POST", "/api/jobs", "picture+wrong-token", 403, "missing or wrong X-See2Sound-Token"),
    ("fetch metadata only, no token", "POST", "/api/jobs", "picture+fetch-only", 403,
     "missing or wrong X-See2Sound-Token"),
    ("other port's page edits a scene", "PUT", "/api/jobs/{done}/scene",
     _browser({"origin": "http://127.0.0.1:8000", "x-see2sound-token": TOKEN}, content=b"{}"), 403,
     "cross-origin request refused: 'http://127.0.0.1:8000'"),
    ("https page, http studio", "DELETE", "/api/jobs/{done}", _browser({"origin": "https://127.0.0.1:7860"}), 403,
     "cross-origin request refused"),
    ("sandboxed page (Origin: null) deletes", "DELETE", "/api/jobs/{done}", _browser({"origin": "null"}), 403,
     "cross-origin request refused: 'null'"),
    ("DNS rebinding (Host not loopback)", "GET", "/api/jobs", {"headers": {"host": "attacker.example:7860"}}, 421,
     "unexpected host 'attacker.example:7860'"),
    # -- routes and methods ------------------------------------------------------------------------------------------
    ("unknown route", "GET", "/api/nope", {}, 404, "not found: /api/nope"),
    ("unknown static file", "GET", "/static/nope.js", {}, 404, "not found"),
    ("wrong method", "POST", "/api/jobs/{done}/picture", {}, 405, "POST is not allowed on /api/jobs/"),
    ("wrong method on the library", "DELETE", "/api/library", {}, 405, "DELETE is not allowed on /api/library"),
    ("unknown job", "GET", "/api/jobs/{unknown}", {}, 404, "no such job"),
    ("not a job id", "GET", "/api/jobs/..%2F..%2Fetc%2Fpasswd", {}, 404, ""),
    ("library query too long", "GET", "/api/library", {"params": {"q": "x" * 300}}, 422,
     "q: String should have at most 200 characters"),
    # -- results -------------------------------------------------------------------------------------------------------
    ("result of a queued job", "GET", "/api/jobs/{queued}/result", {}, 409, "the job is queued"),
    ("result of a running job", "GET", "/api/jobs/{running}/result", {}, 409, "the job is running"),
    ("result of a failed job", "GET", "/api/jobs/{failed}/result", {}, 409, f"the job is failed: {FAILED}"),
    ("unknown format", "GET", "/api/jobs/{done}/result", {"params": {"format": "wav"}}, 422,
     f"format: one of {', '.join(FORMATS)}"),
    ("format as a path", "GET", "/api/jobs/{done}/result", {"params": {"format": "../../scene.json"}}, 422,
     "format: one of"),
    ("scene of a running job", "GET", "/api/jobs/{running}/scene", {}, 409, "the job is running"),
    ("delete a running job", "DELETE", "/api/jobs/{running}", {}, 409, "the job is running"),
    ("delete a queued job", "DELETE", "/api/jobs/{queued}", {}, 409, "the job is queued"),
    ("delete an unknown job", "DELETE", "/api/jobs/{unknown}", {}, 404, "no such job"),
    # -- edited scenes -------------------------------------------------------------------------------------------------
    ("deeply nested JSON", "PUT", "/api/jobs/{done}/scene", {"content": b"[" * 100_000}, 400,
     "the body: nested deeper than 64 levels"),
    ("not JSON", "PUT", "/api/jobs/{done}/scene", {"content": b"{not json"}, 400,
     "the body: invalid JSON at line 1 column 2"),
    ("not UTF-8", "PUT", "/api/jobs/{done}/scene", {"content": b"\x80\x81 scene"}, 400, "the body: not UTF-8 text"),
    ("empty body", "PUT", "/api/jobs/{done}/scene", {"content": b""}, 400, "the body: invalid JSON at line 1"),
    ("a list, not a scene", "PUT", "/api/jobs/{done}/scene", {"json": [1, 2]}, 422,
     "the body must be a scene object"),
    ("NaN azimuth", "PUT", "/api/jobs/{done}/scene", _set("position.azimuth_deg", float("nan")), 422,
     "sources[0].position.azimuth_deg"),
    ("distance 1e300 m", "PUT", "/api/jobs/{done}/scene", _set("position.distance_m", 1e300), 422,
     "sources[0].position.distance_m"),
    ("gain as a word", "PUT", "/api/jobs/{done}/scene", _set("audio.gain_db", "loud"), 422,
     "sources[0].audio.gain_db"),
    ("unknown sound", "PUT", "/api/jobs/{done}/scene", _set("sound", {"choice": "opensfx:no-such-sound"}), 422,
     "sources[0].sound.choice: no sound 'opensfx:no-such-sound'"),
    ("a source added with an id", "PUT", "/api/jobs/{done}/scene", _scene(_add_intruder), 422,
     "sources[1].id: no source 'intruder-1' in this job (a new source goes in \"add\""),
    ("add: not a list", "PUT", "/api/jobs/{done}/scene", _adding({"label": "person"}), 422,
     "add: expected a list of sources to add"),
    ("add: a label not in the vocabulary", "PUT", "/api/jobs/{done}/scene",
     _adding([{"label": "dragon", "point": [10, 10]}]), 422,
     "add[0].label: 'dragon' is not in the vocabulary (GET /api/labels lists the labels)"),
    ("add: a silent thing", "PUT", "/api/jobs/{done}/scene", _adding([{"label": "chair", "point": [10, 10]}]), 422,
     "add[0].label: 'chair' makes no sound (GET /api/labels lists the labels that do)"),
    ("add: a point outside the picture", "PUT", "/api/jobs/{done}/scene",
     _adding([{"label": "person", "point": [5000, 10]}]), 422, "add[0].point[0]: must be from 0 to 512, got 5000"),
    ("add: a NaN point", "PUT", "/api/jobs/{done}/scene", _adding([{"label": "person", "point": [float("nan"), 10]}]),
     422, "add[0].point[0]: expected a finite number"),
    ("add: an upside-down box", "PUT", "/api/jobs/{done}/scene",
     _adding([{"label": "person", "box": [100, 300, 50, 200]}]), 422, "add[0].box: x0 < x1 and y0 < y1"),
    ("add: naming its id", "PUT", "/api/jobs/{done}/scene",
     _adding([{"label": "person", "point": [10, 10], "id": "person-9"}]), 422,
     "add[0].id: the studio names the sources it adds; leave id out"),
    ("relabel: a silent thing", "PUT", "/api/jobs/{done}/scene", _set("label", "chair"), 422,
     "sources[0].label: 'chair' makes no sound (GET /api/labels lists the labels that do)"),
    ("edit a running job", "PUT", "/api/jobs/{running}/scene", {"json": {"sources": []}}, 409, "the job is running"),
    ("edit an unknown job", "PUT", "/api/jobs/{unknown}/scene", {"json": {"sources": []}}, 404, "no such job"),
    ("scene over 16 MB", "PUT", "/api/jobs/{done}/scene", {"content": b" " * (17 * 1024 * 1024)}, 413,
     "too large: at most 16 MB"),
    # -- uploads -------------------------------------------------------------------------------------------------------
    ("no file", "POST", "/api/jobs", {"data": {"duration": "3"}}, 422, "file: Field required"),
    ("empty file", "POST", "/api/jobs", _file("empty.jpg", b""), 400, "the file is empty"),
    ("text named .jpg", "POST", "/api/jobs", _file("notes.jpg", b"just some text"), 415,
     "not a picture or video this studio can read"),
    ("HTML page", "POST", "/api/jobs", _file("page.html", b"<html><script>alert(1)</script></html>"), 415,
     "not a picture or video"),
    ("HEIC picture", "POST", "/api/jobs", _file("photo.heic", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64), 415,
     "HEIC is not supported: convert it to JPEG or PNG"),
    ("undecodable picture", "POST", "/api/jobs", _file("fake.png", PNG_HEAD + b"\x00" * 200), 422,
     "the upload: not a picture see2sound can read"),
    ("oversize upload", "POST", "/api/jobs", _file("big.jpg", b"\xff\xd8\xff" + b"\x00" * (11 * 1024 * 1024)), 413,
     "too large: at most 10 MB"),
    ("duration over the maximum", "POST", "/api/jobs", "picture:duration=61", 422,
     "duration: at most 60 s in this studio, got 61 s"),
    ("negative duration", "POST", "/api/jobs", "picture:duration=-1", 422, "duration: must be more than 0"),
    ("NaN duration", "POST", "/api/jobs", "picture:duration=nan", 422, "duration: must be more than 0"),
    ("duration as a word", "POST", "/api/jobs", "picture:duration=long", 422,
     "duration: Input should be a valid number"),
    ("negative seed", "POST", "/api/jobs", "picture:seed=-1", 422, "seed: must be from 0 to 2147483647, got -1"),
    ("seed 2**31", "POST", "/api/jobs", "picture:seed=2147483648", 422, "seed: must be from 0 to 2147483647"),
    ("fractional seed", "POST", "/api/jobs", "picture:seed=1.5", 422, "seed: Input should be a valid integer"),
    ("hfov 0", "POST", "/api/jobs", "picture:hfov=0", 422, "hfov: must be from 1 to 360 degrees, got 0"),
    ("hfov infinite", "POST", "/api/jobs", "picture:hfov=inf", 422, "hfov: must be from 1 to 360 degrees, got inf"),
    ("max_sources 0", "POST", "/api/jobs", "picture:max_sources=0", 422, "max_sources: must be from 1 to 32, got 0"),
    ("max_sources 1000", "POST", "/api/jobs", "picture:max_sources=1000", 422, "max_sources: must be from 1 to 32"),
]

BROWSER_HEADERS = {
    "evil": {"origin": "http://evil.example", "x-see2sound-token": TOKEN},  # an old browser: Origin alone
    "cross-site": {"sec-fetch-site": "cross-site", "x-see2sound-token": TOKEN},
    "same-site": {"origin": "http://studio.localhost:7860", "sec-fetch-site": "same-site"},
    "no-token": {"origin": ORIGIN, "sec-fetch-site": "same-origin"},
    "wrong-token": {**SAME_ORIGIN, "x-see2sound-token": "guessed-token-0000000000"},
    "fetch-only": {"sec-fetch-site": "same-origin", "sec-fetch-mode": "cors"},
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, photos):
    """A loopback studio (10 MB uploads, 60 s at most) with a finished, a queued, a running and a failed job."""
    from fastapi.testclient import TestClient

    from see2sound.studio.app import LOOPBACK_HOSTS, create_app

    data = tmp_path_factory.mktemp("hostile")
    app = create_app(data, max_upload_mb=10, max_duration_s=60, max_jobs_per_client=2, max_jobs=4, token=TOKEN,
                     allowed_hosts=LOOPBACK_HOSTS)
    with TestClient(app, base_url=ORIGIN) as client:
        done = client.post("/api/jobs", **_file("grace_hopper.jpg", photos["grace_hopper.jpg"].read_bytes(),
                                                  duration=2)).json()["id"]
        assert wait(client, done)["status"] == "done"
        store = app.state.store
        ids = {"done": done, "unknown": "AAAAAAAAAAAAAAAAAAAAAA"}
        for name in ("queued", "running", "failed"):  # made in the store: no worker will run them
            stray = data / f"{name}.jpg"
            shutil.copy(photos["grace_hopper.jpg"], stray)
            ids[name] = store.create("image", f"{name}.jpg", ".jpg", stray, {"duration_s": 2.0}, client=OUTSIDER).id
        store.claim(ids["running"])
        store.claim(ids["failed"])
        store.update(ids["failed"], status="failed", error=FAILED)
        client.ids = ids
        yield client


def _snapshot(client) -> tuple[dict, list]:
    """Every file of the data folder (size, time) and every job's state."""
    store = client.app.state.store
    files = {str(p.relative_to(store.root)): (p.stat().st_size, p.stat().st_mtime_ns)
             for p in store.root.rglob("*") if p.is_file() and not p.name.startswith("studio.sqlite3")}
    return files, [(j.id, j.status, j.error, j.updated) for j in store.all()]


def _request(spec, client, photos):
    if callable(spec):
        return spec(client, client.ids)
    if isinstance(spec, dict):
        return spec
    picture = _file("grace_hopper.jpg", photos["grace_hopper.jpg"].read_bytes(), duration=3)
    if spec.startswith("picture+"):
        return {**picture, "headers": BROWSER_HEADERS[spec.removeprefix("picture+")]}
    name, value = spec.removeprefix("picture:").split("=")
    picture["data"][name] = value
    return picture


@pytest.mark.parametrize("method, path, spec, status, words", [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_a_bad_request_is_one_json_error_and_changes_nothing(hostile, photos, method, path, spec, status, words):
    kwargs = _request(spec, hostile, photos)
    before = _snapshot(hostile)
    response = hostile.request(method, path.format(**hostile.ids), **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"] and words in body["error"], body
    assert "detail" not in response.text and "Traceback" not in response.text
    assert _snapshot(hostile) == before  # no job made, changed or deleted; no file left or changed
    assert list(hostile.app.state.store.incoming.iterdir()) == []


def test_the_studio_s_own_page_can_change_things(hostile):
    """The same requests as above, from the studio's page (same origin, its token), are taken."""
    page = hostile.get("/")
    assert f'<meta name="see2sound-token" content="{TOKEN}">' in page.text
    response = hostile.get(f"/api/jobs/{hostile.ids['done']}/scene")
    scene = response.json()
    response = hostile.put(f"/api/jobs/{hostile.ids['done']}/scene", json=scene, headers=SAME_ORIGIN)
    assert response.status_code == 202, response.text
    assert wait(hostile, hostile.ids["done"])["status"] == "done"


def test_a_video_longer_than_the_maximum_is_refused(hostile, vtest):
    need("av", "video")
    before = _snapshot(hostile)
    response = hostile.post("/api/jobs", **_file("walk.avi", vtest.read_bytes()))
    assert response.status_code == 422
    assert response.json() == {"error": "the video: at most 60 s in this studio, got 79.5 s"}
    assert _snapshot(hostile) == before


def test_a_bug_is_a_json_500(hostile, monkeypatch):
    from fastapi.testclient import TestClient

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(hostile.app.state.store, "all", broken)
    client = TestClient(hostile.app, base_url=ORIGIN, raise_server_exceptions=False)
    response = client.get("/api/jobs")
    assert response.status_code == 500 and response.json() == {"error": "internal error"}


# -- limits -----------------------------------------------------------------------------------------------------------

@pytest.fixture
def small(tmp_path, photos):
    """A studio whose workers never start a job (they stay queued): 2 per client, 3 in all."""
    from fastapi.testclient import TestClient

    from see2sound.studio.app import create_app

    app = create_app(tmp_path, max_jobs_per_client=2, max_jobs=3)
    app.state.runner.submit = lambda job_id: None
    picture = photos["grace_hopper.jpg"].read_bytes()

    def upload(client_host: str):
        client = TestClient(app, client=(client_host, 50000))
        return client.post("/api/jobs", **_file("grace_hopper.jpg", picture, duration=3))

    upload.app = app
    return upload


def test_too_many_queued_jobs_from_one_client(small):
    assert [small("10.0.0.1").status_code for _ in range(2)] == [202, 202]
    response = small("10.0.0.1")
    assert response.status_code == 429
    assert response.json() == {"error": "too many jobs from you: 2 queued or running (at most 2); "
                                         "wait for one to finish"}
    assert small("10.0.0.2").status_code == 202  # another client still can
    assert len(small.app.state.store.all()) == 3 and list(small.app.state.store.incoming.iterdir()) == []


def test_too_many_queued_jobs_in_all(small):
    assert [small(f"10.0.0.{i}").status_code for i in range(3)] == [202, 202, 202]
    response = small("10.0.0.9")
    assert response.status_code == 429
    assert response.json() == {"error": "the studio is busy: 3 jobs queued or running (at most 3); "
                                         "try again later"}
    assert len(small.app.state.store.all()) == 3


def test_an_edit_counts_as_a_job(tmp_path, photos):
    """Re-rendering an edited scene queues the job again: a client at its limit is refused, nothing changes."""
    from fastapi.testclient import TestClient

    from see2sound.studio.app import create_app

    with TestClient(create_app(tmp_path, max_jobs_per_client=1)) as client:
        job_id = client.post("/api/jobs", **_file("g.jpg", photos["grace_hopper.jpg"].read_bytes(),
                                                   duration=2)).json()["id"]
        assert wait(client, job_id)["status"] == "done"
        scene = client.get(f"/api/jobs/{job_id}/scene").json()
        client.app.state.runner.submit = lambda job_id: None
        other = client.post("/api/jobs", **_file("g.jpg", photos["grace_hopper.jpg"].read_bytes()))
        assert other.status_code == 202  # now queued for ever: this client is at its limit
        scene_file = tmp_path / "jobs" / job_id / "scene.json"
        before = scene_file.read_bytes()
        scene["sources"][0]["position"]["azimuth_deg"] = 45.0
        response = client.put(f"/api/jobs/{job_id}/scene", json=scene)
        assert response.status_code == 429 and "too many jobs from you" in response.json()["error"]
        assert scene_file.read_bytes() == before and client.get(f"/api/jobs/{job_id}").json()["status"] == "done"


def test_a_full_store_refuses_uploads(tmp_path, photos):
    from fastapi.testclient import TestClient

    from see2sound.studio.app import create_app

    app = create_app(tmp_path, max_store_gb=0.0001)  # about 105 kB: the 61 kB photo does not fit twice
    with TestClient(app) as client:
        app.state.runner.submit = lambda job_id: None
        picture = photos["grace_hopper.jpg"].read_bytes()
        assert client.post("/api/jobs", **_file("g.jpg", picture)).status_code == 202
        response = client.post("/api/jobs", **_file("g.jpg", picture))
        assert response.status_code == 507
        assert response.json()["error"].startswith("the studio's store is full (")
        assert "of 105 kB): delete earlier jobs, or wait until old ones expire" in response.json()["error"]
        assert len(app.state.store.all()) == 1 and list(app.state.store.incoming.iterdir()) == []


@pytest.mark.parametrize("option, value, words", [
    ("max_jobs_per_client", 0, "max_jobs_per_client: must be a whole number from 1 to 1000, got 0"),
    ("max_jobs", 1.5, "max_jobs"),
    ("max_store_gb", 0, "max_store_gb: must be more than 0"),
    ("max_duration_s", float("nan"), "max_duration_s: must be more than 0"),
    ("keep_days", -1, "keep_days: must be from 0"),
    ("token", "short", "token: must be 16 to 200 of the characters"),
])
def test_bad_limits_are_refused_before_anything_starts(tmp_path, option, value, words):
    from see2sound.errors import ParameterError
    from see2sound.studio.app import create_app

    with pytest.raises(ParameterError, match=re.escape(words)):
        create_app(tmp_path / "data", **{option: value})
    assert not (tmp_path / "data").exists()


# -- retention ---------------------------------------------------------------------------------------------------------

def test_retention_deletes_old_finished_jobs_and_never_a_running_one(tmp_path, photos):
    from see2sound.studio.jobs import Runner
    from see2sound.studio.retention import DAY_S, Janitor
    from see2sound.studio.store import JobStore

    store = JobStore(tmp_path)
    ids = {}
    for name in ("done", "failed", "queued", "running", "recent"):
        stray = tmp_path / f"{name}.jpg"
        shutil.copy(photos["grace_hopper.jpg"], stray)
        ids[name] = store.create("image", name, ".jpg", stray, {}).id
    for name in ("done", "failed", "running", "recent"):
        store.claim(ids[name])
    store.update(ids["done"], status="done")
    store.update(ids["failed"], status="failed", error="x")
    store.update(ids["recent"], status="done")
    (tmp_path / "jobs" / ids["running"] / "results" / ".binaural.wav.x.part").write_bytes(b"rendering")
    runner = Runner(store, workers=1, pipeline=object())  # its locks and delete only: it runs nothing
    janitor = Janitor(store, runner.delete, keep_days=7)

    later = time.time() + 30 * DAY_S  # a month on: every job is old
    store.update(ids["recent"], progress=1.0)  # touched now: still young a day later
    assert sorted(janitor.sweep(now=time.time() + 1 * DAY_S)) == []
    gone = janitor.sweep(now=later)
    assert sorted(gone) == sorted([ids["done"], ids["failed"], ids["recent"]])
    for name in ("queued", "running"):
        assert store.get(ids[name]).status == name
        assert (tmp_path / "jobs" / ids[name] / "input.jpg").is_file()
    assert (tmp_path / "jobs" / ids["running"] / "results" / ".binaural.wav.x.part").is_file()
    assert not (tmp_path / "jobs" / ids["done"]).exists()

    with runner.lock(ids["queued"]):  # a job busy in a request (a format rendering) is not deleted either
        store.update(ids["queued"], status="done")
        assert janitor.sweep(now=later) == []
    assert janitor.sweep(now=later) == [ids["queued"]]
    assert Janitor(store, runner.delete, keep_days=0).sweep(now=later + 1e9) == []  # 0: keep for ever


def test_retention_runs_at_startup(tmp_path, photos):
    import os

    from fastapi.testclient import TestClient

    from see2sound.studio.app import create_app
    from see2sound.studio.store import JobStore

    store = JobStore(tmp_path)
    stray = tmp_path / "old.jpg"
    shutil.copy(photos["grace_hopper.jpg"], stray)
    old = store.create("image", "old", ".jpg", stray, {}).id
    store.claim(old)
    store.update(old, status="done")
    with store._connect() as db:
        db.execute("UPDATE jobs SET updated = updated - ? WHERE id = ?", (8 * 86400, old))
    with TestClient(create_app(tmp_path, keep_days=7)) as client:
        assert client.get(f"/api/jobs/{old}").status_code == 404
    assert not os.path.exists(tmp_path / "jobs" / old)


# -- failed jobs and shutdown ------------------------------------------------------------------------------------------

def _studio_with(tmp_path, run):
    """A studio whose pipeline's run is ``run`` (a stand-in for the real analysis)."""
    from fastapi.testclient import TestClient

    from see2sound.studio.app import create_app

    app = create_app(tmp_path)
    app.state.runner.pipeline.run = run
    return TestClient(app)


def test_a_failed_job_says_what_the_cli_would(tmp_path, photos):
    from see2sound.errors import See2SoundError

    def undecodable(source, **kwargs):
        raise See2SoundError(f"{source}: frame 3 cannot be decoded (Invalid data found when processing input)")

    client = _studio_with(tmp_path, undecodable)
    with client:
        job_id = client.post("/api/jobs", **_file("g.jpg", photos["grace_hopper.jpg"].read_bytes())).json()["id"]
        job = wait(client, job_id)
    assert job["status"] == "failed"
    assert job["error"] == "input.jpg: frame 3 cannot be decoded (Invalid data found when processing input)"


def test_a_bug_in_a_job_is_an_internal_error(tmp_path, photos):
    def bug(source, **kwargs):
        raise KeyError("oops")

    client = _studio_with(tmp_path, bug)
    with client:
        job_id = client.post("/api/jobs", **_file("g.jpg", photos["grace_hopper.jpg"].read_bytes())).json()["id"]
        assert wait(client, job_id)["error"] == "internal error: KeyError"


def _stored(data, job_id):
    """A job's status and error as the stopped studio left them (opening a JobStore would change them)."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(data / "studio.sqlite3")) as db:
        return db.execute("SELECT status, error FROM jobs WHERE id = ?", (job_id,)).fetchone()


def test_a_job_running_at_shutdown_leaves_no_partial_file_and_is_marked_failed(tmp_path, photos):
    from see2sound.io.files import atomic_output
    from see2sound.studio.store import INTERRUPTED

    started = threading.Event()

    def endless(source, *, progress, scene_path, stems_dir, **kwargs):
        stems_dir.mkdir()
        with atomic_output(stems_dir / "person-1.wav") as tmp:
            tmp.write_bytes(b"half a stem")
            started.set()
            while True:  # the real pipeline reports progress as it renders
                progress("render", 0.5)
                time.sleep(0.01)

    client = _studio_with(tmp_path, endless)
    with client:
        picture = photos["grace_hopper.jpg"].read_bytes()
        running = client.post("/api/jobs", **_file("g.jpg", picture)).json()["id"]
        assert started.wait(30)
        queued = [client.post("/api/jobs", **_file("g.jpg", picture)).json()["id"] for _ in range(2)]
        assert client.get(f"/api/jobs/{running}").json()["status"] == "running"
    # The studio has stopped (as on SIGTERM or SIGINT: uvicorn ends the app's lifespan).
    assert list(tmp_path.rglob("*.part")) == []
    for job_id in (running, *queued):
        assert _stored(tmp_path, job_id) == ("failed", INTERRUPTED)


@pytest.mark.slow
def test_sigterm_to_see2sound_serve_interrupts_the_running_job_cleanly(tmp_path, photos):
    import signal

    import httpx

    process, url = start_server(tmp_path)
    try:
        with open(photos["bus.jpg"], "rb") as f:  # 120 s of audio: seconds of work after the analysis
            answer = httpx.post(f"{url}/api/jobs", files={"file": ("bus.jpg", f)}, data={"duration": "120"})
        job_id = answer.json()["id"]
        for _ in range(600):
            job = httpx.get(f"{url}/api/jobs/{job_id}").json()
            if job["stage"] in ("sounds", "render") or job["status"] not in ("queued", "running"):
                break
            time.sleep(0.05)
        assert job["status"] == "running", job
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode in (143, -signal.SIGTERM) and "Traceback" not in err.decode(), err.decode()
    assert list(tmp_path.rglob("*.part")) == []
    from see2sound.studio.store import INTERRUPTED

    assert _stored(tmp_path, job_id) == ("failed", INTERRUPTED)


def test_a_damaged_video_fails_its_job_with_the_cli_s_words(studio, tmp_path):
    """The container is fine (the upload check passes); most frames cannot be decoded."""
    need("av", "video")
    from tests.video.conftest import damage_frames, small_clip

    clip = damage_frames(small_clip(tmp_path / "src.mp4"), tmp_path / "damaged.mp4", range(5, 35))
    response = upload(studio, clip)
    assert response.status_code == 202, response.text
    job = wait(studio, response.json()["id"])
    assert job["status"] == "failed"
    assert "30 of 40 video frames could not be decoded (the file is damaged" in job["error"], job
    assert "internal" not in job["error"] and str(tmp_path) not in job["error"]
