"""A studio on a temporary data folder, driven through its HTTP API in-process."""

import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

from tests.helpers import need

for _module in ("fastapi", "multipart", "httpx", "uvicorn"):  # multipart: python-multipart; httpx: TestClient
    need(_module, "studio")


def wait(client, job_id, timeout=120.0):
    """The job once it is done or failed."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s")


def direct_sound(binaural: np.ndarray, dry: np.ndarray, sample_rate: int) -> tuple[float, float, float]:
    """Where the direct sound of one source is in a binaural file: (ILD dB, ITD us, prominence); > 0: left.

    ``binaural`` [shape=(n, 2)] is the rendered file, ``dry`` [shape=(n,)] the source's stem. Each ear's
    response to the stem is measured by regularised deconvolution (everything else that plays, and the
    loudness normalisation, do not correlate with it); its direct path is the strongest part of the first
    50 ms. ILD: the ears' peak levels there, in the band 1.5-8 kHz where the head shadows one ear (below it,
    where a voice has most of its energy, the ears differ little at any azimuth). A voice 5 m away in a room
    at 20-25 deg gives 2-7 dB there, by how much of the voice lies above 1.5 kHz; the side is told by the
    ILD's sign together with the ITD, which is robust: ITD: how much
    earlier the left ear's broadband response first reaches half its peak; prominence: the peak over the response's median magnitude (a few for a stem that is
    not in the file: the largest of 2,400 samples of noise).
    A room's reflections, which make a far source's long-term level difference small, come later.
    """
    n = 1 << int(np.ceil(np.log2(len(binaural) + len(dry))))
    spectrum = np.fft.rfft(dry, n)
    inverse = np.conj(spectrum) / (np.abs(spectrum) ** 2 + 1e-3 * np.mean(np.abs(spectrum) ** 2))
    window = int(0.05 * sample_rate)
    responses = [np.fft.rfft(binaural[:, ear], n) * inverse for ear in (0, 1)]
    left, right = (np.fft.irfft(h, n)[:window] for h in responses)
    peaks = [float(np.abs(h).max()) for h in (left, right)]
    band = (np.fft.rfftfreq(n, 1 / sample_rate) >= 1500) & (np.fft.rfftfreq(n, 1 / sample_rate) <= 8000)
    shadowed = [float(np.abs(np.fft.irfft(h * band, n)[:window]).max()) for h in responses]
    onsets = [int(np.argmax(np.abs(h) >= 0.5 * peak)) for h, peak in zip((left, right), peaks)]
    louder = left if peaks[0] >= peaks[1] else right
    prominence = max(peaks) / float(np.median(np.abs(louder)))
    return 20 * np.log10(shadowed[0] / shadowed[1]), (onsets[1] - onsets[0]) / sample_rate * 1e6, prominence


def start_server(data_dir) -> tuple[subprocess.Popen, str]:
    """``see2sound serve`` on a free loopback port, its jobs in ``data_dir``, once it answers: (process, url)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "see2sound.cli", "serve", "--port", str(port), "--data-dir",
                                str(data_dir), "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(url + "/api/jobs", timeout=1)
            return process, url
        except OSError:
            if process.poll() is not None:
                raise AssertionError(process.stderr.read().decode()) from None
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"see2sound serve did not answer at {url} within 30 s")


def upload(client, path, **form):
    with open(path, "rb") as f:
        return client.post("/api/jobs", files={"file": (path.name, f, "application/octet-stream")},
                           data={"duration": "3", **{k: str(v) for k, v in form.items()}})


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    from fastapi.testclient import TestClient

    from see2sound.studio.app import create_app

    data = tmp_path_factory.mktemp("studio")
    with TestClient(create_app(data, max_upload_mb=5)) as client:
        client.data_dir = data
        yield client


@pytest.fixture(scope="module")
def bus_job(studio, photos):
    response = upload(studio, photos["bus.jpg"])
    assert response.status_code == 202, response.text
    job = wait(studio, response.json()["id"])
    assert job["status"] == "done", job
    return job["id"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """The jobs folder of a test module's :func:`server`."""
    return tmp_path_factory.mktemp("studio-data")


@pytest.fixture(scope="module")
def server(data_dir):
    """``see2sound serve`` for one test module (the browser tests): its URL."""
    process, url = start_server(data_dir)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
