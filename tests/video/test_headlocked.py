"""YouTube's FOA with head-locked stereo: W Y Z X turn with the view, L R (the video's own soundtrack) do not.

The SA3D box is read here from the file's bytes by a parser of this file's
own, following Google's spatial-audio RFC (github.com/google/spatial-media,
docs/spatial-audio-rfc.md), not by see2sound's io.mp4.
"""

import struct
import subprocess
import sys

import numpy as np
import pytest

from tests.helpers import need, noise
from tests.video.conftest import FPS, moving_bar_frames, small_clip, write_clip

av = need("av", "video")

SECONDS = 2
SR = 48000


# --- an independent reader of the boxes --------------------------------------------------------

def boxes(data: bytes, start: int, end: int):
    """(kind, payload start, box end) of each box in data[start:end] (ISO/IEC 14496-12, QuickTime)."""
    while start + 8 <= end:
        size, kind = struct.unpack(">I4s", data[start:start + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", data[start + 8:start + 16])[0], 16
        elif size == 0:
            size = end - start
        assert size >= header and start + size <= end, (kind, start, size)
        yield kind, start + header, start + size
        start += size


def child(data, start, end, kind):
    return next((b for b in boxes(data, start, end) if b[0] == kind), None)


def audio_sample_entry(data: bytes):
    """(format, channel count, children start, entry end) of the first sound track's first sample entry."""
    moov = child(data, 0, len(data), b"moov")
    for kind, start, end in boxes(data, moov[1], moov[2]):
        if kind != b"trak":
            continue
        mdia = child(data, start, end, b"mdia")
        hdlr = child(data, mdia[1], mdia[2], b"hdlr")
        if data[hdlr[1] + 8:hdlr[1] + 12] != b"soun":
            continue
        minf = child(data, mdia[1], mdia[2], b"minf")
        stbl = child(data, minf[1], minf[2], b"stbl")
        stsd = child(data, stbl[1], stbl[2], b"stsd")
        entry = stsd[1] + 8  # version, flags, entry_count
        size, fmt = struct.unpack(">I4s", data[entry:entry + 8])
        # SoundDescription: 6 reserved, data reference index, version, revision, vendor, channel count, ...
        version, = struct.unpack(">H", data[entry + 16:entry + 18])
        channels, = struct.unpack(">H", data[entry + 24:entry + 26])
        fields = {0: 28, 1: 44, 2: 64}[version]  # QuickTime v1 adds 16 bytes, v2 is 64 bytes long
        if version == 2:
            channels, = struct.unpack(">I", data[entry + 8 + 40:entry + 8 + 44])
        return fmt, channels, entry + 8 + fields, entry + size
    raise AssertionError("no sound track")


def read_sa3d(path) -> dict | None:
    """The SA3D box of the first sound track, field by field as the RFC's syntax lists them."""
    data = path.read_bytes()
    _, _, start, end = audio_sample_entry(data)
    found = child(data, start, end, b"SA3D")
    if found is None:
        return None
    p = found[1]
    version, type_byte, order, ordering, normalization, count = struct.unpack(">BBIBBI", data[p:p + 12])
    channel_map = list(struct.unpack(f">{count}I", data[p + 12:p + 12 + 4 * count]))
    assert p + 12 + 4 * count == found[2]  # nothing after the channel map
    return {"version": version, "head_locked_stereo": type_byte >> 7, "ambisonic_type": type_byte & 0x7F,
            "ambisonic_order": order, "channel_ordering": ordering, "normalization": normalization,
            "num_channels": count, "channel_map": channel_map}


def read_dops(path) -> dict:
    """The Opus sample entry's dOps box (Opus in ISOBMFF, §4.3.2)."""
    data = path.read_bytes()
    fmt, _, start, end = audio_sample_entry(data)
    assert fmt == b"Opus"
    _, p, stop = child(data, start, end, b"dOps")
    channels, family = data[p + 1], data[p + 10]
    return {"channels": channels, "mapping_family": family, "bytes": data[p:stop]}


# --- the audio ------------------------------------------------------------------------------

def decode(path, index=0) -> np.ndarray:
    """Audio stream ``index`` as float [shape=(channels, n)], whatever sample format it decodes to."""
    with av.open(str(path)) as c:
        stream = c.streams.audio[index]
        parts = []
        for frame in c.decode(stream):
            x = frame.to_ndarray()
            if not frame.format.is_planar:
                x = x.reshape(-1, stream.channels).T
            if x.dtype == np.int32:
                x = x / 2.0 ** 31
            parts.append(x.astype(np.float64))
    return np.concatenate(parts, axis=1)


def correlation(a, b) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


def soundtrack(seconds=SECONDS) -> np.ndarray:
    """L: a voice-like sound (a gliding 120-180 Hz fundamental and its harmonics to 4 kHz, in syllables),
    R: a chord; different, so a swap would show. (Waveform correlation through a perceptual codec is
    high for such sounds; for broadband noise Opus keeps the spectrum, not the waveform.)"""
    t = np.arange(int(seconds * SR)) / SR
    phase = 2 * np.pi * np.cumsum(150 + 30 * np.sin(2 * np.pi * 0.7 * t)) / SR
    voice = sum(np.sin(k * phase) / k for k in range(1, 27))
    left = 0.12 * voice * (0.55 + 0.45 * np.sin(2 * np.pi * 4 * t))
    right = 0.1 * (np.sin(2 * np.pi * 220 * t) + np.sin(2 * np.pi * 277 * t) + np.sin(2 * np.pi * 330 * t))
    return np.stack([left, right]).astype(np.float32)


def foa(seconds=SECONDS) -> np.ndarray:
    """A source at 90 deg (left) in AmbiX (W = s, Y = s, Z = X = 0), plus a quieter one behind and above."""
    s = noise(seconds + 0.5, seed=7, level=0.1)
    b = noise(seconds + 0.5, seed=8, level=0.05)
    return np.stack([s + b, s, 0.5 * b, -0.85 * b]).astype(np.float32)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_clip(tmp_path_factory.mktemp("headlocked") / "talk.mp4", moving_bar_frames(FPS * SECONDS),
                      audio=soundtrack(), size=(160, 120))


def mux_headlocked(clip, out, **kwargs):
    from see2sound.video.mux import mux

    notes = []
    mux(clip, foa(), SR, "foa", out, keep_original="headlocked", notes=notes, **kwargs)
    return notes


# --- the tests --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["talk.foa.mov", "talk.foa.mp4"])
def test_sa3d_declares_head_locked_stereo_as_the_rfc_says(clip, tmp_path, name):
    out = tmp_path / name
    mux_headlocked(clip, out)
    assert read_sa3d(out) == {"version": 0, "head_locked_stereo": 1, "ambisonic_type": 0, "ambisonic_order": 1,
                              "channel_ordering": 0, "normalization": 0,  # ACN, SN3D
                              "num_channels": 6, "channel_map": [0, 1, 2, 3, 4, 5]}  # W Y Z X L R
    fmt, channels, _, _ = audio_sample_entry(out.read_bytes())
    assert channels == 6 and fmt == (b"Opus" if name.endswith(".mp4") else b"in24")
    with av.open(str(out)) as c:  # one audio track (YouTube takes no second one beside spatial audio)
        assert [s.type for s in c.streams] == ["video", "audio"]


def test_opus_uses_mapping_family_2_with_the_stereo_pair_coupled(clip, tmp_path):
    out = tmp_path / "talk.foa.mp4"
    mux_headlocked(clip, out)
    dops = read_dops(out)
    assert dops["channels"] == 6 and dops["mapping_family"] == 2
    streams, coupled = dops["bytes"][11], dops["bytes"][12]
    assert (streams, coupled) == (5, 1)  # W, Y, Z, X alone and L R as one stereo stream (RFC 8486 §3.1)


def test_head_locked_channels_are_the_soundtrack_sample_for_sample_in_mov(clip, tmp_path):
    out = tmp_path / "talk.foa.mov"
    mux_headlocked(clip, out)
    got, original = decode(out), decode(clip)
    assert got.shape[0] == 6
    n = min(got.shape[1], original.shape[1])
    assert n >= SECONDS * SR - 1024
    lsb = 2.0 ** -23  # 24-bit PCM
    assert np.max(np.abs(got[4:, :n] - original[:, :n])) <= lsb
    ambisonic = foa()[:, :n].astype(np.float64)
    assert np.max(np.abs(got[:4, :n] - ambisonic)) <= lsb  # the placed sources, not mixed with the soundtrack
    for ch in range(4):
        for side in range(2):
            assert abs(correlation(got[ch, :n], original[side, :n])) < 0.05, (ch, side)


def test_head_locked_channels_follow_the_soundtrack_through_opus(clip, tmp_path):
    out = tmp_path / "talk.foa.mp4"
    mux_headlocked(clip, out)
    got, original = decode(out), decode(clip)
    assert got.shape[0] == 6
    assert correlation(got[4], original[0]) >= 0.99 and correlation(got[5], original[1]) >= 0.99
    assert abs(correlation(got[4], original[1])) < 0.05  # not swapped
    for ch in range(4):
        for side in range(2):
            assert abs(correlation(got[ch], original[side])) < 0.05, (ch, side)
    assert correlation(got[1], foa()[1]) >= 0.85  # Y: the source on the left (white noise: Opus stops at 20 kHz)


def test_a_mono_soundtrack_goes_into_both_head_locked_channels(tmp_path):
    mono = soundtrack()[1:]
    clip = write_clip(tmp_path / "mono.mp4", moving_bar_frames(FPS * SECONDS), audio=mono, size=(160, 120))
    out = tmp_path / "mono.foa.mov"
    mux_headlocked(clip, out)
    got, original = decode(out), decode(clip)
    n = min(got.shape[1], original.shape[1])
    assert np.max(np.abs(got[4:, :n] - original[0, :n])) <= 2.0 ** -23


def test_another_sample_rate_is_resampled(clip, tmp_path):
    from scipy.signal import resample_poly

    from see2sound.video.mux import mux

    out = tmp_path / "talk.foa.mov"
    mux(clip, resample_poly(foa(), 147, 160, axis=1), 44100, "foa", out, keep_original="headlocked")
    got = decode(out)
    expected = resample_poly(decode(clip), 147, 160, axis=1)
    with av.open(str(out)) as c:
        assert c.streams.audio[0].sample_rate == 44100
    assert abs(got.shape[1] - SECONDS * 44100) <= 1
    for side in range(2):
        assert correlation(got[4 + side, 100:-100], expected[side, 100:-100]) >= 0.99


def test_without_a_soundtrack_it_is_plain_foa_with_a_note(tmp_path):
    clip = small_clip(tmp_path / "silent.mp4", n=FPS * SECONDS)
    out = tmp_path / "silent.foa.mov"
    notes = mux_headlocked(clip, out)
    assert notes == ["the video has no soundtrack to keep head-locked: plain FOA written"]
    assert decode(out).shape[0] == 4
    sa3d = read_sa3d(out)
    assert sa3d["head_locked_stereo"] == 0 and sa3d["num_channels"] == 4 and sa3d["channel_map"] == [0, 1, 2, 3]


@pytest.mark.parametrize("fmt", ["binaural", "5.1"])
def test_mux_refuses_a_format_that_is_not_foa(clip, tmp_path, fmt):
    from see2sound.errors import ParameterError
    from see2sound.video.mux import mux

    with pytest.raises(ParameterError, match=f"keep_original: .*needs the foa format, not {fmt}"):
        mux(clip, np.zeros((6 if fmt == "5.1" else 2, SR)), SR, fmt, tmp_path / "x.mp4", keep_original="headlocked")
    assert list(tmp_path.iterdir()) == []


def run(*args, timeout=240):
    return subprocess.run([sys.executable, "-m", "see2sound.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("args, message", [
    (["-o", "OUT/talk.mp4", "--format", "binaural"],
     "error: --keep-original: headlocked is first-order ambisonics with head-locked stereo: "
     "it needs the foa format, not binaural"),
    (["-o", "OUT/talk.5.1.mov"], "error: --keep-original: headlocked is first-order ambisonics with "
                                 "head-locked stereo: it needs the foa format, not 5.1"),
    (["-o", "OUT/talk.foa.wav"], "error: --keep-original: OUT/talk.foa.wav: headlocked is for a video written "
                                 "into .mp4 or .mov"),
])
def test_cli_refuses_in_one_line_and_writes_nothing(clip, tmp_path, args, message):
    args = [a.replace("OUT", str(tmp_path)) for a in args]
    result = run("render", clip, *args, "--keep-original", "headlocked", "-q")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [message.replace("OUT", str(tmp_path))]
    assert list(tmp_path.iterdir()) == []


def test_the_parser_offers_what_mux_takes():
    from see2sound.cli.parser import KEEP_ORIGINAL
    from see2sound.video.mux import KEEP

    assert KEEP_ORIGINAL == KEEP


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cat.foa.mov", "cat.foa.mp4"])
def test_cli_writes_a_youtube_ready_video(cat_clip, tmp_path, name):
    out = tmp_path / name
    result = run("render", cat_clip, "-o", out, "--keep-original", "headlocked", "-q")
    assert result.returncode == 0, result.stderr
    sa3d = read_sa3d(out)
    assert (sa3d["head_locked_stereo"], sa3d["num_channels"], sa3d["channel_map"]) == (1, 6, [0, 1, 2, 3, 4, 5])
    data = out.read_bytes()
    got, original = decode(out), decode(cat_clip)
    n = min(got.shape[1], original.shape[1])
    if name.endswith(".mov"):
        assert np.max(np.abs(got[4:, :n] - original[:, :n])) <= 2.0 ** -23
    else:
        assert read_dops(out)["mapping_family"] == 2
        assert min(correlation(got[4 + s], original[s]) for s in range(2)) >= 0.99
    for ch in range(4):  # the cat and the street: none of them is the clip's 330 Hz tone
        assert abs(correlation(got[ch, :n], original[0, :n])) < 0.1, ch
    assert b"SA3D" in data and child(data, 0, len(data), b"moov") is not None
