"""Filling the user's library: folders, installed packages, ``.deb`` and ``.zip`` archives.

``see2sound sounds import WHAT`` (:func:`import_sounds`) takes

- a **folder**: used where it is (nothing is written into it), indexed as
  every user folder is (names, embedded tags, the optional tagger);
- a **package name** of :data:`PACKAGES`: game data that Debian installs
  and see2sound may not redistribute. Its sound files are read where Debian
  puts them: the import folder holds links to them, never copies (0ad-data
  keeps its sounds inside a zip: those are extracted);
- a **.deb** (``apt-get download PKG``) or a **.zip**: its sound files are
  extracted (and only they).

Each import gets a folder ``$XDG_DATA_HOME/see2sound/imports/NAME``
(default ``~/.local/share/see2sound/imports/NAME``) with a
``see2sound-sounds.json`` index: per file, labels (from :data:`PACKAGES`'
hints), the licence and the credit, read from the package's Debian
copyright file (DEP-5, :func:`read_dep5`). The folder is then added to
``libraries`` in ``~/.config/see2sound/config.toml``
(:func:`register_folder`), so later renders use it.

An import is built in a temporary folder and renamed into place at the
end, and the config file is checked before anything is built: a refused
or failed import leaves nothing behind.

Contents
--------
import_sounds, ImportReport, PACKAGES, Package, read_dep5, Dep5,
register_folder, data_dir, write_folder_index
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from ..errors import ParameterError, See2SoundError
from ..userdirs import user_dir
from .library import (
    AUDIO_SUFFIXES,
    FOLDER_INDEX,
    SoundLibrary,
    _sound_files,
    config_path,
    read_folder_index,
)

#: The sounds index's schema name.
INDEX_SCHEMA = "see2sound.sounds/1"


# --- where things go --------------------------------------------------------------------------------

def data_dir() -> Path:
    """see2sound's data folder: ``$XDG_DATA_HOME/see2sound``, default ``~/.local/share/see2sound``."""
    return user_dir("data")


def imports_dir() -> Path:
    return data_dir() / "imports"


def write_folder_index(folder: Path, files: dict[str, dict], **extra) -> None:
    """Write ``folder``'s :data:`~.library.FOLDER_INDEX` (a temporary, then renamed)."""
    doc = {"schema": INDEX_SCHEMA, **extra, "files": files}
    tmp = folder / f".{FOLDER_INDEX}.part"
    tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, folder / FOLDER_INDEX)


# --- the config file --------------------------------------------------------------------------------

def _toml_module():
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            raise See2SoundError(f"{config_path()}: changing it needs Python 3.11 or the tomli package") from None
    return tomllib


def _read_config() -> tuple[str, dict]:
    """(the config file's text, its data); a broken file is refused, not overwritten."""
    path = config_path()
    if not path.exists():
        return "", {}
    try:
        text = path.read_text(encoding="utf-8")
        data = _toml_module().loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise See2SoundError(f"{path}: cannot read it ({exc}); nothing was imported") from None
    except ValueError as exc:
        raise See2SoundError(f"{path}: not valid TOML ({exc}); fix it first: nothing was imported") from None
    folders = data.get("libraries", [])
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        raise See2SoundError(f"{path}: 'libraries' must be a list of folder paths; fix it first: nothing was imported")
    return text, data


def check_config() -> None:
    """Refuse now, before an import builds anything, a config file that :func:`register_folder` could not change."""
    _read_config()


def _array_span(text: str) -> tuple[int, int] | None:
    """Where the top-level ``libraries = [...]`` value is in ``text`` (start of ``[``, end after ``]``)."""
    match = re.search(r"(?m)^[ \t]*libraries[ \t]*=[ \t]*\[", text)
    if match is None:
        return None
    start = match.end() - 1
    depth, i, quote = 0, start, None
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "#":
            i = text.find("\n", i) if "\n" in text[i:] else len(text)
            continue
        elif c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                return start, i + 1
        i += 1
    return None


