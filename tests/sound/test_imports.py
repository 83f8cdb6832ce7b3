"""Filling the library: folders, installed packages, .deb and .zip imports, DEP-5 licences, the config file."""

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest
import soundfile as sf

from see2sound import Scene
from see2sound.cli import main
from see2sound.sound.choose import LibrarySounds, assign_sounds
from see2sound.sound.imports import import_sounds, read_dep5, register_folder
from see2sound.sound.library import configured_folders, load_libraries
from tests.helpers import noise, scene_dict

DEBIAN = Path(__file__).parents[1] / "data" / "debian"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A user's folders of their own: config, cache and data under tmp_path."""
    for name in ("CONFIG", "CACHE", "DATA"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    monkeypatch.delenv("SEE2SOUND_LIBRARY", raising=False)
    return tmp_path


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")} if folder.exists() else set()


def _without_tagger() -> LibrarySounds:
    """The configured libraries indexed by name only: the test clips are noise, which the tagger would hear as
    noise and rightly pass over for a bundled clip that dings (sounds are chosen by ear when it is installed)."""
    return LibrarySounds(library=load_libraries(tag=False))


def _toaster_scene(tmp_path):
    return Scene.from_dict(scene_dict([{"id": "t", "label": "toaster", "position": {
        "azimuth_deg": 0, "elevation_deg": 0, "distance_m": 2}}], duration=1.0), base_dir=tmp_path)


def _ogg(seconds: float = 0.5) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, noise(seconds), 48000, format="OGG", subtype="VORBIS")
    return buffer.getvalue()


# --- DEP-5 ---------------------------------------------------------------------------------------------

def test_dep5_gives_each_installed_file_its_paragraph():
    """Real excerpts (tests/data/debian/README.md): patterns are source paths, matched below the install prefix."""
    theme = read_dep5((DEBIAN / "sound-theme-freedesktop.copyright").read_text())
    bell = theme.license_of("usr/share/sounds/freedesktop/stereo/bell.oga")
    assert (bell.license, bell.copyright) == ("CC-BY-3.0", "Dr. Richard Boulanger et al")
    assert theme.license_of("usr/share/sounds/freedesktop/stereo/alarm-clock-elapsed.oga").license == "CC-BY-SA-3.0"
    assert theme.license_of("usr/share/sounds/freedesktop/stereo/phone-incoming-call.oga").license == "GPL-2+"
    assert theme.license_of("usr/share/sounds/freedesktop/stereo/unlisted.oga") is None
    game = read_dep5((DEBIAN / "scorched3d-data.copyright").read_text())
    wav = "usr/share/games/scorched3d/data/globalmods/{}/data/wav/misc/{}"
    assert game.license_of(wav.format("apoc", "dog.wav")).license == "CC-BY-SA-3"  # the later paragraph wins
    assert game.license_of(wav.format("apoc", "dog.wav")).copyright == "Apocalypse mod team"
    assert game.license_of(wav.format("none", "rain.wav")).license == "GPL-2+"


# --- folders ---------------------------------------------------------------------------------------------

def test_a_folder_import_registers_it_and_a_render_picks_from_it(home, tmp_path, capsys):
    folder = tmp_path / "my sounds"
    folder.mkdir()
    sf.write(str(folder / "toaster_ding.wav"), noise(0.6), 48000)
    before = _files(folder)
    assert main(["sounds", "import", str(folder), "--no-tags"]) == 0
    out = capsys.readouterr().out
    assert "1 usable" in out and "toaster 1" in out and "registered in" in out
    assert configured_folders()[0] == [str(folder.resolve())]
    assert _files(folder) == before  # nothing written into the user's folder
    scene, _ = assign_sounds(_toaster_scene(tmp_path), _without_tagger(), seed=0)
    assert scene.sources[0].sound["clip"] == "user:my sounds/toaster_ding.wav"
    assert main(["sounds", "import", str(folder), "--no-tags"]) == 0  # again: registered once
    assert "already in" in capsys.readouterr().out
    assert configured_folders()[0] == [str(folder.resolve())]


