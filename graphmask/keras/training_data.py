"""Training data for ``graphmask fit``: read and checked against the spec (``fit_data`` streams it).

numpy only: every check runs before TensorFlow is imported, so bad data
fails in a fraction of a second, before anything is built or written.  A
data set is one ``.npz`` file or a directory of ``.npz`` shards; arrays are
named after the spec's inputs (features) and outputs (labels).  Shards are
checked one at a time (never all in memory) and later streamed the same way
(``graphmask.keras.fit_data``).

What is checked, per file: no missing or extra array, each input's shape and
dtype (``inputs.check_inputs``), each label's shape against its output and
loss (class ids have the output's rank minus one), class ids within the
output's units, binary labels in [0, 1], no NaN or infinity, the same number
of samples in every array, and at least one sample.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np

from graphmask.analysis.flow import MaskFlow
from graphmask.analysis.rules.training.assign import output_losses
from graphmask.graph import SpecGraph
from graphmask.keras.errors import InputError
from graphmask.keras.inputs import _UNREADABLE, check_inputs


@dataclass(frozen=True)
class LabelSpec:
    """What one output's labels must look like."""

    output: str
    shape: tuple  # batch axis included; None = any
    labels: str  # class_ids | one_hot | binary | values (the loss's catalog fact)
    units: int | None


@dataclass(frozen=True)
class DataSet:
    """Checked training data: shards (paths) and their sample counts."""

    shards: tuple[Path, ...]
    samples: tuple[int, ...]
    labels: Mapping[str, LabelSpec]
    dtypes: Mapping[str, np.dtype]
    shapes: Mapping[str, tuple]  # per-sample shape, None where shards differ
    kind: str = "npz"  # or "tfrecord" (graphmask/keras/tfrecord.py)
    stored: Mapping[str, np.dtype] = field(default_factory=dict)  # TFRecord: each feature's serialized dtype

    @property
    def size(self) -> int:
        return sum(self.samples)


def label_specs(g: SpecGraph, flow: MaskFlow) -> dict[str, LabelSpec]:
    specs = {}
    losses = {item.output: item for item in output_losses(g)}
    for name, binding in g.outputs:
        state = flow.output_state(binding)
        shape = tuple(state.shape) if state.shape is not None else None
        entry = losses[name].loss.entry if name in losses else None
        labels = entry.labels if entry is not None else "values"
        units = shape[-1] if shape else None
        specs[name] = LabelSpec(name, shape, labels, units)
    return specs


def shard_paths(path: str | os.PathLike, what: str) -> list[Path]:
    """The data files of a data argument (a file, or a directory of .npz or TFRecord shards in name order)."""
    from graphmask.keras.tfrecord import SUFFIXES

    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".npz", *SUFFIXES) and p.is_file())
        kinds = {p.suffix == ".npz" for p in files}
        if not files:
            raise InputError(f"{what} {path}: the directory has no .npz shards or TFRecord files "
                             f"({', '.join(SUFFIXES)})")
        if len(kinds) > 1:
            raise InputError(f"{what} {path}: the directory mixes .npz shards and TFRecord files; use one kind")
        return files
    if not path.is_file():
        raise InputError(f"{what} {path}: no such file or directory")
    return [path]


def read_npz(path: Path, what: str) -> dict[str, np.ndarray]:
    if path.stat().st_size == 0:
        raise InputError(f"{what} {path}: the file is empty")
    try:
        with np.load(path, allow_pickle=False) as loaded:  # never unpickle: a data file must not run code
            if isinstance(loaded, np.ndarray):
                raise InputError(f"{what} {path}: a single .npy array; fit needs an .npz with one array per "
                                 "input and output")
            return {key: loaded[key] for key in loaded.files}
    except (_UNREADABLE + (AttributeError,)) as exc:
        raise InputError(f"{what} {path}: cannot read it as .npz: {exc}") from None