def register_folder(folder: Path) -> bool:
    """Add ``folder`` to ``libraries`` in the config file (created if missing); False when it was there.

    Only the ``libraries`` value is rewritten; the rest of the file (comments, other keys) stays as it was.
    """
    path = config_path()
    text, data = _read_config()
    folders = list(data.get("libraries", []))
    wanted = str(Path(folder).resolve())
    if any(Path(os.path.expanduser(f)).resolve() == Path(wanted) for f in folders):
        return False
    folders.append(wanted)
    array = "[\n" + "".join(f"    {json.dumps(f, ensure_ascii=False)},\n" for f in folders) + "]"
    span = _array_span(text) if "libraries" in data else None
    if span:
        new = text[:span[0]] + array + text[span[1]:]
    else:  # top-level keys go before the first table
        new = f"libraries = {array}\n" + ("\n" + text if text else "")
    toml = _toml_module()
    try:
        safe = toml.loads(new).get("libraries") == folders
    except toml.TOMLDecodeError:  # e.g. a quoted "libraries" key the edit did not find
        safe = False
    if not safe:
        raise See2SoundError(f"{path}: could not add {wanted} to 'libraries' safely; add it by hand")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(new, encoding="utf-8")
    os.replace(tmp, path)
    return True


# --- Debian copyright files (DEP-5) ------------------------------------------------------------------

@dataclass(frozen=True)
class Dep5Paragraph:
    patterns: tuple[str, ...]
    license: str
    copyright: str


@dataclass
class Dep5:
    """A machine-readable Debian copyright file: its ``Files`` paragraphs, in order."""

    paragraphs: list[Dep5Paragraph] = field(default_factory=list)

    def license_of(self, path: str) -> Dep5Paragraph | None:
        """The paragraph that governs ``path`` (a '/'-separated path of the installed file).

        DEP-5 patterns are paths in the *source* tree, which Debian installs
        under some prefix, so a pattern matches when it matches the path
        relative to any of its folders (``stereo/bell.oga`` matches
        ``usr/share/sounds/freedesktop/stereo/bell.oga``). As DEP-5 says, the
        last matching paragraph wins.
        """
        parts = PurePosixPath(path).parts
        tails = ["/".join(parts[i:]) for i in range(len(parts))]
        found = None
        for paragraph in self.paragraphs:
            if any(_glob(p).fullmatch(t) for p in paragraph.patterns for t in tails):
                found = paragraph
        return found


