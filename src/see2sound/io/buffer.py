"""A (channels, n) float32 audio buffer kept in a temporary file.

Long multichannel renders do not fit in memory comfortably (10 minutes of
7.1 at 48 kHz is 920 MB). This buffer supports exactly the access the
renderer and the mastering stage use, ``buf[:, a:b]`` to read and
``buf[:, a:b] = x`` to write a time range, with frames interleaved on disk so
a range is one contiguous read. Unlike ``np.memmap``, pages read or written
are not kept resident, so peak memory stays at one chunk.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np


class DiskAudio:
    """float32 samples [shape=(channels, n)] in an anonymous temporary file in ``folder``."""

    dtype = np.dtype(np.float32)

    def __init__(self, channels: int, n: int, folder: str | os.PathLike | None = None):
        self.shape = (channels, n)
        self._file = tempfile.TemporaryFile(dir=folder, prefix=".see2sound-")
        self._file.truncate(channels * n * 4)
        self._fd = self._file.fileno()

    def _range(self, key) -> tuple[int, int]:
        rows, cols = key
        if rows != slice(None) or not isinstance(cols, slice) or cols.step not in (None, 1):
            raise IndexError("DiskAudio supports buf[:, a:b] only")
        start, stop, _ = cols.indices(self.shape[1])
        return start, max(start, stop)

    def __getitem__(self, key) -> np.ndarray:
        start, stop = self._range(key)
        channels = self.shape[0]
        raw = os.pread(self._fd, (stop - start) * channels * 4, start * channels * 4)
        return np.frombuffer(raw, dtype=np.float32).reshape(stop - start, channels).T.copy()

    def __setitem__(self, key, value) -> None:
        start, stop = self._range(key)
        frames = np.ascontiguousarray(np.broadcast_to(value, (self.shape[0], stop - start)).T, dtype=np.float32)
        os.pwrite(self._fd, frames.tobytes(), start * self.shape[0] * 4)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> DiskAudio:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
