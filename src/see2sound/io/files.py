"""Atomic output: a file or a folder appears complete under its name, or not at all."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from ..errors import ParameterError, See2SoundError


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On any exception the temporary file is removed, so a failed run leaves no
    partial output.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise See2SoundError(f"{target}: output folder {folder} does not exist")
    if target.is_dir():
        raise See2SoundError(f"{target}: is a folder, not a file")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise See2SoundError(f"{target}: cannot write there ({exc.strerror})") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a normal file follows the umask
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_folder(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; its files move into ``target`` on success.

    A sub-folder of ``target`` from an earlier run is replaced whole; on any
    exception nothing in ``target`` changes and the temporary folder goes.
    """
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise See2SoundError(f"{target}: folder {parent} does not exist")
    if target.exists() and not target.is_dir():
        raise See2SoundError(f"{target}: exists and is not a folder")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=parent))
    except OSError as exc:
        raise See2SoundError(f"{target}: cannot write there ({exc.strerror})") from None
    try:
        yield tmp
        target.mkdir(exist_ok=True)
        for item in tmp.iterdir():
            dest = target / item.name
            if dest.is_dir() and not dest.is_symlink():
                shutil.rmtree(dest)
            os.replace(item, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def refuse_overwriting_inputs(outputs: dict[str, str | os.PathLike | None],
                              inputs: dict[str, str | os.PathLike | None]) -> None:
    """Raise :class:`ParameterError` if an output would replace an input or another output.

    ``outputs`` maps the parameter that names each output (``output``,
    ``scene_path``, ``overlay``, ``stems``, ``preview``, ...) to its path;
    ``inputs`` maps what each input is (``"the picture"``, ``"a sound the scene
    plays"``, a library folder...) to its path. Paths are compared resolved
    (links followed) and, where both exist, by :func:`os.path.samefile`. A
    folder among the inputs (a sound library) may not receive an output, and an
    output folder (``stems``) may not hold an input.
    """
    named = [(what, Path(p)) for what, p in inputs.items() if p is not None]
    taken: dict[Path, str] = {}
    for parameter, out in outputs.items():
        if out is None:
            continue
        out = Path(out)
        resolved = out.resolve()
        if resolved in taken:
            raise ParameterError(parameter, f"{out}: is also where {taken[resolved]} goes; give each output its own name")
        taken[resolved] = parameter
        for what, path in named:
            if _same(resolved, path) or (out.is_dir() and _inside(path.resolve(), resolved)):
                raise ParameterError(parameter, f"{out}: would replace {what} ({path}); choose another name")
            if path.is_dir() and _inside(resolved, path):
                raise ParameterError(parameter, f"{out}: is inside {what} ({path}); choose another folder")


def _same(resolved: Path, path: Path) -> bool:
    if resolved == path.resolve():
        return True
    try:
        return resolved.exists() and os.path.samefile(resolved, path)
    except OSError:
        return False


def _inside(path: Path, folder: Path) -> bool:
    return path.is_relative_to(folder.resolve())