def _glob(pattern: str) -> re.Pattern:
    """DEP-5's glob: ``*`` any run of characters (slashes too), ``?`` one, backslash escapes."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def read_dep5(text: str) -> Dep5:
    """The ``Files`` paragraphs of a DEP-5 copyright file (others, and a file in free form, give none)."""
    doc = Dep5()
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        fields: dict[str, str] = {}
        key = None
        for line in block.split("\n"):
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line and not line.startswith("#"):
                key, value = line.split(":", 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        if "files" in fields and "license" in fields:
            patterns = tuple(fields["files"].split())
            license_ = fields["license"].split("\n", 1)[0].strip()
            holders = "; ".join(x.strip() for x in fields.get("copyright", "").split("\n") if x.strip())
            doc.paragraphs.append(Dep5Paragraph(patterns, license_, holders))
    return doc


# --- the packages ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Package:
    """A Debian package whose sounds see2sound can use but not ship.

    ``folders``: where its sounds are installed (absolute, under ``/``);
    ``archive``: or a zip (installed path) holding them, with ``members``
    the zip folders kept; ``hints``: file-name pattern -> labels, for names
    that say nothing to :data:`.library.SYNONYMS`; ``skip``: patterns of
    files left out (music, interface beeps).
    """

    name: str
    summary: str
    folders: tuple[str, ...] = ()
    archive: str | None = None
    members: tuple[str, ...] = ()
    hints: tuple[tuple[str, tuple[str, ...]], ...] = ()
    skip: tuple[str, ...] = ()

    @property
    def copyright(self) -> str:
        return f"/usr/share/doc/{self.name}/copyright"

    def labels_for(self, rel: str) -> list[str]:
        return sorted({label for pattern, labels in self.hints if re.search(pattern, rel, re.IGNORECASE) for label in labels})

    def skips(self, rel: str) -> bool:
        return any(re.search(pattern, rel, re.IGNORECASE) for pattern in self.skip)


PACKAGES = {p.name: p for p in [
    Package("scorched3d-data", "Scorched 3D: dogs, cows, a rooster, car horns, sirens, cheering, ocean, rain, jets",
            folders=("/usr/share/games/scorched3d/data/globalmods",),
            hints=((r"carhorn|policecar|firetruck", ("car",)), (r"cows|moo", ("cow",)), (r"cessna|f16|f18|t38|/jet",
                   ("airplane",)), (r"cheering", ("crowd",)), (r"citysounds", ("traffic",)),
                   (r"birdchirp|/birds\d|gull", ("bird",)), (r"oceanwaves", ("waves",))),
            skip=(r"/music/",)),
    Package("0ad-data", "0 A.D.: farm and wild animals, footsteps, rivers, weather, market (inside a zip)",
            archive="/usr/share/games/0ad/mods/public/public.zip",
            members=("audio/actor/fauna/", "audio/actor/singlesteps/", "audio/actor/human/movement/",
                     "audio/actor/mounted/", "audio/actor/ship/", "audio/ambient/", "audio/resource/"),
            hints=((r"cattle", ("cow",)), (r"singlesteps|/movement/", ("person",)), (r"mounted", ("horse",)),
                   (r"ambient/water", ("stream",)), (r"chicken|flamingo|peacock|/birds?", ("bird",)))),
    Package("lincity-ng-data", "LinCity-NG: traffic, railways, crowds, water, fire, farms",
            folders=("/usr/share/games/lincity-ng/sounds",),
            hints=((r"trafic", ("traffic",)), (r"railtrain", ("train",)), (r"sportscroud", ("crowd",)),
                   (r"/water\d", ("stream",)), (r"parklandplane", ("airplane",)), (r"/fire\d", ("fire",)))),
    Package("flightgear-data-base", "FlightGear: jet, propeller and turbine engines, helicopter rotor, rain, wind",
            folders=("/usr/share/games/flightgear/Sounds", "/usr/share/games/flightgear/Aircraft/c172p/Sounds"),
            hints=((r"/jet|turbojet|turbine|turboprop|/prop\.|engine-prop|p51d|c172p/sounds/engine", ("airplane",)),
                   (r"rain", ("rain",)), (r"/wind", ("wind",))),
            skip=(r"/mk-viii/", r"/tcas/", r"checklist", r"click", r"avionics")),
    Package("sound-theme-freedesktop", "freedesktop sound theme: a phone ringing, a bell, an alarm clock, a camera",
            folders=("/usr/share/sounds/freedesktop",),
            hints=((r"phone-incoming|phone-outgoing-calling", ("cell phone",)), (r"alarm-clock", ("clock",)),
                   (r"camera-shutter", ("camera",)))),
]}


# --- reading sounds out of what was given ----------------------------------------------------------------

def _is_sound(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in AUDIO_SUFFIXES


def _safe_rel(name: str) -> str | None:
    """An archive member's name as a safe relative path (no '..', not absolute), or None."""
    parts = [p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("", ".", "/")]
    return None if not parts or ".." in parts else "/".join(parts)


def _ar_members(deb: Path) -> Iterator[tuple[str, IO[bytes], int]]:
    """(name, file positioned at the member, size) of each member of a Debian ``ar`` archive."""
    with open(deb, "rb") as f:
        if f.read(8) != b"!<arch>\n":
            raise See2SoundError(f"{deb}: not a Debian package (.deb)")
        while True:
            header = f.read(60)
            if len(header) < 60:
                return
            name = header[:16].decode("ascii", "replace").strip().rstrip("/")
            try:
                size = int(header[48:58].decode("ascii").strip())
            except ValueError:
                raise See2SoundError(f"{deb}: damaged Debian package (bad ar header)") from None
            start = f.tell()
            yield name, f, size
            f.seek(start + size + (size & 1))


class _Window(IO[bytes]):
    """``size`` bytes of a file from its current position, as a file (for tarfile's stream mode)."""

    def __init__(self, f: IO[bytes], size: int):
        self._f, self._left = f, size

    def read(self, n: int = -1) -> bytes:
        n = self._left if n is None or n < 0 else min(n, self._left)
        data = self._f.read(n)
        self._left -= len(data)
        return data

    def readable(self) -> bool:
        return True


def _deb_files(deb: Path) -> Iterator[tuple[str, tarfile.TarFile, tarfile.TarInfo]]:
    """(installed path without the leading '/', tar, member) of each regular file of a .deb's data."""
    for name, f, size in _ar_members(deb):
        if not name.startswith("data.tar"):
            continue
        if name.endswith((".tar", ".gz", ".xz", ".bz2")):
            with tarfile.open(fileobj=_Window(f, size), mode="r|*") as tar:
                for member in tar:
                    rel = _safe_rel(member.name)
                    if member.isfile() and rel:
                        yield rel, tar, member
            return
        yield from _dpkg_deb_files(deb)  # data.tar.zst and others: dpkg-deb knows them
        return
    raise See2SoundError(f"{deb}: not a Debian package (.deb): it has no data.tar member")


