"""``graphmask export SPEC_OR_MODEL --format saved_model|onnx|litert -o PATH``: a model for serving.

A ``.keras`` file is loaded (Keras's safe mode: no code runs from it); a spec is
compiled first, with freshly initialised weights (export a trained model from
``graphmask fit``). The export itself is Keras's ``Model.export``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graphmask.commands import refuse_output, require_file
from graphmask.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from graphmask.export_formats import FORMATS

    parser = subparsers.add_parser("export", help="export a model (.keras or spec) for serving: SavedModel, ONNX, LiteRT")
    parser.add_argument("source", metavar="SPEC_OR_MODEL", help="a .keras model or a spec file")
    parser.add_argument("--format", required=True, choices=tuple(FORMATS), help="the serving format")
    parser.add_argument("-o", "--output", required=True, metavar="PATH",
                        help="a directory for saved_model, a .onnx or .tflite file otherwise")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    parser.add_argument("--allow-import", dest="allow_imports", action="append", default=[], metavar="PKG",
                        help="package whose custom layers may be imported (a spec only)")
    return parser


def run(args: argparse.Namespace) -> int:
    from graphmask.keras.export import FORMATS, ExporterMissing, export_model, output_problem, require_exporter

    require_file(args.source)
    fmt = FORMATS[args.format]
    output = Path(args.output)
    problem = output_problem(fmt, output)
    if problem:
        raise UsageError(problem)
    refuse_output(output, args.overwrite)
    try:
        require_exporter(fmt)  # before TensorFlow loads
    except ExporterMissing as exc:
        raise UsageError(str(exc)) from None
    model = _load(args)
    if isinstance(model, int):
        return model
    try:
        export_model(model, fmt, output, overwrite=args.overwrite)
    except OSError as exc:
        raise UsageError(str(exc)) from None
    print(f"wrote {output} ({fmt.name}) from {args.source}")
    return 0


def _load(args: argparse.Namespace):
    if args.source.endswith(".keras"):
        import keras

        try:
            return keras.models.load_model(args.source)  # safe_mode: a lambda in the file is refused, not run
        except (ValueError, OSError) as exc:
            print(f"graphmask export: cannot load {args.source}: {exc}", file=sys.stderr)
            return 2
    from graphmask.commands.compile import build

    args.force, args.strategy, args.command = False, None, "export"
    compiled = build(argparse.Namespace(**{**vars(args), "spec": args.source}))
    if isinstance(compiled, int):
        return compiled
    print("note: exporting the spec's freshly initialised weights (train with `graphmask fit` first)", file=sys.stderr)
    return compiled.model
