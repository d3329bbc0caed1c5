"""``graphmask rules [CODE...]``: list the rules, or explain some in full."""

from __future__ import annotations

import argparse
import json
import sys

from graphmask.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "rules", help="list every diagnostic code, or explain one (`graphmask rules GM201`)")
    parser.add_argument("codes", nargs="*", metavar="CODE", help="codes to explain in full (e.g. GM201)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    return parser


def run(args: argparse.Namespace) -> int:
    from graphmask.diagnostics import RULES
    from graphmask.report.rules import rule_text, rules_table
    from graphmask.suggest import did_you_mean

    codes = [c.strip().upper() for c in args.codes]
    unknown = [c for c in codes if c not in RULES]
    if unknown:
        raise UsageError("; ".join(f"no rule `{c}`{did_you_mean(c, set(RULES))}" for c in unknown)
                         + " (`graphmask rules` lists them)")
    rules = [RULES[c] for c in codes] or list(RULES.values())
    if args.format == "json":
        fields = ("code", "severity", "summary", "fix", "explanation", "bad_example", "good_example")
        data = [{f: (getattr(r, f).value if f == "severity" else getattr(r, f)) for f in fields} for r in rules]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    elif codes:
        sys.stdout.write("\n".join(rule_text(r) for r in rules))
    else:
        sys.stdout.write(rules_table())
    return 0