def test_the_config_file_keeps_its_comments_and_other_keys(home, tmp_path):
    config = home / "config" / "see2sound" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('# mine\nlibraries = [\n  "~/old", # the old ones\n]\ntheme = "dark"\n\n[studio]\nport = 1\n')
    assert register_folder(tmp_path) is True
    text = config.read_text()
    assert text.startswith("# mine\n") and 'theme = "dark"' in text and "[studio]\nport = 1" in text
    assert configured_folders()[0] == [os.path.expanduser("~/old"), str(tmp_path.resolve())]
    config.unlink()
    config.write_text('[studio]\nport = 1\n')  # no libraries yet, a table: the key goes before it
    register_folder(tmp_path)
    assert configured_folders()[0] == [str(tmp_path.resolve())] and "[studio]\nport = 1" in config.read_text()


def test_a_broken_config_is_refused_before_anything_is_made(home, tmp_path, capsys):
    config = home / "config" / "see2sound" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("libraries = [oops\n")
    archive = tmp_path / "pack.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("dog.ogg", _ogg())
    assert main(["sounds", "import", str(archive)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "not valid TOML" in err[0]
    assert config.read_text() == "libraries = [oops\n" and not (home / "data").exists()


# --- archives and packages --------------------------------------------------------------------------------

def test_a_zip_import_extracts_its_sounds_with_their_licence(home, tmp_path, capsys):
    archive = tmp_path / "kitchen.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("kitchen/toaster-ding.ogg", _ogg())
        z.writestr("kitchen/readme.txt", "not a sound")
        z.writestr("../evil.ogg", _ogg())  # a path out of the folder: left out
        z.writestr("copyright", "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
                                "Files: *\nCopyright: 2024 Jane Doe\nLicense: CC0-1.0\n")
    assert main(["sounds", "import", str(archive), "--no-tags"]) == 0
    folder = home / "data" / "see2sound" / "imports" / "kitchen"
    assert _files(folder) == {"kitchen", "kitchen/toaster-ding.ogg", "see2sound-sounds.json"}
    assert not (tmp_path / "data" / "evil.ogg").exists() and "CC0-1.0 1" in capsys.readouterr().out
    scene, _ = assign_sounds(_toaster_scene(tmp_path), _without_tagger(), seed=0)
    sound = scene.sources[0].sound
    assert sound["clip"] == "user:kitchen/kitchen/toaster-ding.ogg"
    assert sound["license"] == "CC0-1.0" and sound["credit"] == "2024 Jane Doe (kitchen.zip)"


def _deb(path: Path, files: dict[str, bytes]) -> Path:
    """A minimal Debian package: ar archive of debian-binary, control.tar.xz and data.tar.xz."""
    def tar(members: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:xz") as t:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
        return buffer.getvalue()

    parts = {"debian-binary": b"2.0\n", "control.tar.xz": tar({"./control": b"Package: x\n"}), "data.tar.xz": tar(files)}
    out = bytearray(b"!<arch>\n")
    for name, data in parts.items():
        out += f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode() + data + b"\n" * (len(data) & 1)
    path.write_bytes(bytes(out))
    return path


def test_a_deb_is_read_with_its_copyright_file(home, tmp_path):
    stereo = "./usr/share/sounds/freedesktop/stereo/"
    deb = _deb(tmp_path / "sound-theme-freedesktop_0.8-2_all.deb", {
        stereo + "phone-incoming-call.oga": _ogg(), stereo + "bell.oga": _ogg(),
        "./usr/share/doc/sound-theme-freedesktop/copyright": (DEBIAN / "sound-theme-freedesktop.copyright").read_bytes()})
    report = import_sounds(str(deb), tag=False)
    assert report.folder == home / "data" / "see2sound" / "imports" / "sound-theme-freedesktop"
    assert report.licenses == {"GPL-2+": 1, "CC-BY-3.0": 1}
    phone = next(e for e in report.library.entries if "phone-incoming" in e.path)
    assert phone.labels == ("cell phone",) and phone.license == "GPL-2+"
    assert phone.credit == "Damien Sandras <dsandras@seconix.com> (Debian package sound-theme-freedesktop)"
    assert (report.folder / "freedesktop" / "stereo" / "bell.oga").is_file()


def test_an_installed_package_is_linked_never_copied(home, tmp_path):
    root = tmp_path / "system"
    sounds = root / "usr/share/games/lincity-ng/sounds"
    sounds.mkdir(parents=True)
    sf.write(str(sounds / "TraficLow1.wav"), noise(0.5), 22050)
    (sounds / "sounds.xml").write_text("<sounds/>")
    (root / "usr/share/doc/lincity-ng-data").mkdir(parents=True)
    (root / "usr/share/doc/lincity-ng-data/copyright").write_text(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
        "Files: *\nCopyright: 1995-1997, I J Peters\nLicense: GPL-2+\n")
    report = import_sounds("lincity-ng-data", tag=False, root=root)
    link = report.folder / "sounds" / "TraficLow1.wav"
    assert link.is_symlink() and link.resolve() == sounds / "TraficLow1.wav"
    (entry,) = report.library.entries
    assert entry.labels == ("traffic",) and entry.license == "GPL-2+"
    assert any(e.path == str(link) for e in load_libraries(tag=False).entries)


def test_a_package_that_is_not_installed_says_how_to_get_it(home, tmp_path):
    from see2sound.errors import See2SoundError

    with pytest.raises(See2SoundError, match=r"0ad-data is not installed: install it \(sudo apt install 0ad-data\)"):
        import_sounds("0ad-data", root=tmp_path)
    assert not (home / "data").exists() and not (home / "config").exists()


def test_list_and_check_show_what_covers_each_label(home, tmp_path, capsys):
    import json

    folder = tmp_path / "kitchen"
    folder.mkdir()
    sf.write(str(folder / "toaster_ding.wav"), noise(0.4), 48000)
    assert main(["sounds", "check", "--json"]) == 0
    before = {row["label"]: row for row in json.loads(capsys.readouterr().out)}
    assert before["toaster"]["by_name"] == 0 and before["clock"]["models"]
    assert main(["sounds", "import", str(folder), "--no-tags", "-q"]) == 0
    assert main(["sounds", "check", "--json"]) == 0
    after = {row["label"]: row for row in json.loads(capsys.readouterr().out)}
    assert after["toaster"]["by_name"] == 1 and after["toaster"]["status"] == "recorded"
    assert main(["sounds", "list"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("bundled:") and f"{folder.resolve()}: 1 clip(s); unknown 1\n  toaster 1" in out


def test_an_import_that_cannot_be_registered_leaves_nothing_and_keeps_the_earlier_one(home, tmp_path, capsys):
    archive = tmp_path / "kitchen.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("kitchen/toaster-ding.ogg", _ogg())
    assert main(["sounds", "import", str(archive), "--no-tags"]) == 0
    folder = home / "data" / "see2sound" / "imports" / "kitchen"
    before = _files(folder)
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("kitchen/kettle-whistle.ogg", _ogg())
    config = home / "config" / "see2sound" / "config.toml"
    # Valid TOML that the in-place edit cannot extend safely (a quoted key): refused after the import is built.
    config.write_text('"libraries" = []\n', encoding="utf-8")
    capsys.readouterr()
    assert main(["sounds", "import", str(archive), "--no-tags"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "add it by hand" in err and err.count("\n") == 1
    assert _files(folder) == before  # the earlier import is back, the new one gone
    assert sorted(p.name for p in folder.parent.iterdir()) == ["kitchen"]
