"""The studio's HTTP API: every endpoint, bad uploads, oversized bodies, traversal, concurrency, restarts."""

import io
import json
import os
import re
import threading

import numpy as np
import pytest
import soundfile as sf

from tests.helpers import need
from tests.studio.conftest import upload, wait


def _audio(response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/wav"
    return sf.read(io.BytesIO(response.content), always_2d=True)


def _job_id(client, photo, **form):
    response = upload(client, photo, **form)
    assert response.status_code == 202, response.text
    return response.json()["id"]


# -- the happy path -----------------------------------------------------------------------------------------------------

def test_upload_analyse_and_download_every_format(studio, bus_job):
    job = studio.get(f"/api/jobs/{bus_job}").json()
    assert job["status"] == "done" and job["progress"] == 1.0 and job["error"] is None and job["kind"] == "image"
    scene = studio.get(f"/api/jobs/{bus_job}/scene").json()
    assert scene["schema"] == "see2sound.scene/2" and {"bus", "person"} <= {s["label"] for s in scene["sources"]}
    assert all(s["audio"]["path"].startswith("stems/") for s in scene["sources"])
    for fmt, channels in (("binaural", 2), ("foa", 4), ("stereo", 2), ("5.1", 6), ("7.1", 8)):
        response = studio.get(f"/api/jobs/{bus_job}/result", params={"format": fmt})
        audio, rate = _audio(response)
        assert audio.shape == (3 * 48000, channels) and rate == 48000 and np.abs(audio).max() > 0
        assert f'filename="bus-{fmt}.wav"' in response.headers["content-disposition"]
    picture = studio.get(f"/api/jobs/{bus_job}/picture")
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")
    assert any(j["id"] == bus_job for j in studio.get("/api/jobs").json()["jobs"])


def test_the_page_and_the_openapi_description(studio):
    page = studio.get("/")
    assert page.status_code == 200 and "see2sound studio" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]  # nothing from a CDN
    for asset in ("/static/studio.js", "/static/studio.css"):
        assert studio.get(asset).status_code == 200
    paths = studio.get("/openapi.json").json()["paths"]
    assert {"/api/jobs", "/api/jobs/{job_id}", "/api/jobs/{job_id}/scene", "/api/jobs/{job_id}/result"} <= set(paths)
    assert {"get", "put"} <= set(paths["/api/jobs/{job_id}/scene"])
    for docs in ("/docs", "/redoc"):  # served from here, not a CDN: they work offline
        response = studio.get(docs)
        assert response.status_code == 200 and "//cdn" not in response.text and "https://" not in response.text
        for asset in re.findall(r'(?:src|href)="(/static[^"]+)"', response.text):
            assert studio.get(asset).status_code == 200, asset


def test_library_search(studio):
    results = studio.get("/api/library", params={"q": "train"}).json()["results"]
    assert results and all("train" in json.dumps(r).lower() for r in results)
    assert studio.get("/api/library", params={"q": "x" * 300}).status_code == 422


# -- editing the scene --------------------------------------------------------------------------------------------------

def _level_db(x):
    return 10 * np.log10(np.mean(x ** 2) + 1e-20)


def test_moving_and_muting_sources_changes_what_is_heard(studio, bus_job):
    scene = studio.get(f"/api/jobs/{bus_job}/scene").json()
    for i, source in enumerate(scene["sources"]):
        source["muted"] = i > 0  # only the first one is heard
    scene["sources"][0]["position"].update(azimuth_deg=80.0, elevation_deg=0.0, distance_m=3.0)
    assert studio.put(f"/api/jobs/{bus_job}/scene", json=scene).status_code == 202
    assert wait(studio, bus_job)["status"] == "done"
    left, _ = _audio(studio.get(f"/api/jobs/{bus_job}/result", params={"format": "binaural"}))
    assert _level_db(left[:, 0]) - _level_db(left[:, 1]) > 3  # measured from the output: it is on the left

    scene = studio.get(f"/api/jobs/{bus_job}/scene").json()
    assert scene["sources"][0]["position"]["azimuth_deg"] == 80.0 and scene["sources"][1]["muted"] is True
    scene["sources"][0]["position"]["azimuth_deg"] = -80.0
    assert studio.put(f"/api/jobs/{bus_job}/scene", json=scene).status_code == 202
    wait(studio, bus_job)
    right, _ = _audio(studio.get(f"/api/jobs/{bus_job}/result", params={"format": "binaural"}))
    assert _level_db(right[:, 1]) - _level_db(right[:, 0]) > 3
    # Formats rendered before the edit were thrown away: 5.1 now has the source on the right too.
    surround, _ = _audio(studio.get(f"/api/jobs/{bus_job}/result", params={"format": "5.1"}))
    channel = {name: _level_db(surround[:, i]) for i, name in enumerate(("L", "R", "C", "LFE", "Ls", "Rs"))}
    assert max(channel["R"], channel["Rs"]) > max(channel["L"], channel["Ls"]) + 10


