"""Hover text and completion candidates for a spec, from the catalog, the graph and explain.

Pure functions of an ``Analysis`` and a character offset; graphmask/lsp/server.py
turns them into LSP messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphmask.lsp.document import Analysis, Span


# -- hover ---------------------------------------------------------------------------------


def hover(analysis: Analysis, offset: int) -> tuple[str, Span] | None:
    """Markdown for what is under the cursor: a node id, a layer type, or an argument."""
    node = analysis.node_at(offset)
    if node is not None:
        return _node_hover(analysis, node[0]), node[1]
    tree = analysis.tree
    found = tree.at(offset) if tree is not None else None
    if found is None:
        return None
    start, end, path, is_key = found
    data = _layer_mapping(analysis, path)
    if path[-1:] == ("type",) and not is_key:
        text = layer_summary(analysis, tree.text[start:end].strip("'\""))
        return (text, Span(start, end)) if text else None
    if is_key and len(path) >= 2 and path[-2] == "args" and data is not None:
        text = argument_summary(analysis, data.get("type"), path[-1])
        return (text, Span(start, end)) if text else None
    return None


def _layer_mapping(analysis: Analysis, path: tuple) -> dict | None:
    """The layer (or wrapped layer) mapping that holds ``path``'s ``args`` entry."""
    from graphmask.spec.yaml_loader import parse_yaml

    if len(path) < 3 or path[-2] != "args":
        return None
    try:
        data, _ = parse_yaml(analysis.text, analysis.file)
        for step in path[:-2]:
            data = data[step]
    except Exception:  # noqa: BLE001 - a hover is best effort
        return None
    return data if isinstance(data, dict) else None


def _node_hover(analysis: Analysis, node_id: str) -> str:
    graph = analysis.result.graph
    node = graph.nodes.get(node_id) if graph is not None else None
    if node is None:
        return f"`{node_id}`: not defined"
    lines = [f"**{node_id}**: " + (f"input `{node.input_spec.dtype}` shape `{node.input_spec.shape}`"
                                   if node.kind == "input" else f"`{node.layer_type}`"
                                   + (f" (shares `{node.shares}`)" if node.shares else ""))]
    flow = _mask_flow(analysis)
    if flow is not None and node_id in flow.nodes:
        from graphmask.report.explain import explain_rows

        header, *rows = explain_rows(flow)
        row = dict(zip(header, next(r for r in rows if r[0] == node_id)))
        lines.append(f"- mask in: {row['mask in']}, mask out: {row['mask out']}"
                     + (f" (axes {row['axes']})" if row["axes"] else ""))
        symbolic = (flow.symbolic or {}).get(node_id)
        if symbolic is not None:
            lines.append(f"- as built (symbolic graph): mask in {symbolic.mask_in}, mask out {symbolic.mask_out}")
        lines.append(f"- roles: {row['roles'] or '-'}")
        if row["mask path"]:
            lines.append(f"- mask path: {row['mask path']}")
    findings = [d for d in analysis.diagnostics if d.node == node_id]
    lines.extend(f"- {d.code} {d.severity.value}: {d.message}" for d in findings)
    return "\n".join(lines)


def _mask_flow(analysis: Analysis):
    graph = analysis.result.graph
    if graph is None or not graph.acyclic:
        return None
    from graphmask.analysis.masks import infer_masks

    try:
        return infer_masks(graph)  # kept on the graph: the check already ran it
    except Exception:  # noqa: BLE001 - a hover is best effort
        return None


def _info(analysis: Analysis, type_name):
    from graphmask.analysis.layers import layer_info

    spec = analysis.spec
    if spec is None or not isinstance(type_name, str):
        from graphmask.catalog import load_catalog

        return load_catalog().get(type_name) if isinstance(type_name, str) else None
    return layer_info(spec, type_name)


def layer_summary(analysis: Analysis, type_name: str) -> str | None:
    info = _info(analysis, type_name)
    if info is None:
        return None
    mask = info.mask
    where = f"`{info.module}`" if info.module else "custom layer"
    lines = [f"**{info.name}** ({info.category}; {where})"]
    if info.alias_of:
        lines.append(f"- alias of `{info.alias_of}`")
    lines.append(f"- masking: supports {'yes' if mask.supports_masking else 'no'}, reads the mask "
                 f"{'yes' if mask.consumes else 'no'}, output mask `{mask.output}`")
    required = [a.name for a in info.args.values() if a.required and not a.inherited]
    if required:
        lines.append("- required: " + ", ".join(f"`{a}`" for a in required))
    lines.append(f"- inputs: {info.min_inputs}" + ("" if info.max_inputs == info.min_inputs else
                                                  f" to {info.max_inputs if info.max_inputs else 'any'}"))
    notes = info.notes or mask.notes
    if notes:
        lines.append(f"\n{notes}")
    return "\n".join(lines)


