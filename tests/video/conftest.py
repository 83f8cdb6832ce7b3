"""Test clips made from real photos (a cut-out cat crossing a real street), and small clips to damage."""

import math
from pathlib import Path

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


def write_clip(path, frames, *, audio=True, fps=FPS, codec="libx264", size=(WIDTH, HEIGHT), options=None):
    """An H.264 clip of ``frames`` with, if ``audio``, an AAC soundtrack at 48 kHz: a 330 Hz tone in both
    channels, or ``audio`` itself when it is an array [shape=(1 or 2, n)]."""
    soundtrack = audio if isinstance(audio, np.ndarray) else None
    audio = soundtrack is not None or audio
    layout = "mono" if soundtrack is not None and len(soundtrack) == 1 else "stereo"
    out = av.open(str(path), "w")
    v = out.add_stream(codec, rate=fps, options={"crf": "23", "preset": "veryfast", **(options or {})}
                       if codec == "libx264" else dict(options or {}))
    v.width, v.height, v.pix_fmt = size[0], size[1], "yuv420p"
    a = out.add_stream("aac", rate=48000, layout=layout) if audio else None  # every stream before muxing
    n = 0
    for rgb in frames:
        for p in v.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
            out.mux(p)
        n += 1
    if audio:
        if soundtrack is None:
            tone = (0.2 * np.sin(2 * np.pi * 330 * np.arange(int(48000 * n / fps)) / 48000)).astype(np.float32)
            soundtrack = np.stack([tone] * 2)
        for s in range(0, soundtrack.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(soundtrack[:, s:s + 1024], dtype=np.float32),
                                               format="fltp", layout=layout)
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


def moving_bar_frames(n: int, size=(160, 120)):
    """n small frames of a white bar moving over a textured grey background."""
    w, h = size
    texture = np.random.default_rng(0).integers(60, 120, (h, w, 3), dtype=np.uint8)
    for i in range(n):
        rgb = texture.copy()
        x = (i * 3) % (w - 20)
        rgb[:, x:x + 20] = 255
        yield rgb


def small_clip(path, n: int = 40, *, every_frame_a_keyframe: bool = True):
    """A 160x120, 25 fps H.264 clip of n frames, no sound; by default every frame is a keyframe,
    so damage to one frame's bytes spoils that frame alone."""
    options = {"g": "1"} if every_frame_a_keyframe else {}
    return write_clip(path, moving_bar_frames(n), audio=False, size=(160, 120), options=options)


def damage_frames(path, out, frames):
    """A copy of ``path`` whose video frames numbered ``frames`` (in file order) are overwritten with
    0xFF bytes where they lie in the file: the container is intact, those frames cannot be decoded."""
    with av.open(str(path)) as c:
        packets = [p for p in c.demux(c.streams.video[0]) if p.size]
        spans = [(packets[i].pos, packets[i].size) for i in sorted(frames)]
    data = bytearray(Path(path).read_bytes())
    for pos, size in spans:
        data[pos:pos + size] = b"\xff" * size
    out.write_bytes(bytes(data))
    return out


def audio_only(path):
    """An MP4 with one AAC stream and no picture."""
    out = av.open(str(path), "w")
    a = out.add_stream("aac", rate=48000, layout="mono")
    frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
    frame.sample_rate = 48000
    for p in [*a.encode(frame), *a.encode(None)]:
        out.mux(p)
    out.close()
    return path
