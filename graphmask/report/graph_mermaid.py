"""Mermaid flowchart of the mask flow, renderable as-is in GitHub Markdown.

Only syntax GitHub's mermaid renders is used: ``flowchart LR``, quoted
labels, ``==>`` (edge carries a mask) and ``-.->`` (it does not),
``classDef``/``class`` and ``linkStyle``. Node keys are ``n0, n1, ...``
because spec ids may be mermaid keywords (``end``, ``graph``...). Label text
is entity-escaped so a quote, bracket or ``#`` in an id cannot break out.
"""

from __future__ import annotations

from graphmask.report.graph_model import (MASK_EDGE_COLOR, PALETTE, PLAIN_EDGE_COLOR, SEVERITY_COLOR, WARNING_SIGN,
                                          Picture, PictureNode)

_ENTITIES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "`": "#96;"}


def escape_label(text: str) -> str:
    """Text for inside a quoted mermaid label (entity codes, no raw markup)."""
    text = " ".join(text.split())  # newlines/tabs would end the statement
    return "".join(_ENTITIES.get(ch, ch) for ch in text)


def format_mermaid(picture: Picture, direction: str = "LR") -> str:
    lines = [f"flowchart {direction}"]
    for node in picture.nodes:
        lines.append(f"    {node.key}{_shape(node)}")
    for e in picture.edges:
        arrow = "==>" if e.carries_mask else "-.->"  # built-only masks: dotted, in the mask colour
        label = f'|"{escape_label(e.label)}"|' if e.label else ""
        lines.append(f"    {e.source} {arrow}{label} {e.target}")
    for style in picture.styles_used:
        fill, stroke = PALETTE[style]
        width = "3px" if style == "unsupported" else "1px"
        lines.append(f"    classDef {style} fill:{fill},stroke:{stroke},stroke-width:{width},color:#111827")
    for style in picture.styles_used:
        keys = [n.key for n in picture.nodes if n.style == style]
        lines.append(f"    class {','.join(keys)} {style}")
    for severity, color in SEVERITY_COLOR.items():  # a finding outlines its node in its severity's colour
        flagged = [n.key for n in picture.nodes if n.worst is not None and n.worst.value == severity]
        if flagged:
            lines.append(f"    classDef finding_{severity} stroke:{color},stroke-width:3px")
            lines.append(f"    class {','.join(flagged)} finding_{severity}")
    groups = ((lambda e: e.carries_mask, MASK_EDGE_COLOR, "3px"), (lambda e: e.built_only, MASK_EDGE_COLOR, "1.5px"),
              (lambda e: not e.carries_mask and not e.built_only, PLAIN_EDGE_COLOR, "1px"))
    for belongs, color, width in groups:
        indices = [str(i) for i, e in enumerate(picture.edges) if belongs(e)]
        if indices:
            lines.append(f"    linkStyle {','.join(indices)} stroke:{color},stroke-width:{width}")
    return "\n".join(lines) + "\n"


def format_mermaid_markdown(picture: Picture, direction: str = "LR") -> str:
    """A Markdown snippet (for a pull-request comment): the chart and the findings under it."""
    parts = [f"**{_md(picture.name)}** mask flow ({picture.summary})", "", "```mermaid",
             format_mermaid(picture, direction).rstrip("\n"), "```", "",
             "Thick edges carry a mask when the model runs; thin dotted edges in the mask colour have one in the "
             "built graph only (lost when the model runs); grey dotted edges carry none."]
    if picture.diagnostics:
        parts.append("")
        for d in picture.diagnostics:
            where = f"`{d.node}` " if d.node else ""  # ids are identifiers
            parts.append(f"- {WARNING_SIGN} **{d.code}** {d.severity.value} {where}(line {d.line}): {_md(d.message)}")
    return "\n".join(parts) + "\n"


def _shape(node: PictureNode) -> str:
    text = "<br/>".join(escape_label(line) for line in node.lines)
    if node.diagnostics:
        text += f"<br/>{WARNING_SIGN} {node.codes}"
    if node.kind == "input":
        return f'(["{text}"])'
    if node.kind == "output":
        return f'[/"{escape_label("output: " + node.id)}"/]'
    return f'["{text}"]'


def _md(text: str) -> str:
    """Markdown-inert text: no HTML, no emphasis or link syntax from spec strings."""
    for ch in "\\`*_[]<>|":
        text = text.replace(ch, "\\" + ch)
    return text
