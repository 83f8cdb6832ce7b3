"""Reading pictures safely: any mode, any size, orientation and metadata.

The limits, stated once: a picture file is at most :data:`MAX_BYTES` bytes
and :data:`MAX_PIXELS` pixels, and at least :data:`MIN_SIDE` pixels a side.
They are checked from the file's size and header before anything is decoded,
so a decompression bomb (a tiny file that claims 20000 x 20000 pixels) is
refused at once. HEIC/HEIF and JPEG XL (and AVIF where Pillow lacks it) are
named and refused, not called "not a picture".

Contents
--------
Picture        an RGB uint8 array for analysis plus what the file told us
load_picture   decode a file (untrusted) into a Picture
check_picture  the size of a picture file, from its header, after every check that needs no decoding
MAX_PIXELS, MAX_BYTES, MIN_SIDE
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import InputError

#: At most 250 megapixels (a 250 MP picture is 750 MB decoded as 8-bit RGB; JPEGs are decoded at
#: reduced scale). Larger pictures are refused from their header, before decoding.
MAX_PIXELS = 250_000_000
#: At most 1 GB a file: an uncompressed 8-bit RGBA picture at MAX_PIXELS (a TIFF or BMP) is 1.0 GB,
#: so every 8-bit picture within the pixel limit fits however it is stored, and no file bigger than
#: that is read. (Uncompressed 16-bit RGB exceeds it above 167 MP: save those compressed.)
MAX_BYTES = 1_000_000_000
MIN_SIDE = 16
#: Analysis works on a copy whose longer side is at most this; boxes are
#: reported in the original's pixels.
ANALYSIS_MAX_SIDE = 1600
_EXIF_ORIENTATION = 0x0112
_EXIF_IFD = 0x8769
_FOCAL_35MM = 0xA405
#: ISO-BMFF ("ftyp") brands of still pictures: HEIC (HEVC inside) and other HEIF, which Pillow
#: cannot decode, and AVIF, which it can when built with libavif.
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"mif2"}
_AVIF_BRANDS = {b"avif", b"avis"}
_JPEG_XL = (b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n")
_READABLE = "JPEG, PNG, WebP, TIFF, BMP, GIF and the other formats Pillow reads"
#: Pillow keeps its decompression-bomb limit in a module global: one reader at a time changes it.
_PILLOW_LIMIT = threading.Lock()


@dataclass
class Picture:
    """A decoded picture.

    ``rgb`` [shape=(h, w, 3), uint8] is the analysis copy, upright; ``width``
    and ``height`` are the upright original's size, which boxes refer to.
    ``scale`` = analysis pixels per original pixel.
    """

    path: Path
    rgb: np.ndarray
    width: int
    height: int
    focal_35mm: float | None = None
    gpano_equirect: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def scale(self) -> float:
        return self.rgb.shape[1] / self.width


def check_picture(path: str | os.PathLike) -> tuple[int, int]:
    """(width, height) of a picture file as stored, read from its header; nothing is decoded.

    An :class:`~see2sound.errors.InputError` says why the file cannot be used:
    missing, over :data:`MAX_BYTES`, HEIC/HEIF or JPEG XL, not a picture,
    over :data:`MAX_PIXELS` or under :data:`MIN_SIDE` pixels a side.
    """
    with _opened(Path(path)) as im:
        return im.size


def load_picture(path: str | os.PathLike, max_side: int = ANALYSIS_MAX_SIDE) -> Picture:
    """Decode an image file into an upright RGB analysis copy.

    Handles EXIF orientation, 16-bit, CMYK, palette, alpha (composited on
    white), animated files (first frame, with a note), and huge JPEGs (decoded
    at reduced scale, so a 50-megapixel photo needs tens of MB, not GB).
    Anything that cannot be used (see :func:`check_picture`; also a truncated
    or damaged file) is an :class:`~see2sound.errors.InputError`.
    """
    path = Path(path)
    notes: list[str] = []
    with _opened(path) as im:
        w0, h0 = im.size
        if getattr(im, "n_frames", 1) > 1:
            notes.append(f"{path.name}: {im.n_frames} frames; analysing the first")
            im.seek(0)
        if im.format == "JPEG":
            # Decode at 1/2, 1/4 or 1/8 scale straight from the DCT: no full-size buffer.
            ratio = max_side / max(w0, h0)
            if ratio < 1.0:
                im.draft("RGB", (max(1, int(w0 * ratio)), max(1, int(h0 * ratio))))
        im.load()  # before the metadata: a PNG's EXIF may follow its pixels, and reading it must not hide an error
        focal, orientation = _exif(im, notes, path)
        gpano = _gpano_equirect(im)
    swapped = orientation in (5, 6, 7, 8)
    if orientation not in (None, 1):
        try:
            im = ImageOps.exif_transpose(im)
        except Exception:  # a broken orientation tag: keep the pixels as stored
            notes.append(f"{path.name}: unreadable EXIF orientation ignored")
            swapped = False
    if swapped:
        w0, h0 = h0, w0
    rgb = _to_rgb(im)
    if max(rgb.shape[:2]) > max_side:
        ratio = max_side / max(rgb.shape[:2])
        size = (max(1, round(rgb.shape[1] * ratio)), max(1, round(rgb.shape[0] * ratio)))
        rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0))
    return Picture(path, np.ascontiguousarray(rgb), w0, h0, focal, gpano, notes)


@contextlib.contextmanager
def _opened(path: Path):
    """The picture opened lazily (header read) after every check that needs no decoding.

    Inside, Pillow's decompression-bomb guard stands at :data:`MAX_PIXELS`
    (its default, 89 MP, would refuse pictures see2sound promises to read),
    and what goes wrong while decoding becomes one :class:`InputError`.
    Pillow keeps that limit in a module global, so it is set under a lock and
    restored on the way out: pictures are decoded one at a time in a process,
    and Pillow's default holds elsewhere. Memory is not bounded below the
    picture's size: a 250 MP PNG or TIFF peaks at about 3.5 GB while it is
    decoded, turned upright and converted (JPEGs are decoded at reduced scale).
    """
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(64)
    except FileNotFoundError:
        raise InputError(f"{path}: no such image file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: a folder, not an image file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if size > MAX_BYTES:
        raise InputError(f"{path}: picture file is {_more_than(size / 1e6, MAX_BYTES / 1e6)} MB; "
                         f"the limit is {MAX_BYTES / 1e6:,g} MB")
    unsupported = unsupported_format(head)
    if unsupported:
        raise InputError(f"{path}: {unsupported} is not supported: convert it to JPEG or PNG")
    with _PILLOW_LIMIT, warnings.catch_warnings():
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as im:  # closed on the way out; loaded pixels stay
                _check_size(path, *im.size)
                yield im
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            # Pillow's own guard (on the header, or on a later GIF frame): over MAX_PIXELS.
            found = re.search(r"\((\d+) pixels\)", str(exc))
            raise InputError(_over_pixels(path, int(found.group(1)) if found else None)) from None
        except UnidentifiedImageError:
            raise InputError(f"{path}: not a picture see2sound can read ({_READABLE})") from None
        except InputError:
            raise
        except (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, struct.error) as exc:
            if "truncated" in str(exc).lower():
                raise InputError(f"{path}: the picture is truncated: the file ends before its pixels do") from None
            raise InputError(f"{path}: the picture is damaged and cannot be decoded ({exc})") from None
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _check_size(path: Path, width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise InputError(_over_pixels(path, width * height))
    if min(width, height) < MIN_SIDE:
        raise InputError(f"{path}: picture too small ({width}x{height}; at least {MIN_SIDE} pixels a side)")


def _over_pixels(path: Path, pixels: int | None) -> str:
    limit = f"the limit is {MAX_PIXELS / 1e6:g} MP"
    if pixels is None:
        return f"{path}: picture has more than {MAX_PIXELS / 1e6:g} MP; {limit}"
    return f"{path}: picture has {_more_than(pixels / 1e6, MAX_PIXELS / 1e6)} MP; {limit}"


def _more_than(value: float, limit: float) -> str:
    """``value`` with one decimal, or as many more as it takes to show it is over ``limit`` (not "250.0 > 250")."""
    for digits in range(1, 7):
        text = f"{value:,.{digits}f}"
        if float(text.replace(",", "")) > limit:
            break
    return text


def unsupported_format(head: bytes) -> str | None:
    """The name of a picture format Pillow cannot decode, from the file's first bytes; None otherwise."""
    if head.startswith(_JPEG_XL):
        return "JPEG XL"
    if head[4:8] != b"ftyp":
        return None
    box_end = min(int.from_bytes(head[:4], "big"), len(head))
    brands = {head[8:12]} | {head[i:i + 4] for i in range(16, box_end - 3, 4)}  # major, then compatible
    if brands & _AVIF_BRANDS:
        from PIL import features

        return None if features.check("avif") else "AVIF without Pillow's AVIF support"
    if brands & _HEIC_BRANDS:
        return "HEIC"
    return "HEIF" if brands & _HEIF_BRANDS else None


