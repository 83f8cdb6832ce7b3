"""Ambisonic channel conventions on input, and conversion to AmbiX.

see2sound's FOA is **AmbiX** (SPEC §3): ACN channel order, SN3D
normalisation, no Condon-Shortley phase, +Y to the left. A recording to be
scored may come in another convention; this module names them, converts
them to AmbiX, and reads what a file's metadata says.

Conventions
-----------
``ambix``
    ACN order (W, Y, Z, X, V, T, R, S, U, Q, O, M, K, L, N, P), SN3D
    (Nachbar, Zotter, Deleflie and Sontacchi, "AmbiX - a suggested
    ambisonics format", Ambisonics Symposium 2011). Unchanged.
``fuma``
    Furse-Malham: channels W, X, Y, Z (first order), then R, S, T, U, V,
    then K, L, M, N, O, P, Q; "maxN" weights, with W at 1/sqrt(2)
    (-3 dB) (Malham, "Higher order ambisonic systems", 2003). The `.amb`
    file format carries it. Orders 1 to 3 (4, 9 or 16 channels).
``wyzx``
    W, Y, Z, X with SN3D and +Y to the left, the order SonoScene360 states
    for its FOA. At first order this *is* AmbiX (ACN 0..3 are W, Y, Z, X;
    SN3D and N3D differ only from order 1 up by sqrt(3), and SN3D is
    stated), so the conversion is the identity; the name is kept so that a
    file's provenance is said and checked (4 channels only). A corpus whose
    +Y were to the right would be a different convention (negate Y), and
    none of ours is.

FuMa -> SN3D factors (SN3D = FuMa * factor): W sqrt(2); X, Y, Z 1; R 1;
S, T, U, V sqrt(3)/2; K 1; L, M sqrt(32/45); N, O sqrt(5)/3; P, Q
sqrt(5/8). Each is the largest absolute value of the SN3D spherical
harmonic, since FuMa scales every component above order 0 to a maximum of 1
(the reciprocals are the table in Wikipedia's "Ambisonic data exchange
formats", and tests/eval/test_channels.py checks them against the
harmonics themselves).

Detection from metadata (:func:`detect_convention`):

- MP4 / MOV / M4A: Google's spatial-media ``SA3D`` box (spatial-audio-rfc.md)
  in the audio sample entry. Ordering 0 (ACN) with normalisation 0 (SN3D)
  and the identity channel map is ``ambix``; anything else is not said.
- WAV: WAVE_FORMAT_EXTENSIBLE with the B-format SubFormat GUIDs
  (``{00000001-0721-11d3-8644-c8c1ca000000}`` PCM, ``...00000003...`` float)
  is ``.amb``, hence ``fuma`` (Dobson, "The AMB ambisonic file format").
- The suffix ``.amb`` is ``fuma``; a name with the token ``ambix`` or
  ``fuma`` (``bed.ambix.wav``), or see2sound's own ``foa`` (SPEC §3:
  ``x.foa.wav`` is AmbiX), says so.

Contents
--------
CONVENTIONS            the names accepted
to_ambix               audio [shape=(channels, n)] in a convention -> AmbiX
detect_convention      what a file's metadata or name says, or None
resolve_convention     a flag's value, else the detected one, else AmbiX
"""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path

import numpy as np

from ..errors import ParameterError

CONVENTIONS = ("ambix", "fuma", "wyzx")

#: FuMa channel letters in file order, per order (1: 4 channels, 2: 9, 3: 16).
FUMA_ORDER = "WXYZRSTUVKLMNOPQ"
#: The ACN index of each FuMa letter.
FUMA_TO_ACN = {"W": 0, "Y": 1, "Z": 2, "X": 3, "V": 4, "T": 5, "R": 6, "S": 7, "U": 8,
               "Q": 9, "O": 10, "M": 11, "K": 12, "L": 13, "N": 14, "P": 15}
#: SN3D = FuMa * factor, per FuMa letter (see the module docstring).
FUMA_TO_SN3D = {"W": np.sqrt(2.0), "X": 1.0, "Y": 1.0, "Z": 1.0,
                "R": 1.0, "S": np.sqrt(3.0) / 2, "T": np.sqrt(3.0) / 2, "U": np.sqrt(3.0) / 2, "V": np.sqrt(3.0) / 2,
                "K": 1.0, "L": np.sqrt(32.0 / 45.0), "M": np.sqrt(32.0 / 45.0),
                "N": np.sqrt(5.0) / 3, "O": np.sqrt(5.0) / 3, "P": np.sqrt(5.0 / 8.0), "Q": np.sqrt(5.0 / 8.0)}

#: The tail (bytes 4..15) shared by the two .amb B-format SubFormat GUIDs.
AMB_GUID_TAIL = bytes.fromhex("2107d3118644c8c1ca000000")


