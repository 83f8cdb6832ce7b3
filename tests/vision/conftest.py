"""Bad picture files, made in a few bytes: headers that claim what the pixels are not."""

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(path, width: int, height: int):
    """A valid PNG header claiming ``width`` x ``height`` 1-bit pixels, then one row of data in an
    unfinished zlib stream: under a kilobyte however large it claims to be (a decompression bomb's
    header). Decoding it fails at once as truncated, so any other refusal came before decoding."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey, no interlace
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then the row
    stream = zlib.compressobj()
    idat = stream.compress(row) + stream.flush(zlib.Z_SYNC_FLUSH)  # not Z_FINISH: the stream goes on
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))
    return path


def heic_header(path, major: bytes = b"heic", compatible: tuple[bytes, ...] = (b"mif1", b"heic")):
    """The first boxes of an HEIC file (ISO-BMFF 'ftyp' then the start of 'meta'), as an iPhone writes."""
    brands = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    ftyp = struct.pack(">I", 8 + len(brands)) + b"ftyp" + brands
    path.write_bytes(ftyp + struct.pack(">I", 34) + b"meta" + b"\x00" * 26)
    return path