def _dpkg_deb_files(deb: Path):
    if shutil.which("dpkg-deb") is None:
        raise See2SoundError(f"{deb}: its data is compressed in a way only dpkg-deb reads; install dpkg")
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for member in tar:
                rel = _safe_rel(member.name)
                if member.isfile() and rel:
                    yield rel, tar, member
    finally:
        proc.stdout.close()
        proc.wait()


def _copy_stream(src: IO[bytes], dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)


def _zip_sounds(archive: Path | IO[bytes], members: tuple[str, ...], skip) -> list[zipfile.ZipInfo]:
    try:
        z = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise See2SoundError(f"{archive}: not a zip archive ({exc})") from None
    with z:
        return [i for i in z.infolist() if not i.is_dir() and _is_sound(i.filename) and _safe_rel(i.filename)
                and (not members or i.filename.startswith(members)) and not skip(i.filename)]


def _extract_zip(archive, target: Path, members=(), skip=lambda name: False, prefix: str = "") -> list[str]:
    """Extract the sound files of a zip under ``target``; their relative paths."""
    infos = _zip_sounds(archive, members, skip)
    done = []
    with zipfile.ZipFile(archive) as z:
        for info in infos:
            rel = prefix + _safe_rel(info.filename)
            with z.open(info) as src:
                _copy_stream(src, target / rel)
            done.append(rel)
    return done


# --- the import ---------------------------------------------------------------------------------------------

@dataclass
class ImportReport:
    """What an import did: the folder registered, its library, the licences found."""

    name: str
    folder: Path
    library: SoundLibrary
    files: int
    licenses: dict[str, int]
    registered: bool
    linked: bool = False

    def lines(self) -> list[str]:
        labels: dict[str, int] = {}
        for entry in self.library.entries:
            for label in entry.labels:
                labels[label] = labels.get(label, 0) + 1
        how = "linked where installed" if self.linked else "in place" if self.name == "" else "extracted"
        out = [(f"imported {self.name or self.folder}: {self.files} sound file(s) ({how}), "
                f"{len(self.library.entries)} usable"), f"  folder   {self.folder}"]
        if self.licenses:
            ranked = sorted(self.licenses.items(), key=lambda kv: -kv[1])
            out.append("  licences " + ", ".join(f"{k} {v}" for k, v in ranked))
        if labels:
            out.append("  labels   " + ", ".join(f"{k} {v}" for k, v in sorted(labels.items())))
        out.append(f"  {'registered in' if self.registered else 'already in'} {config_path()}")
        return out


def import_sounds(what: str, *, name: str | None = None, tag: bool | None = None, root: Path = Path("/"),
                  cache_dir: Path | None = None) -> ImportReport:
    """Import a folder, a known package, a ``.deb`` or a ``.zip`` (see the module's docstring).

    ``tag``: label files with the optional tagger (default: when installed). ``root``: where installed
    packages are looked for (``/``; tests give a folder laid out like one).
    """
    check_config()
    tagger = _Lazy(tag)
    path = Path(what).expanduser()
    if name is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,99}", name):
        raise ParameterError("name", f"{name!r}: use letters, digits and . _ + - (a folder's name)")
    if path.is_dir():
        if name is not None:
            raise ParameterError("name", "only for a package, .deb or .zip (a folder is used where it is)")
        return _import_folder(path.resolve(), tagger, cache_dir)
    if what in PACKAGES and not path.exists():
        return _import_installed(PACKAGES[what], name or what, Path(root), tagger, cache_dir)
    if path.is_file() and path.suffix.lower() == ".deb":
        return _import_deb(path, name, tagger, cache_dir)
    if path.is_file() and path.suffix.lower() == ".zip":
        return _import_zip(path, name or _slug(path.stem), tagger, cache_dir)
    if path.exists():
        raise See2SoundError(f"{what}: not a folder, a .deb or a .zip")
    raise See2SoundError(f"{what}: no such folder, .deb or .zip, and not a package see2sound knows "
                         f"({', '.join(PACKAGES)})")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", text).strip("-.")[:100] or "sounds"


