"""Reading video as it is needed, with PyAV.

Frames are decoded one after another and only those at the analysis rate
are converted to pictures, so memory does not grow with the clip. A frame's
time is its own presentation time (variable frame rates are fine); display
rotation metadata is applied; any size or pixel format is converted to RGB.

A frame that cannot be decoded (a damaged file) is skipped, and one note says
how many were. More than :data:`MAX_BAD_SHARE` of the frames, or more than
:data:`MAX_BAD_IN_A_ROW` in a row, and the video is refused with one
:class:`~see2sound.errors.InputError`, as is a file that is not a video.

Contents
--------
VideoInfo, probe, analysis_frames, MAX_BAD_SHARE, MAX_BAD_IN_A_ROW
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import InputError, MissingExtraError, See2SoundError

ANALYSIS_MAX_SIDE = 1280
#: Undecodable frames are skipped while they are at most this share of the video's frames ...
MAX_BAD_SHARE = 0.10
#: ... and no more than this many come in a row (2 s at 25 frames per second): a video that broken is refused.
MAX_BAD_IN_A_ROW = 50
DAMAGED = "the file is damaged or its codec is not supported"


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
        raise InputError(f"{path}: no such video file")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                kind = "audio only" if container.streams.audio else "no picture"
                raise InputError(f"{path}: {kind}: a video needs a picture stream")
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            if not width or not height:
                raise InputError(f"{path}: the picture stream has no size ({DAMAGED})")
            duration = _duration(container, stream, path)
            rotation = _rotation(container, stream)
            if rotation in (90, -90, 270, -270):
                width, height = height, width
            fps = float(stream.average_rate or stream.guessed_rate or 25)
            return VideoInfo(path, width, height, duration, fps, stream.codec_context.name, rotation,
                             bool(container.streams.audio))
    except See2SoundError:
        raise
    except Exception as exc:  # FFmpeg's many error types
        raise _unreadable(path, exc) from None


def _unreadable(path: Path, exc: Exception) -> InputError:
    return InputError(f"{path}: not a video see2sound can read ({_reason(exc)})")


def _reason(exc: Exception) -> str:
    """FFmpeg's words for an error, without its errno and the file name (the line names the file)."""
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    return re.sub(r"^\[Errno -?\d+\]\s*", "", text.splitlines()[-1].split(": '", 1)[0])


def _duration(container, stream, path: Path) -> float:
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
        raise InputError(f"{path}: the video has no frames")
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
                    progress=None, duration_s: float | None = None,
                    notes: list[str] | None = None) -> Iterator[tuple[float, np.ndarray]]:
    """(time in s, RGB picture) every 1/rate_hz seconds of the video, decoding as it goes.

    Frames that cannot be decoded are skipped and counted: ``notes`` (when
    given) gets one line saying how many; past :data:`MAX_BAD_SHARE` or
    :data:`MAX_BAD_IN_A_ROW` an :class:`~see2sound.errors.InputError` says
    how many of how many frames could not be decoded.
    """
    av = _av()
    path = Path(path)
    next_t = 0.0
    tally = _Tally()
    try:
        container = av.open(str(path))
    except Exception as exc:
        raise _unreadable(path, exc) from None
    with container:
        if not container.streams.video:
            raise InputError(f"{path}: no picture stream: a video needs one")
        stream = container.streams.video[0]
        # Slice threads only: with frame threads a decoding error surfaces packets later, and one at the
        # end loses the frames the threads held. Decoding is a few per cent of the analysis's time.
        stream.thread_type = "SLICE"
        for frame in _decoded(av, path, container, stream, tally):
            if frame.time is None:
                continue
            t = float(frame.time)
            if t + 1e-6 < next_t:
                continue
            yield t, _picture(frame, max_side)
            next_t = t + 1.0 / rate_hz
            if progress is not None and duration_s:
                progress(min(1.0, t / duration_s))
        listed = stream.frames or 0
    tally.check(path)
    if notes is not None:
        notes.extend(tally.notes(path, listed))


class _Tally:
    """Video packets read (each holds a frame), frames decoded, packets the decoder refused.

    ``since_last`` counts packets since the decoder last gave a frame, which
    also catches frames it drops without an error (those whose reference
    frame was lost).
    """

    def __init__(self):
        self.packets = self.decoded = self.failed = self.since_last = 0
        self.stopped: str | None = None

    def check(self, path: Path) -> None:
        if self.packets == 0:
            raise InputError(f"{path}: no video frame could be read ({self.stopped or DAMAGED})")
        if self.decoded == 0:
            raise InputError(f"{path}: none of its {self.packets} video frames could be decoded ({DAMAGED})")
        if self.failed > MAX_BAD_SHARE * self.packets:
            raise InputError(f"{path}: {self.failed} of {self.packets} video frames could not be decoded "
                             f"({DAMAGED})")

    def notes(self, path: Path, listed: int) -> list[str]:
        out = []
        if self.failed:
            out.append(f"{path.name}: {self.failed} of {self.packets} video frames could not be decoded "
                       "and were skipped (the file is damaged)")
        if self.stopped:
            out.append(f"{path.name}: reading stopped after {self.packets} video frames ({self.stopped})")
        elif listed > 0 and self.packets < 0.9 * listed:
            out.append(f"{path.name}: only {self.packets} of the {listed} video frames its header lists "
                       "are in the file (is it truncated?)")
        return out


def _decoded(av, path: Path, container, stream, tally: _Tally):
    """The frames of ``stream``, skipping (and counting in ``tally``) packets that fail to decode."""
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except (av.FFmpegError, OSError, EOFError) as exc:  # the container itself is broken from here
            tally.stopped = _reason(exc)
            return
        tally.packets += packet.size > 0  # the last, empty packet only flushes the decoder
        try:
            frames = packet.decode()
        except (av.FFmpegError, ValueError):  # ValueError: PyAV has no decoder for the codec
            frames = []
            tally.failed += packet.size > 0
        tally.decoded += len(frames)
        tally.since_last = 0 if frames else tally.since_last + 1
        if tally.since_last > MAX_BAD_IN_A_ROW:
            raise InputError(f"{path}: {tally.since_last} video frames in a row could not be decoded ({DAMAGED})")
        yield from frames
