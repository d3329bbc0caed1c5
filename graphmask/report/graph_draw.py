"""A self-drawn SVG of the picture model: no Graphviz, no JavaScript.

Layout is the model's layering (``graph_layout``): a node's rank is its
column, its order the row within the column, columns centred vertically.
Edges are cubic curves from a node's right side to the next node's left
side; an edge that skips columns runs straight through the placeholder row
the layout reserved for it in each column it crosses, so it passes between
nodes. Every piece of spec text is XML-escaped.
"""

from __future__ import annotations

from html import escape

from graphmask.report.graph_model import (MASK_EDGE_COLOR, PALETTE, PLAIN_EDGE_COLOR, SEVERITY_COLOR, WARNING_SIGN,
                                          Picture, PictureNode)

_FONT = "font-family=\"Helvetica, Arial, sans-serif\""
_CHAR_W = 7.0  # rough width of a 12px character; labels are sized from it
_MAX_CHARS = 36  # longer label lines are cut with an ellipsis (the tooltip has the full text)
_LINE_H = 15
_PAD = 10
_COL_GAP = 64
_ROW_GAP = 26
_MARGIN = 16


def draw_svg(picture: Picture, *, diagnostic_anchor: str | None = "diag-") -> str:
    """The picture as an ``<svg>`` element; with ``diagnostic_anchor`` the ⚠ markers link to ``#diag-N``."""
    columns: dict[int, list[PictureNode]] = {}
    for node in picture.nodes:
        columns.setdefault(node.rank, []).append(node)
    rows = {rank: 1 + max(n.order for n in col) for rank, col in columns.items()}
    for e in picture.edges:  # placeholder slots of long edges take a row too
        for rank, row in e.via:
            rows[rank] = max(rows.get(rank, 0), row + 1)

    height_of = {n.key: _PAD * 2 + _LINE_H * len(_lines(n)) for n in picture.nodes}
    pitch = max(height_of.values(), default=0) + _ROW_GAP
    most_rows = max(rows.values(), default=0)
    boxes: dict[str, tuple[float, float, float, float]] = {}  # key -> x, y, w, h
    lanes: dict[tuple[int, int], tuple[float, float, float]] = {}  # (column, row) -> x left, x right, y centre
    x = float(_MARGIN)
    for rank in sorted(columns):
        col = columns[rank]
        width = max(110.0, max(max(len(line) for line in _lines(n)) * _CHAR_W + 2 * _PAD for n in col))
        offset = (most_rows - rows[rank]) * pitch / 2
        for row in range(rows[rank]):
            lanes[(rank, row)] = (x, x + width, _MARGIN + offset + row * pitch + (pitch - _ROW_GAP) / 2)
        for node in col:
            h = height_of[node.key]
            boxes[node.key] = (x, lanes[(rank, node.order)][2] - h / 2, width, h)
        x += width + _COL_GAP
    total_w = max(x - _COL_GAP + _MARGIN, 2 * _MARGIN)
    total_h = most_rows * pitch - _ROW_GAP + 2 * _MARGIN if most_rows else 2 * _MARGIN

    anchors = {id(d): i for i, d in enumerate(picture.diagnostics)}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="maskflow" width="{total_w:.0f}" '
             f'height="{total_h:.0f}" viewBox="0 0 {total_w:.0f} {total_h:.0f}" role="img" '
             f'aria-label="{escape(picture.name)} mask flow">',
             "<defs>" + _marker("arrow-mask", MASK_EDGE_COLOR) + _marker("arrow-plain", PLAIN_EDGE_COLOR) + "</defs>"]
    parts += _edges(picture, boxes, lanes)
    for node in picture.nodes:
        parts.append(_node(node, boxes[node.key], anchors, diagnostic_anchor))
    parts.append("</svg>")
    return "\n".join(parts)


def _lines(node: PictureNode) -> list[str]:
    lines = [f"output: {node.id}"] if node.kind == "output" else list(node.lines)
    if node.diagnostics:
        lines.append(f"{WARNING_SIGN} {node.codes}")
    return [line if len(line) <= _MAX_CHARS else line[: _MAX_CHARS - 1] + "\u2026" for line in lines]


def _marker(name: str, color: str) -> str:
    return (f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" '
            f'markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{color}"/></marker>')


