"""A self-drawn SVG of the picture model: no Graphviz, no JavaScript.

Layout is the model's layering (``graph_layout``): a node's rank is its
column, its order the row within the column, columns centred vertically
(``direction="TB"``: ranks are rows, top to bottom, centred horizontally).
Edges are cubic curves from a node's right side to the next node's left
side (bottom to top for ``TB``); an edge that skips columns runs straight through the placeholder row
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


def draw_svg(picture: Picture, *, diagnostic_anchor: str | None = "diag-", direction: str = "LR") -> str:
    """The picture as an ``<svg>`` element; with ``diagnostic_anchor`` the ⚠ markers link to ``#diag-N``.

    ``direction`` ``LR`` puts ranks in columns (left to right), ``TB`` in rows
    (top to bottom). The layout is computed along a *main* axis (ranks) and a
    *cross* axis (the order within a rank), then mapped to x/y.
    """
    vertical = direction == "TB"
    columns: dict[int, list[PictureNode]] = {}
    for node in picture.nodes:
        columns.setdefault(node.rank, []).append(node)
    rows = {rank: 1 + max(n.order for n in col) for rank, col in columns.items()}
    for e in picture.edges:  # placeholder slots of long edges take a row too
        for rank, row in e.via:
            rows[rank] = max(rows.get(rank, 0), row + 1)

    width_of = {n.key: max(110.0, max(len(line) for line in _lines(n)) * _CHAR_W + 2 * _PAD) for n in picture.nodes}
    height_of = {n.key: _PAD * 2 + _LINE_H * len(_lines(n)) for n in picture.nodes}
    main_of, cross_of = (height_of, width_of) if vertical else (width_of, height_of)
    main_gap, cross_gap = (_COL_GAP, _ROW_GAP) if not vertical else (_COL_GAP * 0.75, _ROW_GAP)
    pitch = max(cross_of.values(), default=0) + cross_gap
    most_rows = max(rows.values(), default=0)
    boxes: dict[str, tuple[float, float, float, float]] = {}  # key -> main, cross, main size, cross size
    lanes: dict[tuple[int, int], tuple[float, float, float]] = {}  # (rank, row) -> main start, main end, cross centre
    m = float(_MARGIN)
    for rank in sorted(columns):
        col = columns[rank]
        extent = max(main_of[n.key] for n in col)
        offset = (most_rows - rows[rank]) * pitch / 2
        for row in range(rows[rank]):
            lanes[(rank, row)] = (m, m + extent, _MARGIN + offset + row * pitch + (pitch - cross_gap) / 2)
        for node in col:
            size = cross_of[node.key]
            boxes[node.key] = (m, lanes[(rank, node.order)][2] - size / 2, extent, size)
        m += extent + main_gap
    total_main = max(m - main_gap + _MARGIN, 2 * _MARGIN)
    total_cross = most_rows * pitch - cross_gap + 2 * _MARGIN if most_rows else 2 * _MARGIN
    place = (lambda mm, cc: (cc, mm)) if vertical else (lambda mm, cc: (mm, cc))
    total_w, total_h = place(total_main, total_cross)

    anchors = {id(d): i for i, d in enumerate(picture.diagnostics)}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="maskflow" width="{total_w:.0f}" '
             f'height="{total_h:.0f}" viewBox="0 0 {total_w:.0f} {total_h:.0f}" role="img" '
             f'aria-label="{escape(picture.name)} mask flow">',
             "<defs>" + _marker("arrow-mask", MASK_EDGE_COLOR) + _marker("arrow-plain", PLAIN_EDGE_COLOR) + "</defs>"]
    parts += _edges(picture, boxes, lanes, place)
    for node in picture.nodes:
        mm, cc, msize, csize = boxes[node.key]
        x, y = place(mm, cc)
        w, h = place(msize, csize)
        parts.append(_node(node, (x, y, w, h), anchors, diagnostic_anchor, height_of[node.key]))
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


def _edges(picture: Picture, boxes: dict, lanes: dict, place) -> list[str]:
    """Edges in (main, cross) coordinates, mapped to x/y by ``place``: out of a node's far side along
    the main axis, straight through each placeholder lane, into the next node's near side."""
    parts = []
    ids = {n.key: n.id for n in picture.nodes}
    seen: dict[tuple[str, str], int] = {}

    def at(mm: float, cc: float) -> str:
        x, y = place(mm, cc)
        return f"{x:.1f},{y:.1f}"

    for e in picture.edges:
        sm, sc, smain, scross = boxes[e.source]
        tm, tc, _, tcross = boxes[e.target]
        n = seen.get((e.source, e.target), 0)  # parallel edges fan out a little
        seen[(e.source, e.target)] = n + 1
        shift = n * 8
        points = [(sm + smain, sc + scross / 2 + shift)]
        for slot in e.via:
            start, end, centre = lanes[slot]
            points += [(start, centre + shift), (end, centre + shift)]
        points.append((tm - 2, tc + tcross / 2 + shift))
        d = f"M{at(*points[0])}"
        for i in range(0, len(points) - 1, 2):
            (m1, c1), (m2, c2) = points[i], points[i + 1]
            dm = max(24.0, (m2 - m1) / 2)
            d += f" C{at(m1 + dm, c1)} {at(m2 - dm, c2)} {at(m2, c2)}"
            if i + 2 < len(points):
                d += f" L{at(*points[i + 2])}"
        (m1, c1), (m2, c2) = points[-2], points[-1]
        if e.carries_mask:
            style = f'stroke="{MASK_EDGE_COLOR}" stroke-width="3" marker-end="url(#arrow-mask)"'
            kind = "edge mask"
        elif e.built_only:
            style = (f'stroke="{MASK_EDGE_COLOR}" stroke-width="1.5" stroke-dasharray="5 4" '
                     'marker-end="url(#arrow-mask)"')
            kind = "edge built-only"
        else:
            style = f'stroke="{PLAIN_EDGE_COLOR}" stroke-width="1.5" stroke-dasharray="5 4" marker-end="url(#arrow-plain)"'
            kind = "edge plain"
        title = f"{ids[e.source]} \u2192 {ids[e.target]}: {e.describe()}"
        parts.append(f'<g class="{kind}"><title>{escape(title)}</title><path d="{d}" fill="none" {style}/></g>')
        if e.label:
            lx, ly = place((m1 + m2) / 2, (c1 + c2) / 2)
            parts.append(f'<text x="{lx:.1f}" y="{ly - 4:.1f}" text-anchor="middle" {_FONT} '
                         f'font-size="10" fill="#374151" stroke="#ffffff" stroke-width="3" paint-order="stroke">'
                         f"{escape(e.label)}</text>")
    return parts


def _node(node: PictureNode, box: tuple, anchors: dict, anchor_prefix: str | None, content_h: float) -> str:
    x, y, w, h = box
    top = y + (h - content_h) / 2  # the label block, centred in a box taller than it (TB bands)
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
        ty = top + _PAD + _LINE_H * (i + 0.75)
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
