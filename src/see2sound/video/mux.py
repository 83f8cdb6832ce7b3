"""Putting the spatial audio back with the picture.

- The picture stream is copied packet by packet, not re-encoded; a codec the
  container cannot hold (an AVI's MS-MPEG4 in MP4, say) is re-encoded with
  x264 instead, with a note.
- The spatial audio: binaural and stereo as 2-channel AAC, 5.1 and 7.1 as
  AAC with those layouts (FFmpeg's fast AAC coder); 5.1.4 and 7.1.4 as
  24-bit PCM in MOV only (FFmpeg's AAC has no such layouts); FOA, HOA2 and
  HOA3 as 4, 9 or 16-channel Opus with channel mapping family 2 (ambisonic)
  in MP4, or 24-bit PCM in MOV; either way with the ``SA3D`` box that 360
  degree players read. An equirectangular picture also gets the
  spherical-video boxes (``st3d``, ``sv3d``).
- The original soundtrack (``keep_original``): ``track`` keeps it as a
  second audio stream, ``mix`` adds it to the spatial audio (into both ears,
  or into W only for FOA: heard from nowhere in particular), ``drop`` leaves it out.
  ``headlocked`` (FOA only) writes one 6-channel track, W Y Z X then the
  soundtrack as L R, which a 360 degree player does not turn with the view
  (Google's spatial-audio RFC, ``head_locked_stereo``; YouTube takes it as
  Opus in MP4, at least 768 kb/s, or PCM in MOV). The soundtrack is not
  touched: stereo at the output rate goes in sample for sample, mono into
  both channels; another rate is resampled, more channels downmixed.
- Audio packets are written in time order with the picture's, the audio
  read by range (it may be a disk buffer) and a soundtrack to mix or keep
  head-locked decoded as it is written, so memory stays bounded whatever
  the length; the audio is cut or padded to the picture's duration.

Contents
--------
mux, check_format, check_keep_original, CONTAINERS
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from ..errors import ParameterError, See2SoundError
from ..formats import get_format
from ..io import mp4
from ..io.files import atomic_output

CONTAINERS = {".mp4": "mp4", ".mov": "mov", ".m4v": "mp4"}
MP4_VIDEO_CODECS = {"h264", "hevc", "av1", "vp9", "mpeg4", "mjpeg"}
KEEP = ("track", "mix", "drop", "headlocked")
HEADLOCKED_LAYOUT = "ambisonic 1+stereo"  # FFmpeg's name for W Y Z X then L R; Opus codes it with mapping family 2
HEADLOCKED_OPUS_BIT_RATE = 768_000  # YouTube's least for FOA with head-locked stereo in Opus


def check_keep_original(keep_original: str, fmt: str) -> None:
    """A ParameterError unless ``keep_original`` is one of KEEP and can go with the format ``fmt``."""
    if keep_original not in KEEP:
        raise ParameterError("keep_original", f"choose from {', '.join(KEEP)}")
    output = get_format(fmt)
    if keep_original == "headlocked" and not (output.is_ambisonic and output.channels == 4):
        raise ParameterError("keep_original", f"headlocked is first-order ambisonics with head-locked stereo: "
                                              f"it needs the foa format, not {fmt}")


def _audio_codec(fmt: str, container: str) -> tuple[str, str, dict]:
    """(codec, layout, options) for the spatial audio stream (from the format's registered encoder)."""
    output = get_format(fmt)
    encoder = output.encoders.get(container)
    if encoder is None:
        from ..io.audio import FLAC_MAX_CHANNELS

        carried = [suffix for suffix, kind in CONTAINERS.items() if kind in output.encoders and suffix != ".m4v"]
        carried.append(".wav")
        if not output.is_objects and output.channels <= FLAC_MAX_CHANNELS:  # what check_output_path takes
            carried.append(".flac")
        said = carried[0] if len(carried) == 1 else f"{', '.join(carried[:-1])} or {carried[-1]}"
        raise ParameterError("format", f"{fmt} cannot be carried in {container.upper()}; write {said}")
    return encoder.codec, encoder.layout, dict(encoder.options)


def check_format(fmt: str, out_path: str | os.PathLike) -> None:
    """An error naming ``format`` if ``out_path``'s container cannot carry ``fmt`` (checked before rendering)."""
    kind = CONTAINERS.get(Path(out_path).suffix.lower())
    if kind is not None:
        _audio_codec(fmt, kind)


class _Soundtrack:
    """The input's first audio stream [shape=(channels, n)] at ``sample_rate``, read in order.

    ``layout`` ``"mono"`` downmixes to one channel; None keeps a mono stream
    mono and makes anything else stereo (stereo at that rate passes through
    as decoded). Past its end, silence. ``flush``: at the end, take what
    FFmpeg's resampler still holds (the few samples a rate change delays).
    """

    def __init__(self, av, path: Path, sample_rate: int, layout: str | None = None, *, flush: bool = True):
        self._container = av.open(str(path))
        try:
            stream = self._container.streams.audio[0]
            layout = layout or ("mono" if stream.channels == 1 else "stereo")
            self.channels = 1 if layout == "mono" else 2
            self._resampler = av.AudioResampler(format="fltp", layout=layout, rate=sample_rate)
        except BaseException:
            self._container.close()
            raise
        self._frames = _decoded_skipping_damage(av, self._container, stream)
        self._pending = np.zeros((self.channels, 0), dtype=np.float32)
        self._ended = False
        self._flush = flush

    def read(self, size: int) -> np.ndarray:
        parts, have = [self._pending], self._pending.shape[1]
        while have < size and not self._ended:
            frame = next(self._frames, None)
            self._ended = frame is None
            if frame is None and not self._flush:
                break
            for part in self._resampler.resample(frame):  # None: what the resampler still holds
                x = part.to_ndarray()
                parts.append(x)
                have += x.shape[1]
        held = np.concatenate(parts, axis=1)
        out = np.zeros((self.channels, size), dtype=np.float32)
        k = min(size, held.shape[1])
        out[:, :k] = held[:, :k]
        self._pending = held[:, k:]
        return out

    def close(self) -> None:
        self._container.close()


class _HeadLocked(_Soundtrack):
    """The soundtrack as L R [shape=(2, n)]: stereo as decoded, mono into both channels, anything else
    resampled or downmixed to stereo by FFmpeg."""

    def read(self, size: int) -> np.ndarray:
        x = super().read(size)
        return np.repeat(x, 2, axis=0) if x.shape[0] == 1 else x


class _Mix(_Soundtrack):
    """The soundtrack downmixed to mono, added to the spatial audio a chunk at a time: into W for an
    ambisonic format, into both ears (-3 dB each) otherwise, at half its level (``keep_original="mix"``)."""

    def __init__(self, av, path: Path, sample_rate: int, ambisonic: bool):
        # Not flushed: the mix has always ended with the last decoded frame.
        super().__init__(av, path, sample_rate, "mono", flush=False)
        self.ambisonic = ambisonic

    def add_to(self, chunk: np.ndarray) -> None:
        """Add the next ``chunk.shape[1]`` samples of the soundtrack into ``chunk`` [shape=(channels, size)]."""
        original = self.read(chunk.shape[1])[0]
        if self.ambisonic:
            chunk[0] += 0.5 * original
        else:
            chunk[:2] += 0.5 * original / math.sqrt(2)


def _decoded_skipping_damage(av, container, stream):
    """The stream's frames; a packet that does not decode (a damaged file) is left out."""
    for packet in container.demux(stream):
        try:
            yield from packet.decode()
        except av.FFmpegError:
            continue


def mux(video_path: str | os.PathLike, audio: np.ndarray, sample_rate: int, fmt: str,
        out_path: str | os.PathLike, *, keep_original: str = "track", spherical: bool = False,
        notes: list[str] | None = None, progress=None) -> None:
    """Write ``out_path`` (.mp4/.mov): the video's picture with ``audio`` [shape=(channels, n)] as sound."""
    import av

    notes = notes if notes is not None else []
    out_path = Path(out_path)
    container_kind = CONTAINERS.get(out_path.suffix.lower())
    if container_kind is None:
        raise See2SoundError(f"{out_path}: video output must end in .mp4 or .mov")
    check_keep_original(keep_original, fmt)
    codec, layout, options = _audio_codec(fmt, container_kind)
    with av.open(str(video_path)) as source:
        vin = source.streams.video[0]
        duration = float(vin.duration * vin.time_base) if vin.duration else audio.shape[1] / sample_rate
        has_soundtrack = bool(source.streams.audio)
    if keep_original == "headlocked" and not has_soundtrack:
        notes.append("the video has no soundtrack to keep head-locked: plain FOA written")
        keep_original = "drop"
    if keep_original == "headlocked":
        layout = HEADLOCKED_LAYOUT
    n = int(round(duration * sample_rate))
    if keep_original == "mix" and not has_soundtrack:
        notes.append("the video has no soundtrack to mix")
    with atomic_output(out_path) as tmp:
        headlocked = _HeadLocked(av, Path(video_path), sample_rate) if keep_original == "headlocked" else None
        mixed = (_Mix(av, Path(video_path), sample_rate, get_format(fmt).is_ambisonic)
                 if keep_original == "mix" and has_soundtrack else None)
        try:
            _write(av, Path(video_path), audio, n, sample_rate, tmp, container_kind, codec, layout, options,
                   keep_original == "track", notes, progress, headlocked, mixed)
        finally:
            for reader in (headlocked, mixed):
                if reader is not None:
                    reader.close()
        output = get_format(fmt)
        if output.is_ambisonic or spherical:
            mp4.add_spatial_metadata(tmp, ambisonic=output.is_ambisonic, spherical=spherical,
                                     order=output.ambisonic_order or 1, head_locked_stereo=headlocked is not None)


#: PyAV (18) makes planar frames of more channels than this wrongly; such audio goes in packed (interleaved) frames.
PLANAR_MAX_CHANNELS = 8


def _audio_frame(av, chunk: np.ndarray, layout: str):
    """An AudioFrame of ``chunk`` [shape=(channels, n), float32]: planar, or packed past PLANAR_MAX_CHANNELS."""
    if chunk.shape[0] <= PLANAR_MAX_CHANNELS:
        return av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
    return av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk.T).reshape(1, -1), format="flt", layout=layout)


