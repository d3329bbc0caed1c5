"""``graphmask graph SPEC``: the mask flow as a picture (mermaid, dot, svg, html).

The drawing modules are imported when the command runs: every other command
(``check`` above all) starts without them.
"""

from __future__ import annotations

import argparse
import sys

from graphmask.commands import print_diagnostics, refuse_existing, require_file
from graphmask.errors import UsageError

FORMATS = ("mermaid", "dot", "svg", "html")
DIRECTIONS = ("LR", "TB")
# mermaid's default limits (maxTextSize, maxEdges), which GitHub keeps: past them it shows an error instead.
MERMAID_MAX_CHARS, MERMAID_MAX_EDGES = 50_000, 500


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "graph", help="draw the mask flow: nodes styled by mask role, mask-carrying edges thick, findings marked",
        description="Draw how masks flow through a spec. Exit 0 when the picture was produced (findings are "
                    "drawn, not failed on: use `graphmask check` to gate), 1 when the spec is too broken to draw.")
    parser.add_argument("spec", metavar="SPEC", help="a spec file")
    parser.add_argument("--format", choices=FORMATS, default="mermaid",
                        help="mermaid (default; renders in GitHub Markdown), dot (Graphviz source), "
                             "svg (needs Graphviz's `dot`), html (one self-contained page with the picture, "
                             "the findings and the explain table)")
    parser.add_argument("--markdown", action="store_true",
                        help="with --format mermaid: a Markdown snippet (```mermaid block and the findings), "
                             "ready to post as a pull-request comment")
    parser.add_argument("--direction", choices=DIRECTIONS, default="LR",
                        help="layout: LR (default) left to right, TB top to bottom (for wide models)")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write to FILE (atomically) instead of stdout (`-`: stdout)")
    parser.add_argument("--overwrite", action="store_true", help="let -o replace an existing file")
    return parser


def run(args: argparse.Namespace) -> int:
    from graphmask.analysis.masks import infer_masks
    from graphmask.atomic import OutputRefused, write_atomic
    from graphmask.checker import check_path
    from graphmask.report.graph_dot import GraphvizError, dot_to_svg, format_dot
    from graphmask.report.graph_html import format_html
    from graphmask.report.graph_mermaid import format_mermaid, format_mermaid_markdown
    from graphmask.report.graph_model import build_picture

    if args.markdown and args.format != "mermaid":
        raise UsageError("--markdown goes with --format mermaid")
    require_file(args.spec)
    if args.output:
        refuse_existing(args.output, args.overwrite)

    result = check_path(args.spec)
    if result.graph is None or not result.graph.acyclic:
        print_diagnostics(result.diagnostics, args.spec)
        return 1
    flow = infer_masks(result.graph)
    picture = build_picture(flow, result.diagnostics)
    if args.format == "mermaid":
        text = (format_mermaid_markdown(picture, args.direction) if args.markdown
                else format_mermaid(picture, args.direction))
        if len(text) > MERMAID_MAX_CHARS or len(picture.edges) > MERMAID_MAX_EDGES:
            sys.stderr.write(f"graphmask graph: note: {len(picture.nodes)} nodes and {len(picture.edges)} edges are more "
                             f"than mermaid renders by default ({MERMAID_MAX_CHARS} characters, {MERMAID_MAX_EDGES} "
                             "edges, as on GitHub); use --format html for a model this size\n")
    elif args.format == "dot":
        text = format_dot(picture, args.direction)
    elif args.format == "svg":
        try:
            text = dot_to_svg(format_dot(picture, args.direction))
        except GraphvizError as exc:
            raise UsageError(str(exc)) from exc
    else:
        text = format_html(picture, flow, args.direction)

    if args.output:
        try:  # atomically; never over an existing file without --overwrite, never over the spec
            write_atomic(args.output, text, overwrite=args.overwrite, protect=[args.spec])
        except OSError as exc:  # OutputRefused included: its message says what to do
            message = str(exc) if isinstance(exc, OutputRefused) else f"cannot write {args.output}: {exc}"
            raise UsageError(message) from None
    else:
        sys.stdout.write(text)
    return 0