def _edges(picture: Picture, boxes: dict, lanes: dict) -> list[str]:
    parts = []
    ids = {n.key: n.id for n in picture.nodes}
    seen: dict[tuple[str, str], int] = {}
    for e in picture.edges:
        sx, sy, sw, sh = boxes[e.source]
        tx, ty, _, th = boxes[e.target]
        n = seen.get((e.source, e.target), 0)  # parallel edges fan out a little
        seen[(e.source, e.target)] = n + 1
        shift = n * 8
        # Exit right, pass each placeholder lane straight across its column, enter left.
        points = [(sx + sw, sy + sh / 2 + shift)]
        for slot in e.via:
            left, right, y = lanes[slot]
            points += [(left, y + shift), (right, y + shift)]
        points.append((tx - 2, ty + th / 2 + shift))
        d = f"M{points[0][0]:.1f},{points[0][1]:.1f}"
        for i in range(0, len(points) - 1, 2):
            (x1, y1), (x2, y2) = points[i], points[i + 1]
            dx = max(24.0, (x2 - x1) / 2)
            d += f" C{x1 + dx:.1f},{y1:.1f} {x2 - dx:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
            if i + 2 < len(points):
                d += f" L{points[i + 2][0]:.1f},{points[i + 2][1]:.1f}"
        (x1, y1), (x2, y2) = points[-2], points[-1]
        if e.carries_mask:
            style = f'stroke="{MASK_EDGE_COLOR}" stroke-width="3" marker-end="url(#arrow-mask)"'
            kind = "edge mask"
        else:
            style = f'stroke="{PLAIN_EDGE_COLOR}" stroke-width="1.5" stroke-dasharray="5 4" marker-end="url(#arrow-plain)"'
            kind = "edge plain"
        title = f"{ids[e.source]} \u2192 {ids[e.target]}: " + (
            "carries a mask" if e.carries_mask else "no mask")
        parts.append(f'<g class="{kind}"><title>{escape(title)}</title><path d="{d}" fill="none" {style}/></g>')
        if e.label:
            parts.append(f'<text x="{(x1 + x2) / 2:.1f}" y="{(y1 + y2) / 2 - 4:.1f}" text-anchor="middle" {_FONT} '
                         f'font-size="10" fill="#374151" stroke="#ffffff" stroke-width="3" paint-order="stroke">'
                         f"{escape(e.label)}</text>")
    return parts


def _node(node: PictureNode, box: tuple, anchors: dict, anchor_prefix: str | None) -> str:
    x, y, w, h = box
    fill, stroke = PALETTE[node.style]
    width = 3 if node.style == "unsupported" or node.diagnostics else 1.5
    if node.worst is not None:
        stroke = SEVERITY_COLOR[node.worst.value]
    if node.kind == "output":
        k = 8
        shape = (f'<polygon points="{x + k:.1f},{y:.1f} {x + w:.1f},{y:.1f} {x + w - k:.1f},{y + h:.1f} '
                 f'{x:.1f},{y + h:.1f}" fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>')
    else:
        radius = h / 2 if node.kind == "input" else 8
        shape = (f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{min(radius, 18):.1f}" '
                 f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>')
    title = f"{node.id} ({node.type})" + (f" \u2014 {', '.join(node.roles)}" if node.roles else "")
    if node.tooltip:
        title += "\n" + node.tooltip
    texts = []
    lines = _lines(node)
    for i, line in enumerate(lines):
        ty = y + _PAD + _LINE_H * (i + 0.75)
        is_codes = node.diagnostics and i == len(lines) - 1
        weight = ' font-weight="bold"' if i == 0 else ""
        color = SEVERITY_COLOR[node.worst.value] if is_codes else ("#111827" if i == 0 else "#374151")
        text = (f'<text x="{x + w / 2:.1f}" y="{ty:.1f}" text-anchor="middle" {_FONT} font-size="{12 if i == 0 else 11}"'
                f'{weight} fill="{color}">{escape(line)}</text>')
        if is_codes and anchor_prefix is not None:
            first = anchors.get(id(node.diagnostics[0]))
            if first is not None:
                text = f'<a href="#{anchor_prefix}{first}">{text}</a>'
        texts.append(text)
    return (f'<g class="node {node.style}" data-node="{escape(node.id)}"><title>{escape(title)}</title>'
            + shape + "".join(texts) + "</g>")
