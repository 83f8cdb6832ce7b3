"""Material for the batch tests: a folder of real pictures under varied names, bad files, short clips."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import numpy as np
from PIL import Image

from see2sound.cli.parser import build_parser

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "src/see2sound/data/examples").glob("*.jpg"))
PHOTOS = sorted(p for p in (ROOT / "tests/data/photos").glob("*") if p.suffix.lower() in (".jpg", ".png", ".webp"))


def batch_args(*argv: str):
    return build_parser().parse_args(["batch", *argv])


def pictures(folder: Path, count: int) -> list[Path]:
    """``count`` real pictures under varied names, some in sub-folders (bundled examples first, then photos)."""
    sources = EXAMPLES + PHOTOS
    made = []
    for i in range(count):
        src = sources[i % len(sources)]
        where = folder / ("" if i % 3 else f"set{i % 2}")
        where.mkdir(parents=True, exist_ok=True)
        made.append(Path(shutil.copy(src, where / f"p{i:02d}-{src.stem}{src.suffix}")))
    return made


def bad_files(folder: Path) -> list[Path]:
    """A text file named .jpg, a truncated JPEG and an empty .png."""
    folder.mkdir(parents=True, exist_ok=True)
    text = folder / "notes.jpg"
    text.write_text("not a picture\n")
    truncated = folder / "cut.jpg"
    truncated.write_bytes(EXAMPLES[0].read_bytes()[:600])
    empty = folder / "empty.png"
    empty.write_bytes(b"")
    return [text, truncated, empty]


def clips(folder: Path, count: int) -> list[Path]:
    """``count`` 1 s clips made from real pictures (needs PyAV)."""
    import av

    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for i in range(count):
        rgb = np.asarray(Image.open(EXAMPLES[i % len(EXAMPLES)]).convert("RGB").resize((320, 240)))
        path = folder / f"clip{i}.mp4"
        out = av.open(str(path), "w")
        stream = out.add_stream("libx264", rate=10, options={"preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for k in range(10):
            frame = np.roll(rgb, 8 * k, axis=1)
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
        out.close()
        made.append(path)
    return made


MAGENTA = (255, 0, 255)


def crash_picture(path: Path) -> Path:
    """A plain magenta picture: :class:`CrashingDetector` kills its process on it."""
    Image.new("RGB", (320, 240), MAGENTA).save(path)
    return path


class CrashingDetector:
    """The default detector, except that a plain magenta picture kills the process (as a decoder's crash would)."""

    name = "crashing"

    def __init__(self):
        self._inner = None

    def detect(self, rgb):
        if rgb.size and (rgb.reshape(-1, 3) == MAGENTA).all():
            os.kill(os.getpid(), signal.SIGKILL)
        if self._inner is None:
            from see2sound.registry import create

            self._inner = create("detectors", "ensemble")
        return self._inner.detect(rgb)

    def __getstate__(self):
        return {"_inner": None}
