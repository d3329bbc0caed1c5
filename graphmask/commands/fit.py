"""``graphmask fit SPEC --data train.npz [--validation val.npz] -o model.keras``: train with `training:`.

``--data`` is an ``.npz``, a directory of ``.npz`` shards, or TFRecord files.

Order of work, so that a mistake costs nothing: the spec is checked (GM5xx
included; errors exit 1 unless --force), outputs are refused if they exist
(exit 2, unless --overwrite or --resume), every data file is read and checked
(exit 2 on bad data), and only then is TensorFlow imported (TFRecord files need it
to be read: for them it loads for the checks) and the model trained.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graphmask.commands import print_diagnostics, refuse_output, require_file
from graphmask.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("fit", help="train a spec's model on .npz data (its `training:` section)")
    parser.add_argument("spec", metavar="SPEC", help="spec file with a `training:` section")
    parser.add_argument("--data", required=True, metavar="TRAIN",
                        help=".npz with one array per input and output, a directory of .npz shards, or TFRecord "
                        "files (a .tfrecord or a directory of them; see docs/training.md)")
    parser.add_argument("--validation", metavar="VAL", help="validation data, in the same form")
    parser.add_argument("-o", "--output", required=True, metavar="MODEL.keras", help="where to write the trained model")
    parser.add_argument("--epochs", type=int, help="override `training.epochs`")
    parser.add_argument("--batch-size", type=int, help="override `training.batch_size`")
    parser.add_argument("--seed", type=int, help="override `training.seed` (seeds everything, op determinism on)")
    parser.add_argument("--resume", action="store_true", help="continue from the last epoch's checkpoint")
    parser.add_argument("--overwrite", action="store_true", help="replace earlier outputs of a fresh run")
    parser.add_argument("--strategy", choices=("default", "mirrored", "multi-worker"), default=None,
                        help="tf.distribute strategy (multi-worker: refused, Keras 3.15.1 cannot train with it; "
                        "see docs/training.md)")
    parser.add_argument("--allow-import", dest="allow_imports", action="append", default=[], metavar="PKG",
                        help="package whose custom layers / Lambda functions may be imported (repeatable)")
    parser.add_argument("--force", action="store_true", help="train even when the checker reports errors")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def run(args: argparse.Namespace) -> int:
    require_file(args.spec)
    output = Path(args.output)
    if output.suffix != ".keras":
        raise UsageError(f"{output}: the output must end in .keras (the Keras v3 format)")
    if args.strategy == "multi-worker":
        from graphmask.keras.distribute import MULTI_WORKER_TRAINING

        raise UsageError(MULTI_WORKER_TRAINING)
    for name in ("epochs", "batch_size"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1")
    from graphmask.checker import check_path
    from graphmask.diagnostics import Severity
    from graphmask.keras.fit import FitPaths

    checked = check_path(args.spec)
    print_diagnostics(checked.diagnostics, args.spec)
    if checked.spec is None or not checked.graph or not checked.graph.acyclic:
        return 1
    if checked.spec.training is None:
        raise UsageError(f"{args.spec}: the spec has no `training:` section (see docs/training.md)")
    if any(d.severity is Severity.ERROR for d in checked.diagnostics) and not args.force:
        print("graphmask fit: the spec has errors (fit with --force to train anyway)", file=sys.stderr)
        return 1
    paths = FitPaths(output)
    if args.resume:
        from graphmask.keras.checkpoint import CheckpointError, has_checkpoint, load_checkpoint

        if not has_checkpoint(paths.checkpoints):
            raise UsageError(f"--resume: no checkpoint at {paths.checkpoints} (run without --resume first)")
        try:
            load_checkpoint(paths.checkpoints)  # readable before anything loads (fit reads it again)
        except CheckpointError as exc:
            raise UsageError(f"--resume: {exc}") from None
    else:
        for path in paths.outputs():
            refuse_output(path, args.overwrite)
    data, validation = _checked_data(args, checked)
    if isinstance(data, int):
        return data
    from graphmask.keras.checkpoint import CheckpointError
    from graphmask.keras.fit import fit

    try:
        result = fit(checked.graph, data, paths, validation=validation, epochs=args.epochs,
                     batch_size=args.batch_size, seed=args.seed, strategy=args.strategy, resume=args.resume,
                     overwrite=args.overwrite, allow_imports=args.allow_imports, force=args.force,
                     verbose=0 if args.quiet else "auto",
                     protect=[args.spec, args.data] + ([args.validation] if args.validation else []))
    except CheckpointError as exc:  # found before the first epoch: nothing was trained or written
        raise UsageError(f"--resume: {exc}") from None
    for path in result.written:
        print(f"wrote {path}")
    if not any(p.suffix == ".png" for p in result.written) and result.written:
        print("note: no plot (install matplotlib: pip install 'graphmask[plot]')")
    return 0


def _checked_data(args: argparse.Namespace, checked):
    """The checked training and validation sets, or exit 2 after printing every problem of the first bad file."""
    from graphmask.analysis.masks import infer_masks
    from graphmask.keras.errors import InputError
    from graphmask.keras.training_data import check_data_set

    flow = infer_masks(checked.graph)
    try:
        data = check_data_set(checked.graph, flow, args.data, "--data")
        validation = check_data_set(checked.graph, flow, args.validation, "--validation") if args.validation else None
    except InputError as exc:
        print(f"graphmask fit: error: {exc}", file=sys.stderr)
        print("nothing was trained or written", file=sys.stderr)
        return 2, None
    return data, validation
