"""What an upload is, from its bytes (never its name), and whether it can be used.

- :func:`sniff` reads the first bytes: JPEG, PNG, GIF, WebP, BMP, TIFF are
  pictures; MP4/MOV (an ``ftyp`` box), Matroska/WebM and AVI are videos.
- :func:`check` then opens it the way the pipeline will (the picture
  decoder, or the video probe), so a truncated or fake file is refused
  at upload with a reason, not later in a job; it tells a video's length.

Contents
--------
Upload, sniff, check
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import See2SoundError
from .limits import Refused

MAGIC_IMAGES = (
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"GIF87a", ".gif"),
    (b"GIF89a", ".gif"),
    (b"BM", ".bmp"),
    (b"II*\x00", ".tif"),
    (b"MM\x00*", ".tif"),
)
QUICKTIME_BRANDS = (b"qt  ",)


@dataclass(frozen=True)
class Upload:
    kind: str  # "image" or "video"
    suffix: str  # what the stored file is called after, from its content


def sniff(head: bytes) -> Upload | None:
    """The kind of file these first bytes (at least 16) begin, or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Upload("image", ".webp")
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Upload("video", ".avi")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand.startswith(b"avif") or brand in (b"heic", b"heix", b"mif1"):
            return None  # still pictures in an ISO container: not decodable here
        return Upload("video", ".mov" if brand in QUICKTIME_BRANDS else ".mp4")
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return Upload("video", ".mkv")
    for magic, suffix in MAGIC_IMAGES:
        if head.startswith(magic):
            return Upload("image", suffix)
    return None


def check(path: Path, upload: Upload) -> float | None:
    """Open the file as the pipeline will; Refused(422) with the reason if it cannot.

    Returns a video's length in seconds (None for a picture).
    """
    try:
        if upload.kind == "image":
            from ..vision.image import load_picture

            load_picture(path)
            return None
        from ..video.decode import probe

        return probe(path).duration_s
    except See2SoundError as exc:
        reason = str(exc).replace(str(path), "the upload")
        raise Refused(422, reason) from None