def _write(av, video_path, audio, n, sample_rate, tmp, container_kind, codec, layout, options, keep_track,
           notes, progress, headlocked=None, mixed=None):
    with av.open(str(video_path)) as source, av.open(str(tmp), "w", format=container_kind) as out:
        vin = source.streams.video[0]
        copy = vin.codec_context.name in MP4_VIDEO_CODECS
        if copy:
            vout = out.add_stream_from_template(vin)
        else:
            notes.append(f"the picture's codec ({vin.codec_context.name}) cannot go in "
                         f"{container_kind.upper()}: re-encoded with x264")
            rate = vin.average_rate or vin.guessed_rate or 25
            vout = out.add_stream("libx264", rate=rate, options={"crf": "18", "preset": "veryfast"})
            # 4:2:0 needs even sizes: an odd row or column is dropped.
            vout.width = vin.codec_context.width - vin.codec_context.width % 2
            vout.height = vin.codec_context.height - vin.codec_context.height % 2
            vout.pix_fmt = "yuv420p"
        if codec == "aac":
            # FFmpeg's fast AAC coder: half the time of its default (two-loop) search; at 96 kb/s a channel the
            # difference is 0.6 dB of SNR and nothing of the level difference between the ears.
            options = {"aac_coder": "fast", **options}
        aout = out.add_stream(codec, rate=sample_rate, layout=layout, options=options)
        if codec == "aac":
            aout.bit_rate = 96_000 * audio.shape[0]
        elif codec == "libopus" and headlocked is not None:
            aout.bit_rate = HEADLOCKED_OPUS_BIT_RATE
        original_out = None
        if keep_track and source.streams.audio:
            ain = source.streams.audio[0]
            if ain.codec_context.name in ("aac", "mp3", "opus", "ac3", "alac") or container_kind == "mov":
                original_out = out.add_stream_from_template(ain)
            else:
                notes.append(f"the original soundtrack ({ain.codec_context.name}) was left out: MP4 cannot hold it")
        streams = [vin] + ([source.streams.audio[0]] if original_out is not None else [])
        frame_size = aout.codec_context.frame_size or 1024
        written = 0
        total = n
        have = audio.shape[1]

        def audio_until(t_s: float) -> None:
            nonlocal written
            target = min(total, int(t_s * sample_rate))
            while written < target:
                size = min(frame_size, total - written)
                chunk = np.zeros((audio.shape[0] + (2 if headlocked is not None else 0), size), dtype=np.float32)
                if written < have:  # read by range: works on a disk buffer too; padded with silence
                    part = np.asarray(audio[:, written:min(have, written + size)], dtype=np.float32)
                    chunk[: audio.shape[0], : part.shape[1]] = part
                if mixed is not None:  # the soundtrack read as it is written, not held whole
                    mixed.add_to(chunk)
                if headlocked is not None:  # the last two channels: L R, not turned with the view
                    chunk[audio.shape[0]:] = headlocked.read(size)
                frame = _audio_frame(av, chunk, layout)
                frame.sample_rate = sample_rate
                frame.pts = written
                for packet in aout.encode(frame):
                    out.mux(packet)
                written += chunk.shape[1]

        for packet in source.demux(*streams):
            if packet.stream is vin:
                if packet.dts is None and packet.pts is None:
                    continue
                t = float((packet.pts if packet.pts is not None else packet.dts) * vin.time_base)
                audio_until(t + 0.5)
                if copy:
                    packet.stream = vout
                    out.mux(packet)
                else:
                    try:
                        frames = packet.decode()
                    except av.FFmpegError:  # a damaged frame: the analysis skipped it too (and said so)
                        frames = []
                    for frame in frames:
                        frame.pts = None
                        for p in vout.encode(frame.reformat(width=vout.width, height=vout.height, format="yuv420p")):
                            out.mux(p)
                if progress is not None and total:
                    progress(min(1.0, written / total))
            elif packet.dts is not None:
                packet.stream = original_out
                out.mux(packet)
        audio_until(total / sample_rate + 1.0)
        for packet in aout.encode(None):
            out.mux(packet)
        if not copy:
            for packet in vout.encode(None):
                out.mux(packet)
