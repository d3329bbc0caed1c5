"""``graphmask graph SPEC``: the mask flow as a picture (mermaid, dot, svg, html)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from graphmask.analysis.masks import infer_masks
from graphmask.checker import CheckResult, check_path
from graphmask.report.graph_dot import GraphvizError, dot_to_svg, format_dot
from graphmask.report.graph_html import format_html
from graphmask.report.graph_mermaid import format_mermaid, format_mermaid_markdown
from graphmask.report.graph_model import build_picture
from graphmask.report.text import format_text

FORMATS = ("mermaid", "dot", "svg", "html")


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
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout")
    parser.add_argument("--overwrite", action="store_true", help="let -o replace an existing file")
    return parser


def run(args: argparse.Namespace) -> int:
    from graphmask.cli import UsageError

    if args.markdown and args.format != "mermaid":
        raise UsageError("--markdown goes with --format mermaid")
    if not os.path.isfile(args.spec):
        raise UsageError(f"no such file: {args.spec}")
    if args.output and os.path.exists(args.output) and not args.overwrite:
        raise UsageError(f"{args.output} exists; pass --overwrite to replace it")

    result = check_path(args.spec)
    if result.graph is None or not result.graph.acyclic:
        sys.stderr.write(format_text([CheckResult(args.spec, None, None, result.diagnostics)]))
        return 1
    flow = infer_masks(result.graph)
    picture = build_picture(flow, result.diagnostics)
    if args.format == "mermaid":
        text = format_mermaid_markdown(picture) if args.markdown else format_mermaid(picture)
    elif args.format == "dot":
        text = format_dot(picture)
    elif args.format == "svg":
        try:
            text = dot_to_svg(format_dot(picture))
        except GraphvizError as exc:
            raise UsageError(str(exc)) from exc
    else:
        text = format_html(picture, flow)

    if args.output:
        write_file(args.output, text, overwrite=args.overwrite)
    else:
        sys.stdout.write(text)
    return 0


def write_file(path: str, text: str, *, overwrite: bool) -> None:
    """Write via a temporary file in the same folder, then rename: readers never see half a file."""
    from graphmask.cli import UsageError

    try:
        from graphmask.atomic import write_atomic  # the project's shared helper, when present
    except ImportError:
        write_atomic = None
    if write_atomic is not None:
        write_atomic(path, text, overwrite=overwrite)
        return
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".graphmask-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if `path` appeared meanwhile: never clobber
            except FileExistsError as exc:
                raise UsageError(f"{path} exists; pass --overwrite to replace it") from exc
            os.unlink(tmp)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
