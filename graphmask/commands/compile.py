"""``graphmask compile SPEC -o model.keras``: build the Keras model and save it (Keras v3 format)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from graphmask.commands import print_diagnostics, refuse_output, require_file
from graphmask.errors import SpecError, UsageError


def add_build_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by `compile` and `run`."""
    parser.add_argument("--allow-import", dest="allow_imports", action="append", default=[], metavar="PKG",
                        help="package whose custom layers / Lambda functions may be imported (repeatable)")
    parser.add_argument("--force", action="store_true",
                        help="build even when the checker reports errors")
    parser.add_argument("--strategy", choices=("default", "mirrored", "multi-worker"), default=None,
                        help="build (and run) inside this tf.distribute strategy's scope")
    parser.add_argument("--verbose", action="store_true",
                        help="let TensorFlow print its start-up logging (CUDA probing, CPU features)")


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("compile", help="build the Keras model of a spec and save it as .keras")
    parser.add_argument("spec", metavar="SPEC", help="spec file")
    parser.add_argument("-o", "--output", required=True, metavar="MODEL.keras", help="where to write the model")
    parser.add_argument("--overwrite", action="store_true", help="replace the output file if it exists")
    add_build_options(parser)
    return parser


def check_build_options(args: argparse.Namespace) -> None:
    """What `compile` and `run` can refuse before TensorFlow loads (a malformed TF_CONFIG)."""
    from graphmask.keras.distribute import check_environment
    from graphmask.keras.quiet import VERBOSE_ENV

    if args.verbose:
        os.environ[VERBOSE_ENV] = "1"
    try:
        check_environment(args.strategy)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def build(args: argparse.Namespace):
    """Compile ``args.spec``; returns ``Compiled`` or an exit code after printing why not."""
    require_file(args.spec)
    from graphmask.keras.compile import compile_spec
    from graphmask.keras.errors import CompileError

    try:
        compiled = compile_spec(args.spec, allow_imports=args.allow_imports, force=args.force,
                                strategy=args.strategy)
    except (SpecError, CompileError) as exc:
        print_diagnostics(exc.diagnostics, args.spec)
        print(f"graphmask {args.command}: {exc}", file=sys.stderr)
        return 1
    print_diagnostics(compiled.diagnostics, args.spec)
    return compiled


def run(args: argparse.Namespace) -> int:
    output = Path(args.output)
    if output.suffix != ".keras":
        raise UsageError(f"{output}: the output must end in .keras (the Keras v3 format)")
    refuse_output(output, args.overwrite)
    check_build_options(args)
    compiled = build(args)
    if isinstance(compiled, int):
        return compiled
    from graphmask.keras.save import save_model

    try:
        save_model(compiled.model, output, overwrite=args.overwrite, protect=[args.spec])
    except OSError as exc:  # exists (no --overwrite), is the spec itself, or cannot be written
        raise UsageError(str(exc)) from None
    model = compiled.model
    print(f"wrote {output}: model `{model.name}`, {len(model.layers)} layers, {model.count_params()} parameters")
    needed = custom_objects(compiled.graph)
    if needed:
        print("load it with:\n" + loading_snippet(str(output), needed))
    return 0


def loading_snippet(path: str, needed: dict[str, str]) -> str:
    """Python that loads the saved model: imports for each custom object, then ``load_model``."""
    lines, entries, taken = ["import keras"], [], set()
    for saved_name, import_path in needed.items():
        module, attribute = import_path.rsplit(":", 1)
        local = attribute if attribute not in taken else f"{attribute}_{len(taken)}"
        taken.add(local)
        lines.append(f"from {module} import {attribute}" + (f" as {local}" if local != attribute else ""))
        entries.append(f"{saved_name!r}: {local}")
    lines.append(f"model = keras.models.load_model({path!r}, custom_objects={{{', '.join(entries)}}})")
    return "\n".join("    " + line for line in lines)


def custom_objects(graph) -> dict[str, str]:
    """What Keras needs to load the model: saved name -> `module:object` (custom classes, Lambda functions)."""
    from graphmask.catalog import load_catalog
    from graphmask.keras.imports import is_import_path

    needed: dict[str, str] = {}
    for node in graph.layers():
        custom = graph.spec.custom_layers.get(node.layer_type or "")
        info = load_catalog().get(node.layer_type or "")
        if custom is not None:
            needed[custom.import_.rsplit(":", 1)[1]] = custom.import_  # Keras saves the class name
        elif info is not None:  # Lambda's function/mask/output_shape
            for key in info.callable_args:
                if is_import_path(node.args.get(key)):
                    needed[node.args[key].rsplit(":", 1)[1]] = node.args[key]
    return dict(sorted(needed.items()))
