"""MkDocs hook: include the benchmark results files in a page at build time.

A line ``<!-- include: benchmarks/results-render.md -->`` (a path from the
repository root) is replaced by that file, its headings moved down to sit
under the page's own. A ``benchmarks/results-*.md`` file that the page does
not include is added at its end under "Other results", so a new benchmark
shows up without editing the page. A named file that does not exist is a
warning (an error under ``mkdocs build --strict``).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

INCLUDE = re.compile(r"^<!--\s*include:\s*(\S+?)\s*-->\s*$", re.MULTILINE)
RESULTS_GLOB = "benchmarks/results-*.md"
#: An included file's top headings become this level, below the page's ``##`` sections.
TOP_LEVEL = 3

log = logging.getLogger("mkdocs.hooks.include_results")


def on_page_markdown(markdown: str, page, config, files) -> str:
    if not INCLUDE.search(markdown):
        return markdown
    root = Path(config["config_file_path"]).resolve().parent
    included: set[Path] = set()

    def include(match: re.Match) -> str:
        path = (root / match.group(1)).resolve()
        if not path.is_file():
            log.warning("%s: included file %s does not exist", page.file.src_uri, match.group(1))
            return ""
        included.add(path)
        return _demote(path.read_text(encoding="utf-8"))

    markdown = INCLUDE.sub(include, markdown)
    rest = [p for p in sorted(root.glob(RESULTS_GLOB)) if p.resolve() not in included]
    if rest:
        markdown += "\n\n## Other results\n"
        for path in rest:
            markdown += f"\n### `{path.relative_to(root).as_posix()}`\n\n{_demote(path.read_text(encoding='utf-8'))}\n"
    return markdown


def _demote(text: str) -> str:
    """Move the file's headings down so that its top level is TOP_LEVEL (outside fenced code)."""
    lines, fenced, levels = text.splitlines(), False, []
    headings = []
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,6} ", line):
            headings.append(i)
            levels.append(len(line) - len(line.lstrip("#")))
    if levels:
        shift = max(0, TOP_LEVEL - min(levels))
        for i, level in zip(headings, levels):
            lines[i] = "#" * min(6, level + shift) + lines[i][level:]
    return "\n".join(lines).strip() + "\n"
