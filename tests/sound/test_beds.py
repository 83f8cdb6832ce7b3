"""Ambience beds: each model's loop made once and kept (in memory, on disk), each seed its own offset and mix."""

import numpy as np
import pytest

from see2sound.sound import beds
from see2sound.sound.choose import AMBIENCE_BEDS, BED_FAMILY, ambience_bed
from see2sound.sound.synth import synthesize

SR = 16000


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder and an empty memory; yields the folder the loops go to."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    beds.forget_loops()
    yield tmp_path / "cache" / "see2sound" / "beds"
    beds.forget_loops()


@pytest.fixture
def made(monkeypatch):
    """Counts the syntheses behind bed_loop."""
    calls = []

    def counting(name, duration_s, sample_rate, seed):
        calls.append(name)
        return synthesize(name, duration_s, sample_rate, seed)

    monkeypatch.setattr(beds, "synthesize", counting)
    return calls


def test_a_loop_is_made_once_then_read_from_memory_then_from_disk(cache, made):
    first = beds.bed_loop("wind", 3 * SR, SR, 0)
    assert made == ["wind"] and len(list(cache.glob("wind-*.npy"))) == 1
    assert beds.bed_loop("wind", 3 * SR, SR, 0) is first and made == ["wind"]
    beds.forget_loops()  # a new process: the file is read
    np.testing.assert_array_equal(beds.bed_loop("wind", 3 * SR, SR, 0), first)
    assert made == ["wind"]
    assert first.dtype == np.float32 and first.shape == (3 * SR,) and not first.flags.writeable


def test_another_length_rate_or_family_is_another_loop(cache, made):
    a = beds.bed_loop("hum", 2 * SR, SR, 0)
    b = beds.bed_loop("hum", 2 * SR, SR, 1)
    c = beds.bed_loop("hum", 3 * SR, SR, 0)
    d = beds.bed_loop("hum", 2 * 8000, 8000, 0)
    assert made == ["hum"] * 4 and not np.array_equal(a, b) and len(c) == 3 * SR and len(d) == 16000


def test_a_damaged_or_unwritable_cache_gives_the_same_samples(cache, made, tmp_path, monkeypatch):
    good = beds.bed_loop("fan", 2 * SR, SR, 0)
    (path,) = cache.glob("fan-*.npy")
    path.write_bytes(path.read_bytes()[:200])  # cut short
    beds.forget_loops()
    np.testing.assert_array_equal(beds.bed_loop("fan", 2 * SR, SR, 0), good)
    assert len(made) == 2 and path.stat().st_size > 200  # made again and written whole
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "not-a-folder"))
    beds.forget_loops()
    np.testing.assert_array_equal(beds.bed_loop("fan", 2 * SR, SR, 0), good)


def test_the_loop_has_no_seam(cache):
    loop = beds.bed_loop("crowd", 4 * SR, SR, 0).astype(np.float64)
    steps = np.abs(np.diff(np.concatenate([loop, loop[:1]])))
    assert steps[-1] <= np.percentile(steps, 99.9)  # the jump from the end back to the start is no outlier
    rms = [np.sqrt(np.mean(loop[i:i + SR // 2] ** 2)) for i in range(0, len(loop), SR // 2)]
    assert max(rms) / min(rms) < 3.0  # no dip or bump where the end was crossfaded in


def test_memory_is_bounded_and_files_are_pruned(cache, monkeypatch):
    monkeypatch.setattr(beds, "MEMORY_BYTES", 5 * 4 * SR)
    monkeypatch.setattr(beds, "DISK_BYTES", 5 * 4 * SR)
    for family in range(4):
        beds.bed_loop("hum", 2 * SR, SR, family)
    assert sum(v.nbytes for v in beds._MEMORY.values()) <= 5 * 4 * SR
    assert sum(p.stat().st_size for p in cache.glob("*.npy")) <= 5 * 4 * SR + 4 * 128  # + each file's header


def test_beds_of_a_family_share_material_but_not_its_alignment_or_mix(cache, made):
    n = 4 * SR
    a = ambience_bed("urban-street", 4.0, SR, 0)
    b = ambience_bed("urban-street", 4.0, SR, 1)
    assert made == ["traffic", "crowd"]  # made once for seeds 0 and 1
    np.testing.assert_array_equal(a, ambience_bed("urban-street", 4.0, SR, 0))  # the same seed, the same samples
    assert a.dtype == np.float32 and a.shape == (n,)
    middle = slice(SR // 2, n - SR // 2)
    assert abs(np.corrcoef(a[middle], b[middle])[0, 1]) < 0.3  # not sample-aligned
    level = [20 * np.log10(np.sqrt(np.mean(x[middle].astype(np.float64) ** 2))) for x in (a, b)]
    assert abs(level[0] - level[1]) < 6.0  # traffic comes and goes: 4 s of it vary by a few dB
    ambience_bed("urban-street", 4.0, SR, BED_FAMILY)
    assert made == ["traffic", "crowd"] * 2  # the next family: another take


def test_a_bed_mixes_its_models_at_their_levels(cache):
    bed = ambience_bed("indoor-room", 3.0, SR, 7).astype(np.float64)
    (hum, hum_db), (fan, fan_db) = AMBIENCE_BEDS["indoor-room"]
    parts = [10 ** (db / 20) * beds.bed_loop(m, 3 * SR, SR, 0).astype(np.float64) for m, db in ((hum, hum_db), (fan, fan_db))]
    expected = np.sqrt(sum(np.mean(p ** 2) for p in parts))  # uncorrelated models add in power
    assert 0.5 < np.sqrt(np.mean(bed ** 2)) / expected < 2.0
    assert abs(bed[0]) < 1e-6 and abs(bed[-1]) < 1e-6  # faded in and out


def test_a_long_bed_repeats_bounded_loops_without_a_seam(monkeypatch):
    from see2sound.sound import choose

    lengths = []
    real = choose.bed_loop

    def recording(model, n, sample_rate, family):
        lengths.append(n)
        return real(model, n, sample_rate, family)

    monkeypatch.setattr(choose, "bed_loop", recording)
    sr, seconds = 8000, choose.BED_LOOP_MAX_S + 60.0
    bed = choose.ambience_bed("indoor-room", seconds, sr, seed=3)
    assert len(bed) == int(seconds * sr)
    assert max(lengths) <= choose.BED_LOOP_MAX_S * sr and len(set(lengths)) == len(lengths)  # no common period
    # Where a loop comes round again the bed goes on as smoothly as anywhere else (no click).
    steps = np.abs(np.diff(bed.astype(np.float64)))
    assert steps[len(bed) // 2:].max() < 4 * steps[sr:len(bed) // 2].max()
    assert np.sqrt(np.mean(bed[-sr:] ** 2)) > 0.3 * np.sqrt(np.mean(bed[sr:2 * sr] ** 2))  # still playing at the end
