"""Reading a spec again after a small edit: only the parts whose text changed are composed.

An editor re-checks the whole text after every key stroke, and composing it
is a third of the check.  A spec in block style is a mapping of top-level
entries (``inputs:``, ``layers:``...) and its ``layers:`` a sequence of
items; nothing links them when the text has no alias, anchor, tag,
directive or document marker.  Each of those parts, composed alone (moved
down to its own line, so that its marks are the ones it has in the whole
text), is then the node it is in the whole text.  The node tree and data of
each part are kept by (text, first line) in ``Chunks``, and the document is
put together from them: a root mapping of every top-level entry, whose
``layers`` is a sequence of every item.

Whatever is not plainly such a text -- a part that does not compose alone,
or composes to something else than one entry or one item, a duplicate key,
a value the builder refuses -- makes ``compose_in_chunks`` give up (None),
and the caller reads the whole text the usual way, errors included.  The
data of a kept part is shared by the reads that reuse it: the check path
never mutates parsed data (tests/test_incremental.py holds both to that).
"""

from __future__ import annotations

import re
from typing import Any, Callable

import yaml

# A line that starts a top-level entry: not indented, a comment, an item, a marker or another indicator.
_ENTRY = re.compile(r"[^\s#\-%.?:,\[\]{}&*!|>@`]")
_LAYERS = re.compile(r"layers:[ \t]*(#.*)?\r?\n?$")
_ITEM = re.compile(r"( *)-( |\r?\n|$)")
_LINKS = ("*", "&", "!", "\t")  # aliases, anchors and tags link parts; a tab is an error to report whole

Part = tuple[Any, Any]  # (node tree, data) of one part


class GiveUp(Exception):
    """Raised by the ``build`` callable for a value it refuses: the whole read reports it."""
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_STR = "tag:yaml.org,2002:str"


class Chunks:
    """The parts of the last read of one document, by (text, first line)."""

    def __init__(self) -> None:
        self.parts: dict[tuple[str, int], Part] = {}


def compose_in_chunks(text: str, chunks: Chunks, compose: Callable[[str], Any],
                      build: Callable[[Any, int], Any]) -> tuple[Any, Any, Chunks] | None:
    """(root node, data, the chunks of this text), or None where the text must be read whole.

    ``compose(text)`` is the loader's compose; ``build(node, depth)`` its builder.
    """
    if any(link in text for link in _LINKS):
        return None
    lines = text.splitlines(keepends=True)
    entries = _entries(lines)
    if entries is None:
        return None
    kept = Chunks()
    pairs, data, start = [], {}, None
    for first, last in entries:
        pair = _entry(lines, first, last, chunks, kept, compose, build)
        if pair is None:
            return None
        (key_node, value_node), value, mapping = pair
        start = start or mapping.start_mark  # where the whole text's mapping starts
        key = key_node.value
        if key_node.tag != _STR or key in data:
            return None  # a key that is not a plain name, or a duplicate: the whole read reports it
        pairs.append((key_node, value_node))
        data[key] = value
    if not pairs:
        return None
    root = yaml.MappingNode(_MAP, pairs, start, pairs[-1][1].end_mark, flow_style=False)
    return root, data, kept


def _entries(lines: list[str]) -> list[tuple[int, int]] | None:
    """(first line, end line) of each top-level entry; comments and blank lines before the first belong to it."""
    starts = []
    for i, line in enumerate(lines):
        if line.startswith("%"):  # a directive applies to the whole text
            return None
        if _ENTRY.match(line):
            starts.append(i)
    if not starts:
        return None
    bounds = [0] + starts[1:] + [len(lines)]
    return list(zip(bounds, bounds[1:]))


def _entry(lines: list[str], first: int, last: int, chunks: Chunks, kept: Chunks,
           compose: Callable[[str], Any], build: Callable[[Any, int], Any]) -> tuple[tuple, Any, Any] | None:
    """The (key node, value node), value and composed mapping of one top-level entry."""
    head = next(i for i in range(first, last) if _ENTRY.match(lines[i]))
    items = _items(lines, head + 1, last) if _LAYERS.match(lines[head]) else None
    if not items:
        part = _one_entry(_part(lines, first, last, chunks, kept, compose, build, depth=0))
        if part is None:
            return None
        (value,) = part[1].values()
        return part[0].value[0], value, part[0]
    header = _one_entry(_part(lines, first, head + 1, chunks, kept, compose, build, depth=0))
    if header is None:
        return None
    nodes, values = [], []
    for start, end in items:
        part = _part(lines, start, end, chunks, kept, compose, build, depth=1)
        if part is None or not isinstance(part[0], yaml.SequenceNode) or len(part[0].value) != 1:
            return None
        nodes.append(part[0])
        values.append(part[1][0])
    sequence = yaml.SequenceNode(_SEQ, [n.value[0] for n in nodes], nodes[0].start_mark, nodes[-1].end_mark,
                                 flow_style=False)
    return (header[0].value[0][0], sequence), values, header[0]


def _one_entry(part: Part | None) -> Part | None:
    """``part`` if it composed to a mapping of one entry (what a top-level entry read alone must be)."""
    if part is None or not isinstance(part[0], yaml.MappingNode) or len(part[0].value) != 1:
        return None
    return part


def _items(lines: list[str], first: int, last: int) -> list[tuple[int, int]] | None:
    """(first line, end line) of each item of a block sequence; None where the lines are something else."""
    starts: list[int] = []
    indent = None
    for i in range(first, last):
        line = lines[i]
        stripped = line.lstrip(" ")
        if not stripped.strip() or stripped.startswith("#"):
            continue
        width = len(line) - len(stripped)
        item = _ITEM.match(line)
        if indent is None:
            if item is None:
                return None
            indent = width
        if item is not None and width == indent:
            starts.append(i)
        elif width <= indent:
            return None  # less indented than the items, or not an item: not a plain block sequence
    if not starts:
        return None
    bounds = starts[1:] + [last]
    return list(zip(starts, bounds))


def _part(lines: list[str], first: int, last: int, chunks: Chunks, kept: Chunks,
          compose: Callable[[str], Any], build: Callable[[Any, int], Any], depth: int) -> Part | None:
    text = "".join(lines[first:last])
    key = (text, first)
    part = chunks.parts.get(key)
    if part is None:
        try:
            node = compose("\n" * first + text)  # on its own lines: its marks are those of the whole text
            part = (node, build(node, depth)) if node is not None else None
        except (yaml.YAMLError, RecursionError, UnicodeEncodeError, GiveUp):
            return None
        if part is None:
            return None
    kept.parts[key] = part
    return part
