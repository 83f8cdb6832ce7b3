"""Spatial metadata in MP4/MOV files: the boxes 360 degree players read.

FFmpeg (as PyAV bundles it) tags Opus with mapping family 2 as ambisonic
but writes no ``SA3D`` box, and writes no spherical-video boxes for
a copied stream. This module adds them to a finished file, following
Google's Spatial Media specifications
(github.com/google/spatial-media/docs: spatial-audio-rfc.md, spherical-video-v2-rfc.md):

- ``SA3D`` in the audio sample entry: version 0, periphonic, the format's
  order (1 to 3), ACN channel ordering, SN3D normalisation, the identity
  channel map 0 .. (order+1)^2 - 1; or, for FOA with head-locked stereo,
  the ``head_locked_stereo`` bit (the top bit of the byte that holds
  ``ambisonic_type``) set, 6 channels and the map 0 1 2 3 4 5 (W Y Z X L R:
  the RFC's text since 2018, not its older drafts);
- ``st3d`` (monoscopic) and ``sv3d`` (``svhd`` + ``proj`` with ``prhd`` and
  an ``equi`` projection, no cropping) in the video sample entry.

Boxes are inserted into the sample entry and every enclosing box grows by
their size. When ``moov`` comes before ``mdat`` the chunk offsets (``stco``
/ ``co64``) are shifted too.

Contents
--------
sa3d_box, spherical_boxes, add_spatial_metadata, find_box
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"udta"}
SAMPLE_ENTRY_AUDIO_HEADER = 28  # SampleEntry (8) + AudioSampleEntry fields (20), after the box header
SAMPLE_ENTRY_VIDEO_HEADER = 78


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full_box(kind: bytes, payload: bytes, version: int = 0, flags: int = 0) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags) + payload)


def sa3d_box(channels: int = 4, order: int = 1, *, head_locked_stereo: bool = False) -> bytes:
    """The Spatial Audio box for periphonic ACN/SN3D ambisonics.

    ``channels`` counts every channel of the track: (order + 1)² ambisonic
    ones, then, with ``head_locked_stereo``, L and R; the channel map is the
    identity (the track holds them in that order).
    """
    type_byte = 0x80 if head_locked_stereo else 0x00  # top bit: head_locked_stereo; low 7: ambisonic_type 0
    payload = struct.pack(">BBIBBI", 0, type_byte, order, 0, 0, channels)
    return _box(b"SA3D", payload + b"".join(struct.pack(">I", i) for i in range(channels)))


def spherical_boxes(tool: str = "see2sound") -> bytes:
    """``st3d`` (monoscopic) and ``sv3d`` with an equirectangular projection."""
    st3d = _full_box(b"st3d", struct.pack(">B", 0))
    svhd = _full_box(b"svhd", tool.encode() + b"\0")
    prhd = _full_box(b"prhd", struct.pack(">iii", 0, 0, 0))
    equi = _full_box(b"equi", struct.pack(">IIII", 0, 0, 0, 0))
    return st3d + _box(b"sv3d", svhd + _box(b"proj", prhd + equi))


def _children(data: bytes, start: int, end: int):
    """(kind, box start, header size, box end) of the boxes in data[start:end]."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        header = 8
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise ValueError(f"corrupt box {kind!r} at {pos}")
        yield kind, pos, header, pos + size
        pos += size


def find_box(data: bytes, path: list[bytes], start: int = 0, end: int | None = None):
    """The first box at ``path`` (e.g. [b"moov", b"trak"]) as (start, header, end), or None."""
    end = len(data) if end is None else end
    for kind, pos, header, stop in _children(data, start, end):
        if kind == path[0]:
            if len(path) == 1:
                return pos, header, stop
            found = find_box(data, path[1:], pos + header, stop)
            if found:
                return found
    return None


def _tracks(data: bytes, moov: tuple[int, int, int]):
    for kind, pos, header, stop in _children(data, moov[0] + moov[1], moov[2]):
        if kind == b"trak":
            hdlr = find_box(data, [b"mdia", b"hdlr"], pos + header, stop)
            handler = data[hdlr[0] + hdlr[1] + 8:hdlr[0] + hdlr[1] + 12] if hdlr else b""
            yield handler, (pos, header, stop)


def add_spatial_metadata(path: str | os.PathLike, *, ambisonic: bool = False, spherical: bool = False,
                         order: int = 1, head_locked_stereo: bool = False) -> None:
    """Add SA3D (AmbiX of ``order``) to the first audio track and/or st3d+sv3d to the first video track, in place.

    With ``head_locked_stereo`` the audio track is the ambisonics then L R.
    """
    path = Path(path)
    data = bytearray(path.read_bytes())
    inserts: list[tuple[int, bytes, list[int]]] = []  # (offset, bytes, starts of boxes that enclose it)
    moov = find_box(bytes(data), [b"moov"])
    if moov is None:
        raise ValueError(f"{path}: no moov box")
    for handler, trak in _tracks(bytes(data), moov):
        want = (handler == b"soun" and ambisonic) or (handler == b"vide" and spherical)
        if not want:
            continue
        stsd = find_box(bytes(data), [b"mdia", b"minf", b"stbl", b"stsd"], trak[0] + trak[1], trak[2])
        entry_start = stsd[0] + stsd[1] + 8  # FullBox fields and entry_count
        entry_size = struct.unpack(">I", data[entry_start:entry_start + 4])[0]
        parents = [moov[0], trak[0]]
        parents += [find_box(bytes(data), p, trak[0] + trak[1], trak[2])[0]
                    for p in ([b"mdia"], [b"mdia", b"minf"], [b"mdia", b"minf", b"stbl"])]
        parents += [stsd[0], entry_start]
        if handler == b"soun":
            channels = (order + 1) ** 2 + (2 if head_locked_stereo else 0)
            blob = sa3d_box(channels, order, head_locked_stereo=head_locked_stereo)
        else:
            blob = spherical_boxes()
        inserts.append((entry_start + entry_size, blob, parents))
        if handler == b"soun":
            ambisonic = False
        else:
            spherical = False
    for offset, blob, parents in sorted(inserts, key=lambda item: -item[0]):
        for start in parents:
            size = struct.unpack(">I", data[start:start + 4])[0]
            if size == 1:
                raise ValueError("64-bit box sizes in moov are not supported")
            data[start:start + 4] = struct.pack(">I", size + len(blob))
        data[offset:offset] = blob
        mdat = find_box(bytes(data), [b"mdat"])
        if mdat is not None and mdat[0] > offset:  # moov first: the media moved
            _shift_chunk_offsets(data, len(blob))
    tmp = path.with_suffix(path.suffix + ".meta")
    tmp.write_bytes(bytes(data))
    os.replace(tmp, path)


def _shift_chunk_offsets(data: bytearray, delta: int) -> None:
    moov = find_box(bytes(data), [b"moov"])
    for _, trak in _tracks(bytes(data), moov):
        for kind, width in ((b"stco", 4), (b"co64", 8)):
            box = find_box(bytes(data), [b"mdia", b"minf", b"stbl", kind], trak[0] + trak[1], trak[2])
            if box is None:
                continue
            count = struct.unpack(">I", data[box[0] + box[1] + 4:box[0] + box[1] + 8])[0]
            base = box[0] + box[1] + 8
            fmt = ">I" if width == 4 else ">Q"
            for i in range(count):
                at = base + i * width
                value = struct.unpack(fmt, data[at:at + width])[0]
                data[at:at + width] = struct.pack(fmt, value + delta)
