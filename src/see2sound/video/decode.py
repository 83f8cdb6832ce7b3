"""Reading video as it is needed, with PyAV.

Frames are decoded one after another and only those at the analysis rate
are converted to pictures, so memory does not grow with the clip. A frame's
time is its own presentation time (variable frame rates are fine); display
rotation metadata is applied; any size or pixel format is converted to RGB.

Contents
--------
VideoInfo, probe, analysis_frames
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import MissingExtraError, See2SoundError

ANALYSIS_MAX_SIDE = 1280


def _av():
    try:
        import av
    except ImportError:
        raise MissingExtraError("video", "video") from None
    return av


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    width: int  # as displayed (after rotation)
    height: int
    duration_s: float
    fps: float
    codec: str
    rotation: int
    has_audio: bool


def probe(path: str | os.PathLike) -> VideoInfo:
    """What a video file holds; a clear error for anything that is not a usable video."""
    av = _av()
    path = Path(path)
    if not path.is_file():
        raise See2SoundError(f"{path}: no such video file")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                kind = "audio only" if container.streams.audio else "no picture"
                raise See2SoundError(f"{path}: {kind}: a video needs a picture stream")
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            if not width or not height:
                raise See2SoundError(f"{path}: the picture stream has no size")
            duration = _duration(container, stream)
            rotation = _rotation(container, stream)
            if rotation in (90, -90, 270, -270):
                width, height = height, width
            fps = float(stream.average_rate or stream.guessed_rate or 25)
            return VideoInfo(path, width, height, duration, fps, stream.codec_context.name, rotation,
                             bool(container.streams.audio))
    except See2SoundError:
        raise
    except Exception as exc:  # FFmpeg's many error types
        raise See2SoundError(f"{path}: not a readable video ({str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__})") from None


def _duration(container, stream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    # No header duration: count by decoding packet times (streaming, no frames kept).
    last = 0.0
    for packet in container.demux(stream):
        if packet.pts is not None:
            last = max(last, float((packet.pts + (packet.duration or 0)) * stream.time_base))
    if last <= 0:
        raise See2SoundError("the video has no frames")
    return last


def _rotation(container, stream) -> int:
    try:
        for frame in container.decode(stream):
            rotation = int(round(getattr(frame, "rotation", 0) or 0))
            container.seek(0)
            return rotation
    except Exception:
        pass
    return 0


def _picture(frame, max_side: int) -> np.ndarray:
    rgb = frame.to_ndarray(format="rgb24")
    rotation = int(round(getattr(frame, "rotation", 0) or 0)) % 360
    if rotation:
        # The display matrix rotates counter-clockwise by this angle.
        rgb = np.ascontiguousarray(np.rot90(rgb, k=rotation // 90))
    scale = max_side / max(rgb.shape[:2])
    if scale < 1.0:
        from PIL import Image

        size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
        rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR))
    return rgb


def analysis_frames(path: str | os.PathLike, rate_hz: float, *, max_side: int = ANALYSIS_MAX_SIDE,
                    progress=None, duration_s: float | None = None) -> Iterator[tuple[float, np.ndarray]]:
    """(time in s, RGB picture) every 1/rate_hz seconds of the video, decoding as it goes."""
    av = _av()
    next_t = 0.0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            t = float(frame.time)
            if t + 1e-6 < next_t:
                continue
            yield t, _picture(frame, max_side)
            next_t = t + 1.0 / rate_hz
            if progress is not None and duration_s:
                progress(min(1.0, t / duration_s))
