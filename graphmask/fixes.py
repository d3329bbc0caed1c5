"""Fixes for findings: ``graphmask check --fix/--diff`` and the language server's code actions.

Like ruff, only fixes that cannot change what the model means are *safe* and
applied by ``--fix``:

- an unknown constructor or call argument, or an unknown layer type, with
  exactly one close match (``unit`` -> ``units``, ``LTSM`` -> ``LSTM``): GM103, GM104;
- a legacy constructor argument that Keras 3 ignores (``input_length``): GM104;
- an unused suppression (GM901).

Others are *suggestions*, shown and never applied: a reference to an
undefined node with one close match (GM105) changes the wiring.

An edit rewrites only the characters of the scalars or entries involved,
found from the YAML node tree's marks, so comments and formatting elsewhere
stay as written. Every edit is verified before it is used: the edited text
must parse to exactly the data the fix intends (the old data with one key
renamed, one value replaced or one entry removed). An edit that would touch a
comment, or that does not verify, is not offered.
"""

from __future__ import annotations

import copy
import difflib
import re
from dataclasses import dataclass
from typing import Any, Iterator

import yaml

from graphmask import codes
from graphmask.diagnostics import Diagnostic
from graphmask.spec import Limits, parse_ref
from graphmask.spec.yaml_loader import YamlLoadError, parse_yaml
from graphmask.yaml_tree import YamlTree

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REST_OF_LINE = re.compile(r"[ \t]*(#[^\n]*)?(\r?\n|$)")
MAX_ROUNDS = 200  # fixes applied to one file (each one re-checks it)


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` (character offsets) with ``new``."""

    start: int
    end: int
    new: str


@dataclass(frozen=True)
class Fix:
    diagnostic: Diagnostic
    title: str  # what it does, e.g. "rename `unit` to `units`"
    safe: bool
    edit: Edit

    def apply(self, text: str) -> str:
        return text[:self.edit.start] + self.edit.new + text[self.edit.end:]


@dataclass
class FixOutcome:
    text: str  # after every safe fix
    applied: list[Fix]
    suggestions: list[Fix]  # unsafe fixes left in ``text``


def sole_match(name: str, candidates) -> str | None:
    """The one candidate close to ``name`` (as ``did_you_mean`` judges closeness), or None
    when none or several are close: a fix must not have to guess."""
    names = sorted(str(c) for c in candidates)
    close = difflib.get_close_matches(name, names, n=2, cutoff=0.75)
    if len(close) == 1:
        return close[0]
    if not close:
        lowered = [c for c in names if c.lower() == name.lower()]
        return lowered[0] if len(lowered) == 1 else None
    return None


# -- edits ---------------------------------------------------------------------------------


def _replace_scalar(tree: YamlTree, node: yaml.Node, new: str) -> Edit | None:
    """Write ``new`` (an identifier) in place of a scalar, keeping its quotes."""
    if not isinstance(node, yaml.ScalarNode) or node.style not in (None, "", "'", '"'):
        return None  # block scalars (| >): not worth the risk
    start, end = tree.offset(node.start_mark), tree.offset(node.end_mark)
    if node.style:  # quoted (plain is None in PyYAML's composer, "" in libyaml's)
        start, end = start + 1, end - 1
    return Edit(start, end, new)


def _delete(tree: YamlTree, path: tuple) -> tuple[Edit, tuple] | None:
    """Remove the entry at ``path``; (edit, the path really removed), since removing the
    only entry of ``args:``/``ignore:``/``call:`` removes that key instead."""
    _, container = tree.node(path[:-1])
    if container is None or not isinstance(container, (yaml.MappingNode, yaml.SequenceNode)):
        return None
    entries = [(k, v) for k, v in container.value] if isinstance(container, yaml.MappingNode) \
        else [(None, v) for v in container.value]
    index = next((i for i, (k, _) in enumerate(entries) if k is not None and k.value == path[-1]), None) \
        if isinstance(container, yaml.MappingNode) else path[-1]
    if index is None:
        return None
    if len(entries) == 1 and len(path) >= 2 and isinstance(path[-2], str):
        return _delete(tree, path[:-1])
    key, value = entries[index]
    start = tree.offset((key or value).start_mark)
    if container.flow_style:
        if index + 1 < len(entries):
            following = entries[index + 1]
            edit = Edit(start, tree.offset((following[0] or following[1]).start_mark), "")
        elif index > 0:
            edit = Edit(tree.content_end(entries[index - 1][1]), tree.content_end(value), "")
        else:
            edit = Edit(tree.offset(container.start_mark) + 1, tree.content_end(value), "")
        return (edit, path) if "#" not in tree.text[edit.start:edit.end] else None
    # Block style: remove the entry's whole lines, when nothing else shares them.
    line_start = tree.text.rfind("\n", 0, start) + 1
    lead = r"[ \t]*" if key is not None else r"[ \t]*-[ \t]+"
    if not re.fullmatch(lead, tree.text[line_start:start]):
        return None
    end = tree.content_end(value)
    if end > line_start and tree.text[end - 1] == "\n":
        return Edit(line_start, end, ""), path
    rest = _REST_OF_LINE.match(tree.text, end)
    if rest is None:
        return None
    return Edit(line_start, rest.end(), ""), path


# -- what each finding's fix is -----------------------------------------------------------


def _data_at(data: Any, path: tuple) -> Any:
    for step in path:
        data = data[step]
    return data


def _candidate_fixes(diagnostic: Diagnostic, tree: YamlTree, data: Any, spec) -> Iterator[tuple[str, bool, Any]]:
    """(title, safe, operation) for one finding; an operation is ``("rename", path, new)``,
    ``("replace", path, new)`` or ``("delete", path)``."""
    from graphmask.analysis.layers import layer_info
    from graphmask.catalog import load_catalog

    located = tree.by_position.get((diagnostic.line, diagnostic.column))
    if located is None:
        return
    path, is_key = located
    code = diagnostic.code
    if code == codes.GM104 and is_key and len(path) >= 3 and path[-2] in ("args", "call"):
        owner = _data_at(data, path[:-2])
        info = layer_info(spec, owner.get("type")) if isinstance(owner, dict) and isinstance(owner.get("type"), str) else None
        if info is None:
            return
        name, siblings = path[-1], _data_at(data, path[:-1])
        if path[-2] == "call":
            valid = set(info.call_args)
        else:
            valid = load_catalog().valid_kwargs(info)
            arg = info.args.get(name)
            if arg is not None and arg.via_kwargs:
                yield f"remove the legacy argument `{name}`", True, ("delete", path)
                return
        if name not in valid:
            match = sole_match(name, valid)
            if match is not None and match not in siblings:
                yield f"rename `{name}` to `{match}`", True, ("rename", path, match)
    elif code == codes.GM103 and not is_key and path[-1:] == ("type",):
        value = _data_at(data, path)
        if isinstance(value, str):
            match = sole_match(value, set(load_catalog().names()) | set(spec.custom_layers))
            if match is not None:
                yield f"replace `{value}` with `{match}`", True, ("replace", path, match)
    elif code == codes.GM901 and not is_key and len(path) >= 2 and path[-2] == "ignore":
        yield f"remove the unused suppression `{_data_at(data, path)}`", True, ("delete", path)
    elif code == codes.GM105 and not is_key and path and path[0] in ("layers", "outputs"):
        ref = _data_at(data, path)
        target, index = parse_ref(ref) if isinstance(ref, str) else (None, None)
        ids = set(spec.inputs) | {layer.id for layer in spec.layers}
        if target is None or target in ids:
            return
        match = sole_match(target, ids)
        if match is not None:
            new = match if index is None else f"{match}[{index}]"
            yield f"replace `{ref}` with `{new}` (check the wiring: this changes the model)", False, \
                ("replace", path, new)


def _expected(data: Any, operation: tuple) -> Any:
    expected = copy.deepcopy(data)
    kind, path = operation[0], operation[1]
    parent = _data_at(expected, path[:-1])
    if kind == "rename":
        # Same position among the keys: the data compare below is order-sensitive.
        items = [(operation[2] if k == path[-1] else k, v) for k, v in parent.items()]
        parent.clear()
        parent.update(items)
    elif kind == "replace":
        parent[path[-1]] = operation[2]
    else:
        del parent[path[-1]]
    return expected


def _edit_for(tree: YamlTree, operation: tuple) -> tuple[Edit, tuple] | None:
    kind, path = operation[0], operation[1]
    if kind == "delete":
        return _delete(tree, path)
    if not _IDENTIFIER.fullmatch(operation[2].split("[")[0]):
        return None
    key, value = tree.node(path)
    edit = _replace_scalar(tree, key if kind == "rename" else value, operation[2])
    return (edit, operation) if edit is not None else None


def _same(a: Any, b: Any) -> bool:
    """Equal data, dict key order included (``==`` ignores it; a spec's layer order matters)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def fixes_for(text: str, diagnostics: list[Diagnostic], spec, limits: Limits = Limits()) -> list[Fix]:
    """Every verified fix for ``diagnostics`` of ``text`` (``spec``: the loaded spec)."""
    if spec is None:
        return []
    try:
        data, _ = parse_yaml(text, "<fix>", limits)
        tree = YamlTree(text)
    except (YamlLoadError, yaml.YAMLError):
        return []
    fixes = []
    for diagnostic in diagnostics:
        for title, safe, operation in _candidate_fixes(diagnostic, tree, data, spec):
            found = _edit_for(tree, operation)
            if found is None:
                continue
            edit, removed = found
            if removed is not operation:  # a delete widened to the enclosing key
                operation = ("delete", removed)
            fix = Fix(diagnostic, title, safe, edit)
            try:
                edited, _ = parse_yaml(fix.apply(text), "<fix>", limits)
            except YamlLoadError:
                continue
            if _same(edited, _expected(data, operation)):
                fixes.append(fix)
    return fixes


def fix_text(text: str, check, limits: Limits = Limits()) -> FixOutcome:
    """Apply safe fixes one at a time until none is left.

    ``check(text) -> (diagnostics, spec)`` is the caller's check, with its
    config and selection: only findings it reports are fixed. Each round
    re-checks the text, so fixes never overlap and the result has no
    fixable finding left.
    """
    applied: list[Fix] = []
    for _ in range(MAX_ROUNDS):
        diagnostics, spec = check(text)
        fixes = fixes_for(text, diagnostics, spec, limits)
        safe = next((f for f in fixes if f.safe), None)
        if safe is None:
            return FixOutcome(text, applied, [f for f in fixes if not f.safe])
        text = safe.apply(text)
        applied.append(safe)
    diagnostics, spec = check(text)
    return FixOutcome(text, applied, [f for f in fixes_for(text, diagnostics, spec, limits) if not f.safe])


def unified_diff(path: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=path, tofile=path)
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


# -- files -----------------------------------------------------------------------------------


@dataclass
class FileFix:
    path: str
    before: str
    outcome: FixOutcome

    @property
    def changed(self) -> bool:
        return self.outcome.text != self.before


def fix_file(path: str, options, selection) -> FileFix | None:
    """Safe fixes for one spec file (not written); None when it cannot be read as text.

    ``options``: the run's ``batch.CheckOptions``; ``selection``: its ``Selection``.
    """
    from graphmask.checker import check_text
    from graphmask.spec.loader import read_text

    try:
        before = read_text(path, options.limits)
    except YamlLoadError:
        return None  # the check reports why

    def check(text: str):
        result = check_text(text, path, options.limits, shared_custom_layers=options.shared_custom_layers)
        return selection.apply(result.diagnostics), result.spec

    return FileFix(path, before, fix_text(before, check, options.limits))


def write_fixed(fixed: FileFix) -> bool:
    """Write a fixed file atomically in place (through a symlink to its target);
    False, writing nothing, when the file changed since it was read."""
    import os

    from graphmask.atomic import write_atomic

    target = os.path.realpath(fixed.path)
    with open(target, "rb") as handle:
        raw = handle.read()
    bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
    if raw[len(bom):] != fixed.before.encode("utf-8"):
        return False
    write_atomic(target, bom + fixed.outcome.text.encode("utf-8"), overwrite=True)
    return True
