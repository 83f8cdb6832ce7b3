"""MkDocs hook: GitHub-style escaped pipes inside code spans in tables.

On GitHub a table cell may hold ``--room auto\\|none`` in backticks: the
backslash keeps the pipe from splitting the cell and is dropped. Python-Markdown
keeps the pipe inside a code span whole without help and would print the
backslash. So the pages are written the GitHub way (they read fine there) and
this hook drops the backslashes before Markdown sees them.
"""

from __future__ import annotations

import re

CODE = re.compile(r"`[^`\n]*`")


def on_page_markdown(markdown: str, page, config, files) -> str:
    lines, fenced = markdown.split("\n"), False
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and line.lstrip().startswith("|") and "\\|" in line:
            lines[i] = CODE.sub(lambda m: m.group(0).replace("\\|", "|"), line)
    return "\n".join(lines)
