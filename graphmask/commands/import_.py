"""``graphmask import MODEL.keras -o SPEC.yaml``: turn an existing Keras model into a spec.

Accepts a ``.keras`` file or a JSON model config (``model.to_json()``), and
needs no TensorFlow (``graphmask.convert``), except to read custom layer
classes under ``--allow-import``. Padding the model states is inferred and
``--pad`` states the rest; every assumption is a comment in the spec and a
line on stderr. Exit 0: written (then lint it with ``graphmask check``);
1: some parts cannot be expressed in a spec (listed; nothing is written);
2: bad usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graphmask.commands import print_diagnostics, refuse_output, require_file
from graphmask.errors import SpecError, UsageError


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("import", help="turn a Keras model (.keras or JSON config) into a spec")
    parser.add_argument("model", metavar="MODEL", help="a .keras file, or a JSON file from model.to_json()")
    parser.add_argument("-o", "--output", required=True, metavar="SPEC.yaml", help="where to write the spec")
    parser.add_argument("--overwrite", action="store_true", help="replace the output file if it exists")
    parser.add_argument("--pad", metavar="INPUT=VALUE[:post|pre|gaps]", action="append", default=[],
                        help="state how an input is padded (e.g. tokens=0:post); overrides what is inferred")
    parser.add_argument("--allow-import", metavar="PKG", action="append", default=[],
                        help="import custom layer classes from this package to read their mask behaviour "
                        "(imports Keras)")
    return parser


def run(args: argparse.Namespace) -> int:
    from graphmask.atomic import write_atomic
    from graphmask.checker import check_spec
    from graphmask.convert import ConvertError
    from graphmask.convert.load import convert_file
    from graphmask.convert.padding import PadError, parse_pad
    from graphmask.spec.loader import loads
    from graphmask.spec.writer import to_yaml
    from graphmask.spec.yaml_loader import YamlLoadError

    output = Path(args.output)
    require_file(args.model)
    if output.suffix not in (".yaml", ".yml"):
        raise UsageError(f"{output}: the spec must end in .yaml or .yml")
    refuse_output(output, args.overwrite)
    try:
        pads = dict(parse_pad(text) for text in args.pad)
        result = convert_file(args.model, custom=_custom_layers(args.allow_import), pads=pads)
    except (YamlLoadError, ConvertError, PadError) as exc:
        raise UsageError(f"{args.model}: {getattr(exc, 'message', exc)}") from None
    if result.problems:
        print(f"graphmask import: {len(result.problems)} thing(s) in {args.model} cannot be expressed in a spec; "
              "nothing written:", file=sys.stderr)
        for problem in result.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    text = to_yaml(result.spec, result.comments)
    try:
        spec = loads(text, str(output))
    except SpecError as exc:  # a bug in the converter: show what it produced
        print_diagnostics(exc.diagnostics, str(output))
        sys.stderr.write(text)
        return 1
    try:
        write_atomic(output, text, overwrite=args.overwrite, protect=[args.model])
    except OSError as exc:  # exists (no --overwrite), is the model itself, or cannot be written
        raise UsageError(str(exc)) from None
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    for assumption in result.assumptions:
        print(f"assumed: {assumption}", file=sys.stderr)
    print(f"wrote {output}: {len(spec.inputs)} input(s), {len(spec.layers)} layer(s)")
    print_diagnostics(check_spec(spec).diagnostics, str(output))
    return 0


def _custom_layers(allow: list[str]):
    if not allow:
        return None
    from graphmask.keras.inspect_custom import InspectedCustomLayers

    return InspectedCustomLayers(allow)
