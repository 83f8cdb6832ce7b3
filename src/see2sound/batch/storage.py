"""Inputs and outputs of a batch in object storage (``s3://``, ``gs://``, ...) through pyarrow filesystems.

A batch's inputs and output folder may be URLs. pyarrow's
``FileSystem.from_uri`` opens them (S3 and S3-compatible stores, Google Cloud
Storage, HDFS), with the options its URLs take as query parameters
(``s3://bucket/photos?region=eu-west-1&endpoint_override=host:9000&scheme=http``);
credentials come from the usual places (``AWS_ACCESS_KEY_ID`` ..., a
profile, the instance's role). A worker copies a URL input to a temporary
file, renders into a temporary folder and uploads each output (one object
each, written whole: object stores show no partial object), so the engines
and the render do not change.

An object's identity for resuming is its URL, size and modification time
(:func:`identity`), not a hash of its bytes: hashing would download every
input once more in the batch process.

Contents
--------
is_url, child, suffix, display, same_place, safe_key, Store, store, identity, fetch, upload_tree, local_mirror
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit, urlunsplit

from ..errors import See2SoundError

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(text) -> bool:
    """True for ``s3://...``, ``gs://...`` and the like; plain paths and ``file://`` are local files."""
    return isinstance(text, str) and bool(_SCHEME.match(text)) and not text.lower().startswith("file://")


def child(url: str, relative: str) -> str:
    """``url`` with ``relative`` (a POSIX path) appended to its path, its query kept."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/") + "/" + relative.lstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def suffix(url: str) -> str:
    return PurePosixPath(urlsplit(url).path).suffix.lower()


def display(url: str) -> str:
    """``url`` as it may be recorded or printed: without user name, password or query (where keys can hide)."""
    if not is_url(url):
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def same_place(url: str) -> tuple[str, str, str]:
    """What names a URL's objects: scheme, host and path without its last slash (the query left out)."""
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.path.rstrip("/")


def safe_key(relative: str) -> str | None:
    """``relative`` (an object key below a prefix) if it names a place inside the output folder, else None."""
    parts = PurePosixPath(relative).parts
    if not parts or relative.startswith("/") or any(p in ("..", ".", "") for p in parts):
        return None
    return relative