def check_arrays(g: SpecGraph, labels: Mapping[str, LabelSpec], arrays: Mapping[str, np.ndarray],
                 where: str) -> dict[str, np.ndarray]:
    """The arrays, inputs cast to the spec's dtypes; ``InputError`` listing every problem."""
    spec = g.spec
    wanted = list(spec.inputs) + list(labels)
    problems = [f"array `{n}` is missing (needed for the {'input' if n in spec.inputs else 'output'})"
                for n in wanted if n not in arrays]
    problems += [f"array `{n}` is neither an input nor an output of the spec (inputs: {', '.join(spec.inputs)}; "
                 f"outputs: {', '.join(labels)})" for n in arrays if n not in wanted]
    checked: dict[str, np.ndarray] = {}
    present = {n: a for n, a in arrays.items() if n in spec.inputs}
    if present:
        try:
            checked.update(check_inputs(spec.model_copy(update={"inputs": {n: spec.inputs[n] for n in present}}),
                                        present))
        except InputError as exc:
            problems += [line.strip() for line in str(exc).splitlines()[1:]]
    for name, label in labels.items():
        if name in arrays:
            problem = _label_problem(label, arrays[name])
            if problem:
                problems.append(f"labels `{name}`: {problem}")
            else:
                checked[name] = arrays[name]
    for name, array in arrays.items():
        if array.dtype.kind == "f" and array.size and not np.isfinite(array).all():
            problems.append(f"array `{name}` has NaN or infinite values ({int((~np.isfinite(array)).sum())})")
    sizes = {n: a.shape[0] for n, a in arrays.items() if a.ndim}
    if len(set(sizes.values())) > 1:
        problems.append("arrays have different numbers of samples: " + ", ".join(f"{n}={s}" for n, s in sizes.items()))
    elif sizes and not next(iter(sizes.values())):
        problems.append("no samples (every array is empty)")
    if problems:
        raise InputError(f"{where} does not match the spec:\n  " + "\n  ".join(dict.fromkeys(problems)))
    return checked


def _label_problem(label: LabelSpec, array: np.ndarray) -> str | None:
    if array.dtype.kind not in "fiub":
        return f"dtype {array.dtype}: labels must be numbers"
    if label.shape is not None:
        want = label.shape[:-1] if label.labels == "class_ids" else label.shape
        got = array.shape
        if label.labels == "class_ids" and len(got) == len(label.shape) and got[-1] == 1:
            got = got[:-1]  # Keras also takes class ids with a trailing axis of 1
        fits = len(got) == len(want) and all(w is None or w == d for w, d in zip(want[1:], got[1:]))
        if not fits:
            shape = "(" + ", ".join("batch" if i == 0 else ("any" if d is None else str(d))
                                    for i, d in enumerate(want)) + ")"
            kind = "class ids, one per prediction" if label.labels == "class_ids" else "one value per output unit"
            return f"shape {tuple(array.shape)} does not fit the output's {shape} ({kind})"
    if not array.size:
        return None
    if label.labels == "class_ids":
        if array.dtype.kind == "f" and not np.array_equal(array, np.round(array)):
            return "class ids must be whole numbers"
        low, high = float(array.min()), float(array.max())
        if label.units is not None and (low < 0 or high >= label.units):
            return f"class ids {low:g}..{high:g} are outside 0..{label.units - 1} (the output has {label.units} units)"
    if label.labels == "binary":
        low, high = float(array.min()), float(array.max())
        if low < 0 or high > 1:
            return f"values {low:g}..{high:g} are outside [0, 1] (binary labels)"
    return None


def check_data_set(g: SpecGraph, flow: MaskFlow, path: str | os.PathLike, what: str) -> DataSet:
    """Check every shard of a data argument (one at a time); ``InputError`` on the first bad one."""
    from graphmask.keras.tfrecord import check_tfrecords, is_tfrecord

    labels = label_specs(g, flow)
    shards = shard_paths(path, what)
    if is_tfrecord(shards[0]):
        return check_tfrecords(g, labels, shards, what)
    samples, dtypes, shapes = [], {}, {}
    for shard in shards:
        arrays = check_arrays(g, labels, read_npz(shard, what), f"{what} {shard}")
        samples.append(next(iter(arrays.values())).shape[0])
        for name, array in arrays.items():
            if name in dtypes and dtypes[name] != array.dtype:
                raise InputError(f"{what} {shard}: array `{name}` is {array.dtype}, other shards have {dtypes[name]}")
            dtypes[name] = array.dtype
            old = shapes.get(name, array.shape[1:])
            shapes[name] = tuple(a if a == b else None for a, b in zip(old, array.shape[1:]))
    return DataSet(tuple(shards), tuple(samples), labels, dtypes, shapes)


def shard_arrays(g: SpecGraph, data: DataSet, index: int) -> dict[str, np.ndarray]:
    """Shard ``index`` read, checked again (it may have changed since the first check) and cast."""
    return check_arrays(g, data.labels, read_npz(data.shards[index], "data"), f"data {data.shards[index]}")