def _exif(im: Image.Image, notes: list[str], path: Path) -> tuple[float | None, int | None]:
    """(35 mm-equivalent focal length, orientation) from EXIF, tolerating broken tags."""
    try:
        exif = im.getexif()
        orientation = exif.get(_EXIF_ORIENTATION)
        focal = exif.get_ifd(_EXIF_IFD).get(_FOCAL_35MM)
        focal = float(focal) if focal else None
        if focal is not None and not 4.0 <= focal <= 2000.0:
            notes.append(f"{path.name}: implausible EXIF focal length {focal:g} mm ignored")
            focal = None
        return focal, int(orientation) if orientation else None
    except Exception:
        notes.append(f"{path.name}: unreadable EXIF ignored")
        return None, None


def _gpano_equirect(im: Image.Image) -> bool:
    """True when XMP GPano metadata says the picture is equirectangular."""
    xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp") or b""
    if isinstance(xmp, bytes):
        xmp = xmp.decode("utf-8", "replace")
    return bool(re.search(r"ProjectionType\W{1,3}equirectangular", xmp, re.IGNORECASE))


def _to_rgb(im: Image.Image) -> np.ndarray:
    """Any PIL mode -> uint8 RGB; alpha is composited on white."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(im, dtype=np.float64)
        hi = a.max() if a.size else 1.0
        a = np.clip(a / (hi if hi > 255 else 255.0) * 255.0, 0, 255).astype(np.uint8)
        return np.repeat(a[..., None], 3, axis=2)
    if im.mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
    arr = np.asarray(im.convert("RGB"))
    return arr
