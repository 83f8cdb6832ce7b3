"""The prepared HRTF is kept on disk: the same arrays come back, and a broken entry is prepared again."""

import shutil

import numpy as np
import pytest

from see2sound.spatial import hrtf as hrtf_module
from see2sound.spatial.hrtf import HRTF, default_sofa_path


@pytest.fixture
def sofa(tmp_path, monkeypatch):
    """A copy of the bundled SOFA file (its own in-memory cache entry), and a cache folder of its own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = tmp_path / "kemar.sofa"
    shutil.copy(default_sofa_path(), path)
    hrtf_module._load_cached.cache_clear()
    yield path
    hrtf_module._load_cached.cache_clear()


def _cached_files(sofa):
    return sorted((sofa.parent / "cache" / "see2sound" / "hrtf").glob("*.npz"))


def _load_without_reading_sofa(sofa, monkeypatch, rate=44100):
    """Load again from disk only: reading the SOFA file fails."""
    hrtf_module._load_cached.cache_clear()
    with monkeypatch.context() as m:
        m.setattr(hrtf_module, "read_sofa", lambda path: pytest.fail("prepared again, not read from the cache"))
        return HRTF.load(sofa, rate)


def test_prepared_hrtf_round_trips_through_the_disk_cache(sofa, monkeypatch):
    first = HRTF.load(sofa, 44100)
    (entry,) = _cached_files(sofa)
    assert "-44100-" in entry.name
    again = _load_without_reading_sofa(sofa, monkeypatch)
    for name in ("directions", "minphase", "delays"):
        np.testing.assert_array_equal(getattr(again, name), getattr(first, name))
    assert again.length == first.length and again.sample_rate == 44100
    d = np.random.default_rng(0).standard_normal((50, 3))
    np.testing.assert_array_equal(again.spectra(d, 2048), first.spectra(d, 2048))
    HRTF.load(sofa, 48000)  # another rate is another entry
    assert len(_cached_files(sofa)) == 2


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_broken_cache_entry_is_prepared_again(sofa, monkeypatch, damage):
    good = HRTF.load(sofa, 44100)
    (entry,) = _cached_files(sofa)
    data = entry.read_bytes()
    entry.write_bytes({"garbage": b"not a numpy file" * 100, "truncated": data[: len(data) // 2], "empty": b""}[damage])
    hrtf_module._load_cached.cache_clear()
    rebuilt = HRTF.load(sofa, 44100)
    np.testing.assert_array_equal(rebuilt.minphase, good.minphase)
    again = _load_without_reading_sofa(sofa, monkeypatch)  # the entry was written again, whole
    np.testing.assert_array_equal(again.delays, good.delays)
    assert not list(entry.parent.glob("*.tmp"))


def test_an_unwritable_cache_is_skipped(sofa, monkeypatch):
    (sofa.parent / "cache").write_text("a file where the cache folder would be")
    hrtf = HRTF.load(sofa, 44100)
    assert hrtf.length > 0