def test_swapping_a_sound_from_the_library(studio, bus_job):
    key = studio.get("/api/library", params={"q": "ship horn"}).json()["results"][0]["key"]
    scene = studio.get(f"/api/jobs/{bus_job}/scene").json()
    old_path = scene["sources"][0]["audio"]["path"]
    scene["sources"][0]["sound"] = {"choice": key}
    assert studio.put(f"/api/jobs/{bus_job}/scene", json=scene).status_code == 202
    assert wait(studio, bus_job)["status"] == "done"
    source = studio.get(f"/api/jobs/{bus_job}/scene").json()["sources"][0]
    assert source["sound"]["choice"] == key and source["audio"]["path"] != old_path
    assert source["audio"]["path"].startswith("stems/")

    scene["sources"][0]["sound"] = {"choice": "opensfx:no-such-sound"}
    response = studio.put(f"/api/jobs/{bus_job}/scene", json=scene)
    assert response.status_code == 422 and "no sound 'opensfx:no-such-sound'" in response.json()["error"]


def test_a_client_cannot_name_files_or_add_sources(studio, bus_job):
    scene = studio.get(f"/api/jobs/{bus_job}/scene").json()
    path = scene["sources"][0]["audio"]["path"]
    scene["sources"][0]["audio"]["path"] = "/etc/passwd"
    scene["ambience"]["audio"]["path"] = "../../../../etc/passwd"
    assert studio.put(f"/api/jobs/{bus_job}/scene", json=scene).status_code == 202
    wait(studio, bus_job)
    stored = studio.get(f"/api/jobs/{bus_job}/scene").json()
    assert stored["sources"][0]["audio"]["path"] == path and "passwd" not in json.dumps(stored)

    scene = studio.get(f"/api/jobs/{bus_job}/scene").json()
    scene["sources"].append({**scene["sources"][0], "id": "intruder-1"})
    response = studio.put(f"/api/jobs/{bus_job}/scene", json=scene)
    assert response.status_code == 422 and "intruder-1" in response.json()["error"]


@pytest.mark.parametrize("body, status, words", [
    (b"{not json", 400, "the body: invalid JSON"),
    (b"[1, 2]", 422, "scene object"),
    (json.dumps({"schema": "see2sound.scene/1"}).encode(), 422, "duration_s"),
])
def test_bad_scenes_are_json_errors(studio, bus_job, body, status, words):
    response = studio.put(f"/api/jobs/{bus_job}/scene", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status and words in response.json()["error"]


def test_bad_positions_are_refused_naming_the_field(studio, bus_job):
    scene = studio.get(f"/api/jobs/{bus_job}/scene").json()
    scene["sources"][0]["position"]["distance_m"] = 5000
    response = studio.put(f"/api/jobs/{bus_job}/scene", json=scene)
    assert response.status_code == 422 and "sources[0].position.distance_m" in response.json()["error"]


# -- bad uploads ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, content, status, words", [
    ("empty.jpg", b"", 400, "empty"),
    ("notes.jpg", b"just some text, not a picture at all", 415, "not a picture or video"),
    ("fake.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, 422, ""),
    ("page.html", b"<html><script>alert(1)</script></html>", 415, "not a picture or video"),
])
def test_bad_uploads_are_4xx_json(studio, name, content, status, words):
    response = studio.post("/api/jobs", files={"file": (name, content, "image/jpeg")})
    assert response.status_code == status, response.text
    assert words in response.json()["error"]


def test_a_truncated_photo_is_refused_at_upload(studio, photos):
    data = photos["bus.jpg"].read_bytes()[:2000]
    response = studio.post("/api/jobs", files={"file": ("bus.jpg", data, "image/jpeg")})
    assert response.status_code == 422 and response.json()["error"]


