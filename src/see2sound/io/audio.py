"""Audio files: reading source sounds, writing rendered output (SPEC §3).

Contents
--------
read_mono         a sound file as a mono float32 signal at a given rate
resample          band-limited sample-rate conversion
write_audio       WAV (WAVE_FORMAT_EXTENSIBLE with the layout's channel mask)
                  or FLAC, written atomically and in chunks

soundfile and scipy.signal are imported by the functions that use them: importing
this module (the command line does) costs neither.
"""

from __future__ import annotations

import errno
import math
import os
import shutil
import struct
from pathlib import Path

import numpy as np

from ..errors import ParameterError, See2SoundError
from ..formats import get_format
from .files import atomic_output

#: Sample rates we accept for input sounds; beyond this a file is refused.
MIN_INPUT_RATE, MAX_INPUT_RATE = 1000, 768_000
#: Channels we downmix; a file with more is refused.
MAX_INPUT_CHANNELS = 64

OUTPUT_SUFFIXES = (".wav", ".flac")
def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resample along the last axis with a polyphase anti-aliasing filter.

    Parameters
    ----------
    x : np.ndarray [shape=(..., n)]
    rate_in, rate_out : int
        Sample rates in Hz.
    """
    if rate_in == rate_out:
        return x
    from scipy import signal

    g = math.gcd(int(rate_in), int(rate_out))
    up, down = int(rate_out) // g, int(rate_in) // g
    if up * down > 1_000_000:  # awkward ratio: go through the FFT instead
        n_out = int(round(x.shape[-1] * rate_out / rate_in))
        return signal.resample(x, n_out, axis=-1).astype(x.dtype, copy=False)
    if x.ndim == 1 and len(x) > 2 * RESAMPLE_BLOCK:
        return _resample_blocks(x, up, down)
    return signal.resample_poly(x, up, down, axis=-1).astype(x.dtype, copy=False)


#: Long signals are resampled this many input samples at a time (the same samples as in one go).
RESAMPLE_BLOCK = 1 << 20


def _resample_blocks(x: np.ndarray, up: int, down: int) -> np.ndarray:
    """``resample_poly(x, up, down)`` block by block, so its float64 intermediates stay small.

    Blocks start at multiples of ``down`` input samples (whole output samples, the
    same filter phases) and read ``pad`` samples beyond each end, more than the
    filter's half length, so each output sample sums the same products.
    """
    from scipy import signal

    n_out = -(-len(x) * up // down)
    out = np.empty(n_out, dtype=x.dtype)
    half = 10 * max(up, down) // up + 2  # resample_poly's half filter length, in input samples
    pad = -(-half // down) * down
    step = RESAMPLE_BLOCK // down * down
    for start in range(0, len(x), step):
        lo, hi = max(0, start - pad), min(len(x), start + step + pad)
        y = signal.resample_poly(x[lo:hi], up, down)
        first = start * up // down
        last = min(n_out, (start + step) * up // down)
        out[first:last] = y[first - lo * up // down: last - lo * up // down]
    return out


def read_mono(path: str | os.PathLike, sample_rate: int, *, max_duration_s: float | None = None
              ) -> tuple[np.ndarray, list[str]]:
    """Read a sound file as mono float32 at ``sample_rate``.

    Several channels are averaged and another rate is resampled; each such
    change adds a note to the returned list. ``max_duration_s`` caps how much
    of the file is read.

    Returns
    -------
    signal : np.ndarray [shape=(n,), dtype=float32]
    notes : list of str
    """
    import soundfile as sf

    path = Path(path)
    notes: list[str] = []
    if not path.is_file():
        raise See2SoundError(f"{path}: {'not a regular file' if path.exists() else 'no such audio file'}")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise See2SoundError(f"{path}: not a readable audio file ({_reason(exc)})") from None
    if not MIN_INPUT_RATE <= info.samplerate <= MAX_INPUT_RATE:
        raise See2SoundError(f"{path}: unsupported sample rate {info.samplerate} Hz")
    if info.channels > MAX_INPUT_CHANNELS:
        raise See2SoundError(f"{path}: too many channels ({info.channels})")
    frames = -1
    if max_duration_s is not None:
        frames = int(math.ceil(max_duration_s * info.samplerate)) + 1
    rate = info.samplerate
    try:
        # Block by block into mono: a long multichannel file is never held whole.
        pieces = []
        for block in sf.blocks(str(path), blocksize=1 << 18, frames=frames, dtype="float32", always_2d=True):
            if not np.all(np.isfinite(block)):
                raise See2SoundError(f"{path}: audio contains NaN or infinite samples")
            pieces.append(block[:, 0].copy() if block.shape[1] == 1 else block.mean(axis=1))
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise See2SoundError(f"{path}: cannot decode audio ({_reason(exc)})") from None
    mono = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    del pieces
    if len(mono) == 0:
        raise See2SoundError(f"{path}: audio file has no samples")
    if info.channels > 1:
        notes.append(f"{path.name}: downmixed {info.channels} channels to mono")
    if rate != sample_rate:
        notes.append(f"{path.name}: resampled {rate} Hz to {sample_rate} Hz")
        mono = resample(mono, rate, sample_rate)
    return np.ascontiguousarray(mono, dtype=np.float32), notes


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def write_audio(path: str | os.PathLike, audio: np.ndarray, sample_rate: int, fmt: str,
                *, subtype: str = "float") -> None:
    """Write ``audio`` [shape=(channels, n)] to WAV or FLAC, atomically.

    WAV is WAVE_FORMAT_EXTENSIBLE with the channel mask of ``fmt``
    (:attr:`see2sound.formats.OutputFormat.channel_mask`), as 32-bit float (``subtype="float"``) or 24-bit
    PCM (``"pcm24"``). FLAC is always 24-bit PCM; its channel order for 6 and
    8 channels is the FLAC default, which matches SPEC's 5.1 and 7.1 orders.
    ``audio`` may be a disk-backed memmap: it is written in chunks.
    """
    with atomic_output(path) as tmp:
        write_audio_to(tmp, audio, sample_rate, fmt, subtype=subtype, suffix=Path(path).suffix)


#: FLAC holds at most this many channels.
FLAC_MAX_CHANNELS = 8


def check_output_path(path: str | os.PathLike, parameter: str = "output", channels: int | None = None) -> str:
    """The lower-case suffix of an output path, or an error naming ``parameter`` if it is not .wav/.flac
    (or is .flac for more than 8 ``channels``)."""
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise ParameterError(parameter, f"{path}: must end in .wav or .flac")
    if suffix == ".flac" and channels is not None and channels > FLAC_MAX_CHANNELS:
        raise ParameterError(parameter, f"{path}: FLAC holds at most {FLAC_MAX_CHANNELS} channels, "
                                        f"not {channels}; write .wav")
    return suffix


def write_audio_to(tmp: Path, audio: np.ndarray, sample_rate: int, fmt: str, *, subtype: str,
                   suffix: str) -> None:
    """Write to ``tmp`` as the format that ``suffix`` names (no rename; see :func:`write_audio`)."""
    import soundfile as sf

    suffix = check_output_path(f"x{suffix}", channels=audio.shape[0])
    if subtype not in ("float", "pcm24"):
        raise See2SoundError(f"unknown sample format {subtype!r} (use float or pcm24)")
    if suffix == ".wav":
        kind, sub = "WAVEX", ("FLOAT" if subtype == "float" else "PCM_24")
    else:
        kind, sub = "FLAC", "PCM_24"
    channels, n = audio.shape
    try:
        with sf.SoundFile(str(tmp), "w", samplerate=sample_rate, channels=channels, format=kind, subtype=sub) as f:
            for start in range(0, n, 1 << 18):
                f.write(np.ascontiguousarray(np.asarray(audio[:, start:start + (1 << 18)]).T, dtype=np.float32))
    except sf.LibsndfileError as exc:  # libsndfile says "System error" for a full disk; say what the disk says
        full = shutil.disk_usage(Path(tmp).parent).free < (1 << 20)
        raise OSError(errno.ENOSPC, "No space left on device") if full else \
            See2SoundError(f"cannot write the audio ({_reason(exc)})") from None
    if suffix == ".wav":
        _patch_channel_mask(tmp, get_format(fmt).channel_mask)
        zero_peak_timestamp(tmp)


def _chunks(f) -> dict[bytes, tuple[int, int]]:
    """{chunk id: (offset of its data, size)} of an open RIFF/WAVE file."""
    f.seek(0)
    header = f.read(12)
    if header[:4] not in (b"RIFF", b"RF64") or header[8:12] != b"WAVE":
        raise RuntimeError("not a RIFF/WAVE file")
    found = {}
    while True:
        chunk = f.read(8)
        if len(chunk) < 8:
            return found
        chunk_id, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
        found.setdefault(chunk_id, (f.tell(), size))
        if chunk_id == b"data":
            return found
        f.seek(size + (size & 1), os.SEEK_CUR)


def zero_peak_timestamp(path: str | os.PathLike) -> None:
    """Zero the write time that libsndfile stores in a float WAV's PEAK chunk.

    The samples alone then decide the bytes: the same render gives the same file.
    """
    with open(path, "r+b") as f:
        chunks = _chunks(f)
        if b"PEAK" in chunks:
            f.seek(chunks[b"PEAK"][0] + 4)  # after the version field
            f.write(b"\0\0\0\0")


def _patch_channel_mask(path: Path, mask: int) -> None:
    """Set dwChannelMask in a WAVE_FORMAT_EXTENSIBLE file's fmt chunk.

    libsndfile picks 0x33 for 4 and 0xFF for 8 channels, which are wrong for
    FOA (0) and 7.1 (0x63F), so the mask is always written explicitly.
    """
    with open(path, "r+b") as f:
        chunks = _chunks(f)
        if b"fmt " not in chunks:
            raise RuntimeError(f"{path}: no fmt chunk")
        start, size = chunks[b"fmt "]
        f.seek(start)
        fmt = f.read(size)
        if struct.unpack("<H", fmt[:2])[0] != 0xFFFE or size < 40:
            raise RuntimeError(f"{path}: fmt chunk is not WAVE_FORMAT_EXTENSIBLE")
        f.seek(start + 20)
        f.write(struct.pack("<I", mask))