def _licences(files: dict[str, dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for meta in files.values():
        key = meta.get("license") or "unknown"
        counts[key] = counts.get(key, 0) + 1
    return counts


def _describe(rel: str, where: str, package: Package | None, dep5: Dep5 | None, origin: str) -> dict:
    """A file's index record: labels from the package's hints, licence and credit from its copyright file.
    ``where``: the file's installed path (matched against the copyright file's patterns)."""
    meta: dict = {"source": where}
    labels = package.labels_for("/" + rel) if package else []
    if labels:
        meta["labels"] = labels
    paragraph = dep5.license_of(where) if dep5 else None
    if paragraph:
        meta["license"] = paragraph.license
        meta["credit"] = f"{paragraph.copyright or 'unknown'} ({origin})"
    return meta


def _building(name: str):
    """A fresh temporary folder beside the import's final place; renamed into place by :func:`_place`."""
    base = imports_dir()
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".part", dir=base))


def _abandon(tmp: Path) -> None:
    """Remove a failed import's temporary folder, and the data folders it made if they are left empty."""
    shutil.rmtree(tmp, ignore_errors=True)
    for folder in (imports_dir(), data_dir()):
        try:
            folder.rmdir()
        except OSError:  # not empty (or not there): keep it
            break


def _place(tmp: Path, name: str) -> tuple[Path, Path | None]:
    """Move a finished import into place: (its folder, the earlier import of that name set aside, or None).

    :func:`_finish` deletes the earlier one once the new one is scanned and registered, or puts it back.
    """
    final = imports_dir() / name
    old = None
    if final.exists():
        old = final.with_name(f".{name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
    try:
        os.replace(tmp, final)
    except BaseException:
        if old is not None:
            os.replace(old, final)
        raise
    return final, old


def _import_installed(package: Package, name: str, root: Path, tagger, cache_dir) -> ImportReport:
    sources = [root / f.lstrip("/") for f in package.folders]
    archive = root / package.archive.lstrip("/") if package.archive else None
    if not any(s.is_dir() for s in sources) and not (archive and archive.is_file()):
        raise See2SoundError(f"{package.name} is not installed: install it (sudo apt install {package.name}), or "
                             f"download it (apt-get download {package.name}) and import the .deb")
    dep5 = _read_copyright(root / package.copyright.lstrip("/"))
    tmp = _building(name)
    try:
        files: dict[str, dict] = {}
        if archive is not None:
            installed = archive.relative_to(root).as_posix()
            for rel in _extract_zip(archive, tmp, package.members, package.skips):
                files[rel] = _describe(rel, f"/{installed}/{rel}", package, dep5, f"Debian package {package.name}")
        for source in sources:
            for path in sorted(source.rglob("*")) if source.is_dir() else []:
                installed = path.relative_to(root).as_posix()
                rel = path.relative_to(source.parent).as_posix()
                if path.is_file() and _is_sound(path.name) and not package.skips("/" + installed):
                    link = tmp / rel
                    link.parent.mkdir(parents=True, exist_ok=True)
                    link.symlink_to(path)  # read where Debian installed it: never copied
                    files[rel] = _describe(rel, f"/{installed}", package, dep5, f"Debian package {package.name}")
        if not files:
            raise See2SoundError(f"{package.name}: no sound files where it is installed")
        write_folder_index(tmp, files, source=f"debian:{package.name}")
        folder, old = _place(tmp, name)
    except BaseException:
        _abandon(tmp)
        raise
    return _finish(name, folder, files, tagger, cache_dir, linked=archive is None, old=old)


def _read_copyright(path: Path) -> Dep5 | None:
    try:
        return read_dep5(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None


def _deb_package_name(deb: Path) -> str:
    return _slug(deb.name.split("_", 1)[0])


def _import_deb(deb: Path, name: str | None, tagger, cache_dir) -> ImportReport:
    with open(deb, "rb") as f:  # refused before anything is made
        if f.read(8) != b"!<arch>\n":
            raise See2SoundError(f"{deb}: not a Debian package (.deb)")
    pkg_name = _deb_package_name(deb)
    package = PACKAGES.get(pkg_name)
    name = name or pkg_name
    tmp = _building(name)
    copyright_text = None
    try:
        files: dict[str, dict] = {}
        wanted_archive = package.archive.lstrip("/") if package and package.archive else None
        for installed, tar, member in _deb_files(deb):
            if installed == f"usr/share/doc/{pkg_name}/copyright":
                copyright_text = tar.extractfile(member).read().decode("utf-8", "replace")
            elif wanted_archive and installed == wanted_archive:
                inner = tmp / ".archive.zip"
                _copy_stream(tar.extractfile(member), inner)
                for rel in _extract_zip(inner, tmp, package.members, package.skips):
                    files[rel] = {"installed": f"{installed}/{rel}"}
                inner.unlink()
            elif _is_sound(installed) and _wanted_from_deb(installed, package):
                rel = _rel_in_package(installed, package)
                _copy_stream(tar.extractfile(member), tmp / rel)
                files[rel] = {"installed": installed}
        if not files:
            raise See2SoundError(f"{deb}: no sound files in it")
        dep5 = read_dep5(copyright_text) if copyright_text else None
        files = {rel: _describe(rel, "/" + meta["installed"], package, dep5, f"Debian package {pkg_name}")
                 for rel, meta in files.items()}
        write_folder_index(tmp, files, source=f"deb:{deb.name}")
        folder, old = _place(tmp, name)
    except (tarfile.TarError, EOFError, zipfile.BadZipFile) as exc:
        _abandon(tmp)
        raise See2SoundError(f"{deb}: damaged Debian package ({exc})") from None
    except BaseException:
        _abandon(tmp)
        raise
    return _finish(name, folder, files, tagger, cache_dir, old=old)


def _wanted_from_deb(installed: str, package: Package | None) -> bool:
    if package is None:
        return installed.startswith("usr/share/")
    return (any(installed.startswith(f.lstrip("/") + "/") for f in package.folders)
            and not package.skips("/" + installed))


def _rel_in_package(installed: str, package: Package | None) -> str:
    """The path an extracted file gets: as the installed package's links would (known packages), else
    the installed path below usr/share/."""
    if package is not None:
        for folder in package.folders:
            top = PurePosixPath(folder.lstrip("/"))
            if installed.startswith(str(top) + "/"):
                return PurePosixPath(installed).relative_to(top.parent).as_posix()
    return installed.removeprefix("usr/share/")


def _import_zip(archive: Path, name: str, tagger, cache_dir) -> ImportReport:
    infos = _zip_sounds(archive, (), lambda n: False)  # refuse a broken or soundless zip before anything is made
    if not infos:
        raise See2SoundError(f"{archive}: no sound files (.wav, .flac, .ogg, .mp3) in it")
    with zipfile.ZipFile(archive) as z:
        copyright_member = next((i for i in z.infolist() if PurePosixPath(i.filename).name == "copyright"), None)
        dep5 = read_dep5(z.read(copyright_member).decode("utf-8", "replace")) if copyright_member else None
    tmp = _building(name)
    try:
        rels = _extract_zip(archive, tmp)
        files = {rel: _describe(rel, rel, None, dep5, archive.name) | {"source": f"{archive.name}:{rel}"}
                 for rel in rels}
        write_folder_index(tmp, files, source=f"zip:{archive.name}")
        folder, old = _place(tmp, name)
    except BaseException:
        _abandon(tmp)
        raise
    return _finish(name, folder, files, tagger, cache_dir, old=old)


def _import_folder(folder: Path, tagger, cache_dir) -> ImportReport:
    """A folder is used where it is: indexed (the cache, not the folder, keeps the index) and registered."""
    paths, _ = _sound_files(folder)
    if not paths:
        raise See2SoundError(f"{folder}: no sound files (.wav, .flac, .ogg, .mp3) in it; nothing was imported")
    given, _ = read_folder_index(folder)
    return _finish("", folder, given, tagger, cache_dir, count=len(paths))


class _Lazy:
    """The tagger, loaded only once an import got as far as indexing (a refused import should be quick)."""

    def __init__(self, tag: bool | None):
        self.tag = tag

    def load(self):
        from . import tagger as tagging

        return tagging.load_tagger() if (tagging.available() if self.tag is None else self.tag) else None


def _finish(name: str, folder: Path, files: dict, tagger: _Lazy, cache_dir, linked: bool = False,
            count: int | None = None, old: Path | None = None) -> ImportReport:
    """Scan and register an import; if either fails, a new import (``name``) is removed and ``old`` put back."""
    try:
        library = SoundLibrary.scan(folder, cache_dir=cache_dir, tagger=tagger.load())
        registered = register_folder(folder)
    except BaseException:
        if name:
            shutil.rmtree(folder, ignore_errors=True)
            if old is not None:
                os.replace(old, folder)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return ImportReport(name, folder, library, len(files) if count is None else count, _licences(files) if files
                        else {}, registered, linked)
