"""Reading pictures safely: any mode, any size, orientation and metadata.

Contents
--------
Picture        an RGB uint8 array for analysis plus what the file told us
load_picture   decode a file (untrusted) into a Picture
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import See2SoundError

#: Larger pictures are refused outright (decoding them is a denial of service).
MAX_PIXELS = 250_000_000
#: Analysis works on a copy whose longer side is at most this; boxes are
#: reported in the original's pixels.
ANALYSIS_MAX_SIDE = 1600
MIN_SIDE = 16
_EXIF_ORIENTATION = 0x0112
_EXIF_IFD = 0x8769
_FOCAL_35MM = 0xA405


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


def load_picture(path: str | os.PathLike, max_side: int = ANALYSIS_MAX_SIDE) -> Picture:
    """Decode an image file into an upright RGB analysis copy.

    Handles EXIF orientation, 16-bit, CMYK, palette, alpha (composited on
    white), animated files (first frame, with a note), and huge JPEGs (decoded
    at reduced scale, so a 50-megapixel photo needs tens of MB, not GB).
    Anything unreadable is a :class:`See2SoundError`.
    """
    path = Path(path)
    if not path.is_file():
        raise See2SoundError(f"{path}: no such image file")
    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path)
            w0, h0 = im.size
            if w0 * h0 > MAX_PIXELS:
                raise See2SoundError(f"{path}: picture too large ({w0}x{h0} pixels; at most {MAX_PIXELS:,})")
            if min(w0, h0) < MIN_SIDE:
                raise See2SoundError(f"{path}: picture too small ({w0}x{h0}; at least {MIN_SIDE} pixels a side)")
            if getattr(im, "n_frames", 1) > 1:
                notes.append(f"{path.name}: {im.n_frames} frames; analysing the first")
                im.seek(0)
            focal, orientation = _exif(im, notes, path)
            gpano = _gpano_equirect(im)
            if im.format == "JPEG":
                # Decode at 1/2, 1/4 or 1/8 scale straight from the DCT: no full-size buffer.
                ratio = max_side / max(w0, h0)
                if ratio < 1.0:
                    im.draft("RGB", (max(1, int(w0 * ratio)), max(1, int(h0 * ratio))))
            im.load()
    except See2SoundError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise See2SoundError(f"{path}: not a picture see2sound can read") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise See2SoundError(f"{path}: cannot decode the picture ({exc})") from None
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
