"""The composed YAML node tree of a spec text, for tools that edit or point into it.

``graphmask.spec`` reads a spec into data and answers "where is this path?";
fixes (graphmask/fixes.py) and the language server also need the reverse,
"what is at this offset?", and the exact span of each scalar. The text must
already have loaded (``parse_yaml`` enforces the limits that make composing
it safe).
"""

from __future__ import annotations

import bisect
import re

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlTree:
    """The composed YAML of a text: nodes by path and by position, and offsets."""

    def __init__(self, text: str):
        self.text = text
        self.root = yaml.compose(text, Loader=_Loader)
        self._line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
        self.by_position: dict[tuple[int, int], tuple[tuple, bool]] = {}  # (line, col) 1-based -> (path, is key)
        self._spans: list[tuple[int, int, tuple, bool]] = []  # (start, end, path, is key) of every scalar
        if self.root is not None:
            self._index(self.root, ())
        self._spans.sort()
        self._starts = [s[0] for s in self._spans]

    def _index(self, node: yaml.Node, path: tuple) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    self._scalar(key, path + (key.value,), True)
                    self._index(value, path + (key.value,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._index(item, path + (i,))
        else:
            self._scalar(node, path, False)

    def _scalar(self, node: yaml.Node, path: tuple, is_key: bool) -> None:
        self.by_position.setdefault(_mark(node), (path, is_key))
        self._spans.append((self.offset(node.start_mark), self.offset(node.end_mark), path, is_key))

    def at(self, offset: int) -> tuple[int, int, tuple, bool] | None:
        """(start, end, path, is key) of the scalar at a character offset (its end included:
        a cursor just after a word is on it)."""
        i = bisect.bisect_right(self._starts, offset) - 1
        if i >= 0 and self._spans[i][0] <= offset <= self._spans[i][1]:
            return self._spans[i]
        return None

    def span(self, path: tuple, key: bool = False) -> tuple[int, int] | None:
        """Character span of the scalar at ``path`` (or of its key)."""
        key_node, node = self.node(path)
        node = key_node if key else node
        if not isinstance(node, yaml.ScalarNode):
            return None
        return self.offset(node.start_mark), self.offset(node.end_mark)

    def position(self, offset: int) -> tuple[int, int]:
        """0-based (line, character) of an offset."""
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line, offset - self._line_starts[line]

    def offset(self, mark) -> int:
        return self._line_starts[mark.line] + mark.column

    def node(self, path: tuple) -> tuple[yaml.Node | None, yaml.Node | None]:
        """(key node, value node) at ``path``."""
        key, node = None, self.root
        for step in path:
            if isinstance(node, yaml.MappingNode):
                match = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == step), None)
                if match is None:
                    return None, None
                key, node = match
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
                key, node = None, node.value[step]
            else:
                return None, None
        return key, node

    def content_end(self, node: yaml.Node) -> int:
        """Where a node's own text ends (a block collection's end mark lies past trailing comments)."""
        if isinstance(node, yaml.ScalarNode) or node.flow_style or not node.value:
            return self.offset(node.end_mark)
        last = node.value[-1]
        return self.content_end(last[1] if isinstance(node, yaml.MappingNode) else last)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1
