"""``graphmask check PATH...``: lint spec files."""

from __future__ import annotations

import argparse
import sys

from graphmask.checker import check_path
from graphmask.diagnostics import has_errors
from graphmask.files import discover
from graphmask.report.json import format_json
from graphmask.report.text import format_text

FORMATTERS = {"text": format_text, "json": format_json}


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("check", help="check spec files for mask and structure problems")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="spec files or directories (searched for *.yaml, *.yml)")
    parser.add_argument("--format", choices=sorted(FORMATTERS), default="text", help="output format")
    return parser


def run(args: argparse.Namespace) -> int:
    from graphmask.cli import UsageError

    found = discover(args.paths)
    if found.missing:
        raise UsageError(f"no such file or directory: {', '.join(found.missing)}")
    results = [check_path(path) for path in found.files]
    sys.stdout.write(FORMATTERS[args.format](results))
    return 1 if any(has_errors(r.diagnostics) for r in results) else 0