def argument_summary(analysis: Analysis, type_name, name: str) -> str | None:
    info = _info(analysis, type_name)
    if info is None:
        return None
    arg = info.args.get(name)
    if arg is None:
        return None
    default = "required" if arg.required else f"default `{arg.default}`"
    legacy = "; legacy: Keras 3 ignores it (remove it)" if arg.via_kwargs else ""
    return f"`{info.name}({name}=...)`: {default}{legacy}"


# -- completion ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    label: str
    kind: str  # "type" | "argument" | "ref"
    detail: str = ""


_KEY_LINE = re.compile(r"^(?P<indent>[ \t]*)(?:-[ \t]+)?(?P<key>[\w\"']+)[ \t]*:")
_TYPE_VALUE = re.compile(r"(?:^|[{,\s])type[ \t]*:[ \t]*[\"']?(?P<word>\w*)$")
_REF_VALUE = re.compile(r"(?:^|[{,\s])(?:inputs|share|outputs)[ \t]*:[^#]*?[\"']?(?P<word>\w*)$")
_LIST_ITEM = re.compile(r"^(?P<indent>[ \t]*)-[ \t]+[\"']?(?P<word>\w*)$")
_FLOW_ARGS = re.compile(r"args[ \t]*:[ \t]*\{(?:[^{}]*,)?[ \t]*(?P<word>\w*)$")
_BARE_KEY = re.compile(r"^(?P<indent>[ \t]*)(?P<word>\w*)$")


def complete(analysis: Analysis, last_good: Analysis | None, offset: int) -> tuple[list[Candidate], int]:
    """Candidates at ``offset`` and where the word being completed starts.

    Works from the text of the current line and the lines above it, so it also
    works while the document does not parse; ids come from the last version
    that loaded (``last_good``).
    """
    text = analysis.text
    line_start = text.rfind("\n", 0, offset) + 1
    before = text[line_start:offset]
    good = analysis if analysis.spec is not None else last_good
    for pattern, kind in ((_TYPE_VALUE, "type"), (_FLOW_ARGS, "argument"), (_REF_VALUE, "ref")):
        match = pattern.search(before)
        if match:
            return _candidates(kind, good, text, line_start), offset - len(match["word"])
    item = _LIST_ITEM.match(before)
    if item and _parent_key(text, line_start, len(item["indent"]) + 1) in ("inputs", "outputs"):
        return _candidates("ref", good, text, line_start), offset - len(item["word"])
    bare = _BARE_KEY.match(before)
    if bare and _parent_key(text, line_start, len(bare["indent"])) == "args":
        return _candidates("argument", good, text, line_start), offset - len(bare["word"])
    return [], offset


def _parent_key(text: str, line_start: int, indent: int) -> str | None:
    """The nearest key above ``line_start`` indented less than ``indent``."""
    for line in reversed(text[:line_start].splitlines()):
        match = _KEY_LINE.match(line)
        if match and len(match["indent"]) < indent:
            return match["key"].strip("\"'")
        if line.strip() and not line.lstrip().startswith("#") and len(line) - len(line.lstrip()) < indent \
                and not match:
            return None
    return None


def _layer_type_above(text: str, line_start: int) -> str | None:
    """The `type:` of the layer being written at ``line_start`` (same line or above)."""
    line_end = text.find("\n", line_start)
    lines = text[:line_end if line_end >= 0 else len(text)].splitlines()
    for line in reversed(lines):
        match = re.search(r"(?:^|[{,\s])type[ \t]*:[ \t]*[\"']?(\w+)", line)
        if match:
            return match[1]
        if re.match(r"^[ \t]*-[ \t]", line) and "type" not in line:
            return None  # the start of this layer's entry, without a type
    return None


def _candidates(kind: str, good: Analysis | None, text: str, line_start: int) -> list[Candidate]:
    from graphmask.catalog import load_catalog

    if kind == "type":
        catalog = load_catalog()
        found = [Candidate(i.name, "type", i.category) for i in catalog.layers() if not i.abstract]
        if good is not None and good.spec is not None:
            found.extend(Candidate(name, "type", "custom layer") for name in good.spec.custom_layers)
        return found
    if kind == "ref":
        if good is None or good.spec is None:
            return []
        return [Candidate(name, "ref", "input") for name in good.spec.inputs] + \
            [Candidate(layer.id, "ref", layer.type or f"shares {layer.share}") for layer in good.spec.layers]
    info = _info(good or analysis_stub(), _layer_type_above(text, line_start))
    if info is None:
        return []
    return [Candidate(a.name, "argument", "required" if a.required else f"default {a.default!r}")
            for a in info.args.values() if not a.via_kwargs]


def analysis_stub():
    """Stands in for an analysis when no version of the document has loaded yet."""
    class _NoSpec:
        spec = None
    return _NoSpec()
