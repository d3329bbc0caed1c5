"""Safe YAML reading that remembers where every value came from.

We compose the YAML into its node tree (libyaml when available) and build
plain Python data from it ourselves instead of using a YAML constructor, so
that: no tag can construct an object (only the core schema's plain types
exist), duplicate keys are errors rather than silently overwritten, alias
"bombs" are measured before they are expanded, and the node tree can answer
"where is ``layers[3].args.units``?" lazily for diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


@dataclass(frozen=True)
class Limits:
    """Resource limits for reading untrusted spec files."""

    max_bytes: int = 10 * 1024 * 1024
    max_nodes: int = 5_000_000  # YAML nodes after alias expansion
    max_depth: int = 64


@dataclass(frozen=True)
class Position:
    line: int  # 1-based; 0 = unknown
    column: int  # 1-based; 0 = unknown


class YamlLoadError(Exception):
    """The text is not YAML we accept; carries a position for the diagnostic."""

    def __init__(self, message: str, position: Position = Position(0, 0)):
        super().__init__(message)
        self.message = message
        self.position = position


def _pos(node: yaml.Node | None) -> Position:
    if node is None:
        return Position(0, 0)
    mark = node.start_mark
    return Position(mark.line + 1, mark.column + 1)


class SourceMap:
    """Answers where a value (or its key) sits in the YAML text."""

    def __init__(self, file: str, root: yaml.Node | None):
        self.file = file
        self._root = root

    def _walk(self, path: tuple) -> tuple[yaml.Node | None, yaml.Node | None, int]:
        """Follow ``path``; return (key node, value node, steps resolved)."""
        key_node, node = None, self._root
        for depth, step in enumerate(path):
            if isinstance(node, yaml.MappingNode):
                match = None
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode) and k.value == str(step):
                        match = (k, v)
                if match is None:
                    return key_node, node, depth
                key_node, node = match
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                if not 0 <= step < len(node.value):
                    return key_node, node, depth
                key_node, node = None, node.value[step]
            else:
                return key_node, node, depth
        return key_node, node, len(path)

    def value(self, path: tuple = ()) -> Position:
        """Position of the value at ``path`` (or of the deepest part that exists)."""
        _, node, _ = self._walk(tuple(path))
        return _pos(node)

    def key(self, path: tuple = ()) -> Position:
        """Position of the mapping key that holds ``path``; the value's if none."""
        key_node, node, resolved = self._walk(tuple(path))
        if resolved == len(path) and key_node is not None:
            return _pos(key_node)
        return _pos(node)

    def exists(self, path: tuple) -> bool:
        return self._walk(tuple(path))[2] == len(path)


def _subtree_sizes(root: yaml.Node, limits: Limits) -> int:
    """Node count after alias expansion, computed without expanding.

    Aliases make the composed tree a DAG; memoising by node identity gives
    the expanded size in time linear in the text.
    """
    sizes: dict[int, int] = {}
    # iterative post-order to stay safe on deep documents
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children = (
            [c for pair in node.value for c in pair]
            if isinstance(node, yaml.MappingNode)
            else list(node.value)
        )
        if done:
            total = 1 + sum(sizes[id(c)] for c in children)
            sizes[id(node)] = min(total, limits.max_nodes + 1)
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


class _Builder:
    def __init__(self, limits: Limits):
        self.limits = limits
        self._scalars = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, depth: int = 0) -> Any:
        if depth > self.limits.max_depth:
            raise YamlLoadError(
                f"nesting deeper than {self.limits.max_depth} levels", _pos(node)
            )
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in _SCALAR_TAGS:
                raise YamlLoadError(
                    f"YAML tag {node.tag!r} is not allowed: specs hold plain data only",
                    _pos(node),
                )
            try:
                return self._scalars.construct_object(node)
            except (yaml.YAMLError, ValueError, OverflowError) as exc:
                raise YamlLoadError(f"bad scalar {node.value!r}: {exc}", _pos(node)) from None
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise YamlLoadError(f"YAML tag {node.tag!r} is not allowed", _pos(node))
            return [self.build(child, depth + 1) for child in node.value]
        if node.tag != _MAP:
            raise YamlLoadError(f"YAML tag {node.tag!r} is not allowed", _pos(node))
        result: dict[Any, Any] = {}
        seen: dict[Any, yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                raise YamlLoadError("YAML merge keys (`<<`) are not supported in specs", _pos(key_node))
            key = self.build(key_node, depth + 1)
            if isinstance(key, (list, dict)):
                raise YamlLoadError("mapping keys must be plain scalars", _pos(key_node))
            if key in seen:
                first = _pos(seen[key])
                raise YamlLoadError(
                    f"duplicate key {key!r} (first defined at line {first.line}); "
                    "YAML would silently keep only the last one",
                    _pos(key_node),
                )
            seen[key] = key_node
            result[key] = self.build(value_node, depth + 1)
        return result


def parse_yaml(text: str, file: str = "<string>", limits: Limits = Limits()) -> tuple[Any, SourceMap]:
    """Parse one YAML document into plain data plus its ``SourceMap``.

    Raises ``YamlLoadError`` for anything that is not a single, plain-data
    YAML document within ``limits``.
    """
    if len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes:
        raise YamlLoadError(f"file is larger than the limit of {limits.max_bytes} bytes")
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.composer.ComposerError as exc:
        if "single document" in str(exc):
            raise YamlLoadError(
                "several YAML documents in one file; a spec is exactly one document",
                _mark_pos(exc.problem_mark),
            ) from None
        raise YamlLoadError(_yaml_message(exc), _mark_pos(exc.problem_mark)) from None
    except yaml.MarkedYAMLError as exc:
        raise YamlLoadError(_yaml_message(exc), _mark_pos(exc.problem_mark)) from None
    except yaml.YAMLError as exc:
        raise YamlLoadError(f"invalid YAML: {exc}") from None
    except RecursionError:
        raise YamlLoadError(f"nesting deeper than {limits.max_depth} levels") from None
    source = SourceMap(file, root)
    if root is None:
        return None, source
    if _subtree_sizes(root, limits) > limits.max_nodes:
        raise YamlLoadError(
            f"document expands to more than {limits.max_nodes} YAML nodes "
            "(alias/anchor expansion bomb?)",
            _pos(root),
        )
    try:
        data = _Builder(limits).build(root)
    except RecursionError:
        raise YamlLoadError(f"nesting deeper than {limits.max_depth} levels") from None
    return data, source


def _mark_pos(mark: Any) -> Position:
    if mark is None:
        return Position(0, 0)
    return Position(mark.line + 1, mark.column + 1)


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    return "invalid YAML: " + ", ".join(parts) if parts else "invalid YAML"
