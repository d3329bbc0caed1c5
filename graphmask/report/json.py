"""``--format json``: a JSON array of diagnostic objects.

The text is exactly ``json.dumps(objects, indent=2)``'s, written here: with an
indent, ``json`` takes its pure-Python encoder, which cost a cached check of
1,000 specs a fifth of its time.  Strings are escaped by ``json``'s own C
function; anything but the flat objects of diagnostics goes to ``json.dumps``.
"""

from __future__ import annotations

import json
from typing import Any

from graphmask.result import CheckResult

_STRING = json.encoder.encode_basestring_ascii  # what json.dumps uses (ensure_ascii)


def format_json(results: list[CheckResult]) -> str:
    objects = [d.to_dict() for r in results for d in r.diagnostics]
    if not objects:
        return "[]\n"
    return "[\n" + ",\n".join(_object(o) for o in objects) + "\n]\n"


def _object(obj: dict[str, Any]) -> str:
    """One diagnostic at depth 1, as ``json.dumps(indent=2)`` writes it."""
    return "  {\n" + ",\n".join(f"    {_STRING(key)}: {_value(value)}" for key, value in obj.items()) + "\n  }"


def _value(value: Any) -> str:
    if type(value) is str:
        return _STRING(value)
    if type(value) is int or value is None:
        return "null" if value is None else int.__repr__(value)
    if type(value) is list and all(type(v) is str for v in value):
        return "[\n" + ",\n".join(f"      {_STRING(v)}" for v in value) + "\n    ]" if value else "[]"
    return json.dumps(value, indent=2).replace("\n", "\n    ")  # nested deeper: json's own layout, moved in
