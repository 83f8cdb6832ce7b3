"""Ambience bed material: each procedural model's loop, made once and kept.

An ambience bed (:func:`.choose.ambience_bed`) mixes procedural models; making
them is a third of a picture's render (the crowd alone is 16 talkers). So
each model's material is made once per (model, length, sample rate, seed
family) as a seamless loop, its last :data:`LOOP_CROSSFADE_S` crossfaded
(equal power) into its start, and kept:

- in memory, up to :data:`MEMORY_BYTES` in all (the studio, a notebook and
  the benchmarks render many pictures in one process);
- on disk, in the user's cache folder (``~/.cache/see2sound/beds``), up to
  :data:`DISK_BYTES` in all, the least recently used removed first, so that a
  new process (each ``see2sound render``) reads it instead of making it. A
  file's name holds everything that decides its samples (the model, length,
  rate, family, and a digest of the synthesis code and of numpy's and scipy's
  versions); it is written under a temporary name and renamed, and checked
  when read. Whatever goes wrong with the cache, the loop is made as if there
  were none: cached or not, the same arguments give the same samples.

The caller plays a loop from any offset (``np.roll``): two seeds of a family
share the material but not its alignment.

Contents
--------
bed_loop, forget_loops, LOOP_CROSSFADE_S, MEMORY_BYTES, DISK_BYTES, MAX_LOOP_BYTES
"""

from __future__ import annotations

import collections
import functools
import hashlib
import os
import threading
import time
from pathlib import Path

import numpy as np

from ..userdirs import user_dir
from .synth import synthesize

#: The loop's seam: its end is crossfaded into its start over this long (less for very short loops).
LOOP_CROSSFADE_S = 1.0
#: Loops kept in memory, in all.
MEMORY_BYTES = 128 << 20
#: Loops kept on disk, in all (a 10 s bed's loops at 48 kHz take 1.9 MB each).
DISK_BYTES = 256 << 20
#: A longer loop (over about 2.8 minutes at 48 kHz) is made each time, neither kept nor written.
MAX_LOOP_BYTES = 32 << 20
#: Part of every cache file's name: raise it when the loops' making changes in a way the digest cannot see.
FORMAT = 1

_MEMORY: collections.OrderedDict[tuple, np.ndarray] = collections.OrderedDict()
_LOCK = threading.Lock()


def bed_loop(model: str, n: int, sample_rate: int, family: int) -> np.ndarray:
    """Model ``model``'s loop of ``n`` samples [shape=(n,), float32, read-only], about -20 LUFS.

    ``family`` picks the take: the loop is the model synthesised with a seed
    derived from (family, model), so the same arguments always give the same
    samples, from memory, from disk or made anew.
    """
    key = (model, int(n), int(sample_rate), int(family))
    with _LOCK:
        found = _MEMORY.get(key)
        if found is not None:
            _MEMORY.move_to_end(key)
            return found
    small = 4 * n <= MAX_LOOP_BYTES
    loop = _read(key) if small else None
    if loop is None:
        loop = _make(*key)
        if small:
            _write(key, loop)
    loop.setflags(write=False)
    if small:
        _remember(key, loop)
    return loop


def forget_loops() -> None:
    """Empty the in-memory cache (the files stay)."""
    with _LOCK:
        _MEMORY.clear()


def _make(model: str, n: int, sample_rate: int, family: int) -> np.ndarray:
    xf = min(int(LOOP_CROSSFADE_S * sample_rate), n // 4)
    seed = int.from_bytes(hashlib.sha256(f"{family}/ambience/{model}".encode()).digest()[:8], "little") % 2 ** 31
    x = synthesize(model, (n + xf) / sample_rate, sample_rate, seed).astype(np.float64)
    x = np.pad(x, (0, max(0, n + xf - len(x))))
    if xf:
        fade = np.sin(np.linspace(0.0, np.pi / 2, xf))
        x[:xf] = x[:xf] * fade + x[n:n + xf] * fade[::-1]  # what follows sample n-1 is sample n: no seam
    return x[:n].astype(np.float32)


def _remember(key: tuple, loop: np.ndarray) -> None:
    with _LOCK:
        _MEMORY[key] = loop
        _MEMORY.move_to_end(key)
        while sum(v.nbytes for v in _MEMORY.values()) > MEMORY_BYTES and len(_MEMORY) > 1:
            _MEMORY.popitem(last=False)


# --- on disk -----------------------------------------------------------------------------------------------

@functools.cache
def _digest() -> str:
    """What decides a loop's samples besides its key: the synthesis code, numpy's and scipy's versions."""
    import scipy

    from ..io import audio
    from . import synth

    h = hashlib.sha256(f"{FORMAT}/{np.__version__}/{scipy.__version__}".encode())
    for module in (synth, audio):
        h.update(Path(module.__file__).read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:16]


def _folder() -> Path:
    return user_dir("cache") / "beds"


def _path(key: tuple) -> Path:
    model, n, sample_rate, family = key
    return _folder() / f"{model}-{n}-{sample_rate}-{family}-{_digest()}.npy"


def _read(key: tuple) -> np.ndarray | None:
    try:
        path = _path(key)
        if not path.is_file():
            return None
        loop = np.load(path, allow_pickle=False)
        if loop.dtype != np.float32 or loop.shape != (key[1],) or not np.isfinite(loop).all():
            path.unlink(missing_ok=True)  # not what this name promises: made again below
            return None
        os.utime(path)  # recently used: pruned last
        return loop
    except (OSError, ValueError):
        return None


def _write(key: tuple, loop: np.ndarray) -> None:
    try:
        path = _path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with open(tmp, "wb") as f:
                np.save(f, loop, allow_pickle=False)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        _prune(path.parent)
    except (OSError, ValueError):  # a read-only or full disk: the loop is still returned, only not kept
        pass


def _prune(folder: Path) -> None:
    """Remove the least recently used loops beyond :data:`DISK_BYTES` (and stale temporary files)."""
    entries = []
    for path in folder.iterdir():
        try:
            stat = path.stat()
        except OSError:
            continue
        if path.suffix == ".npy":
            entries.append((stat.st_mtime, stat.st_size, path))
        elif path.name.endswith(".tmp") and stat.st_mtime < time.time() - 3600:
            path.unlink(missing_ok=True)
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= DISK_BYTES:
            break
        path.unlink(missing_ok=True)
        total -= size
