"""Ambisonic channel conventions: FuMa and SonoScene360's W,Y,Z,X to AmbiX, and what files say."""

import math
import struct

import numpy as np
import pytest
import soundfile as sf
from scipy.special import lpmv

from see2sound.errors import ParameterError
from see2sound.eval.channels import (
    FUMA_ORDER,
    FUMA_TO_ACN,
    FUMA_TO_SN3D,
    detect_convention,
    resolve_convention,
    to_ambix,
)
from see2sound.io.mp4 import sa3d_box

# A few directions (azimuth, elevation in radians), away from the poles and the axes.
AZ = np.radians([0.0, 30.0, 100.0, -60.0, 170.0, -135.0])
EL = np.radians([0.0, 20.0, -35.0, 60.0, -10.0, 75.0])


def sn3d(n, m, az, el):
    """The real SN3D spherical harmonic of degree n, order m (ACN n^2 + n + m), without Condon-Shortley phase."""
    am = abs(m)
    norm = math.sqrt((2 - (m == 0)) * math.factorial(n - am) / math.factorial(n + am))
    legendre = lpmv(am, n, np.sin(el)) * (-1) ** am  # scipy includes the Condon-Shortley phase; undo it
    return norm * legendre * (np.cos(m * az) if m >= 0 else np.sin(am * az))


def fuma(az, el):
    """Furse-Malham coefficients by letter, as Malham writes them (W at 1/sqrt 2, the rest max 1)."""
    s, c = np.sin(el), np.cos(el)
    return {
        "W": np.full_like(az, 1 / np.sqrt(2)), "X": np.cos(az) * c, "Y": np.sin(az) * c, "Z": s,
        "R": (3 * s ** 2 - 1) / 2, "S": np.cos(az) * np.sin(2 * el), "T": np.sin(az) * np.sin(2 * el),
        "U": np.cos(2 * az) * c ** 2, "V": np.sin(2 * az) * c ** 2,
        "K": s * (5 * s ** 2 - 3) / 2,
        "L": np.sqrt(135 / 256) * np.cos(az) * c * (5 * s ** 2 - 1),
        "M": np.sqrt(135 / 256) * np.sin(az) * c * (5 * s ** 2 - 1),
        "N": np.sqrt(27 / 4) * np.cos(2 * az) * s * c ** 2, "O": np.sqrt(27 / 4) * np.sin(2 * az) * s * c ** 2,
        "P": np.cos(3 * az) * c ** 3, "Q": np.sin(3 * az) * c ** 3,
    }


@pytest.mark.parametrize("channels", [4, 9, 16])
def test_fuma_plane_waves_become_the_sn3d_harmonics(channels):
    coefficients = fuma(AZ, EL)
    audio = np.array([coefficients[letter] for letter in FUMA_ORDER[:channels]])  # (channels, directions)
    order = int(np.sqrt(channels)) - 1
    expected = np.array([sn3d(n, m, AZ, EL) for n in range(order + 1) for m in range(-n, n + 1)])
    np.testing.assert_allclose(to_ambix(audio, "fuma"), expected, atol=1e-12)


def test_first_order_ambix_is_spec_s_encoding():
    # SPEC §3: W = s, Y = s sin az cos el, Z = s sin el, X = s cos az cos el; a wave from the left is W = Y = 1.
    fuma_left = np.array([[1 / np.sqrt(2)], [0.0], [1.0], [0.0]])
    np.testing.assert_allclose(to_ambix(fuma_left, "fuma")[:, 0], [1.0, 1.0, 0.0, 0.0])


def test_each_fuma_factor_is_the_peak_of_its_sn3d_harmonic():
    az, el = np.meshgrid(np.radians(np.arange(-180, 180, 0.5)), np.radians(np.arange(-90, 90.1, 0.25)))
    for letter, acn in FUMA_TO_ACN.items():
        n = int(np.sqrt(acn))
        peak = np.max(np.abs(sn3d(n, acn - n * n - n, az, el)))
        expected = np.sqrt(2) if letter == "W" else peak  # W: FuMa's -3 dB
        assert FUMA_TO_SN3D[letter] == pytest.approx(expected, rel=1e-4), letter


def test_ambix_and_wyzx_are_unchanged():
    x = np.random.default_rng(0).standard_normal((4, 10)).astype(np.float32)
    for name in ("ambix", "wyzx", "AmbiX"):
        out = to_ambix(x, name)
        np.testing.assert_array_equal(out, x)
        assert out.dtype == np.float32 and out is not x


