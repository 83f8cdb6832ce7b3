"""Putting the spatial audio back with the picture.

- The picture stream is copied packet by packet, not re-encoded; a codec the
  container cannot hold (an AVI's MS-MPEG4 in MP4, say) is re-encoded with
  x264 instead, with a note.
- The spatial audio: binaural and stereo as 2-channel AAC, 5.1 and 7.1 as
  AAC with those layouts (FFmpeg's fast AAC coder); FOA, HOA2 and HOA3 as 4,
  9 or 16-channel Opus with channel mapping family 2 (ambisonic) in MP4, or
  24-bit PCM in MOV; either way with the ``SA3D`` box that 360 degree players
  read. An equirectangular picture also gets the
  spherical-video boxes (``st3d``, ``sv3d``).
- The original soundtrack (``keep_original``): ``track`` keeps it as a
  second audio stream, ``mix`` adds it to the spatial audio (into both ears,
  or into W only for FOA: heard from nowhere in particular), ``drop`` leaves it out.
- Audio packets are written in time order with the picture's, so memory
  stays bounded whatever the length; the audio is cut or padded to the
  picture's duration.

Contents
--------
mux, CONTAINERS
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
KEEP = ("track", "mix", "drop")


def _audio_codec(fmt: str, container: str) -> tuple[str, str, dict]:
    """(codec, layout, options) for the spatial audio stream (from the format's registered encoder)."""
    output = get_format(fmt)
    encoder = output.encoders.get(container)
    if encoder is None:
        raise ParameterError("format", f"{fmt} cannot be carried in {container.upper()}; write .wav or .flac")
    return encoder.codec, encoder.layout, dict(encoder.options)


def _original_audio(av, path: Path, sample_rate: int, n: int) -> np.ndarray | None:
    """The input's first audio stream, mono, at ``sample_rate``, ``n`` samples (for mixing)."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=sample_rate)
        out = np.zeros(n, dtype=np.float32)
        pos = 0
        for frame in _decoded_skipping_damage(av, container, stream):
            for part in resampler.resample(frame):
                x = part.to_ndarray()[0]
                end = min(n, pos + len(x))
                out[pos:end] = x[: end - pos]
                pos += len(x)
                if pos >= n:
                    return out
        return out


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
    if keep_original not in KEEP:
        raise ParameterError("keep_original", f"choose from {', '.join(KEEP)}")
    codec, layout, options = _audio_codec(fmt, container_kind)
    with av.open(str(video_path)) as source:
        vin = source.streams.video[0]
        duration = float(vin.duration * vin.time_base) if vin.duration else audio.shape[1] / sample_rate
    n = int(round(duration * sample_rate))
    if keep_original == "mix":
        original = _original_audio(av, Path(video_path), sample_rate, n)
        if original is None:
            notes.append("the video has no soundtrack to mix")
        else:
            audio = np.array(audio[:, :n], dtype=np.float32)  # a copy: the caller's audio stays as it was
            audio = np.pad(audio, ((0, 0), (0, max(0, n - audio.shape[1]))))
            if get_format(fmt).is_ambisonic:
                audio[0] += 0.5 * original
            else:
                audio[:2] += 0.5 * original / math.sqrt(2)
    with atomic_output(out_path) as tmp:
        _write(av, Path(video_path), audio, n, sample_rate, tmp, container_kind, codec, layout, options,
               keep_original == "track", notes, progress)
        output = get_format(fmt)
        if output.is_ambisonic or spherical:
            mp4.add_spatial_metadata(tmp, ambisonic=output.is_ambisonic, spherical=spherical,
                                     order=output.ambisonic_order or 1)


#: PyAV (18) makes planar frames of more channels than this wrongly; such audio goes in packed (interleaved) frames.
PLANAR_MAX_CHANNELS = 8


def _audio_frame(av, chunk: np.ndarray, layout: str):
    """An AudioFrame of ``chunk`` [shape=(channels, n), float32]: planar, or packed past PLANAR_MAX_CHANNELS."""
    if chunk.shape[0] <= PLANAR_MAX_CHANNELS:
        return av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
    return av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk.T).reshape(1, -1), format="flt", layout=layout)


def _write(av, video_path, audio, n, sample_rate, tmp, container_kind, codec, layout, options, keep_track,
           notes, progress):
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
                chunk = np.zeros((audio.shape[0], size), dtype=np.float32)
                if written < have:  # read by range: works on a disk buffer too; padded with silence
                    part = np.asarray(audio[:, written:min(have, written + size)], dtype=np.float32)
                    chunk[:, : part.shape[1]] = part
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
