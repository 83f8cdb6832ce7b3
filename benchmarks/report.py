"""What the benchmark scripts share: the process's peak memory and the results table they write."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