def test_upload_type_comes_from_content_not_name(studio, photos):
    # A PNG named .txt is a picture; it is stored as .png whatever it was called.
    response = studio.post("/api/jobs", files={"file": ("photo.txt", photos["chelsea.png"].read_bytes(), "text/plain")},
                           data={"duration": "2"})
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert wait(studio, job_id)["status"] == "done"
    assert sorted(p.name for p in (studio.data_dir / "jobs" / job_id).glob("input*")) == ["input.png"]
    assert "cat" in {s["label"] for s in studio.get(f"/api/jobs/{job_id}/scene").json()["sources"]}


def test_bad_options_and_missing_file(studio, photos):
    for form, field in (({"duration": "-1"}, "duration"), ({"duration": "abc"}, "duration"),
                        ({"max_sources": "1000"}, "max_sources")):
        with open(photos["bus.jpg"], "rb") as f:
            response = studio.post("/api/jobs", files={"file": ("bus.jpg", f, "image/jpeg")}, data=form)
        assert response.status_code == 422 and field in response.json()["error"]
    response = studio.post("/api/jobs", data={"duration": "3"})
    assert response.status_code == 422 and "file" in response.json()["error"]


def test_oversized_uploads_are_413_whether_declared_or_streamed(studio):
    big = b"\xff\xd8\xff" + os.urandom(6 * 1024 * 1024)  # over this studio's 5 MB
    response = studio.post("/api/jobs", files={"file": ("big.jpg", big, "image/jpeg")})
    assert response.status_code == 413 and "too large" in response.json()["error"]

    def chunks():  # no Content-Length: counted as it streams in
        yield b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\r\n"
        for _ in range(7):
            yield b"\x00" * (1024 * 1024)

    response = studio.post("/api/jobs", content=chunks(), headers={"content-type": "multipart/form-data; boundary=x"})
    assert response.status_code == 413
    assert list((studio.data_dir / "incoming").iterdir()) == []  # nothing left behind


# -- ids, traversal, links ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/api/jobs/nope", "/api/jobs/..%2F..%2Fetc%2Fpasswd", "/api/jobs/%2e%2e/scene",
    "/api/jobs/AAAAAAAAAAAAAAAAAAAAAA", "/api/jobs/AAAAAAAAAAAAAAAAAAAAAA/result",
    "/api/jobs/AAAAAAAAAAAAAAAAAAAAAA/picture", "/static/../store.py", "/static/%2e%2e/store.py",
])
def test_unknown_jobs_and_traversal_are_404(studio, path):
    response = studio.get(path)
    assert response.status_code == 404
    assert "import" not in response.text


def test_format_must_be_one_of_the_formats(studio, bus_job):
    for fmt in ("../../scene.json", "wav", "binaural.wav/../../x"):
        response = studio.get(f"/api/jobs/{bus_job}/result", params={"format": fmt})
        assert response.status_code == 422 and "format" in response.json()["error"]


