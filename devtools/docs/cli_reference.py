"""The command reference of ``docs/cli.md``, generated from the argparse parser.

The parser is the only place a flag is described; this renders it as
Markdown (independent of terminal width, unlike ``--help``). Regenerate with
``python -m devtools.docs``.
"""

from __future__ import annotations

import argparse

from graphmask.cli import build_parser


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def _name(action: argparse.Action) -> str:
    if not action.option_strings:
        metavar = action.metavar or action.dest.upper()
        return metavar + ("..." if action.nargs in ("*", "+") else "")
    return ", ".join(action.option_strings)


def _value(action: argparse.Action) -> str:
    if action.nargs == 0 or not action.option_strings:
        return ""
    if action.choices:
        return "`" + "\\|".join(str(c) for c in action.choices) + "`"
    return f"`{action.metavar or action.dest.upper()}`"


def _default(action: argparse.Action) -> str:
    default = action.default
    if default in (None, False, [], argparse.SUPPRESS) or action.nargs == 0:
        return ""
    return f"`{default}`"


def _usage(name: str, parser: argparse.ArgumentParser) -> str:
    parts = [f"graphmask {name}"]
    if any(a.option_strings and not isinstance(a, argparse._HelpAction) for a in parser._actions):
        parts.append("[options]")
    for action in parser._actions:
        if action.option_strings:
            continue
        metavar = action.metavar or action.dest.upper()
        parts.append({"*": f"[{metavar}...]", "+": f"{metavar}...", "?": f"[{metavar}]"}.get(action.nargs, metavar))
    return " ".join(parts)


def _cell(text: str) -> str:
    """One table cell: one line, pipes escaped, ``*``/``<`` inert outside code spans."""
    pieces = " ".join(text.split()).replace("|", "\\|").split("`")
    for i in range(0, len(pieces), 2):
        pieces[i] = pieces[i].replace("*", "\\*").replace("<", "&lt;")
    return "`".join(pieces)


def cli_reference() -> str:
    parser = build_parser()
    sub = _subparsers(parser)
    summaries = {a.dest: a.help for a in sub._choices_actions}
    parts = ["| command | what it does |", "|---|---|"]
    parts += [f"| [`{name}`](#graphmask-{name}) | {_cell(summaries.get(name) or '')} |" for name in sub.choices]
    for name, command in sub.choices.items():
        summary = _cell(summaries.get(name) or "").rstrip(".")
        parts += ["", f"### graphmask {name}", "", summary[:1].upper() + summary[1:] + "."]
        if command.description:
            parts += ["", _cell(command.description)]
        parts += ["", "```text", _usage(name, command), "```", "",
                  "| argument | value | default | description |", "|---|---|---|---|"]
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            parts.append(f"| `{_name(action)}` | {_value(action)} | {_default(action)} | {_cell(action.help or '')} |")
    return "\n".join(parts)
