"""Safe YAML reading that remembers where every value came from.

We compose the YAML into its node tree (libyaml when available) and build
plain Python data from it ourselves instead of using a YAML constructor, so
that: no tag can construct an object (only the core schema's plain types
exist), duplicate keys are errors rather than silently overwritten, alias
"bombs" are measured before they are expanded, and the node tree can answer
"where is ``layers[3].args.units``?" lazily for diagnostics.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Iterator

import yaml

from graphmask.spec.limits import Limits
from graphmask.spec.yaml_chunks import Chunks, GiveUp, compose_in_chunks

_TAGS_MAX = 100_000  # distinct (kind, value) pairs remembered; a hostile file can have millions


_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=_TAGS_MAX)
def _tag(kind: type, value: Any, implicit: Any) -> str:
    return _Base.resolve(_RESOLVER, kind, value, implicit)


class _Loader(_Base):  # type: ignore[misc,valid-type]
    """The safe loader (libyaml's when available), remembering the tag each scalar resolves to.

    The composer asks the resolver for every node, and the resolver tries its
    regular expressions each time; a spec repeats a few hundred distinct
    scalars (``type``, ``Dense``, ``units``...) thousands of times. Without
    path resolvers (the safe loader has none), the tag depends only on
    (kind, value, implicit): ``resolve`` is a bounded cache of it, called
    from libyaml's composer without running any Python code on a hit.
    """

    resolve = staticmethod(_tag)


_RESOLVER = _Base("")  # the resolver's tables are the class's; this instance only carries them
assert not _Loader.yaml_path_resolvers, "path resolvers make a tag depend on the node's path"

_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_BOOLS = yaml.constructor.SafeConstructor.bool_values
_STR = "tag:yaml.org,2002:str"
_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


@dataclass(frozen=True)
class Position:
    line: int  # 1-based; 0 = unknown
    column: int  # 1-based; 0 = unknown


class YamlLoadError(Exception):
    """The text is not YAML we accept; carries a position for the diagnostic."""

    def __init__(self, message: str, position: Position = Position(0, 0), hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.position = position
        self.hint = hint  # None: the rule's own fix hint


def limit_hint(option: str) -> str:
    """Fix hint for a refused-by-limit diagnostic (``option``: the check flag)."""
    return f"if this file is trusted and really this large, raise the limit with `graphmask check {option} N`"


def _pos(node: yaml.Node | None) -> Position:
    if node is None:
        return Position(0, 0)
    mark = node.start_mark
    return Position(mark.line + 1, mark.column + 1)


class SourceMap:
    """Answers where a value (or its key) sits in the YAML text.

    ``chunks``: the parts of the text kept for the next read of the same document (``parse_yaml(earlier=)``).
    """

    def __init__(self, file: str, root: yaml.Node | None, chunks: Chunks | None = None):
        self.file = file
        self._root = root
        self.chunks = chunks

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

    def scalar(self, path: tuple) -> str | None:
        """The scalar at ``path`` as written in the file (None if it is not a scalar)."""
        _, node, resolved = self._walk(tuple(path))
        return node.value if resolved == len(path) and isinstance(node, yaml.ScalarNode) else None


# Top-level keys whose entries are graph nodes (see ``Limits.max_graph_nodes``).
GRAPH_KEYS = ("inputs", "layers")


def graph_size_error(limits: Limits, position: Position) -> YamlLoadError:
    return YamlLoadError(f"the graph has more than {limits.max_graph_nodes} nodes (inputs and layers), "
                         "past the limit", position, hint=limit_hint("--max-graph-nodes"))


def _measure(text: str, limits: Limits) -> None:
    """Refuse too-deep or too-big documents from the event stream, before composing.

    Composing first would be unsafe in general (``_compose_unmeasured`` says
    when it is not): libyaml's composer recurses in C (a
    document nested a hundred thousand levels deep crashes the process), its
    scanner is quadratic in nesting depth, and a node tree costs ~300 bytes a
    node. Events stream in constant memory, so we stop at the first event
    past a limit. The size after alias expansion is counted without expanding:
    an alias adds the size recorded for its anchor. The entries under the
    top-level ``inputs``/``layers`` are counted too, so that a graph past
    ``max_graph_nodes`` costs a pass over events, not a composed tree.
    """
    anchored: dict[str, int] = {}  # anchor -> expanded size of its node
    open_starts: list[tuple[int, str | None]] = []  # (count at start, anchor) per open collection
    children: list[int] = []  # direct children seen, per open collection
    count = graph_nodes = 0
    top_key: tuple[str | None, Any] = (None, None)  # (current top-level key, its mark)
    in_graph_part = False  # inside the top-level inputs/layers collection
    root_is_mapping = open_is_mapping = False
    max_nodes, max_depth = limits.max_nodes, limits.max_depth
    for event in _events(text):
        kind = _EVENT_KINDS.get(type(event)) or _event_kind(event)  # by exact class first: PyYAML's own
        if kind is _SKIP:
            continue
        if kind is not _END:  # a node: scalar, alias or collection start
            depth = len(open_starts)
            if depth:
                children[-1] += 1
            if depth == 0:
                root_is_mapping = kind is _MAPPING
            elif depth == 1 and root_is_mapping and children[0] % 2:  # a top-level key
                top_key = (event.value if kind is _SCALAR else None, event.start_mark)
            elif depth == 2 and in_graph_part and (children[1] % 2 or not open_is_mapping):  # an entry
                graph_nodes += 1
                if graph_nodes > limits.max_graph_nodes:
                    raise graph_size_error(limits, _mark_pos(top_key[1]))
        if kind is _MAPPING or kind is _SEQUENCE:
            if len(open_starts) >= max_depth:
                raise YamlLoadError(f"nesting deeper than {limits.max_depth} levels", _mark_pos(event.start_mark),
                                    hint=limit_hint("--max-depth"))
            if len(open_starts) == 1 and root_is_mapping and children[0] % 2 == 0 and top_key[0] in GRAPH_KEYS:
                in_graph_part = True
                open_is_mapping = kind is _MAPPING
            open_starts.append((count, event.anchor))
            children.append(0)
            count += 1
        elif kind is _END:
            start, anchor = open_starts.pop()
            children.pop()
            if len(open_starts) == 1:
                in_graph_part = False
            if anchor is not None:
                anchored[anchor] = count - start
        elif kind is _SCALAR:
            count += 1
            if event.anchor is not None:
                anchored[event.anchor] = 1
        else:  # an alias
            count += anchored.get(event.anchor, 1)  # unknown anchor: the composer reports it
        if count > max_nodes:
            raise YamlLoadError(
                f"document expands to more than {limits.max_nodes} YAML nodes "
                "(alias/anchor expansion bomb?)",
                _mark_pos(event.start_mark),
                hint=limit_hint("--max-nodes"),
            )


def _events(text: str) -> Iterator[yaml.Event]:
    """``yaml.parse(text, Loader=_Loader)``, written out: one generator less per event."""
    loader = _Loader(text)
    try:
        check, get = loader.check_event, loader.get_event
        while check():
            yield get()
    finally:
        loader.dispose()


class _Unusual(Exception):
    """The text needs ``_measure`` before it is composed (see ``_compose_unmeasured``)."""


def _libyaml_version() -> tuple[int, ...]:
    try:
        return tuple(yaml._yaml.get_version())  # type: ignore[attr-defined]
    except (AttributeError, TypeError):
        return ()


# libyaml refuses documents nested deeper than 1,000 levels from 0.2.5 on, so its composer cannot
# recurse deeper than that: composing before measuring can no longer crash the process.
_BOUNDED_COMPOSER = (getattr(yaml, "CSafeLoader", None) is not None and issubclass(_Loader, yaml.CSafeLoader)
                     and _libyaml_version() >= (0, 2, 5))
_INDICATORS = ":?-,[]{}"


def _node_bound(text: str) -> int:
    """More YAML nodes than ``text`` can hold, when it has no alias (so nothing expands).

    Each node is a non-empty scalar, an empty one or a collection. Non-empty
    scalars: at most one per whitespace-separated token plus one per
    indicator that can end a scalar inside a token (``"a":b``, ``[a,b]``).
    Collections: at most one per ``[``/``{``, and per ``-``/``:``/``?`` (a
    block collection's entry belongs to it alone). Empty scalars: at most two
    per ``:``/``?``/``-``/``,``/``}`` (a ``?`` entry with neither key nor
    value), and an empty document.
    """
    return len(text.split()) + 4 * sum(text.count(c) for c in _INDICATORS) + 2


def _graph_entries(root: yaml.Node) -> int:
    """The entries under top-level ``inputs``/``layers`` keys, counted as ``_measure`` counts them."""
    if not isinstance(root, yaml.MappingNode):
        return 0
    return sum(len(value.value) for key, value in root.value
               if isinstance(key, yaml.ScalarNode) and key.value in GRAPH_KEYS
               and isinstance(value, (yaml.MappingNode, yaml.SequenceNode)))


def _composing_is_harmless(text: str, limits: Limits) -> bool:
    """libyaml bounds the nesting, the text has no alias (nothing expands) and cannot hold more than
    ``max_nodes`` nodes: composing it before measuring cannot crash or blow up (``_compose_unmeasured``)."""
    return _BOUNDED_COMPOSER and "*" not in text and _node_bound(text) <= limits.max_nodes


def _compose_unmeasured(text: str, limits: Limits) -> tuple[yaml.Node | None, Any]:
    """The node tree and data of ``text``, composed by libyaml first and checked against the limits after.

    Measuring the event stream first (``_measure``) costs as much as composing.
    It can be skipped when composing the text is known to be harmless: libyaml
    bounds the nesting, the text has no alias (no ``*``), and it cannot hold
    more than ``max_nodes`` nodes (``_node_bound``). The limits are then
    checked on the tree. Anything else -- an error from the composer, a limit
    reached, a value the builder refuses -- raises ``_Unusual``, and the
    caller takes the measured path from the start, so every refusal, and which
    one comes first, stays the measured path's.
    """
    if not _composing_is_harmless(text, limits):
        raise _Unusual
    try:
        root = yaml.compose(text, Loader=_Loader)
    except (yaml.YAMLError, RecursionError, UnicodeEncodeError):
        raise _Unusual from None
    if root is None:
        return None, None
    if _graph_entries(root) > limits.max_graph_nodes:
        raise _Unusual
    try:
        return root, _Builder(limits, measured=False).build(root)
    except (YamlLoadError, RecursionError):
        raise _Unusual from None


def _read_in_chunks(text: str, file: str, limits: Limits, chunks: Chunks) -> tuple[Any, SourceMap] | None:
    """``parse_yaml`` from the parts of the text (``yaml_chunks``), where composing is known to be harmless
    (as for ``_compose_unmeasured``); None where the text must be read whole."""
    if not _composing_is_harmless(text, limits):
        return None
    builder = _Builder(limits, measured=False)

    def build(node: yaml.Node, depth: int) -> Any:
        try:
            return builder.build(node, depth)
        except (YamlLoadError, _Unusual):
            raise GiveUp from None

    read = compose_in_chunks(text, chunks, lambda part: yaml.compose(part, Loader=_Loader), build)
    if read is None or _graph_entries(read[0]) > limits.max_graph_nodes:
        return None
    root, data, kept = read
    return data, SourceMap(file, root, kept)


# What ``_measure`` does with each kind of event (stream and document events: skipped).
_SCALAR, _ALIAS, _MAPPING, _SEQUENCE, _END, _SKIP = "scalar", "alias", "mapping", "sequence", "end", "skip"
_EVENT_KINDS: dict[type, str] = {yaml.ScalarEvent: _SCALAR, yaml.AliasEvent: _ALIAS,
                                 yaml.MappingStartEvent: _MAPPING, yaml.SequenceStartEvent: _SEQUENCE,
                                 yaml.MappingEndEvent: _END, yaml.SequenceEndEvent: _END}


def _event_kind(event: yaml.Event) -> str:
    """The kind of an event of another class (a subclass, or a stream/document event), by ``isinstance``."""
    for cls, kind in _EVENT_KINDS.items():
        if isinstance(event, cls):
            return kind
    return _SKIP


class _Builder:
    """Plain data from a node tree. ``measured=False``: the text was not measured, and a collection as
    deep as ``_measure`` refuses raises ``_Unusual`` (the caller then measures it)."""

    def __init__(self, limits: Limits, measured: bool = True):
        self.limits = limits
        self._scalars = yaml.constructor.SafeConstructor()
        self._measured = measured

    def build(self, node: yaml.Node, depth: int = 0) -> Any:
        if depth > self.limits.max_depth:
            raise YamlLoadError(
                f"nesting deeper than {self.limits.max_depth} levels", _pos(node)
            )
        if depth >= self.limits.max_depth and not self._measured and not isinstance(node, yaml.ScalarNode):
            raise _Unusual
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in _SCALAR_TAGS:
                raise YamlLoadError(
                    f"YAML tag {node.tag!r} is not allowed: specs hold plain data only",
                    _pos(node),
                )
            if node.tag == _STR:  # what SafeConstructor.construct_yaml_str returns, without its dispatch
                return node.value
            if node.tag == _INT and _PLAIN_INT.match(node.value) and len(node.value) < 19:
                return int(node.value)  # construct_yaml_int's answer for plain decimals (no 0-prefixed octal)
            if node.tag == _BOOL:  # construct_yaml_bool's answer; an explicit `!!bool maybe` is none of them
                value = _BOOLS.get(node.value.lower())
                if value is None:
                    raise YamlLoadError(f"bad scalar {_shorten(node.value)!r}: not a YAML boolean (true or false)",
                                        _pos(node))
                return value
            if node.tag == _NULL:
                return None
            try:
                value = self._scalars.construct_object(node)
            except (yaml.YAMLError, ValueError, OverflowError) as exc:
                if node.tag == _INT:  # e.g. Python's 4300-digit limit on int()
                    raise YamlLoadError(f"{_shorten(node.value)} is not a 64-bit integer", _pos(node)) from None
                raise YamlLoadError(f"bad scalar {_shorten(node.value)!r}: {exc}", _pos(node)) from None
            if isinstance(value, int) and not -_INT64 <= value < _INT64:
                # Keras and TensorFlow cannot use it, and giant ints make later
                # arithmetic and messages costly (str() of >4300 digits even raises).
                raise YamlLoadError(f"integer {_shorten(node.value)} does not fit in 64 bits", _pos(node))
            return value
        # Most children are plain strings: read those here, without a call (their depth is within the limit).
        strings = depth < self.limits.max_depth
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise YamlLoadError(f"YAML tag {node.tag!r} is not allowed", _pos(node))
            return [child.value if strings and child.tag == _STR and type(child) is _ScalarNode
                    else self.build(child, depth + 1) for child in node.value]
        if node.tag != _MAP:
            raise YamlLoadError(f"YAML tag {node.tag!r} is not allowed", _pos(node))
        result: dict[Any, Any] = {}
        seen: dict[Any, yaml.Node] = {}
        for key_node, value_node in node.value:
            if strings and key_node.tag == _STR and type(key_node) is _ScalarNode:
                key = key_node.value
            else:
                if key_node.tag == _MERGE:
                    raise YamlLoadError("YAML merge keys (`<<`) are not supported in specs", _pos(key_node))
                key = self.build(key_node, depth + 1)
                if isinstance(key, (list, dict)):
                    raise YamlLoadError("mapping keys must be plain scalars", _pos(key_node))
            if key in seen:
                first = _pos(seen[key])
                if seen[key].value != key_node.value:  # e.g. `1` and `true`: equal once read
                    raise YamlLoadError(
                        f"keys `{seen[key].value}` (line {first.line}) and `{key_node.value}` are the same key "
                        "once read; quote them to make them names", _pos(key_node))
                raise YamlLoadError(
                    f"duplicate key {key!r} (first defined at line {first.line}); "
                    "YAML would silently keep only the last one",
                    _pos(key_node),
                )
            seen[key] = key_node
            result[key] = (value_node.value if strings and value_node.tag == _STR and type(value_node) is _ScalarNode
                           else self.build(value_node, depth + 1))
        return result


def parse_yaml(text: str, file: str = "<string>", limits: Limits = Limits(),
               earlier: SourceMap | None = None) -> tuple[Any, SourceMap]:
    """Parse one YAML document into plain data plus its ``SourceMap``.

    Raises ``YamlLoadError`` for anything that is not a single, plain-data
    YAML document within ``limits``.  ``earlier``: the source map of an earlier
    read of the same document (an editor's last check), whose unchanged parts
    are then not composed again (``yaml_chunks``); the result is the same.
    """
    if len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes:
        raise YamlLoadError(f"file is larger than the limit of {limits.max_bytes} bytes",
                            hint=limit_hint("--max-bytes"))
    if earlier is not None:
        read = _read_in_chunks(text, file, limits, earlier.chunks or Chunks())
        if read is not None:
            return read
    data = _MEASURE
    try:
        try:
            root, data = _compose_unmeasured(text, limits)
        except _Unusual:
            _measure(text, limits)
            root = yaml.compose(text, Loader=_Loader)
    except yaml.composer.ComposerError as exc:
        if "single document" in str(exc):
            raise YamlLoadError(
                "several YAML documents in one file; a spec is exactly one document",
                _mark_pos(exc.problem_mark),
            ) from None
        raise YamlLoadError(_yaml_message(exc), _mark_pos(exc.problem_mark)) from None
    except yaml.MarkedYAMLError as exc:
        message = _yaml_message(exc)
        mark = exc.problem_mark
        if "maximum nesting depth" in message:
            # libyaml >= 0.2.5 (PyYAML 6.0.4 wheels) has its own depth limit in the
            # scanner, which runs ahead of our event-level check on flow nesting.
            raise YamlLoadError(f"nesting deeper than {limits.max_depth} levels", _mark_pos(mark),
                                hint=limit_hint("--max-depth")) from None
        if mark is not None and text[mark.index:mark.index + 1] == "\t" and "tab" not in message:
            message += " (a tab: YAML indents with spaces only)"
        elif mark is not None and _REF_IN_FLOW.match(text, max(0, mark.index - 1)):
            message += " (inside `[...]` or `{...}` a reference like `lstm[1]` must be quoted: \"lstm[1]\")"
        raise YamlLoadError(message, _mark_pos(mark)) from None
    except yaml.YAMLError as exc:
        raise YamlLoadError(f"invalid YAML: {exc}") from None
    except RecursionError:
        raise YamlLoadError(f"nesting deeper than {limits.max_depth} levels") from None
    except UnicodeEncodeError as exc:  # lone surrogates (only from str callers, never from a file)
        line = text.count("\n", 0, exc.start) + 1
        column = exc.start - (text.rfind("\n", 0, exc.start) + 1) + 1
        raise YamlLoadError("text contains an unpaired surrogate, which is not valid Unicode",
                            Position(line, column)) from None
    source = SourceMap(file, root, Chunks() if earlier is not None else None)
    if root is None:
        return None, source
    if data is not _MEASURE:
        return data, source
    try:
        data = _Builder(limits).build(root)
    except RecursionError:
        raise YamlLoadError(f"nesting deeper than {limits.max_depth} levels") from None
    return data, source


_ScalarNode = yaml.ScalarNode
_PLAIN_INT = re.compile(r"(?:0|[-+]?[1-9][0-9]*)\Z")  # a decimal YAML 1.1 reads as Python's int() does
_MEASURE = object()  # parse_yaml: the data is still to be built (the text took the measured path)
_INT64 = 2**63
# An unquoted `id[k]` reference where a flow collection's `[` broke the parse.
_REF_IN_FLOW = re.compile(r"[A-Za-z0-9_]\[[0-9]*\]?")


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _mark_pos(mark: Any) -> Position:
    if mark is None:
        return Position(0, 0)
    return Position(mark.line + 1, mark.column + 1)


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    return "invalid YAML: " + ", ".join(parts) if parts else "invalid YAML"
