"""JSON text -> (value, positions), refusing what would be unsafe to parse.

``json.loads`` parses (in C, exactly); a first pass over the structural
tokens (strings, brackets, colons, commas, scalars) bounds nesting depth and
size *before* it, since a 100,000-deep document is a recursion bomb, and
records the line and column of every key and value so diagnostics can point
into the file (``model.keras:config.json:LINE:COL``).
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from typing import Any

from graphmask.spec.yaml_loader import Limits, Position, YamlLoadError, limit_hint

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:,]|[^\s\[\]{}:,"]+', re.DOTALL)


@dataclass(frozen=True)
class JsonPositions:
    """Where each value (by path of keys and indices) and each key sits in the text."""

    values: dict[tuple, Position]
    keys: dict[tuple, Position]

    def value(self, path: tuple) -> Position | None:
        return self.values.get(tuple(path))

    def key(self, path: tuple) -> Position | None:
        return self.keys.get(tuple(path)) or self.values.get(tuple(path))


def parse_json(text: str, limits: Limits = Limits()) -> tuple[Any, JsonPositions]:
    """Parse ``text``; ``YamlLoadError`` (a GM101) for invalid, too deep or too big JSON."""
    positions = _scan(text, limits)
    try:
        return json.loads(text), positions
    except json.JSONDecodeError as exc:
        raise YamlLoadError(f"not valid JSON: {exc.msg}", Position(exc.lineno, exc.colno)) from None
    except RecursionError:  # unreachable past the depth check; kept so a parse can never crash
        raise YamlLoadError("JSON nested too deeply", hint=limit_hint("--max-depth")) from None


def _scan(text: str, limits: Limits) -> JsonPositions:
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def at(offset: int) -> Position:
        line = bisect.bisect_right(line_starts, offset)
        return Position(line, offset - line_starts[line - 1] + 1)

    values: dict[tuple, Position] = {}
    keys: dict[tuple, Position] = {}
    # stack frames: [path, is_object, next index, pending key, expecting a key]
    stack: list[list] = []
    count = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in (",", ":"):
            if token == "," and stack and stack[-1][1]:
                stack[-1][4] = True
            continue
        count += 1
        if count > limits.max_nodes:
            raise YamlLoadError(f"the JSON has more than {limits.max_nodes} values, past the limit", at(match.start()),
                                hint=limit_hint("--max-nodes"))
        if token in ("]", "}"):
            if stack:
                stack.pop()
            continue
        if stack and stack[-1][1] and stack[-1][4]:  # an object key
            frame = stack[-1]
            try:
                frame[3] = json.loads(token)
            except json.JSONDecodeError:
                frame[3] = token
            frame[4] = False
            keys[(*frame[0], frame[3])] = at(match.start())
            continue
        if stack:
            frame = stack[-1]
            if frame[1]:
                path = (*frame[0], frame[3])
            else:
                path = (*frame[0], frame[2])
                frame[2] += 1
        else:
            path = ()
        values[path] = at(match.start())
        if token in ("[", "{"):
            if len(stack) >= limits.max_depth:
                raise YamlLoadError(f"the JSON is nested more than {limits.max_depth} levels deep, past the limit",
                                    at(match.start()), hint=limit_hint("--max-depth"))
            stack.append([path, token == "{", 0, None, token == "{"])
    return JsonPositions(values, keys)
