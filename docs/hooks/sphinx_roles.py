"""Griffe extension: render Sphinx cross-reference roles in see2sound's docstrings as code.

The docstrings are numpy style but cite other objects the Sphinx way,
``:class:`~see2sound.scene.Scene``` or ``:meth:`load```, which Markdown
would print literally. This turns each role into a code span before
mkdocstrings renders the docstring: ``~a.b.C`` becomes ``C`` (Sphinx's
"last component" shorthand), anything else stays as written. The source
files are not touched. Loaded by mkdocstrings (``extensions:`` in
mkdocs.yml).
"""

from __future__ import annotations

import re

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|data|mod|exc|obj|const|ref):`(~?)([^`]+)`")


def plain(text: str) -> str:
    """``text`` with every Sphinx role replaced by a Markdown code span."""

    def code(match: re.Match) -> str:
        short, target = match.group(1), match.group(2).strip()
        if "<" in target and target.endswith(">"):  # :ref:`title <target>`
            target = target[: target.index("<")].strip()
        if short:
            target = target.rsplit(".", 1)[-1]
        return f"`{target}`"

    return ROLE.sub(code, text)


class SphinxRoles(griffe.Extension):
    """Rewrites the roles in every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None and ":" in obj.docstring.value:
            obj.docstring.value = plain(obj.docstring.value)
