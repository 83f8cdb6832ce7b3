"""What the benchmark scripts share: timing, the process's peak memory and the results table they write."""

from __future__ import annotations

import re
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def best_of(fn, repeat: int = 5) -> float:
    """The shortest of ``repeat`` timed calls of ``fn``, after one untimed call that warms caches (HRTF, FFT
    plans, a numba kernel)."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    return int(re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) / 1024


def write_results(name: str, title: str, machine: str, header: tuple[str, str], rows: list[tuple[str, str]]) -> None:
    """benchmarks/results-NAME.md: a title, the machine and command line, a two-column table; also printed."""
    lines = [f"# {title}", "", machine, "", f"| {header[0]} | {header[1]} |", "| --- | --- |"]
    lines += [f"| {a} | {b} |" for a, b in rows]
    text = "\n".join(lines) + "\n"
    (ROOT / "benchmarks" / f"results-{name}.md").write_text(text)
    print(text)


#: The tree before issue 16's speed work: the "before" column of every speed benchmark.
BASELINE_REV = "41696c8"


class Baseline:
    """An earlier revision's ``src/`` checked out in a temporary git worktree, to measure "before" in the same run.

        with Baseline() as before:
            before.python(["-c", CODE, arg])      # runs with that tree's see2sound first on the path

    ``rev`` defaults to :data:`BASELINE_REV`. ``src`` is the folder to put on PYTHONPATH; ``None``
    after the ``with`` block. Use :meth:`env` to run other commands (``see2sound`` itself via ``-m``).
    """

    def __init__(self, rev: str = BASELINE_REV):
        self.rev = rev
        self.src: Path | None = None
        self._tmp = None

    def __enter__(self) -> "Baseline":
        import subprocess
        import tempfile

        self._tmp = tempfile.TemporaryDirectory(prefix="see2sound-baseline-")
        tree = Path(self._tmp.name) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), self.rev], check=True)
        self.src = tree / "src"
        return self

    def env(self) -> dict:
        import os

        return {**os.environ, "PYTHONPATH": str(self.src)}

    def python(self, args: list[str], **kwargs):
        """``python ARGS`` with this revision's see2sound; returns the CompletedProcess (text, captured)."""
        import subprocess
        import sys

        return subprocess.run([sys.executable, *args], env=self.env(), capture_output=True, text=True, check=True,
                              **kwargs)

    def __exit__(self, *exc) -> None:
        import subprocess

        tree = Path(self._tmp.name) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
        self._tmp.cleanup()
        self.src = None
