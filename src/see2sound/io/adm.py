"""ADM BW64 files: an object render written for DAWs and ADM renderers (ITU-R BS.2088-1, BS.2076-2; SPEC §3).

The file is a BW64 WAVE file, in this chunk order:

- ``RIFF`` header; when the file needs 64-bit sizes (over 4 GiB), ``BW64``
  with its 32-bit sizes set to 0xFFFFFFFF and the real ones in ``ds64``;
- ``JUNK`` (28 bytes), which is the ``ds64`` chunk in a BW64 file (BS.2088's
  way of keeping the header the same size either way);
- ``fmt``: PCM, 24 bits, one channel per track;
- ``chna``: per track its index (1..), audioTrackUID ``ATU_xxxxxxxx``,
  audioTrackFormat ``AT_...`` and audioPackFormat ``AP_...``;
- ``axml``: the ADM document (``ebuCoreMain/coreMetadata/format/
  audioFormatExtended``, BS.2076-2);
- ``data``.

The ADM: one audioProgramme and audioContent; per source an audioObject
with its own Objects pack, channel, stream and track formats (IDs from
``0x1001``, as BS.2076 leaves ``0x0001..0x0FFF`` to the common definitions)
and its path as audioBlockFormats in polar coordinates: azimuth and
elevation in degrees (BS.2076 and SPEC §1 agree: azimuth counter-clockwise,
+90 left, elevation up) and distance normalised 0..1 by the pack's
``absoluteDistance`` (metres; by default the farthest any source gets). The
ambience bed is one more audioObject on the common definitions' first-order
HOA pack (``AP_00040001``: ACN, SN3D; tracks ``AT_00040001_01`` ..
``AT_00040004_01``), which every ADM reader already knows.

Contents
--------
write_adm       write an object render to a file (atomically)
write_adm_to    the same, to a temporary path (no rename)
adm_document    the axml document of the tracks, as an ElementTree element
chna_chunk      the chna chunk's bytes
RIFF_LIMIT_BYTES
"""

from __future__ import annotations

import os
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from ..errors import See2SoundError
from ..spatial.objects import TIME_STEP_S, ObjectTrack
from .files import atomic_output

#: A RIFF file's sizes are 32-bit: a file bigger than this is written as BW64 with a ds64 chunk.
RIFF_LIMIT_BYTES = 2 ** 32 - 1
BITS = 24
NAMESPACE = "urn:ebu:metadata-schema:ebuCore_2016"
ADM_VERSION = "ITU-R_BS.2076-2"
#: The common definitions' first-order HOA pack (ITU-R BS.2094: ACN, SN3D) and its track formats by ACN.
HOA_PACK = "AP_00040001"
HOA_TRACKS = ("AT_00040001_01", "AT_00040002_01", "AT_00040003_01", "AT_00040004_01")
FIRST_CUSTOM_ID = 0x1001
_DS64_BYTES = 28  # riff size, data size, sample count (64-bit each), table length (32-bit)
_CHNA_ENTRY = struct.Struct("<H12s14s11sx")


def write_adm(path: str | os.PathLike, audio: np.ndarray, tracks: list[ObjectTrack], sample_rate: int, *,
              max_distance_m: float | None = None, riff_limit_bytes: int = RIFF_LIMIT_BYTES) -> None:
    """Write ``audio`` [shape=(len(tracks), n)] with its ADM as a BW64 file at ``path``, atomically.

    ``tracks`` say what each row is (:func:`see2sound.spatial.objects.object_tracks`).
    ``max_distance_m`` is the distance written as 1 (the ``absoluteDistance``
    of every object's pack; nearer is less, farther is 1); by default the
    farthest any source gets, at least 1 m. ``riff_limit_bytes``: a file
    bigger than this is BW64 with ds64 (4 GiB; smaller only to test that path).
    """
    with atomic_output(path) as tmp:
        write_adm_to(tmp, audio, tracks, sample_rate, max_distance_m=max_distance_m,
                     riff_limit_bytes=riff_limit_bytes)


