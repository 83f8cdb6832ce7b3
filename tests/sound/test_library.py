"""Sound libraries: the bundled pack and a user's folder."""

from pathlib import Path

import numpy as np
import soundfile as sf

from see2sound.sound import library as lib_module
from see2sound.sound.library import SoundLibrary, load_libraries
from tests.helpers import noise, tone


def test_bundled_pack_is_complete_and_licensed():
    lib = SoundLibrary.bundled()
    assert len(lib) >= 30
    attribution = (Path(lib.entries[0].path).parent / "ATTRIBUTION.md").read_text()  # OpenSFX's
    for entry in lib.entries:
        assert Path(entry.path).is_file()
        assert entry.license in ("CC0-1.0", "CC-BY-3.0"), entry
        assert "ShareAlike" not in entry.credit
        assert Path(entry.path).name in (Path(entry.path).parent / "ATTRIBUTION.md").read_text()
        info = sf.info(entry.path)
        assert info.channels == 1 and info.frames > 0
    assert not any("helicopter" in Path(e.path).name for e in lib.entries)  # OpenSFX's one CC BY-SA clip
    assert "| Helicopter |" not in attribution
    assert {"bird", "cow", "horse", "sheep", "train", "bus", "airplane"} <= {l for e in lib.entries for l in e.labels}


def test_user_folder_is_indexed_from_names_and_cached(tmp_path, monkeypatch):
    music = tmp_path / "sfx"
    (music / "Dogs").mkdir(parents=True)
    sf.write(str(music / "Dogs" / "big_bark_01.wav"), noise(0.5), 48000)
    sf.write(str(music / "rain-loop.flac"), noise(9.0, sr=16000), 16000)
    sf.write(str(music / "untitled.wav"), tone(440, 0.5), 48000)
    cache = tmp_path / "cache"
    lib = SoundLibrary.scan(music, cache_dir=cache)
    by_name = {Path(e.path).name: e for e in lib.entries}
    assert by_name["big_bark_01.wav"].labels == ("dog",) and by_name["big_bark_01.wav"].kind == "event"
    assert "untitled.wav" not in by_name  # nothing says what it is
    assert by_name["rain-loop.flac"].kind == "loop"
    calls = []
    real = lib_module._index_file
    monkeypatch.setattr(lib_module, "_index_file", lambda *a: calls.append(a[1]) or real(*a))
    SoundLibrary.scan(music, cache_dir=cache)
    assert calls == []  # nothing changed: all from the cache
    sf.write(str(music / "Dogs" / "big_bark_01.wav"), noise(0.7), 48000)
    SoundLibrary.scan(music, cache_dir=cache)
    assert calls == [str(Path("Dogs") / "big_bark_01.wav")]


def test_bad_files_are_skipped_with_warnings(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "dog_corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    sf.write(str(folder / "dog_empty.wav"), np.zeros((0, 1), np.float32), 48000)
    sf.write(str(folder / "dog_many.wav"), np.zeros((100, 12), np.float32), 48000)
    sf.write(str(folder / "dog_fast.wav"), np.zeros(100, np.float32), 700000)
    sf.write(str(folder / "dog_ok.wav"), noise(0.3), 48000)
    lib = SoundLibrary.scan(folder, cache_dir=tmp_path / "cache")
    assert [Path(e.path).name for e in lib.entries] == ["dog_ok.wav"]
    joined = "\n".join(lib.warnings)
    for name in ("dog_corrupt", "dog_empty", "dog_many", "dog_fast"):
        assert name in joined
    assert "not a folder" in SoundLibrary.scan(tmp_path / "nope", cache_dir=tmp_path).warnings[0]


def test_environment_variable_adds_folders(tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir()
    sf.write(str(folder / "cat_meow.wav"), noise(0.4), 48000)
    monkeypatch.setenv("SEE2SOUND_LIBRARY", str(folder))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    lib = load_libraries(tag=False)
    assert any(e.origin == "user" and "cat" in e.labels for e in lib.entries)


def test_config_file_adds_folders_and_a_broken_one_is_a_warning(tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir()
    sf.write(str(folder / "horse_neigh.wav"), noise(0.4), 48000)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SEE2SOUND_LIBRARY", raising=False)
    (tmp_path / "config" / "see2sound").mkdir(parents=True)
    config = tmp_path / "config" / "see2sound" / "config.toml"
    config.write_text(f'libraries = ["{folder}"]\n')
    assert any(e.origin == "user" and "horse" in e.labels for e in load_libraries(tag=False).entries)
    config.write_text("libraries = [oops\n")
    lib = load_libraries(tag=False)
    assert any("not valid TOML" in w for w in lib.warnings)
    assert all(e.origin == "library" for e in lib.entries)
