"""ADM BW64 export (``--format adm``): read back and rendered by the EBU ADM renderer (``ear``), not by our code.

- the file parses with ear's own BW64 and ADM readers: one audioObject per
  source, its blocks where the scene puts it, the chna mapping, the bed on
  the common FOA pack;
- ``ear-render`` puts each source where the scene says, measured by the
  energy vector over the 4+5+0 loudspeakers (ear's own BS.2051 positions);
- each track carries the level the renderer pans it with (gain and distance
  law), checked against the numbers by hand;
- past 4 GiB the file is BW64 with ds64 (the threshold forced down);
- a failed write leaves nothing.
"""

import json
import struct
from pathlib import Path
import subprocess
import sys
import warnings

import numpy as np
import pytest
import soundfile as sf

from see2sound import See2SoundError
from see2sound.cli import main
from see2sound.outputs import spatialize_to_files
from see2sound.scene import Scene
from see2sound.spatial import RenderOptions
from tests.helpers import noise, write_wav

SR = 48000
#: Where the 4+5+0 panner's energy vector points exactly at the source (midway between two loudspeakers, or
#: between the two front height ones): elsewhere any amplitude panner's energy vector is off by up to ~10 deg,
#: which would measure the panning law, not the file.
STILL = {"front-left": (15.0, 0.0, 2.0), "right": (-70.0, 0.0, 4.0), "up": (0.0, 30.0, 1.0)}
WINDOW_S = 1.0
#: Measured in each source's window, inside its 0.3 s fades.
MARGIN_S = 0.35


def _ear():
    """ear's file readers, or a skip that says why not and how to get them (the ``adm`` and ``test`` extras)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ear 2.1 imports pkg_resources, which setuptools deprecates
        try:
            import ear.fileio
        except ImportError as exc:  # not installed, or without pkg_resources (setuptools 81 and later)
            pytest.skip(f"ear cannot be imported ({exc}): scripts/test.sh installs it (pip install --no-deps ear==2.1.0)")
    return ear.fileio


def _scene(folder, sources, duration_s, ambience_db=None):
    write_wav(folder / "noise.wav", noise(duration_s + 1.0, level=0.1))
    data = {"schema": "see2sound.scene/2", "duration_s": duration_s, "sources": sources}
    if ambience_db is not None:
        data["ambience"] = {"kind": "test", "audio": {"path": "noise.wav", "gain_db": ambience_db, "offset_s": 0.5}}
    (folder / "scene.json").write_text(json.dumps(data))
    return Scene.load(folder / "scene.json")


def _still_scene(folder):
    """Three still sources, each heard alone in its own second."""
    sources = [{"id": name, "position": {"azimuth_deg": az, "elevation_deg": el, "distance_m": d},
                "audio": {"path": "noise.wav", "offset_s": 0.1 * k},
                "active_s": [k * WINDOW_S, (k + 1) * WINDOW_S]}
               for k, (name, (az, el, d)) in enumerate(STILL.items())]
    return _scene(folder, sources, WINDOW_S * len(STILL))


def _write(folder, scene, name="scene.adm.wav", **options):
    out = folder / name
    options.setdefault("format", "adm")
    spatialize_to_files(scene, str(out), RenderOptions(**options), scene_file=folder / "scene.json")
    return out


def _read(path):
    """(ADM, chna entries, samples [tracks, n]) through ear's readers."""
    fileio = _ear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with fileio.openBw64Adm(str(path)) as f:
            samples = np.concatenate(list(f.iter_sample_blocks(1 << 16))).T
            return f.adm, f.chna.audioIDs, samples, f.selected_items


def _energy_direction(audio, unit_vectors):
    """(azimuth, elevation) in degrees, SPEC §1, of the energy vector of loudspeaker signals [speakers, n]."""
    energy = np.sum(np.asarray(audio, dtype=np.float64) ** 2, axis=-1)
    r = energy @ unit_vectors / energy.sum()
    return float(np.degrees(np.arctan2(r[1], r[0]))), float(np.degrees(np.arctan2(r[2], np.hypot(r[0], r[1]))))


