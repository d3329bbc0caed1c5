"""``graphmask explain SPEC``: how masks flow through each node."""

from __future__ import annotations

import argparse
import os
import sys

from graphmask.commands import print_diagnostics
from graphmask.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("explain", help="show, per node, the mask it receives and produces, and its roles")
    parser.add_argument("spec", metavar="SPEC", help="a spec file")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def run(args: argparse.Namespace) -> int:
    from graphmask.explainer import ExplainError, explain
    from graphmask.report.explain import format_explain_json, format_explain_text

    if not os.path.exists(args.spec):
        raise UsageError(f"no such file: {args.spec}")
    try:
        flow = explain(args.spec)
    except ExplainError as exc:
        print_diagnostics(exc.diagnostics, args.spec)
        return 1
    sys.stdout.write(format_explain_json(flow) if args.format == "json" else format_explain_text(flow))
    return 0