def test_links_planted_in_a_job_folder_are_never_followed(studio, bus_job, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    folder = studio.data_dir / "jobs" / bus_job
    studio.get(f"/api/jobs/{bus_job}/result", params={"format": "stereo"})
    (folder / "results" / "stereo.wav").unlink()
    (folder / "results" / "stereo.wav").symlink_to(secret)
    picture = folder / "picture.png"
    picture.rename(folder / "picture.real")
    picture.symlink_to(secret)
    try:
        response = studio.get(f"/api/jobs/{bus_job}/result", params={"format": "stereo"})
        assert response.status_code == 200 and b"top secret" not in response.content
        assert response.content.startswith(b"RIFF")  # rendered again, replacing the link
        assert not (folder / "results" / "stereo.wav").is_symlink()
        assert studio.get(f"/api/jobs/{bus_job}/picture").status_code == 404
    finally:
        picture.unlink()
        (folder / "picture.real").rename(picture)


def test_ids_are_random_and_unguessable(studio, photos):
    from see2sound.studio.store import new_id, valid_id

    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000 and all(valid_id(i) and len(i) == 22 for i in ids)


# -- jobs side by side, restarts ------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_two_uploads_run_side_by_side_without_mixing(studio, photos):
    ids: dict[str, str] = {}

    def send(name):
        ids[name] = _job_id(studio, photos[name])

    threads = [threading.Thread(target=send, args=(n,)) for n in ("bus.jpg", "chelsea.png")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    jobs = {name: wait(studio, job_id) for name, job_id in ids.items()}
    assert all(j["status"] == "done" for j in jobs.values()), jobs
    bus = {s["label"] for s in studio.get(f"/api/jobs/{ids['bus.jpg']}/scene").json()["sources"]}
    cat = {s["label"] for s in studio.get(f"/api/jobs/{ids['chelsea.png']}/scene").json()["sources"]}
    assert "bus" in bus and "cat" not in bus and "cat" in cat and "bus" not in cat
    for job_id in ids.values():
        scene = studio.get(f"/api/jobs/{job_id}/scene").json()
        stems = studio.data_dir / "jobs" / job_id
        assert all((stems / s["audio"]["path"]).is_file() for s in scene["sources"])


@pytest.mark.slow
def test_busy_jobs_cannot_be_edited_or_deleted(studio, photos):
    job_id = _job_id(studio, photos["zidane.jpg"])
    scene = {"schema": "see2sound.scene/1", "duration_s": 3, "sources": []}
    put = studio.put(f"/api/jobs/{job_id}/scene", json=scene)
    delete = studio.delete(f"/api/jobs/{job_id}")
    if studio.get(f"/api/jobs/{job_id}").json()["status"] in ("queued", "running"):
        assert put.status_code == 409 and delete.status_code == 409
    wait(studio, job_id)
    assert studio.delete(f"/api/jobs/{job_id}").status_code == 200
    assert studio.get(f"/api/jobs/{job_id}").status_code == 404
    assert not (studio.data_dir / "jobs" / job_id).exists()


@pytest.mark.slow
def test_a_restart_keeps_finished_jobs_and_fails_interrupted_ones(tmp_path, photos):
    from fastapi.testclient import TestClient

    from see2sound.studio.app import create_app
    from see2sound.studio.store import INTERRUPTED, JobStore

    with TestClient(create_app(tmp_path)) as client:
        done = _job_id(client, photos["bus.jpg"])
        wait(client, done)
    store = JobStore(tmp_path)
    stray = tmp_path / "stray.jpg"
    stray.write_bytes(photos["bus.jpg"].read_bytes())
    interrupted = store.create("image", "bus.jpg", ".jpg", stray, {"duration_s": 3.0})
    assert store.claim(interrupted.id)  # a worker had started it when the studio stopped
    with TestClient(create_app(tmp_path)) as client:
        assert client.get(f"/api/jobs/{done}").json()["status"] == "done"
        assert client.get(f"/api/jobs/{done}/scene").status_code == 200
        job = client.get(f"/api/jobs/{interrupted.id}").json()
        assert job["status"] == "failed" and job["error"] == INTERRUPTED


def test_a_loopback_studio_refuses_other_host_names(tmp_path):
    from fastapi.testclient import TestClient

    from see2sound.studio.app import LOOPBACK_HOSTS, create_app

    app = create_app(tmp_path, allowed_hosts=LOOPBACK_HOSTS)
    with TestClient(app, base_url="http://127.0.0.1:7860") as client:
        assert client.get("/api/jobs").status_code == 200
    with TestClient(app, base_url="http://attacker.example") as client:
        response = client.get("/api/jobs")
        assert response.status_code == 421 and "host" in response.json()["error"]


@pytest.mark.slow
def test_a_video_upload_gets_moving_sources_and_its_first_frame(studio, photos, tmp_path):
    need("av", "video")
    need("supervision", "video")
    from tests.video.conftest import cat_frames, write_clip

    clip = write_clip(tmp_path / "catwalk.mp4", cat_frames(photos))
    response = studio.post("/api/jobs", files={"file": ("walk.bin", clip.read_bytes(), "application/octet-stream")})
    assert response.status_code == 202, response.text
    job = wait(studio, response.json()["id"])
    assert job["status"] == "done" and job["kind"] == "video", job
    scene = studio.get(f"/api/jobs/{job['id']}/scene").json()
    cats = [s for s in scene["sources"] if s["label"] == "cat"]
    assert cats and len(cats[0]["trajectory"]) > 2
    audio, rate = _audio(studio.get(f"/api/jobs/{job['id']}/result", params={"format": "foa"}))
    assert audio.shape[1] == 4 and abs(audio.shape[0] / rate - scene["duration_s"]) < 0.05
    assert studio.get(f"/api/jobs/{job['id']}/picture").content.startswith(b"\x89PNG")
