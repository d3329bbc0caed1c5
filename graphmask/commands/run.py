"""``graphmask run SPEC --input NAME=FILE.npy ... -o out.npz`` (or ``--demo``): inference.

Exit codes: 0 ran; 1 the spec has errors (or a custom layer's declaration
lies, or the model's own code fails on the data); 2 the invocation cannot be carried out: bad or mismatched input
files, no GPU for ``--device gpu``, weights that do not fit, an existing
output without ``--overwrite``. Inputs are checked before TensorFlow loads.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graphmask.commands import print_diagnostics, refuse_output, require_file
from graphmask.commands.compile import add_build_options, check_build_options
from graphmask.errors import UsageError

DEMO_SAMPLES = 8
MAX_BATCH_SIZE = 1 << 20  # past this one batch's activations alone exhaust memory
MAX_INPUT_BYTES_LIMIT = 1 << 50  # --max-input-bytes sanity bound (1 PiB)
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
    parser.add_argument("--batch-size", type=_bounded("--batch-size", MAX_BATCH_SIZE), default=None, metavar="N",
                        help=f"samples per batch, 1..{MAX_BATCH_SIZE} (default 32; {DEMO_SAMPLES // 2} with --demo)")
    parser.add_argument("--max-input-bytes", type=_bounded("--max-input-bytes", MAX_INPUT_BYTES_LIMIT),
                        default=None, metavar="N",
                        help="refuse --input data larger than this, all arrays together at the spec's dtypes, "
                             "read from the files' headers before loading (default: 1 GiB)")
    parser.add_argument("--masks", action="store_true", help="also write each output's Keras mask")
    parser.add_argument("-o", "--output", metavar="OUT.npz",
                        help="where to write the outputs (.npz); without it a summary is printed")
    parser.add_argument("--overwrite", action="store_true", help="replace the output file if it exists")
    add_build_options(parser)
    return parser


def _bounded(flag: str, most: int):
    """An argparse type: an integer in 1..most (huge values would overflow in numpy/TensorFlow)."""
    def parse(text: str) -> int:
        value = int(text) if text.strip().lstrip("+").isdigit() else None
        if value is None or not 1 <= value <= most:
            raise argparse.ArgumentTypeError(f"expected an integer from 1 to {most}, got {text!r}")
        return value
    parse.__name__ = flag
    return parse


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
        if args.demo:
            arrays = data.demo_batch(checked.graph, DEMO_SAMPLES)
        else:
            arrays = data.load_inputs(spec, args.inputs, args.max_input_bytes or data.DEFAULT_MAX_INPUT_BYTES)
        arrays = data.check_inputs(spec, arrays)
        data.check_ids(checked.graph, arrays)
    except InputError as exc:
        raise UsageError(str(exc)) from None
    if args.demo:
        print(f"demo batch: {data.describe_batch(arrays)}", file=sys.stderr)
    return _run_model(args, spec, arrays)


def _check_usage(args: argparse.Namespace) -> None:
    require_file(args.spec)
    check_build_options(args)
    if args.inputs and args.demo:
        raise UsageError("--demo makes its own batch: give --input files or --demo, not both")
    if not args.inputs and not args.demo:
        raise UsageError("give the model's inputs with --input NAME=FILE (repeatable), or use --demo")
    if args.output is not None:
        if Path(args.output).suffix != ".npz":
            raise UsageError(f"{args.output}: the output must end in .npz")
        refuse_output(args.output, args.overwrite)


def _run_model(args: argparse.Namespace, spec, arrays) -> int:
    from graphmask.keras.errors import CompileError, ModelFailed, RunError
    from graphmask.keras.run import run_spec

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
