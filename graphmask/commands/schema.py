"""``graphmask schema``: print the JSON Schema of the spec format."""

from __future__ import annotations

import argparse
import json
import sys

from graphmask.spec import json_schema


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    return subparsers.add_parser("schema", help="print the JSON Schema of the spec format")


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")
    return 0
