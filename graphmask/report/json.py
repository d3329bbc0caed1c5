"""``--format json``: a JSON array of diagnostic objects."""

from __future__ import annotations

import json

from graphmask.result import CheckResult


def format_json(results: list[CheckResult]) -> str:
    return json.dumps([d.to_dict() for r in results for d in r.diagnostics], indent=2) + "\n"