def _ear_layout(name):
    """ear's BS.2051 layout: its loudspeakers' indices in ear-render's output and unit vectors (x front, y left)."""
    _ear()
    from ear.core import bs2051

    layout = bs2051.get_layout(name)
    keep = [i for i, channel in enumerate(layout.channels) if not channel.is_lfe]
    az = np.radians([layout.channels[i].polar_position.azimuth for i in keep])
    el = np.radians([layout.channels[i].polar_position.elevation for i in keep])
    return keep, np.stack([np.cos(az) * np.cos(el), np.sin(az) * np.cos(el), np.sin(el)], axis=-1)


def _ear_render(path, out, layout="4+5+0"):
    result = subprocess.run([sys.executable, "-W", "ignore", "-m", "ear.cmdline.render_file", "--strict", "-s", layout,
                             str(path), str(out)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    audio, rate = sf.read(str(out), dtype="float64", always_2d=True)
    assert rate == SR
    return audio.T


def _directions_by_window(audio, unit_vectors):
    """Each still source's direction, measured in its own window of a render [speakers, n]."""
    found = {}
    for k, name in enumerate(STILL):
        lo, hi = int((k * WINDOW_S + MARGIN_S) * SR), int(((k + 1) * WINDOW_S - MARGIN_S) * SR)
        found[name] = _energy_direction(audio[:, lo:hi], unit_vectors)
    return found


def _angle_deg(a, b):
    (az1, el1), (az2, el2) = np.radians(a), np.radians(b)
    cos = np.sin(el1) * np.sin(el2) + np.cos(el1) * np.cos(el2) * np.cos(az1 - az2)
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


# --- read back with ear ---------------------------------------------------------------------------------------------

def test_ear_reads_one_object_per_source_with_its_track(tmp_path):
    scene = _still_scene(tmp_path)
    adm, chna, samples, items = _read(_write(tmp_path, scene))
    objects = {o.audioObjectName: o for o in adm.audioObjects}
    assert set(objects) == set(STILL)
    for index, name in enumerate(STILL, 1):
        obj = objects[name]
        (pack,), (uid,) = obj.audioPackFormats, obj.audioTrackUIDs
        assert pack.type.name == "Objects" and pack.id.startswith("AP_0003")
        (channel,) = pack.audioChannelFormats
        (block,) = channel.audioBlockFormats
        az, el, _ = STILL[name]
        assert (block.position.azimuth, block.position.elevation) == pytest.approx((az, el), abs=1e-4)
        assert block.rtime == 0 and float(block.duration) == pytest.approx(scene.duration_s)
        # the chna row of this object's track: its index, UID, track and pack formats agree with the axml
        row = next(r for r in chna if r.audioTrackUID == uid.id)
        assert row.trackIndex == index == uid.trackIndex
        assert row.audioTrackFormatIDRef == uid.audioTrackFormat.id and row.audioPackFormatIDRef == pack.id
        assert uid.audioTrackFormat.audioStreamFormat.audioChannelFormat is channel
    assert samples.shape == (3, int(scene.duration_s * SR))
    assert [type(item).__name__ for item in items] == ["ObjectRenderingItem"] * 3


def test_distance_is_normalised_by_the_farthest_source(tmp_path):
    adm, *_ = _read(_write(tmp_path, _still_scene(tmp_path)))
    for obj in adm.audioObjects:
        (pack,) = obj.audioPackFormats
        (block,) = pack.audioChannelFormats[0].audioBlockFormats
        assert pack.absoluteDistance == pytest.approx(4.0)
        assert block.position.distance == pytest.approx(STILL[obj.audioObjectName][2] / 4.0)


def test_a_moving_source_is_blocks_along_its_path(tmp_path):
    """Azimuth -60 -> +60 on the horizon over 1.2 s (a great circle: 100 deg/s), heard for 2 s."""
    path = [{"t": 0.0, "azimuth_deg": -60.0, "elevation_deg": 0.0, "distance_m": 2.0},
            {"t": 1.2, "azimuth_deg": 60.0, "elevation_deg": 0.0, "distance_m": 2.0}]
    scene = _scene(tmp_path, [{"id": "car", "position": {k: v for k, v in path[0].items() if k != "t"},
                               "trajectory": path, "audio": {"path": "noise.wav"}}], 2.0)
    adm, *_ = _read(_write(tmp_path, scene))
    (obj,) = adm.audioObjects
    blocks = obj.audioPackFormats[0].audioChannelFormats[0].audioBlockFormats
    ends = [float(b.rtime + b.duration) for b in blocks]
    assert blocks[0].rtime == 0 and ends[-1] == pytest.approx(2.0)
    assert all(a.rtime + a.duration == b.rtime for a, b in zip(blocks[:-1], blocks[1:]))  # they tile the scene
    assert blocks[0].jumpPosition.flag and blocks[0].position.azimuth == pytest.approx(-60.0)
    assert not any(b.jumpPosition.flag for b in blocks[1:])  # each moves from where the last one ended
    for block, end in zip(blocks[1:], ends[1:]):
        assert block.position.azimuth == pytest.approx(-60.0 + 100.0 * min(end, 1.2), abs=1e-3)
        assert block.position.elevation == pytest.approx(0.0, abs=1e-4)
    steps = np.diff([b.position.azimuth for b in blocks])
    assert np.all(steps >= 0) and np.max(steps) <= 5.0 + 1e-6


def test_the_ambience_is_a_first_order_hoa_bed(tmp_path):
    scene = _scene(tmp_path, [{"id": "a", "position": {"azimuth_deg": 15, "elevation_deg": 0, "distance_m": 1},
                               "audio": {"path": "noise.wav"}}], 1.0, ambience_db=-6.0)
    adm, chna, samples, items = _read(_write(tmp_path, scene))
    bed = next(o for o in adm.audioObjects if o.audioObjectName == "ambience")
    (pack,) = bed.audioPackFormats
    assert pack.id == "AP_00040001" and pack.is_common_definition and pack.type.name == "HOA"
    assert [(c.audioBlockFormats[0].order, c.audioBlockFormats[0].degree, c.audioBlockFormats[0].normalization)
            for c in pack.audioChannelFormats] == [(0, 0, "SN3D"), (1, -1, "SN3D"), (1, 0, "SN3D"), (1, 1, "SN3D")]
    assert [(r.trackIndex, r.audioTrackFormatIDRef) for r in chna[1:]] == [
        (2, "AT_00040001_01"), (3, "AT_00040002_01"), (4, "AT_00040003_01"), (5, "AT_00040004_01")]
    assert sorted(type(item).__name__ for item in items) == ["HOARenderingItem", "ObjectRenderingItem"]
    w, y, z, x = samples[1:]
    assert np.std(w) > 0.01 and np.std(z) < 0.05 * np.std(w)  # spread around the horizon: nothing up or down


# --- levels ----------------------------------------------------------------------------------------------------------

def test_tracks_carry_the_gain_and_distance_law(tmp_path):
    """Same noise, 0 dB at 1 m, -6 dB at 2 m, 0 dB at 0.25 m (the law holds under 0.5 m): 1 : 1/4 : 2 in level."""
    def src(name, az, distance, gain_db):
        return {"id": name, "position": {"azimuth_deg": az, "elevation_deg": 0.0, "distance_m": distance},
                "audio": {"path": "noise.wav", "gain_db": gain_db}}
    scene = _scene(tmp_path, [src("near", 15, 1.0, 0.0), src("far", -70, 2.0, -6.0), src("close", 180, 0.25, 0.0)],
                   1.0)
    _, _, samples, _ = _read(_write(tmp_path, scene, loudness_lufs=None, true_peak_dbtp=None))
    body = slice(SR // 10, -SR // 10)  # away from the 10 ms edge fades
    rms = np.sqrt(np.mean(samples[:, body] ** 2, axis=-1))
    expected = np.array([1.0, 10 ** (-6 / 20) / 2.0, 1.0 / 0.5])
    np.testing.assert_allclose(rms / rms[0], expected, rtol=2e-3)
    source, _ = sf.read(str(tmp_path / "noise.wav"), dtype="float64")
    assert rms[0] == pytest.approx(np.sqrt(np.mean(source[:SR] ** 2)), rel=0.02)  # unmastered: as the file is


def test_mastering_keeps_the_balance(tmp_path):
    scene = _still_scene(tmp_path)
    _, _, raw, _ = _read(_write(tmp_path, scene, "raw.adm.wav", loudness_lufs=None, true_peak_dbtp=None))
    _, _, mastered, _ = _read(_write(tmp_path, scene, "mastered.adm.wav"))
    ratio = np.sqrt(np.sum(mastered ** 2, axis=-1) / np.sum(raw ** 2, axis=-1))
    assert np.ptp(20 * np.log10(ratio)) < 0.01  # one gain for every track


# --- rendered by ear ---------------------------------------------------------------------------------------------------

def test_ear_render_puts_each_source_where_the_scene_says(tmp_path):
    scene = _still_scene(tmp_path)
    adm_file = _write(tmp_path, scene)
    speakers, unit_vectors = _ear_layout("4+5+0")
    rendered = _ear_render(adm_file, tmp_path / "ear-4+5+0.wav")[speakers]
    _, _, tracks, _ = _read(adm_file)
    for k in range(len(STILL)):  # each object reaches the loudspeakers at its track's level
        window = slice(int((k * WINDOW_S + MARGIN_S) * SR), int(((k + 1) * WINDOW_S - MARGIN_S) * SR))
        level_db = 10 * np.log10(np.sum(rendered[:, window] ** 2) / np.sum(tracks[k, window] ** 2))
        assert abs(level_db) < 0.5, (k, level_db)
    found = {"ear-render 4+5+0": _directions_by_window(rendered, unit_vectors)}
    # see2sound's own 5.1.4 render of the same scene, measured the same way over ear's loudspeaker directions
    # (the same BS.2051 System D positions, in the same order without the LFE)
    ours = _write(tmp_path, scene, "scene.5.1.4.wav", format="5.1.4", room="none")
    audio, rate = sf.read(str(ours), dtype="float64", always_2d=True)
    assert rate == SR and audio.shape[1] == 10
    found["see2sound 5.1.4"] = _directions_by_window(audio.T[speakers], unit_vectors)
    for renderer, directions in found.items():
        for name, (az, el, _) in STILL.items():
            assert _angle_deg(directions[name], (az, el)) < 5.0, (renderer, name, directions[name])
            assert abs(directions[name][1] - el) < 5.0, (renderer, name, directions[name])
    for name in STILL:  # the check: ear's render of the ADM file within 5 deg of our own 5.1.4 render
        assert _angle_deg(found["ear-render 4+5+0"][name], found["see2sound 5.1.4"][name]) < 5.0, name


def test_ear_renders_the_bed_at_its_level(tmp_path):
    """The FOA bed decoded by ear carries the ambience's energy (W), as the renderer's own bed does."""
    scene = _scene(tmp_path, [{"id": "a", "position": {"azimuth_deg": 15, "elevation_deg": 0, "distance_m": 1},
                               "audio": {"path": "noise.wav", "gain_db": -60.0}}], 1.0, ambience_db=0.0)
    adm_file = _write(tmp_path, scene, loudness_lufs=None, true_peak_dbtp=None)
    _, _, tracks, _ = _read(adm_file)
    speakers, _ = _ear_layout("4+5+0")
    rendered = _ear_render(adm_file, tmp_path / "ear-4+5+0.wav")[speakers]
    assert abs(10 * np.log10(np.sum(rendered ** 2) / np.sum(tracks[1] ** 2))) < 1.0


# --- the file ----------------------------------------------------------------------------------------------------------

def _chunk_ids(path):
    data = path.read_bytes()
    ids, pos = [data[:4]], 12
    while pos + 8 <= len(data):
        chunk, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        ids.append(chunk)
        if chunk == b"data":
            break
        pos += 8 + size + (size & 1)
    return ids


def test_small_files_are_riff_and_big_ones_bw64_with_ds64(tmp_path):
    from see2sound.io.adm import write_adm
    from see2sound.spatial.objects import object_tracks

    scene = _still_scene(tmp_path)
    options = RenderOptions(format="adm")
    from see2sound.spatial.renderer import render_scene

    audio, _ = render_scene(scene, options)
    tracks = object_tracks(scene)
    write_adm(tmp_path / "small.wav", audio, tracks, SR)
    write_adm(tmp_path / "big.wav", audio, tracks, SR, riff_limit_bytes=1000)  # as if it were over 4 GiB
    assert _chunk_ids(tmp_path / "small.wav") == [b"RIFF", b"JUNK", b"fmt ", b"chna", b"axml", b"data"]
    assert _chunk_ids(tmp_path / "big.wav") == [b"BW64", b"ds64", b"fmt ", b"chna", b"axml", b"data"]
    big = (tmp_path / "big.wav").read_bytes()
    assert big[4:8] == b"\xff\xff\xff\xff"
    riff_size, data_size, frames = struct.unpack("<QQQ", big[20:44])
    assert (riff_size, data_size, frames) == (len(big) - 8, audio.size * 3, audio.shape[1])
    _, _, small_samples, _ = _read(tmp_path / "small.wav")
    _, chna, big_samples, _ = _read(tmp_path / "big.wav")
    assert len(chna) == 3
    np.testing.assert_array_equal(big_samples, small_samples)
    np.testing.assert_allclose(small_samples, audio, atol=2 ** -22)


def test_format_from_the_file_name_and_one_error_line_for_flac(tmp_path, capsys):
    _still_scene(tmp_path)
    assert main(["spatialize", str(tmp_path / "scene.json"), "-o", str(tmp_path / "mix.adm.wav"), "-q"]) == 0
    assert _chunk_ids(tmp_path / "mix.adm.wav")[3:5] == [b"chna", b"axml"]
    capsys.readouterr()
    assert main(["spatialize", str(tmp_path / "scene.json"), "-o", str(tmp_path / "mix.adm.flac"), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "must end in .wav" in err[0]
    assert not (tmp_path / "mix.adm.flac").exists()


def test_no_partial_output_when_the_write_fails(tmp_path, monkeypatch):
    scene = _still_scene(tmp_path)
    # a folder nobody can write in, root included (refused for its free space, or when the file is opened)
    with pytest.raises(See2SoundError, match="cannot write there|free"):
        spatialize_to_files(scene, "/proc/see2sound.adm.wav", RenderOptions(format="adm"))
    assert not list(Path("/proc").glob("*see2sound*"))

    import see2sound.io.adm as adm

    def disk_full(block):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(adm, "_pcm24", disk_full)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(OSError):
        _write(tmp_path, scene)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no file and no .part left


def test_eval_and_bench_refuse_objects(tmp_path, capsys):
    scene = _still_scene(tmp_path)
    adm_file = _write(tmp_path, scene)
    assert main(["eval", str(adm_file), "--scene", str(tmp_path / "scene.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds objects, not channels" in err[0]
    from see2sound.errors import ParameterError
    from see2sound.eval.compare import parse_contender

    with pytest.raises(ParameterError, match="holds objects"):
        parse_contender("see2sound:adm")


def test_a_long_render_goes_through_a_disk_buffer_unchanged(tmp_path, monkeypatch):
    import see2sound.outputs as outputs

    scene = _scene(tmp_path, [{"id": "a", "position": {"azimuth_deg": 15, "elevation_deg": 0, "distance_m": 2},
                               "audio": {"path": "noise.wav"}}], 1.0, ambience_db=-6.0)
    in_memory = _write(tmp_path, scene, "memory.adm.wav")
    monkeypatch.setattr(outputs, "IN_MEMORY_LIMIT_BYTES", 1000)  # as if it were long: tracks and bed on disk
    on_disk = _write(tmp_path, scene, "disk.adm.wav")
    assert on_disk.read_bytes() == in_memory.read_bytes()
