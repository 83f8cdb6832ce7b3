"""The studio's latency through its HTTP API, in-process. Not a test: run it.

    pip install -e ".[studio]" && python benchmarks/bench_studio.py

Measures, on a temporary data folder: one 810x1080 photo (bus.jpg) from
upload to done (10 s of binaural), the same with two uploads at once, an
edit (move one source) re-rendered, an FOA result rendered on first
request, and the process's peak memory. Writes benchmarks/results-studio.md.
"""

from __future__ import annotations

import platform
import tempfile
import threading
import time
from pathlib import Path

from report import ROOT, peak_mb, write_results

PHOTOS = [ROOT / "tests/data/photos/bus.jpg", ROOT / "tests/data/photos/zidane.jpg"]


def until_done(client, job_id: str) -> None:
    while client.get(f"/api/jobs/{job_id}").json()["status"] not in ("done", "failed"):
        time.sleep(0.05)


def upload(client, path: Path) -> str:
    with open(path, "rb") as f:
        return client.post("/api/jobs", files={"file": (path.name, f, "image/jpeg")}, data={"duration": "10"}).json()["id"]


def main() -> None:
    from fastapi.testclient import TestClient

    from see2sound.studio.app import create_app

    rows = []
    with tempfile.TemporaryDirectory(prefix="see2sound-bench-studio-") as tmp, \
            TestClient(create_app(tmp)) as client:
        until_done(client, upload(client, PHOTOS[0]))  # warm-up: models and HRTF loaded once
        t = time.perf_counter()
        job = upload(client, PHOTOS[0])
        until_done(client, job)
        rows.append(("one photo, upload to done (analyse, sounds, 10 s binaural)", f"{time.perf_counter() - t:.2f} s"))

        ids: list[str] = []
        t = time.perf_counter()
        threads = [threading.Thread(target=lambda p=p: ids.append(upload(client, p))) for p in PHOTOS]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        for i in ids:
            until_done(client, i)
        rows.append(("two photos uploaded at once, both done (2 workers, 2 cores)", f"{time.perf_counter() - t:.2f} s"))

        scene = client.get(f"/api/jobs/{job}/scene").json()
        scene["sources"][0]["position"]["azimuth_deg"] = 60.0
        t = time.perf_counter()
        client.put(f"/api/jobs/{job}/scene", json=scene)
        until_done(client, job)
        rows.append(("edit (move a source) to re-rendered binaural", f"{time.perf_counter() - t:.2f} s"))

        t = time.perf_counter()
        response = client.get(f"/api/jobs/{job}/result", params={"format": "foa"})
        assert response.status_code == 200
        rows.append(("FOA result, rendered on first request", f"{time.perf_counter() - t:.2f} s"))
        t = time.perf_counter()
        client.get(f"/api/jobs/{job}/result", params={"format": "foa"})
        rows.append(("FOA result, again (kept)", f"{time.perf_counter() - t:.3f} s"))
    rows.append(("peak memory of the process", f"{peak_mb():.0f} MB"))
    write_results("studio", "Studio latency (in-process, through the HTTP API)",
                  f"Machine: {platform.processor() or platform.machine()}, CPU only. "
                  "Command: `python benchmarks/bench_studio.py`.", ("what", "measured"), rows)


if __name__ == "__main__":
    main()