def write_adm_to(tmp: Path, audio: np.ndarray, tracks: list[ObjectTrack], sample_rate: int, *,
                 max_distance_m: float | None = None, riff_limit_bytes: int = RIFF_LIMIT_BYTES) -> None:
    """Write to ``tmp`` as :func:`write_adm` does, without the rename (the caller's atomic output)."""
    channels, n = audio.shape
    if channels != len(tracks) or channels == 0:
        raise ValueError(f"{channels} rows of audio for {len(tracks)} tracks")
    axml = ET.tostring(adm_document(tracks, n / sample_rate, sample_rate, max_distance_m=max_distance_m),
                       encoding="utf-8", xml_declaration=True)
    chna = chna_chunk(tracks)
    data_bytes = n * channels * BITS // 8
    chunks = [(b"fmt ", struct.pack("<HHIIHH", 1, channels, sample_rate, sample_rate * channels * BITS // 8,
                                    channels * BITS // 8, BITS)),
              (b"chna", chna), (b"axml", axml)]
    head = 12 + 8 + _DS64_BYTES + sum(8 + len(body) + (len(body) & 1) for _, body in chunks) + 8
    riff_bytes = head - 8 + data_bytes + (data_bytes & 1)
    big = riff_bytes > riff_limit_bytes or data_bytes > riff_limit_bytes
    with open(tmp, "wb") as f:
        if big:
            f.write(b"BW64" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE")
            f.write(b"ds64" + struct.pack("<IQQQI", _DS64_BYTES, riff_bytes, data_bytes, n, 0))
        else:
            f.write(b"RIFF" + struct.pack("<I", riff_bytes) + b"WAVE")
            f.write(b"JUNK" + struct.pack("<I", _DS64_BYTES) + bytes(_DS64_BYTES))
        for chunk_id, body in chunks:
            f.write(chunk_id + struct.pack("<I", len(body)) + body + b"\0" * (len(body) & 1))
        f.write(b"data" + struct.pack("<I", 0xFFFFFFFF if big else data_bytes))
        for start in range(0, n, 1 << 16):
            f.write(_pcm24(np.asarray(audio[:, start:start + (1 << 16)])))
        if data_bytes & 1:
            f.write(b"\0")
        if f.tell() != riff_bytes + 8:
            raise See2SoundError(f"{tmp}: wrote {f.tell()} bytes, expected {riff_bytes + 8}")


def _pcm24(block: np.ndarray) -> bytes:
    """Interleaved little-endian 24-bit PCM of ``block`` [shape=(channels, m)], clipped to full scale."""
    scaled = np.clip(np.round(block.T.astype(np.float64) * 2 ** 23), -2 ** 23, 2 ** 23 - 1).astype("<i4")
    return scaled.reshape(-1, 1).view(np.uint8)[:, :3].tobytes()


# --- IDs ---------------------------------------------------------------------------------------------------------

def _object_ids(tracks: list[ObjectTrack]) -> list[str]:
    """The custom ``xxxx`` part of each source track's pack/channel/stream/track format IDs."""
    return [f"{FIRST_CUSTOM_ID + k:04x}" for k in range(sum(not t.is_bed for t in tracks))]


def chna_chunk(tracks: list[ObjectTrack]) -> bytes:
    """The chna chunk's body: numTracks, numUIDs, then per track (index, UID, track format, pack format)."""
    ids = iter(_object_ids(tracks))
    rows = []
    for index, track in enumerate(tracks, 1):
        if track.is_bed:
            track_format, pack = HOA_TRACKS[track.acn], HOA_PACK
        else:
            xxxx = next(ids)
            track_format, pack = f"AT_0003{xxxx}_01", f"AP_0003{xxxx}"
        rows.append(_CHNA_ENTRY.pack(index, f"ATU_{index:08x}".encode(), track_format.encode(), pack.encode()))
    return struct.pack("<HH", len(tracks), len(tracks)) + b"".join(rows)


# --- the ADM document ------------------------------------------------------------------------------------------

def _time(seconds: float) -> str:
    """BS.2076 time ``hh:mm:ss.fffff`` (whole multiples of 10 microseconds)."""
    ticks = int(round(seconds / TIME_STEP_S))
    whole, fraction = divmod(ticks, 100_000)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}.{fraction:05d}"


def _number(value: float) -> str:
    return f"{value:.5f}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def adm_document(tracks: list[ObjectTrack], duration_s: float, sample_rate: int, *,
                 max_distance_m: float | None = None) -> ET.Element:
    """The ``ebuCoreMain`` element holding the ADM (BS.2076-2) of ``tracks``, which last ``duration_s``.

    ``max_distance_m`` as :func:`write_adm`.
    """
    sources = [t for t in tracks if not t.is_bed]
    if max_distance_m is None:
        max_distance_m = max([1.0] + [b.distance_m for t in sources for b in t.blocks])
    if not (np.isfinite(max_distance_m) and max_distance_m > 0):
        raise ValueError(f"max_distance_m must be more than 0, got {max_distance_m!r}")
    root = ET.Element("ebuCoreMain", {"xmlns": NAMESPACE})
    afx = _sub(_sub(_sub(root, "coreMetadata"), "format"), "audioFormatExtended", version=ADM_VERSION)
    whole = _time(duration_s)
    programme = _sub(afx, "audioProgramme", audioProgrammeID="APR_1001", audioProgrammeName="see2sound",
                     start=_time(0.0), end=whole)
    _sub(programme, "audioContentIDRef", "ACO_1001")
    content = _sub(afx, "audioContent", audioContentID="ACO_1001", audioContentName="see2sound scene")
    uids = {id(track): f"ATU_{index:08x}" for index, track in enumerate(tracks, 1)}
    ids = _object_ids(tracks)
    objects = [(f"AO_{FIRST_CUSTOM_ID + k:04x}", track.name, [f"AP_0003{xxxx}"], [track])
               for k, (track, xxxx) in enumerate(zip(sources, ids))]
    bed = [t for t in tracks if t.is_bed]
    if bed:
        objects.append((f"AO_{FIRST_CUSTOM_ID + len(sources):04x}", "ambience", [HOA_PACK], bed))
    for object_id, _, _, _ in objects:
        _sub(content, "audioObjectIDRef", object_id)
    for object_id, name, packs, members in objects:
        element = _sub(afx, "audioObject", audioObjectID=object_id, audioObjectName=name, start=_time(0.0),
                       duration=whole)
        for pack in packs:
            _sub(element, "audioPackFormatIDRef", pack)
        for track in members:
            _sub(element, "audioTrackUIDRef", uids[id(track)])
    for track, xxxx in zip(sources, ids):
        pack = _sub(afx, "audioPackFormat", audioPackFormatID=f"AP_0003{xxxx}", audioPackFormatName=track.name,
                    typeLabel="0003", typeDefinition="Objects")
        _sub(pack, "audioChannelFormatIDRef", f"AC_0003{xxxx}")
        _sub(pack, "absoluteDistance", _number(max_distance_m))
    for track, xxxx in zip(sources, ids):
        channel = _sub(afx, "audioChannelFormat", audioChannelFormatID=f"AC_0003{xxxx}",
                       audioChannelFormatName=track.name, typeLabel="0003", typeDefinition="Objects")
        for k, block in enumerate(track.blocks, 1):
            _block(channel, f"AB_0003{xxxx}_{k:08x}", block, track.width_deg, max_distance_m)
    for track, xxxx in zip(sources, ids):
        stream = _sub(afx, "audioStreamFormat", audioStreamFormatID=f"AS_0003{xxxx}",
                      audioStreamFormatName=f"PCM_{track.name}", formatLabel="0001", formatDefinition="PCM")
        _sub(stream, "audioChannelFormatIDRef", f"AC_0003{xxxx}")
        _sub(stream, "audioTrackFormatIDRef", f"AT_0003{xxxx}_01")
    for track, xxxx in zip(sources, ids):
        track_format = _sub(afx, "audioTrackFormat", audioTrackFormatID=f"AT_0003{xxxx}_01",
                            audioTrackFormatName=f"PCM_{track.name}", formatLabel="0001", formatDefinition="PCM")
        _sub(track_format, "audioStreamFormatIDRef", f"AS_0003{xxxx}")
    ids_iter = iter(ids)
    for track in tracks:
        uid = _sub(afx, "audioTrackUID", UID=uids[id(track)], sampleRate=str(sample_rate), bitDepth=str(BITS))
        if track.is_bed:
            _sub(uid, "audioTrackFormatIDRef", HOA_TRACKS[track.acn])
            _sub(uid, "audioPackFormatIDRef", HOA_PACK)
        else:
            xxxx = next(ids_iter)
            _sub(uid, "audioTrackFormatIDRef", f"AT_0003{xxxx}_01")
            _sub(uid, "audioPackFormatIDRef", f"AP_0003{xxxx}")
    return root


def _block(channel: ET.Element, block_id: str, block, width_deg: float, max_distance_m: float) -> None:
    element = _sub(channel, "audioBlockFormat", audioBlockFormatID=block_id, rtime=_time(block.start_s),
                   duration=_time(block.duration_s))
    _sub(element, "position", _number(block.azimuth_deg), coordinate="azimuth")
    _sub(element, "position", _number(block.elevation_deg), coordinate="elevation")
    _sub(element, "position", _number(min(block.distance_m / max_distance_m, 1.0)), coordinate="distance")
    if width_deg > 0:
        _sub(element, "width", _number(width_deg))
    if block.jump:
        _sub(element, "jumpPosition", "1", interpolationLength=_number(0.0))