class Store:
    """A pyarrow filesystem and the path a URL names in it."""

    def __init__(self, url: str):
        try:
            import pyarrow.fs as pafs
        except ImportError:
            raise See2SoundError(f"{url}: URLs need pyarrow (pip install 'see2sound[cluster]')") from None
        self._pafs = pafs
        self.shown = display(url)
        try:
            self.fs, self.path = pafs.FileSystem.from_uri(url)
        except Exception as exc:  # noqa: BLE001 - pyarrow's errors for a bad URL or missing support
            raise See2SoundError(f"{self.shown}: cannot be opened ({_first_line(exc)})") from None
        self.path = self.path.rstrip("/")

    def info(self, relative: str = ""):
        return self.fs.get_file_info(self._at(relative))

    def _at(self, relative: str) -> str:
        return f"{self.path}/{relative}" if relative else self.path

    def files(self) -> list[tuple[str, int, int]]:
        """Every file under this URL's path: (relative POSIX path, size, mtime in ns), sorted; [] if none."""
        selector = self._pafs.FileSelector(self.path, recursive=True, allow_not_found=True)
        found = []
        for entry in self._call(self.fs.get_file_info, selector):
            if entry.type == self._pafs.FileType.File:
                relative = entry.path[len(self.path):].lstrip("/")
                found.append((relative, entry.size, entry.mtime_ns or 0))
        return sorted(found)

    def is_file(self, relative: str = "") -> bool:
        return self._call(self.info, relative).type == self._pafs.FileType.File

    def read_bytes(self, relative: str = "") -> bytes | None:
        if not self.is_file(relative):
            return None
        with self._call(self.fs.open_input_stream, self._at(relative)) as f:
            return f.read()

    def download(self, relative: str, local: Path) -> None:
        with self._call(self.fs.open_input_stream, self._at(relative)) as src, open(local, "wb") as dst:
            for block in iter(lambda: src.read(1 << 20), b""):
                dst.write(block)

    def upload(self, local: Path, relative: str) -> None:
        """Copy a local file to ``relative``: to a temporary ``.NAME.XXXX.part`` key, then moved, so an
        interrupted upload leaves no object under the final name (a stream's close always completes it)."""
        folder, _, name = relative.rpartition("/")
        temporary = f"{folder}/" * bool(folder) + f".{name}.{secrets.token_hex(4)}.part"
        try:
            with open(local, "rb") as src, self._call(self.fs.open_output_stream, self._at(temporary)) as dst:
                for block in iter(lambda: src.read(1 << 20), b""):
                    dst.write(block)
            self._call(self.fs.move, self._at(temporary), self._at(relative))
        except BaseException:
            with contextlib.suppress(Exception):
                self.fs.delete_file(self._at(temporary))
            raise

    def remove_partials(self, listed: list[str]) -> list[str]:
        """Delete the temporary keys (``.NAME.XXXX.part``) that interrupted uploads left among ``listed``
        (:meth:`files`' keys); the other keys."""
        kept = []
        for relative in listed:
            name = PurePosixPath(relative).name
            if name.startswith(".") and name.endswith(".part"):
                with contextlib.suppress(Exception):
                    self.fs.delete_file(self._at(relative))
            else:
                kept.append(relative)
        return kept

    def _call(self, fn, *args):
        try:
            return fn(*args)
        except OSError as exc:
            raise See2SoundError(f"{self.shown}: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


_STORES: dict[str, Store] = {}


def store(url: str) -> Store:
    """The :class:`Store` of ``url`` (one per URL and process)."""
    if url not in _STORES:
        _STORES[url] = Store(url)
    return _STORES[url]


def _parent(url: str) -> tuple[str, str]:
    """(the URL of the folder an object is in, its name), the query kept with the folder."""
    parts = urlsplit(url)
    path = PurePosixPath(parts.path)
    return urlunsplit((parts.scheme, parts.netloc, str(path.parent), parts.query, "")), path.name


def identity(url: str, size: int | None = None, mtime_ns: int | None = None) -> str:
    """What stands for an object's content hash: SHA-256 of its place, size and modification time (asked of
    the store unless given, as a listing gives them)."""
    if size is None:
        folder, name = _parent(url)
        if not store(folder).is_file(name):
            raise See2SoundError(f"{display(url)}: no such object")
        info = store(folder).info(name)
        size, mtime_ns = info.size, info.mtime_ns
    return hashlib.sha256(f"{display(url)}\n{size}\n{mtime_ns or 0}".encode()).hexdigest()


def fetch(url: str, folder: Path) -> Path:
    """Copy the object ``url`` into ``folder`` (same file name); its local path."""
    base, name = _parent(url)
    local = Path(folder) / name
    store(base).download(name, local)
    return local


def upload_tree(local_root: Path, names: list[str], url: str) -> None:
    """Upload each of ``names`` (files, or folders uploaded file by file) from ``local_root`` to ``url``."""
    target = store(url)
    for name in names:
        path = local_root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            target.upload(file, file.relative_to(local_root).as_posix())


def local_mirror(url: str) -> Path:
    """The local folder that holds a URL output's manifest while a batch runs (in the user's cache)."""
    from ..userdirs import user_dir

    folder = user_dir("cache") / "batch" / hashlib.sha256(url.encode()).hexdigest()[:24]
    folder.mkdir(parents=True, exist_ok=True)
    return folder


__all__ = ["is_url", "child", "suffix", "display", "same_place", "safe_key", "Store", "store", "identity", "fetch",
           "upload_tree", "local_mirror"]