@pytest.mark.parametrize("convention, channels", [("wyzx", 9), ("fuma", 6), ("ambix", 3)])
def test_wrong_channel_counts_are_refused(convention, channels):
    with pytest.raises(ParameterError, match="channels"):
        to_ambix(np.zeros((channels, 8)), convention)


def test_an_unknown_convention_is_refused():
    with pytest.raises(ParameterError, match="convention: expected one of ambix, fuma, wyzx"):
        to_ambix(np.zeros((4, 8)), "n3d")


# --- metadata ---------------------------------------------------------------------

def box(kind, payload):
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4_with(sa3d: bytes) -> bytes:
    """A minimal MP4 whose one sound track's Opus sample entry ends with the given box."""
    hdlr = box(b"hdlr", bytes(8) + b"soun" + bytes(12) + b"\0")
    entry = box(b"Opus", bytes(28) + box(b"dOps", bytes(11)) + sa3d)
    stsd = box(b"stsd", struct.pack(">II", 0, 1) + entry)
    trak = box(b"trak", box(b"mdia", hdlr + box(b"minf", box(b"stbl", stsd))))
    return box(b"ftyp", b"isom" + bytes(4)) + box(b"moov", trak)


def sa3d(ordering=0, normalisation=0, mapping=(0, 1, 2, 3)):
    payload = struct.pack(">BBIBBI", 0, 0, 1, ordering, normalisation, len(mapping))
    return box(b"SA3D", payload + b"".join(struct.pack(">I", i) for i in mapping))


def test_an_sa3d_box_says_ambix(tmp_path):
    assert sa3d() == sa3d_box()  # the box see2sound writes, built here from the RFC's fields
    (tmp_path / "a.mp4").write_bytes(mp4_with(sa3d()))
    assert detect_convention(tmp_path / "a.mp4") == "ambix"
    (tmp_path / "b.mp4").write_bytes(mp4_with(sa3d(normalisation=1)))  # not in the RFC: nothing said
    assert detect_convention(tmp_path / "b.mp4") is None
    (tmp_path / "c.mp4").write_bytes(mp4_with(sa3d(mapping=(0, 3, 1, 2))))
    assert detect_convention(tmp_path / "c.mp4") is None
    (tmp_path / "d.mp4").write_bytes(mp4_with(b""))
    assert detect_convention(tmp_path / "d.mp4") is None


def amb_wav(path, subformat_data1=3):
    """A 4-channel float WAV with WAVE_FORMAT_EXTENSIBLE and the .amb B-format SubFormat GUID."""
    guid = struct.pack("<IHH", subformat_data1, 0x0721, 0x11D3) + bytes([0x86, 0x44, 0xC8, 0xC1, 0xCA, 0, 0, 0])
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, 4, 48000, 48000 * 16, 16, 32, 22, 32, 0) + guid
    data = np.zeros((10, 4), np.float32).tobytes()
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def test_an_amb_guid_says_fuma(tmp_path):
    assert detect_convention(amb_wav(tmp_path / "rec.wav")) == "fuma"
    assert detect_convention(amb_wav(tmp_path / "rec2.wav", subformat_data1=1)) == "fuma"
    sf.write(str(tmp_path / "plain.wav"), np.zeros((10, 4), np.float32), 48000)
    assert detect_convention(tmp_path / "plain.wav") is None


@pytest.mark.parametrize("name, expected", [
    ("field.amb", "fuma"), ("bed.ambix.wav", "ambix"), ("take_FuMa.wav", "fuma"), ("x.foa.wav", "ambix"),
    ("mix.wav", None), ("ambixtra.wav", None),
])
def test_names_that_say_a_convention(tmp_path, name, expected):
    sf.write(str(tmp_path / name), np.zeros((10, 4), np.float32), 48000, format="WAV")
    assert detect_convention(tmp_path / name) == expected


def test_a_flag_wins_over_what_the_file_says(tmp_path):
    path = amb_wav(tmp_path / "rec.wav")
    assert resolve_convention(path) == "fuma" and resolve_convention(path, "auto") == "fuma"
    assert resolve_convention(path, "wyzx") == "wyzx"
    assert resolve_convention(tmp_path / "missing.wav") == "ambix"  # nothing said: see2sound's own
