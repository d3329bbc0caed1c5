"""``graphmask run SPEC --input NAME=FILE.npy ... -o out.npz`` (or ``--demo``): inference.

Exit codes: 0 ran; 1 the spec has errors (or a custom layer's declaration
lies, or the model's own code fails on the data); 2 the invocation cannot be carried out: bad or mismatched input
files, no GPU for ``--device gpu``, weights that do not fit, an existing
output without ``--overwrite``. Inputs are checked before TensorFlow loads.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from graphmask.commands import print_diagnostics, refuse_output, require_file
from graphmask.commands.compile import add_build_options
from graphmask.errors import UsageError

DEMO_SAMPLES = 8
MASK_SUFFIX = ".mask"  # npz key of an output's mask: "<output name>.mask" (names never contain '.')


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("run", help="run a spec's model on .npy/.npz inputs (or a demo batch)")
    parser.add_argument("spec", metavar="SPEC", help="spec file")
    parser.add_argument("--input", dest="inputs", action="append", default=[], metavar="NAME=FILE",
                        help="NAME=FILE.npy, NAME=FILE.npz[:KEY], or FILE.npz (arrays named like inputs); repeatable")
    parser.add_argument("--demo", action="store_true", help="run on a small generated padded batch")
    parser.add_argument("--weights", metavar="FILE.weights.h5", help="weights saved with model.save_weights")
    parser.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto",
                        help="where to run (auto: the GPU when one is visible)")
    parser.add_argument("--batch-size", type=int, default=None, metavar="N",
                        help=f"samples per batch (default 32; {DEMO_SAMPLES // 2} with --demo)")
    parser.add_argument("--masks", action="store_true", help="also write each output's Keras mask")
    parser.add_argument("-o", "--output", metavar="OUT.npz", help="where to write the outputs (.npz)")
    parser.add_argument("--overwrite", action="store_true", help="replace the output file if it exists")
    add_build_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from graphmask import SpecError, load
    from graphmask.checker import check_spec
    from graphmask.diagnostics import has_errors
    from graphmask.keras import inputs as data
    from graphmask.keras.errors import InputError

    _check_usage(args)
    try:
        spec = load(args.spec)
    except SpecError as exc:
        print_diagnostics(exc.diagnostics, args.spec)
        return 1
    checked = check_spec(spec)
    if has_errors(checked.diagnostics) and not args.force:
        print_diagnostics(checked.diagnostics, args.spec)
        print("graphmask run: the spec has errors (run with --force to try anyway)", file=sys.stderr)
        return 1
    try:
        arrays = data.demo_batch(checked.graph, DEMO_SAMPLES) if args.demo else data.load_inputs(spec, args.inputs)
        arrays = data.check_inputs(spec, arrays)
    except InputError as exc:
        raise UsageError(str(exc)) from None
    if args.demo:
        print(f"demo batch: {data.describe_batch(arrays)}", file=sys.stderr)
    return _run_model(args, spec, arrays)


def _check_usage(args: argparse.Namespace) -> None:
    require_file(args.spec)
    if bool(args.inputs) == bool(args.demo):
        raise UsageError("give the model's inputs with --input NAME=FILE (repeatable), or use --demo")
    if args.output is None and not args.demo:
        raise UsageError("say where to write the outputs: -o OUT.npz")
    if args.output is not None:
        if Path(args.output).suffix != ".npz":
            raise UsageError(f"{args.output}: the output must end in .npz")
        refuse_output(args.output, args.overwrite)
    if args.batch_size is not None and args.batch_size < 1:
        raise UsageError("--batch-size must be at least 1")


def _run_model(args: argparse.Namespace, spec, arrays) -> int:
    from graphmask.keras.errors import CompileError, ModelFailed, RunError
    from graphmask.keras.run import run_spec

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    batch_size = args.batch_size or (DEMO_SAMPLES // 2 if args.demo else 32)

    def progress(done: int, total: int) -> None:
        print(f"graphmask run: batch {done}/{total}", file=sys.stderr, flush=True)

    try:
        result = run_spec(spec, arrays, batch_size=batch_size, device=args.device, strategy=args.strategy,
                          masks=args.masks, weights=args.weights, allow_imports=args.allow_imports,
                          force=args.force, progress=progress)
    except CompileError as exc:
        print_diagnostics(exc.diagnostics, args.spec)
        print(f"graphmask run: {exc}", file=sys.stderr)
        return 1
    except RunError as exc:
        raise UsageError(str(exc)) from None
    except ModelFailed as exc:
        print(f"graphmask run: {exc}", file=sys.stderr)
        return 1
    print_diagnostics(result.compiled.diagnostics, args.spec)
    print(f"ran on {result.device}")
    if args.masks:
        for name in result.outputs:
            if name not in result.masks:
                print(f"output `{name}` carries no mask")
    if args.output is None:
        print(_summary(result))
        return 0
    _write(args, result)
    return 0


def _write(args: argparse.Namespace, result) -> None:
    import numpy as np

    from graphmask.keras.inputs import parse_input_arg
    from graphmask.atomic import atomic_path

    arrays = dict(result.outputs)
    arrays.update({name + MASK_SUFFIX: mask for name, mask in result.masks.items()})
    protect = [args.spec] + [parse_input_arg(item)[1] for item in args.inputs]
    try:
        with atomic_path(args.output, args.overwrite, protect) as tmp:
            with open(tmp, "wb") as handle:
                np.savez(handle, **arrays)
    except OSError as exc:  # exists (no --overwrite), is an input, or cannot be written
        raise UsageError(str(exc)) from None
    print(f"wrote {args.output}: {', '.join(sorted(arrays))}")


def _summary(result) -> str:
    import numpy as np

    lines = []
    for name, value in result.outputs.items():
        first = np.array2string(np.asarray(value)[0].ravel()[:6], precision=4, separator=", ")
        lines.append(f"{name}: shape {value.shape} {value.dtype}; sample 0 starts {first}")
        if name in result.masks:
            valid = result.masks[name].reshape(len(value), -1).sum(axis=1)
            lines.append(f"{name}{MASK_SUFFIX}: valid steps per sample {valid.tolist()}")
    return "\n".join(lines)
