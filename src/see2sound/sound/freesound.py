"""Freesound previews for the classes see2sound uses (``see2sound sounds fetch freesound``).

Through the Freesound API v2 with a plain API key (a ``token``; previews
need no OAuth2): for each class, a text search
``GET /apiv2/search/text/?query=Q&filter=license:"Creative Commons 0"&fields=...``
and the first result not already taken, whose HQ preview (OGG Vorbis, else
MP3) is downloaded. One clip per class and query (:data:`QUERIES`: curated
queries per label; else the label's first AudioSet class).

The folder (default ``$XDG_DATA_HOME/see2sound/freesound``) gets
``LABEL/ID-NAME.ogg`` and an index, ``see2sound-sounds.json``, with each
clip's labels, AudioSet classes, licence, credit and attribution (Freesound
id, name, username, licence URL, page URL), plus ``done``: the searches
finished. It is resumable: a search already done is not made again, a
preview is written to a temporary name and renamed when whole (a cut
download leaves no partial file), and the index is rewritten after each
clip. Requests are spaced by ``interval_s`` (Freesound allows 60 a minute)
and counted per day in the index (Freesound allows 2000 a day).

``SEE2SOUND_FREESOUND_URL`` points the client at another server with the
same endpoints (the tests' stand-in).

Contents
--------
fetch_previews, FetchReport, FreesoundClient, QUERIES, LICENSES, default_labels
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ParameterError, See2SoundError
from .library import FOLDER_INDEX, MAX_FILE_SECONDS

DEFAULT_URL = "https://freesound.org"
#: Freesound's limits for an API key: 60 requests a minute, 2000 a day.
INTERVAL_S = 1.0
DAILY_LIMIT = 2000
#: --license -> (the search filter's value, licence URLs accepted in results).
LICENSES = {
    "cc0": ('"Creative Commons 0"', ("creativecommons.org/publicdomain/zero/",)),
    "cc-by": ('"Attribution"', ("creativecommons.org/licenses/by/",)),
}
FIELDS = "id,name,username,license,previews,duration,url"
#: Curated queries for labels whose AudioSet names search badly.
QUERIES = {
    "person": ("footsteps", "conversation"),
    "crowd": ("crowd chatter",),
    "car": ("car passing", "car engine idle"),
    "bus": ("bus engine",),
    "truck": ("truck engine",),
    "motorcycle": ("motorcycle passing",),
    "airplane": ("airplane flyover",),
    "train": ("train passing",),
    "boat": ("motorboat",),
    "bird": ("birdsong",),
    "dog": ("dog bark",),
    "cat": ("cat meow",),
    "horse": ("horse neigh",),
    "sheep": ("sheep bleat",),
    "cow": ("cow moo",),
    "clock": ("clock ticking",),
    "keyboard": ("keyboard typing",),
    "laptop": ("laptop typing",),
    "cell phone": ("phone ringing",),
    "tv": ("television",),
    "sink": ("tap water running",),
    "refrigerator": ("fridge hum",),
    "bicycle": ("bicycle bell",),
    "traffic": ("traffic",), "rain": ("rain",), "wind": ("wind",), "waves": ("waves",),
    "stream": ("stream",), "fire": ("fireplace crackling",), "insect": ("crickets",),
}


def default_labels() -> list[str]:
    """Every label see2sound gives a sound (:func:`.coverage.sounding_labels`)."""
    from .coverage import sounding_labels

    return sounding_labels()


def queries_for(label: str) -> tuple[str, ...]:
    from ..vision.vocabulary import KINDS

    if label in QUERIES:
        return QUERIES[label]
    kind = KINDS.get(label)
    return (kind.audioset[0].split(",")[0].lower(),) if kind and kind.audioset else (label,)


def resolve_classes(names: list[str] | None) -> list[str]:
    """Labels from ``--classes``: vocabulary labels, place labels, or AudioSet class names (their labels)."""
    if not names:
        return default_labels()
    from ..vision.vocabulary import KINDS

    known = default_labels()
    by_audioset = {}
    for label in known:
        for name in (KINDS[label].audioset if label in KINDS else ()):
            by_audioset.setdefault(name.lower(), label)
    out: list[str] = []
    for name in names:
        label = name if name in known else by_audioset.get(name.lower())
        if label is None:
            raise ParameterError("classes", f"unknown class {name!r} (a sounding label such as "
                                            f"{', '.join(known[:6])}, or one of their AudioSet classes)")
        if label not in out:
            out.append(label)
    return out


# --- the HTTP client -------------------------------------------------------------------------------------

class FreesoundClient:
    """Freesound API v2 over urllib: text search and preview download, requests spaced by ``interval_s``.

    ``sleep`` and ``clock`` are injectable so tests check the spacing without waiting.
    """

    def __init__(self, key: str, *, base_url: str | None = None, interval_s: float = INTERVAL_S,
                 timeout_s: float = 30.0, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        self.key = key
        self.base_url = (base_url or os.environ.get("SEE2SOUND_FREESOUND_URL") or DEFAULT_URL).rstrip("/")
        self.interval_s, self.timeout_s = interval_s, timeout_s
        self._sleep, self._clock = sleep, clock
        self._last: float | None = None
        self.requests = 0

    def _wait(self) -> None:
        if self._last is not None:
            left = self.interval_s - (self._clock() - self._last)
            if left > 0:
                self._sleep(left)
        self._last = self._clock()
        self.requests += 1

    def _open(self, url: str, what: str, retries: int = 2):
        for attempt in range(retries + 1):
            self._wait()
            try:
                return urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "see2sound"}),
                                              timeout=self.timeout_s)
            except urllib.error.HTTPError as exc:
                if exc.code == 429 and attempt < retries:  # throttled: wait as told, then again
                    self._sleep(_retry_after_s(exc.headers))
                    continue
                raise _http_error(exc, what) from None
            except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                reason = getattr(exc, "reason", None) or exc
                raise See2SoundError(f"freesound: cannot reach {self.base_url} ({reason})") from None
        raise AssertionError("unreachable")

    def search(self, query: str, license: str) -> list[dict]:
        """The results of a text search for ``query`` under ``license`` (``cc0`` or ``cc-by``)."""
        params = {"query": query, "filter": f"license:{LICENSES[license][0]}", "fields": FIELDS,
                  "page_size": "15", "token": self.key}
        url = f"{self.base_url}/apiv2/search/text/?{urllib.parse.urlencode(params)}"
        with self._open(url, f"search {query!r}") as response:
            try:
                data = json.loads(response.read())
            except (ValueError, OSError, http.client.HTTPException) as exc:
                raise See2SoundError(f"freesound: search {query!r}: not a search answer ({exc})") from None
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list):
            raise See2SoundError(f"freesound: search {query!r}: not a search answer (no results list)")
        return [r for r in results if isinstance(r, dict)]

    def download(self, url: str, dest: Path) -> None:
        """Download ``url`` to ``dest`` through a temporary beside it: a cut download leaves nothing."""
        tmp = dest.with_name(f".{dest.name}.part")
        try:
            with self._open(url, "preview") as response, open(tmp, "wb") as out:
                expected = response.headers.get("Content-Length")
                size = 0
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    size += len(chunk)
            if expected is not None and expected.strip().isdigit() and size != int(expected):
                raise See2SoundError(f"freesound: {url}: cut after {size} of {expected} bytes")
            os.replace(tmp, dest)
        except (http.client.HTTPException, ConnectionError, TimeoutError) as exc:
            raise See2SoundError(f"freesound: {url}: download cut ({type(exc).__name__}: {exc})") from None
        finally:
            tmp.unlink(missing_ok=True)


def _http_error(exc: urllib.error.HTTPError, what: str) -> See2SoundError:
    try:
        detail = json.loads(exc.read()).get("detail", "")
    except (ValueError, OSError, AttributeError, http.client.HTTPException):  # not Freesound's JSON
        detail = ""
    detail = f": {detail}" if detail else ""
    if exc.code in (401, 403):
        return See2SoundError(f"freesound: the API key was refused (HTTP {exc.code}{detail}); "
                              f"get one at https://freesound.org/apiv2/apply")
    if exc.code == 429:
        return See2SoundError(f"freesound: too many requests (HTTP 429{detail}); run again later")
    return See2SoundError(f"freesound: {what}: HTTP {exc.code}{detail}")


# --- fetching ------------------------------------------------------------------------------------------------

@dataclass
class FetchReport:
    """What a fetch did: clips fetched (paths in ``folder``), searches skipped as done, searches that
    found nothing, requests made, and whether the folder was newly registered in the config file."""

    folder: Path
    fetched: list[str] = field(default_factory=list)
    skipped: int = 0
    not_found: list[str] = field(default_factory=list)
    requests: int = 0
    registered: bool = False


def _slug(text: str, limit: int = 40) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit] or "clip"


def _spdx(url: str) -> str:
    """A Creative Commons licence URL as an SPDX-like name (``CC0-1.0``, ``CC-BY-4.0``), else the URL."""
    m = re.search(r"creativecommons\.org/(publicdomain/zero|licenses/([a-z-]+))/(\d\.\d)", url)
    if not m:
        return url
    return f"CC0-{m.group(3)}" if m.group(1) == "publicdomain/zero" else f"CC-{m.group(2).upper()}-{m.group(3)}"


def _read_index(folder: Path) -> dict:
    path = folder / FOLDER_INDEX
    if not path.is_file():
        return {"files": {}, "done": {}, "requests": {}}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise See2SoundError(f"{path}: not a see2sound sounds index ({exc}); move it away to start afresh") from None
    if not isinstance(doc, dict) or doc.get("source") not in (None, "freesound"):
        raise See2SoundError(f"{path}: this folder holds another import; give fetch a folder of its own (--out)")
    for key in ("files", "done", "requests"):
        if not isinstance(doc.get(key), dict):
            doc[key] = {}
    return doc


def _preview_url(result: dict) -> str | None:
    previews = result.get("previews") if isinstance(result.get("previews"), dict) else {}
    for key in ("preview-hq-ogg", "preview-hq-mp3", "preview-lq-ogg", "preview-lq-mp3"):
        if isinstance(previews.get(key), str):
            return previews[key]
    return None


def fetch_previews(key: str, *, out: Path | None = None, license: str = "cc0", labels: list[str] | None = None,
                   client: FreesoundClient | None = None, daily_limit: int = DAILY_LIMIT,
                   say: Callable[[str], None] | None = None) -> FetchReport:
    """Download one preview per label and query into ``out`` (see the module's docstring)."""
    from .imports import check_config, data_dir, register_folder, write_folder_index

    if not key.strip():
        raise ParameterError("key", "must not be empty (an API key from https://freesound.org/apiv2/apply)")
    if license not in LICENSES:
        raise ParameterError("license", f"{license!r}: choose from {', '.join(LICENSES)}")
    folder = Path(out).expanduser() if out else data_dir() / "freesound"
    if folder.exists() and not folder.is_dir():
        raise ParameterError("out", f"{folder}: is a file, not a folder")
    labels = resolve_classes(labels)
    check_config()
    client = client or FreesoundClient(key)
    index = _read_index(folder)
    report = FetchReport(folder.absolute())
    today = datetime.date.today().isoformat()
    counted = [client.requests]

    def save() -> None:
        index["requests"] = {today: index["requests"].get(today, 0) + client.requests - counted[0]}
        counted[0] = client.requests
        folder.mkdir(parents=True, exist_ok=True)
        write_folder_index(folder, index["files"], source="freesound", license_filter=license,
                           done=index["done"], requests=index["requests"])

    existed = folder.exists()
    try:
        _fetch(client, folder, index, labels, license, lambda: index["requests"].get(today, 0) + client.requests
               - counted[0] + 2 > daily_limit, save, report, say)
    except BaseException as exc:
        _remove_empty(folder, existed)
        if not isinstance(exc, See2SoundError):
            raise
        if report.fetched:
            raise See2SoundError(f"{exc}; {len(report.fetched)} clip(s) kept in {folder}: "
                                 f"run the command again to go on") from None
        raise
    finally:
        report.requests = client.requests
    if (folder / FOLDER_INDEX).is_file():
        report.registered = register_folder(folder)
    return report


def _remove_empty(folder: Path, existed: bool) -> None:
    """Take away the label folders (and the folder, if this run made it) that a failure left empty."""
    if not folder.is_dir():
        return
    for sub in folder.iterdir():
        if sub.is_dir() and not sub.is_symlink() and not any(sub.iterdir()):
            sub.rmdir()
    if not existed and not any(folder.iterdir()):
        folder.rmdir()


def _usable(result: dict, taken: set[str], license: str) -> bool:
    duration = result.get("duration")
    return (isinstance(result.get("id"), int) and str(result["id"]) not in taken and _preview_url(result) is not None
            and any(u in str(result.get("license", "")) for u in LICENSES[license][1])
            and isinstance(duration, (int, float)) and 0 < duration <= MAX_FILE_SECONDS)


def _fetch(client: FreesoundClient, folder: Path, index: dict, labels: list[str], license: str,
           over_limit: Callable[[], bool], save: Callable[[], None], report: FetchReport, say) -> None:
    """The fetch loop: one search per label and query not yet done, one preview from it."""
    from ..vision.vocabulary import KINDS

    taken = {str(m.get("freesound", {}).get("id")) for m in index["files"].values()}
    for label in labels:
        for query in queries_for(label):
            step = f"{label}|{query}|{license}"
            if step in index["done"]:
                report.skipped += 1
                continue
            if over_limit():
                raise See2SoundError(f"freesound: today's requests reached Freesound's daily limit ({DAILY_LIMIT} "
                                     f"a key); run again tomorrow")
            results = client.search(query, license)
            pick = next((r for r in results if _usable(r, taken, license)), None)
            if pick is None:
                index["done"][step] = None
                report.not_found.append(f"{label} ({query})")
                save()
                continue
            url = _preview_url(pick)
            suffix = ".mp3" if url.lower().split("?")[0].endswith(".mp3") else ".ogg"
            rel = f"{_slug(label)}/{pick['id']}-{_slug(str(pick.get('name', '')))}{suffix}"
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            client.download(url, folder / rel)
            licence_url = str(pick.get("license", ""))
            name, user = str(pick.get("name", "")), str(pick.get("username", ""))
            page = str(pick.get("url") or f"https://freesound.org/s/{pick['id']}/")
            kind = KINDS.get(label)
            index["files"][rel] = {
                "labels": [label], "audioset": list(kind.audioset) if kind else [], "title": name,
                "license": _spdx(licence_url), "credit": f'"{name}" by {user} ({page}), {_spdx(licence_url)}',
                "freesound": {"id": pick["id"], "name": name, "username": user, "license": licence_url,
                              "url": page, "query": query}}
            index["done"][step] = rel
            taken.add(str(pick["id"]))
            save()
            report.fetched.append(rel)
            if say:
                say(f"  {rel}  ({user}, {_spdx(licence_url)})")


def _retry_after_s(headers) -> float:
    """Seconds a 429 answer asks to wait: its Retry-After in seconds or as an HTTP date (else 60), at most an hour."""
    value = (headers.get("Retry-After") if headers is not None else None) or ""
    try:
        wait = float(value)
    except ValueError:
        import email.utils
        import time

        try:
            wait = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            wait = 60.0
    return min(max(wait, 0.0), 3600.0)
