"""Test clips made from real photos: a cut-out cat crossing a real street."""

import math

import numpy as np
import pytest
from PIL import Image

from tests.helpers import need

av = need("av", "video")
need("supervision", "video")  # the tracker

WIDTH, HEIGHT, FPS, SECONDS = 768, 432, 25, 4
CAT_W, CAT_H, CAT_Y = 240, 160, 200


def cat_x(frame: int) -> int:
    return int(20 + (WIDTH - CAT_W - 20) * frame / (FPS * SECONDS - 1))


def true_azimuth(t: float, hfov_deg: float = 65.0) -> float:
    """Where the cat's centre is at time t, by the pinhole camera of SPEC §1."""
    f = (WIDTH / 2) / math.tan(math.radians(hfov_deg) / 2)
    centre = cat_x(min(FPS * SECONDS - 1, int(round(t * FPS)))) + CAT_W / 2
    return math.degrees(math.atan2(WIDTH / 2 - centre, f))


def write_clip(path, frames, *, audio=True, fps=FPS, codec="libx264", size=(WIDTH, HEIGHT)):
    out = av.open(str(path), "w")
    v = out.add_stream(codec, rate=fps, options={"crf": "23", "preset": "veryfast"} if codec == "libx264" else {})
    v.width, v.height, v.pix_fmt = size[0], size[1], "yuv420p"
    a = out.add_stream("aac", rate=48000, layout="stereo") if audio else None  # every stream before muxing
    n = 0
    for rgb in frames:
        for p in v.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
            out.mux(p)
        n += 1
    if audio:
        tone = (0.2 * np.sin(2 * np.pi * 330 * np.arange(int(48000 * n / fps)) / 48000)).astype(np.float32)
        for s in range(0, len(tone), 1024):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(np.stack([tone[s:s + 1024]] * 2)),
                                               format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = 48000, s
            for p in a.encode(frame):
                out.mux(p)
        for p in a.encode(None):
            out.mux(p)
    for p in v.encode(None):
        out.mux(p)
    out.close()
    return path


def cat_frames(photos, background="leuvenA.jpg", size=(WIDTH, HEIGHT)):
    bg = Image.open(photos[background]).convert("RGB").resize(size)
    cat = Image.open(photos["chelsea.png"]).convert("RGB").resize((CAT_W, CAT_H))
    for i in range(FPS * SECONDS):
        frame = bg.copy()
        frame.paste(cat, (int(cat_x(i) * size[0] / WIDTH), int(CAT_Y * size[1] / HEIGHT)))
        yield np.asarray(frame)


@pytest.fixture(scope="session")
def cat_clip(photos, tmp_path_factory):
    return write_clip(tmp_path_factory.mktemp("clips") / "catwalk.mp4", cat_frames(photos))
