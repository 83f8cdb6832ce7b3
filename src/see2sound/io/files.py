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
    if target.exists() and not target.is_file():
        raise See2SoundError(f"{target}: is a device, pipe or socket, not a file see2sound replaces")
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


#: Outputs that are folders this run fills (and may replace files in).
FOLDER_OUTPUTS = ("stems",)


def refuse_overwriting_inputs(outputs: dict[str, str | os.PathLike | None],
                              inputs: dict[str, str | os.PathLike | None], *,
                              input_folders: dict[str, str | os.PathLike] | None = None) -> None:
    """Raise :class:`ParameterError` if an output would replace an input or another output.

    ``outputs`` maps the parameter that names each output (``output``,
    ``scene_path``, ``overlay``, ``stems``, ``preview``, ...) to its path;
    ``inputs`` maps what each input file is (``"the picture"``) to its path;
    ``input_folders`` what each input folder is (``"the sound library X"``) to
    its path: an output may not replace a file in one. Paths are compared
    resolved (links followed) and, where both exist, by
    :func:`os.path.samefile`. An output folder (:data:`FOLDER_OUTPUTS`) may hold
    neither an input nor another output. A path that cannot be resolved (a link
    loop, a name too long) is left for the code that opens it to report.
    """
    files = [(what, Path(p), _resolved(p)) for what, p in inputs.items() if p is not None]
    folders = [(what, _resolved(p)) for what, p in (input_folders or {}).items()]
    outs = [(param, Path(p), _resolved(p)) for param, p in outputs.items() if p is not None]
    taken: dict[Path, str] = {}
    for param, out, where in outs:
        if where is None:
            continue
        if where in taken:
            raise ParameterError(param, f"{out}: is also where {taken[where]} goes; give each output its own name")
        taken[where] = param
        for what, path, at in files:
            if at is not None and (_same(where, at) or (param in FOLDER_OUTPUTS and at.is_relative_to(where))):
                raise ParameterError(param, f"{out}: would replace {what} ({path}); choose another name")
        for what, at in folders:
            if at is not None and where.is_relative_to(at) and _exists(where):
                raise ParameterError(param, f"{out}: would replace a file of {what}; choose another name")
        if param in FOLDER_OUTPUTS:
            for other, other_out, other_where in outs:
                if other != param and other_where is not None and other_where.is_relative_to(where):
                    raise ParameterError(other, f"{other_out}: is inside {out}, the folder this run fills with "
                                                "its stems; choose another name")


def _resolved(path: str | os.PathLike) -> Path | None:
    try:
        return Path(path).resolve()
    except (OSError, ValueError, RuntimeError):  # a link loop, a NUL byte, a name too long
        return None


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _same(a: Path, b: Path) -> bool:
    try:
        return a == b or (a.exists() and b.exists() and os.path.samefile(a, b))
    except (OSError, ValueError):
        return False
