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
VideoInfo, probe, analysis_pictures, AnalysisPicture, analysis_frames, read_ahead, MAX_BAD_SHARE,
MAX_BAD_IN_A_ROW
"""

from __future__ import annotations

import os
import queue
import re
import threading
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


def _picture(frame, max_side: int, format: str = "rgb24", reformatter=None) -> np.ndarray:
    """The frame upright (its display rotation applied), scaled by swscale to fit ``max_side``.

    ``reformatter``: a :class:`av.video.reformatter.VideoReformatter` to reuse (it keeps its scaler from one frame
    to the next, which costs more than the scaling itself at these sizes); one thread at a time.
    """
    width, height = frame.width, frame.height
    scale = min(1.0, max_side / max(width, height))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = None if size == (width, height) else "AREA"
    if reformatter is None:
        pixels = frame.reformat(width=size[0], height=size[1], format=format, interpolation=interpolation).to_ndarray()
    else:
        pixels = reformatter.reformat(frame, width=size[0], height=size[1], format=format,
                                      interpolation=interpolation).to_ndarray()
    rotation = int(round(getattr(frame, "rotation", 0) or 0)) % 360
    if rotation:
        # The display matrix rotates counter-clockwise by this angle.
        pixels = np.ascontiguousarray(np.rot90(pixels, k=rotation // 90))
    return pixels


class AnalysisPicture:
    """One analysed frame: its time ``t`` (s) and the frame, converted only when asked.

    :meth:`rgb` and :meth:`grey` convert (and keep) the picture at a size; a
    frame that only needs a small picture (to follow tracks between
    detections) never costs a full-size conversion. Conversion releases the
    GIL, so it may run in another thread than the decoding; the pictures of
    one :func:`analysis_pictures` share their scalers, so convert them in one
    thread at a time.
    """

    def __init__(self, t: float, frame, scalers: dict | None = None):
        self.t = t
        self._frame = frame
        self._scalers = scalers if scalers is not None else {}
        self._made: dict[tuple[str, int], np.ndarray] = {}

    def _converted(self, format: str, max_side: int) -> np.ndarray:
        key = (format, max_side)
        if key not in self._made:
            if key not in self._scalers:
                from av.video.reformatter import VideoReformatter

                self._scalers[key] = VideoReformatter()
            self._made[key] = _picture(self._frame, max_side, format, self._scalers[key])
        return self._made[key]

    def rgb(self, max_side: int = ANALYSIS_MAX_SIDE) -> np.ndarray:
        """RGB uint8 [shape=(h, w, 3)], upright, its longer side at most ``max_side``."""
        return self._converted("rgb24", max_side)

    def grey(self, max_side: int) -> np.ndarray:
        """Luma uint8 [shape=(h, w)], upright, its longer side at most ``max_side``."""
        return self._converted("gray", max_side)


def analysis_pictures(path: str | os.PathLike, rate_hz: float, *,
                      notes: list[str] | None = None) -> Iterator[AnalysisPicture]:
    """An :class:`AnalysisPicture` every 1/rate_hz seconds of the video, decoding as it goes.

    Frames that cannot be decoded are skipped and counted: ``notes`` (when
    given) gets one line saying how many; past :data:`MAX_BAD_SHARE` or
    :data:`MAX_BAD_IN_A_ROW` an :class:`~see2sound.errors.InputError` says
    how many of how many frames could not be decoded.
    """
    av = _av()
    path = Path(path)
    next_t = 0.0
    tally = _Tally()
    scalers: dict = {}
    try:
        container = av.open(str(path))
    except Exception as exc:
        raise _unreadable(path, exc) from None
    with container:
        if not container.streams.video:
            raise InputError(f"{path}: no picture stream: a video needs one")
        stream = container.streams.video[0]
        # Slice threads only: with frame threads a decoding error surfaces packets later, and one at the
        # end loses the frames the threads held. Decoding runs beside the analysis (read_ahead) anyway.
        stream.thread_type = "SLICE"
        for frame in _decoded(av, path, container, stream, tally):
            if frame.time is None:
                continue
            t = float(frame.time)
            if t + 1e-6 < next_t:
                continue
            yield AnalysisPicture(t, frame, scalers)
            next_t = t + 1.0 / rate_hz
        listed = stream.frames or 0
    tally.check(path)
    if notes is not None:
        notes.extend(tally.notes(path, listed))


def analysis_frames(path: str | os.PathLike, rate_hz: float, *, max_side: int = ANALYSIS_MAX_SIDE,
                    progress=None, duration_s: float | None = None,
                    notes: list[str] | None = None) -> Iterator[tuple[float, np.ndarray]]:
    """(time in s, RGB picture) every 1/rate_hz seconds of the video, decoding as it goes.

    As :func:`analysis_pictures`, each picture converted at ``max_side``;
    ``progress`` is called with the fraction of ``duration_s`` read.
    """
    for picture in analysis_pictures(path, rate_hz, notes=notes):
        yield picture.t, picture.rgb(max_side)
        if progress is not None and duration_s:
            progress(min(1.0, picture.t / duration_s))


_DONE = object()


class read_ahead:
    """``items``, produced by a thread of their own up to ``depth`` ahead of the consumer, from the moment it is made.

    Decoding (PyAV releases the GIL) then overlaps whatever the caller does
    meanwhile (loading the detectors) and the analysis after. An exception in
    the producer is raised in the consumer, after the items produced before
    it. When the consumer stops early (an error, Ctrl-C, :meth:`close` or the
    end of a ``with`` block), the producer stops at its next item and the
    ``items`` generator is closed, which closes the file.

        with read_ahead(analysis_pictures(path, 5.0)) as pictures:
            for picture in pictures: ...
    """

    def __init__(self, items: Iterator, depth: int = 8):
        self._items = items
        self._slots: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._done = False
        self._worker = threading.Thread(target=self._produce, name="see2sound-decode", daemon=True)
        self._worker.start()

    def _put(self, entry) -> bool:
        while not self._stop.is_set():
            try:
                self._slots.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        outcome = (_DONE, None)
        try:
            for item in self._items:
                if not self._put((item, None)):
                    break
        except BaseException as exc:  # handed to the consumer, which raises it
            outcome = (_DONE, exc)
        finally:
            close = getattr(self._items, "close", None)
            if close is not None:
                close()
        self._put(outcome)

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        try:
            item, exc = self._slots.get()
        except BaseException:  # Ctrl-C while waiting
            self.close()
            raise
        if item is _DONE:
            self.close()
            if exc is not None:
                raise exc
            raise StopIteration
        return item

    def close(self) -> None:
        """Stop the producer (at its next item) and wait for it: the file is closed when this returns."""
        self._done = True
        self._stop.set()
        self._worker.join()

    def __enter__(self) -> read_ahead:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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