def _check(convention: str) -> str:
    name = str(convention).lower()
    if name not in CONVENTIONS:
        raise ParameterError("convention", f"expected one of {', '.join(CONVENTIONS)}, got {convention!r}")
    return name


def to_ambix(audio: np.ndarray, convention: str) -> np.ndarray:
    """Ambisonic audio in ``convention`` converted to AmbiX (ACN/SN3D).

    Parameters
    ----------
    audio : np.ndarray [shape=(channels, n)]
        4, 9 or 16 channels for ``ambix`` and ``fuma``; 4 for ``wyzx``.
    convention : {"ambix", "fuma", "wyzx"}

    Returns
    -------
    np.ndarray [shape=(channels, n)], the input's dtype, ACN order, SN3D.

    Examples
    --------
    >>> fuma = np.array([[1 / np.sqrt(2)], [0.0], [1.0], [0.0]])  # W X Y Z: a wave from the left
    >>> to_ambix(fuma, "fuma")[:, 0].round(6).tolist()
    [1.0, 1.0, 0.0, 0.0]
    """
    name = _check(convention)
    audio = np.asarray(audio)
    if audio.ndim != 2:
        raise ParameterError("audio", f"expected (channels, samples), got shape {audio.shape}")
    channels = audio.shape[0]
    allowed = (4,) if name == "wyzx" else (4, 9, 16)
    if channels not in allowed:
        raise ParameterError("audio", f"{name} audio has {' or '.join(map(str, allowed))} channels, got {channels}")
    if name in ("ambix", "wyzx"):
        return audio.copy()
    out = np.empty_like(audio)
    for i, letter in enumerate(FUMA_ORDER[:channels]):
        out[FUMA_TO_ACN[letter]] = audio[i] * FUMA_TO_SN3D[letter]
    return out


# --- metadata ----------------------------------------------------------------

def _sa3d(data: bytes) -> str | None:
    """The convention an SA3D box in an MP4/MOV's audio sample entries says, or None."""
    from ..io.mp4 import _tracks, find_box

    try:
        moov = find_box(data, [b"moov"])
        if moov is None:
            return None
        for handler, trak in _tracks(data, moov):
            if handler != b"soun":
                continue
            stsd = find_box(data, [b"mdia", b"minf", b"stbl", b"stsd"], trak[0] + trak[1], trak[2])
            if stsd is None:
                continue
            entries = data[stsd[0] + stsd[1] + 8:stsd[2]]
            at = entries.find(b"SA3D")
            if at < 4:
                continue
            size = struct.unpack(">I", entries[at - 4:at])[0]
            body = entries[at + 4:at - 4 + size]
            if len(body) < 12:
                return None
            _version, _kind, _order, ordering, normalisation, count = struct.unpack(">BBIBBI", body[:12])
            mapping = struct.unpack(f">{count}I", body[12:12 + 4 * count]) if len(body) >= 12 + 4 * count else None
            if ordering == 0 and normalisation == 0 and mapping == tuple(range(count)):
                return "ambix"
            return None
    except (ValueError, struct.error):
        return None
    return None


def _wav_amb_guid(path: Path) -> bool:
    """Whether a RIFF/WAVE file's fmt chunk is EXTENSIBLE with a B-format (.amb) SubFormat."""
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return False
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                return False
            cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"fmt ":
                fmt = f.read(size)
                return (len(fmt) >= 40 and struct.unpack("<H", fmt[:2])[0] == 0xFFFE
                        and fmt[28:40] == AMB_GUID_TAIL)
            f.seek(size + (size & 1), os.SEEK_CUR)


def detect_convention(path: str | os.PathLike) -> str | None:
    """What ``path``'s metadata, or failing that its name, says its ambisonic convention is.

    Returns ``"ambix"``, ``"fuma"`` or None when nothing is said (see the
    module docstring for what is read). A file that cannot be read says
    nothing: the caller's default applies.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".mp4", ".m4a", ".mov"):
            found = _sa3d(path.read_bytes())
            if found:
                return found
        elif suffix in (".wav", ".amb") and _wav_amb_guid(path):
            return "fuma"
    except OSError:
        pass
    if suffix == ".amb":
        return "fuma"
    tokens = set(re.split(r"[^a-z0-9]+", path.name.lower()))
    if "fuma" in tokens:
        return "fuma"
    if "ambix" in tokens or "foa" in tokens:
        return "ambix"
    return None


def resolve_convention(path: str | os.PathLike, given: str | None = None) -> str:
    """The convention to read ``path`` in: ``given`` (a flag; ``"auto"`` or None to detect),
    else :func:`detect_convention`, else ``"ambix"``."""
    if given is not None and str(given).lower() != "auto":
        return _check(given)
    return detect_convention(path) or "ambix"
