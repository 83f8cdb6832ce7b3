"""Freesound previews, against a local stand-in that speaks the API v2 endpoints see2sound uses."""

import io
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import soundfile as sf

from see2sound.cli import main
from see2sound.errors import See2SoundError
from see2sound.sound.freesound import FreesoundClient, fetch_previews
from see2sound.sound.library import SoundLibrary, configured_folders
from tests.helpers import noise

KEY = "good-key"
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"
BY = "https://creativecommons.org/licenses/by/4.0/"
NC = "https://creativecommons.org/licenses/by-nc/4.0/"


def _ogg() -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, noise(0.5), 48000, format="OGG", subtype="VORBIS")
    return buffer.getvalue()


class StandIn:
    """Freesound's text search and previews on 127.0.0.1: every query has a CC0, a CC BY and a CC BY-NC sound."""

    def __init__(self):
        self.preview = _ogg()
        self.searches: list[dict] = []
        self.cut_next = 0  # previews to drop half-way
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/apiv2/search/text/":
                    return owner.search(self, query)
                if url.path.startswith("/previews/"):
                    return owner.serve_preview(self)
                self.send_error(404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def search(self, handler, query):
        if query.get("token") != KEY:
            return self.reply(handler, 401, {"detail": "Invalid token."})
        self.searches.append(query)
        base = 1000 * len(self.searches)
        results = [{"id": base + i, "name": f"{query['query']} take {i}", "username": f"user{i}", "license": lic,
                    "duration": 3.5, "url": f"https://freesound.org/people/user{i}/sounds/{base + i}/",
                    "previews": {"preview-hq-ogg": f"{self.url}/previews/{base + i}.ogg",
                                 "preview-hq-mp3": f"{self.url}/previews/{base + i}.mp3"}}
                   for i, lic in enumerate((NC, BY, CC0))]
        wanted = {'license:"Creative Commons 0"': CC0, 'license:"Attribution"': BY}[query["filter"]]
        self.reply(handler, 200, {"count": 1, "next": None, "previous": None,
                                  "results": [r for r in results if r["license"] in (wanted, NC)]})

    def serve_preview(self, handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "audio/ogg")
        handler.send_header("Content-Length", str(len(self.preview)))
        handler.end_headers()
        if self.cut_next:
            self.cut_next -= 1
            handler.wfile.write(self.preview[: len(self.preview) // 2])
            handler.wfile.flush()
            handler.close_connection = True
            return
        handler.wfile.write(self.preview)

    @staticmethod
    def reply(handler, status, doc):
        body = json.dumps(doc).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


@pytest.fixture
def standin(tmp_path, monkeypatch):
    for name in ("CONFIG", "CACHE", "DATA"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    monkeypatch.delenv("SEE2SOUND_LIBRARY", raising=False)
    server = StandIn()
    monkeypatch.setenv("SEE2SOUND_FREESOUND_URL", server.url)
    yield server
    server.server.shutdown()
    server.server.server_close()


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")} if folder.exists() else set()


def test_fetch_searches_under_the_licence_downloads_and_keeps_attribution(standin, tmp_path, capsys):
    out = tmp_path / "fs"
    args = ["sounds", "fetch", "freesound", "--key", KEY, "--classes", "dog", "Meow", "--out", str(out),
            "--interval", "0"]
    assert main(args) == 0
    assert [q["query"] for q in standin.searches] == ["dog bark", "cat meow"]
    assert all(q["filter"] == 'license:"Creative Commons 0"' and "previews" in q["fields"] for q in standin.searches)
    assert _files(out) == {"dog", "dog/1002-dog-bark-take-2.ogg", "cat", "cat/2002-cat-meow-take-2.ogg",
                           "see2sound-sounds.json"}  # the CC BY-NC result passed over
    index = json.loads((out / "see2sound-sounds.json").read_text())
    dog = index["files"]["dog/1002-dog-bark-take-2.ogg"]
    assert dog["license"] == "CC0-1.0" and dog["labels"] == ["dog"]
    assert dog["freesound"] == {"id": 1002, "name": "dog bark take 2", "username": "user2", "license": CC0,
                                "url": "https://freesound.org/people/user2/sounds/1002/", "query": "dog bark"}
    assert configured_folders()[0] == [str(out.resolve())]
    (entry,) = [e for e in SoundLibrary.scan(out).entries if "dog" in e.labels]
    assert entry.license == "CC0-1.0" and "user2" in entry.credit and "freesound.org" in entry.credit
    assert "fetched 2 clip(s)" in capsys.readouterr().out


def test_cc_by_asks_for_attribution_licences(standin, tmp_path):
    report = fetch_previews(KEY, out=tmp_path / "fs", license="cc-by", labels=["clock"],
                            client=FreesoundClient(KEY, interval_s=0))
    assert standin.searches[0]["filter"] == 'license:"Attribution"'
    index = json.loads((tmp_path / "fs" / "see2sound-sounds.json").read_text())
    assert index["files"][report.fetched[0]]["license"] == "CC-BY-4.0"


def test_a_cut_download_leaves_no_file_and_a_second_run_goes_on(standin, tmp_path, capsys):
    out = tmp_path / "fs"
    args = ["sounds", "fetch", "freesound", "--key", KEY, "--classes", "dog", "cat", "--out", str(out),
            "--interval", "0"]
    calls = []  # the first preview comes whole, the second is cut half-way
    real = standin.serve_preview

    def cut_second(handler):
        calls.append(1)
        standin.cut_next = 1 if len(calls) == 2 else 0
        real(handler)

    standin.serve_preview = cut_second
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: freesound: ") and "1 clip(s) kept" in err[0], err
    assert _files(out) == {"dog", "dog/1002-dog-bark-take-2.ogg", "see2sound-sounds.json"}  # no partial, no .part
    assert main(args) == 0
    assert [q["query"] for q in standin.searches] == ["dog bark", "cat meow", "cat meow"]  # dog not searched again
    assert {p for p in _files(out) if p.endswith(".ogg")} == {"dog/1002-dog-bark-take-2.ogg",
                                                              "cat/3002-cat-meow-take-2.ogg"}
    assert sf.info(str(out / "cat/3002-cat-meow-take-2.ogg")).frames > 0
    assert "1 search(es) done before" in capsys.readouterr().out


def test_a_bad_key_is_one_error_line_and_nothing_left_behind(standin, tmp_path, capsys):
    out = tmp_path / "fs"
    assert main(["sounds", "fetch", "freesound", "--key", "wrong", "--classes", "dog", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [("error: freesound: the API key was refused (HTTP 401: Invalid token.); "
                    "get one at https://freesound.org/apiv2/apply")]
    assert not out.exists() and not (tmp_path / "config").exists()


def test_requests_are_spaced_by_the_interval(standin, tmp_path):
    now = [0.0]
    waits = []

    def sleep(s):
        waits.append(round(s, 6))
        now[0] += s

    client = FreesoundClient(KEY, interval_s=1.0, sleep=sleep, clock=lambda: now[0])
    fetch_previews(KEY, out=tmp_path / "fs", labels=["dog", "cat"], client=client)
    assert client.requests == 4  # two searches, two previews
    assert waits == [1.0, 1.0, 1.0]  # none before the first request, then one interval before each


def test_the_daily_limit_stops_before_asking(standin, tmp_path):
    out = tmp_path / "fs"
    fetch_previews(KEY, out=out, labels=["dog"], client=FreesoundClient(KEY, interval_s=0))
    with pytest.raises(See2SoundError, match="daily limit"):
        fetch_previews(KEY, out=out, labels=["cat"], client=FreesoundClient(KEY, interval_s=0), daily_limit=3)
    assert len(standin.searches) == 1
