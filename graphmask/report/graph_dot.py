"""Graphviz ``dot`` source of the mask flow, and SVG through the ``dot`` program.

``dot`` is an optional system program: graphmask never needs it to check or
to draw HTML; ``--format svg`` uses it when it is on PATH and otherwise says
how to install it.
"""

from __future__ import annotations

import shutil
import subprocess

from graphmask.report.graph_model import (MASK_EDGE_COLOR, PALETTE, PLAIN_EDGE_COLOR, SEVERITY_COLOR, WARNING_SIGN,
                                          Picture, PictureNode)
from graphmask.report.printable import visible

DOT_TIMEOUT_S = 60
INSTALL_HINT = ("install Graphviz (Debian/Ubuntu: `apt-get install graphviz`, macOS: `brew install graphviz`, "
                "conda: `conda install graphviz`), or use `--format html`, which draws the picture without it")


class GraphvizError(RuntimeError):
    """``dot`` is missing or failed; the message says what to do."""


def quote(text: str) -> str:
    """A dot double-quoted string; backslashes are doubled so ``\\n``-style escapes come only from us
    (a newline becomes dot's ``\n`` line break; other control characters are escaped, ``printable``)."""
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "")
    return '"' + visible(text) + '"'


def format_dot(picture: Picture, direction: str = "LR") -> str:
    lines = [f"digraph {quote(picture.name)} {{",
             f"  rankdir={direction};",
             '  graph [fontname="Helvetica", nodesep=0.3, ranksep=0.6];',
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, fontcolor="#111827"];',
             '  edge [fontname="Helvetica", fontsize=9, arrowsize=0.7];']
    for node in picture.nodes:
        lines.append(f"  {node.key} [{_node_attrs(node)}];")
    for e in picture.edges:
        if e.carries_mask:
            attrs = f'color="{MASK_EDGE_COLOR}", penwidth=2.5'
        elif e.built_only:  # a mask in the built graph, none when the model runs
            attrs = f'color="{MASK_EDGE_COLOR}", style=dashed, penwidth=1.2'
        else:
            attrs = f'color="{PLAIN_EDGE_COLOR}", style=dashed'
        if e.label:
            attrs += f", label={quote(e.label)}"
        lines.append(f"  {e.source} -> {e.target} [{attrs}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node_attrs(node: PictureNode) -> str:
    fill, stroke = PALETTE[node.style]
    label = "\n".join(node.lines)
    if node.diagnostics:
        label += f"\n{WARNING_SIGN} {node.codes}"
    attrs = {"label": quote(label), "fillcolor": f'"{fill}"', "color": f'"{stroke}"',
             "tooltip": quote(node.tooltip or f"{node.id} ({node.type})")}
    if node.kind == "input":
        attrs["shape"] = "box"
        attrs["style"] = '"rounded,filled,bold"'
    elif node.kind == "output":
        attrs["label"] = quote(f"output: {node.id}")
        attrs["shape"] = "parallelogram"
        attrs["style"] = "filled"
    if node.style == "unsupported":
        attrs["penwidth"] = "3"
    if node.worst is not None:
        attrs["color"] = f'"{SEVERITY_COLOR[node.worst.value]}"'
        attrs["penwidth"] = "3"
    return ", ".join(f"{k}={v}" for k, v in attrs.items())


def dot_to_svg(dot_source: str) -> str:
    """Run Graphviz (no shell, bounded time); raise GraphvizError with a way out."""
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizError(f"--format svg needs Graphviz's `dot` program, which is not on PATH: {INSTALL_HINT}")
    try:
        done = subprocess.run([dot, "-Tsvg"], input=dot_source.encode("utf-8"), capture_output=True,
                              timeout=DOT_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise GraphvizError(f"`dot` did not finish within {DOT_TIMEOUT_S} s; try `--format html`") from exc
    except OSError as exc:
        raise GraphvizError(f"could not run `{dot}`: {exc}; {INSTALL_HINT}") from exc
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()
        raise GraphvizError(f"`dot -Tsvg` failed (exit {done.returncode}): {err}")
    return done.stdout.decode("utf-8")
