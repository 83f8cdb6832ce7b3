"""MkDocs hook: the CLI reference, generated from see2sound's argparse parser at build time.

A page that holds the line ``<!-- cli-reference -->`` gets, in its place,
the usage, description and a table of options of the ``see2sound`` command
and of each of its subcommands (and of a command group's own subcommands,
``see2sound sounds import``). The parser comes from
``see2sound.cli.build_parser()`` (or, in older code, ``see2sound.cli._parser()``),
so the page always says what the installed code accepts.
"""

from __future__ import annotations

import argparse
import logging
import os

MARKER = "<!-- cli-reference -->"
#: Width that usage lines are wrapped to, whatever the terminal that builds the docs.
WIDTH = 88

log = logging.getLogger("mkdocs.hooks.cli_reference")


def on_page_markdown(markdown: str, page, config, files) -> str:
    if MARKER not in markdown:
        return markdown
    try:
        reference = cli_reference()
    except Exception as exc:  # an import error in see2sound: one clear line, not a traceback
        log.warning("%s: cannot generate the CLI reference from see2sound.cli: %s: %s",
                    page.file.src_uri, type(exc).__name__, exc)
        reference = "*The CLI reference could not be generated: see the build log.*"
    return markdown.replace(MARKER, reference)


def build_parser() -> argparse.ArgumentParser:
    from see2sound import cli

    factory = getattr(cli, "build_parser", None) or getattr(cli, "_parser", None)
    if factory is None:
        raise RuntimeError("see2sound.cli has neither build_parser() nor _parser()")
    return factory()


def cli_reference() -> str:
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(WIDTH)  # argparse wraps usage to the terminal's width
    try:
        parser = build_parser()
        parts = [_section(parser, "see2sound", level=2, intro=True)]
        for name, sub, help_text in _subcommands(parser):
            parts.append(_section(sub, f"see2sound {name}", level=2, summary=help_text))
            for inner, subsub, inner_help in _subcommands(sub):  # a command group: see2sound sounds import
                parts.append(_section(subsub, f"see2sound {name} {inner}", level=3, summary=inner_help))
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
    return "\n\n".join(parts) + "\n"


def _subcommands(parser: argparse.ArgumentParser):
    """(name, parser, help) of every subcommand, in the order they were added."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            seen = set()
            for name, sub in action.choices.items():
                if id(sub) in seen:  # aliases
                    continue
                seen.add(id(sub))
                yield name, sub, helps.get(name) or ""


def _section(parser: argparse.ArgumentParser, title: str, level: int, intro: bool = False,
             summary: str = "") -> str:
    formatter = parser._get_formatter()
    usage = parser.format_usage().strip()
    lines = [f"{'#' * level} `{title}`", ""]
    if summary:
        lines += [_text(summary[0].upper() + summary[1:]) + ".", ""]
    lines += ["```text", usage, "```", ""]
    if parser.description and not intro:
        lines += [_text(parser.description), ""]
    rows = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        if action.help == argparse.SUPPRESS:
            continue
        rows.append(_row(action, formatter))
    if rows:
        lines += ["| argument | value | default | meaning |", "| --- | --- | --- | --- |", *rows]
    if intro:
        lines += ["", "Commands: " + ", ".join(f"[`{name}`](#see2sound-{name})" for name, _, _ in
                                               _subcommands(parser)) + "."]
    inner = list(_subcommands(parser)) if not intro else []
    if inner:
        prefix = title.removeprefix("see2sound ").replace(" ", "-")
        lines += ["", "Subcommands: " + ", ".join(f"[`{name}`](#see2sound-{prefix}-{name})" for name, _, _ in
                                                  inner) + "."]
    return "\n".join(lines)


def _row(action: argparse.Action, formatter: argparse.HelpFormatter) -> str:
    if action.option_strings:
        name = ", ".join(f"`{s}`" for s in action.option_strings)
    else:
        name = f"`{action.metavar or action.dest}`"
    if action.nargs == 0 or not action.option_strings:
        value = ""  # a flag, or a positional argument (its name is its value)
    elif action.choices is not None:
        value = " \\| ".join(f"`{c}`" for c in action.choices)
    else:
        metavar = action.metavar or action.dest.upper()
        value = f"`{metavar}`"
    if action.required or not action.option_strings:
        value = (value + " " if value else "") + "(required)"
    if isinstance(action, argparse._AppendAction):
        value = (value + " " if value else "") + "(repeatable)"
    default = ""
    if (action.option_strings and action.default not in (None, False, [], argparse.SUPPRESS)
            and action.nargs != 0):
        default = f"`{action.default}`"
    help_text = formatter._expand_help(action) if action.help else ""
    return f"| {name} | {value} | {default} | {_text(help_text)} |"


def _text(text: str) -> str:
    """Plain text for a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
