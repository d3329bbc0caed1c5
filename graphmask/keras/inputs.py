"""Input data for ``graphmask run``: read, check against the spec, or make a demo batch.

numpy only: every check here runs before TensorFlow is imported, so a wrong
file fails in a fraction of a second with a message naming the input.

dtype rules (the spec's ``dtype`` is what the model gets):
- float inputs accept float, integer and bool arrays (cast);
- integer inputs accept integer arrays whose values fit the declared type;
  floats are refused (token ids must not be rounded silently), and so are
  bools (True/False are not token ids);
- ids read by an Embedding must lie in ``0..input_dim-1`` (``check_ids``):
  Keras would fail with a raw GatherV2 error, or on a GPU silently read zeros.

Memory: a small file can declare a huge array (a crafted ``.npy`` header, or
a compressed ``.npz`` of zeros). Every array's shape and dtype are read from
its header first (for ``.npz``, each member's header, without decompressing
its data) and all inputs together, at the declared dtype, must fit
``max_bytes`` (``--max-input-bytes``, default ``DEFAULT_MAX_INPUT_BYTES``).
- bool inputs accept bool arrays; string inputs accept numpy string arrays.
"""

from __future__ import annotations

import math
import os
import zipfile
import zlib
from typing import IO, Iterable, Mapping

import numpy as np

from graphmask.graph import SpecGraph
from graphmask.keras.errors import InputError
from graphmask.spec import Spec
from graphmask.spec.models import InputSpec

DEMO_STEPS = 10  # length of a `null` time axis in a demo batch
DEMO_WIDTH = 4  # length of any other `null` axis
DEFAULT_MAX_INPUT_BYTES = 1 << 30  # all --input arrays together, at the spec's dtypes
# What numpy raises on a file that is not a readable .npy/.npz: empty (EOFError), a broken or truncated
# archive (BadZipFile, zlib.error for savez_compressed), a bad header (ValueError), unreadable (OSError).
_UNREADABLE = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error)


def parse_input_arg(item: str) -> tuple[str | None, str, str | None]:
    """``NAME=FILE.npy`` / ``NAME=FILE.npz:key`` / ``FILE.npz`` -> (name, file, key)."""
    name, eq, rest = item.partition("=")
    if not eq:
        name, rest = None, item
    path, key = rest, None
    if ".npz:" in rest:
        path, _, key = rest.rpartition(":")
    if not path:
        raise InputError(f"--input {item!r}: expected NAME=FILE.npy, NAME=FILE.npz[:KEY] or FILE.npz")
    return name, path, key


class _Budget:
    """Bytes the inputs may take together; each array is counted from its header, before it is read."""

    def __init__(self, limit: int):
        self.limit, self.used = limit, 0

    def take(self, item: str, where: str, header: tuple[tuple[int, ...], np.dtype], declared: InputSpec) -> None:
        shape, dtype = header
        size = math.prod(shape) * max(dtype.itemsize, _numpy_dtype(declared.dtype).itemsize)
        if self.used + size > self.limit:
            before = f" (with the {self.used} bytes of the inputs before it)" if self.used else ""
            raise InputError(f"--input {item!r}: {where} declares shape {tuple(shape)} {dtype}: {size} bytes as "
                             f"{declared.dtype}{before}, more than --max-input-bytes {self.limit}; "
                             "raise the limit if the data really is that large")
        self.used += size


def _array_header(handle: IO[bytes]) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype from a .npy header; the data after it is not read."""
    fmt = np.lib.format
    version = fmt.read_magic(handle)
    read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    shape, _fortran, dtype = read(handle)
    return tuple(int(d) for d in shape), dtype


def load_inputs(spec: Spec, items: Iterable[str],
                max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> dict[str, np.ndarray]:
    """Read every ``--input`` into arrays keyed by spec input name (not yet checked)."""
    arrays: dict[str, np.ndarray] = {}
    budget = _Budget(max_bytes)
    for item in items:
        name, path, key = parse_input_arg(item)
        if not os.path.isfile(path):
            raise InputError(f"--input {item!r}: no such file: {path}")
        if name is not None and name not in spec.inputs:
            raise InputError(f"--input {item!r}: the spec has no input `{name}` (its inputs: {', '.join(spec.inputs)})")
        for input_name, array in _read(path, name, key, spec, item, budget):
            if input_name in arrays:
                raise InputError(f"input `{input_name}` is given more than once")
            arrays[input_name] = array
    return arrays


def _read(path: str, name: str | None, key: str | None, spec: Spec, item: str, budget: _Budget):
    try:
        with open(path, "rb") as handle:
            is_npy = handle.read(6) == np.lib.format.MAGIC_PREFIX
            if is_npy:
                if name is None:
                    raise InputError(f"--input {item!r}: a .npy file needs the input name: NAME={path}")
                handle.seek(0)
                budget.take(item, path, _array_header(handle), spec.inputs[name])
        loaded = np.load(path, allow_pickle=False)  # never unpickle: a data file must not run code
    except _UNREADABLE as exc:
        raise InputError(f"--input {item!r}: cannot read {path} as .npy/.npz: {exc}") from None
    if isinstance(loaded, np.ndarray):
        return [(name, loaded)]
    with loaded:
        keys = list(loaded.files)
        if key is not None:
            wanted = [(name or key, key)]
        elif name is not None:
            if name in keys:
                wanted = [(name, name)]
            elif len(keys) == 1:
                wanted = [(name, keys[0])]
            else:
                raise InputError(f"--input {item!r}: {path} has several arrays ({', '.join(keys)}); "
                                 f"pick one with {name}={path}:KEY")
        else:
            wanted = [(k, k) for k in keys if k in spec.inputs]
            if not wanted:
                raise InputError(f"--input {item!r}: no array in {path} is named like an input "
                                 f"(arrays: {', '.join(keys) or 'none'}; inputs: {', '.join(spec.inputs)})")
        result = []
        for input_name, array_key in wanted:
            if array_key not in keys:
                raise InputError(f"--input {item!r}: {path} has no array `{array_key}` (it has: {', '.join(keys)})")
            if input_name not in spec.inputs:
                raise InputError(f"--input {item!r}: the spec has no input `{input_name}`")
            try:
                member_name = f"{array_key}.npy" if f"{array_key}.npy" in loaded.zip.namelist() else array_key
                with loaded.zip.open(member_name) as member:  # the header only: nothing decompressed past it
                    budget.take(item, f"{path}:{array_key}", _array_header(member), spec.inputs[input_name])
                result.append((input_name, loaded[array_key]))
            except _UNREADABLE as exc:
                raise InputError(f"--input {item!r}: cannot read `{array_key}`: {exc}") from None
        return result


def check_inputs(spec: Spec, arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Arrays cast to the spec's dtypes; ``InputError`` listing every mismatch."""
    problems = [f"input `{n}` is missing" for n in spec.inputs if n not in arrays]
    problems += [f"`{n}` is not an input of the spec" for n in arrays if n not in spec.inputs]
    checked: dict[str, np.ndarray] = {}
    for name, array in arrays.items():
        declared = spec.inputs.get(name)
        if declared is None:
            continue
        problem = _shape_problem(declared, array) or _dtype_problem(declared, array)
        if problem:
            problems.append(f"input `{name}`: {problem}")
        else:
            checked[name] = array.astype(_numpy_dtype(declared.dtype), copy=False)
    sizes = {name: a.shape[0] for name, a in checked.items()}
    if len(set(sizes.values())) > 1:
        problems.append("inputs have different batch sizes: " + ", ".join(f"{n}={s}" for n, s in sizes.items()))
    if problems:
        raise InputError("input data does not match the spec:\n  " + "\n  ".join(problems))
    return checked


def _shape_text(declared: InputSpec) -> str:
    return "(batch, " + ", ".join("any" if d is None else str(d) for d in declared.shape) + ")"


def _shape_problem(declared: InputSpec, array: np.ndarray) -> str | None:
    want = len(declared.shape) + 1
    if array.ndim != want or any(d is not None and d != got for d, got in zip(declared.shape, array.shape[1:])):
        return f"shape {tuple(array.shape)} does not match the spec's {_shape_text(declared)}"
    if array.shape[0] == 0:
        return "the batch is empty"
    return None


def _dtype_problem(declared: InputSpec, array: np.ndarray) -> str | None:
    want = declared.dtype
    kind = array.dtype.kind
    if want == "string":
        return None if kind in "US" else f"dtype {array.dtype} given, the spec declares string"
    if want == "bool":
        return None if kind == "b" else f"dtype {array.dtype} given, the spec declares bool"
    target = _numpy_dtype(want)
    if target.kind == "f":
        return None if kind in "fiub" else f"dtype {array.dtype} given, the spec declares {want}"
    if kind == "b":
        return f"dtype bool given, the spec declares {want}"
    if kind not in "iu":
        return f"dtype {array.dtype} given, the spec declares {want} (ids must be integers)"
    if array.size:
        info = np.iinfo(target)
        low, high = int(array.min()), int(array.max())
        if low < info.min or high > info.max:
            return f"values {low}..{high} do not fit {want}"
    return None


def _numpy_dtype(name: str) -> np.dtype:
    if name == "string":
        return np.dtype(object)
    if name == "bfloat16":
        return np.dtype("float32")  # numpy has no bfloat16; Keras casts on the way in
    return np.dtype(name)


def embedding_readers(g: SpecGraph) -> list[tuple[str, str, int]]:
    """(input id, Embedding id, its ``input_dim``) for each Embedding that reads a spec input directly."""
    readers = []
    for node in g.layers():
        dim = node.args.get("input_dim")
        if node.layer_type == "Embedding" and isinstance(dim, int) and not isinstance(dim, bool):
            readers += [(b.node, node.id, dim) for b in node.bindings if b.node in g.spec.inputs]
    return readers


def embedding_sizes(g: SpecGraph) -> dict[str, int]:
    """Input id -> the smallest ``input_dim`` of the Embeddings that read it directly (for demo ids)."""
    sizes: dict[str, int] = {}
    for name, _, dim in embedding_readers(g):
        sizes[name] = min(dim, sizes.get(name, dim))
    return sizes


def check_ids(g: SpecGraph, arrays: Mapping[str, np.ndarray]) -> None:
    """``InputError`` naming the first id outside ``0..input_dim-1`` of an Embedding it feeds."""
    problems = []
    for name, layer, dim in embedding_readers(g):
        values = arrays.get(name)
        if values is None or values.dtype.kind not in "iu" or not values.size:
            continue
        outside = (values < 0) | (values >= dim)
        if outside.any():
            first = tuple(int(i) for i in np.argwhere(outside)[0])
            problems.append(f"input `{name}`: id {values[first]} at sample {first[0]}, position {first[1:]} is "
                            f"outside 0..{dim - 1} of Embedding `{layer}` (input_dim {dim}); "
                            f"{int(outside.sum())} id(s) are out of range")
    if problems:
        raise InputError("input data does not match the spec:\n  " + "\n  ".join(problems))


def demo_batch(g: SpecGraph, samples: int = 8, seed: int = 0) -> dict[str, np.ndarray]:
    """A small random batch shaped like the spec's inputs, padded as they declare.

    Each sample gets a random valid length on the first axis (at least 1,
    and sample 0 is full length) and is padded with the input's ``pad_value``
    on its ``padding`` side. Integer inputs read by an Embedding draw ids in
    ``1..input_dim-1``; a value equal to ``pad_value`` is never generated.
    """
    rng = np.random.default_rng(seed)
    vocab = embedding_sizes(g)
    batch = {}
    for name, declared in g.spec.inputs.items():
        shape = [samples] + [
            (DEMO_STEPS if axis == 0 else DEMO_WIDTH) if d is None else d for axis, d in enumerate(declared.shape)
        ]
        values = _random_values(declared, shape, rng, vocab.get(name))
        if declared.pad_value is not None and len(shape) > 1 and declared.dtype != "string":
            _pad(values, declared, rng)
        batch[name] = values
    return batch


def _random_values(declared: InputSpec, shape: list[int], rng: np.random.Generator, vocab: int | None) -> np.ndarray:
    pad = declared.pad_value
    if declared.dtype == "string":
        return rng.choice(np.array(["alpha", "beta", "gamma", "delta"]), size=shape).astype(object)
    if declared.dtype == "bool":
        return rng.random(shape) < 0.5
    dtype = _numpy_dtype(declared.dtype)
    if dtype.kind == "f":
        values = rng.normal(size=shape).astype(dtype)
        if pad is not None:
            values[values == pad] += 0.5
        return values
    high = max(vocab or 10, 3)
    low = 1  # 0 is the usual padding id
    values = rng.integers(low, high, size=shape).astype(dtype)
    if pad is not None:
        values[values == pad] = high - 1 if pad != high - 1 else low
    return values


def _pad(values: np.ndarray, declared: InputSpec, rng: np.random.Generator) -> None:
    """Overwrite the tail (or head, for `padding: pre`; steps drawn at random, for `gaps`) of each sample's
    first axis."""
    steps = values.shape[1]
    pad_value = bool(declared.pad_value) if declared.dtype == "bool" else declared.pad_value
    for i in range(values.shape[0]):
        length = steps if i == 0 else int(rng.integers(1, steps + 1))
        if length == steps:
            continue
        if declared.padding == "pre":
            values[i, : steps - length] = pad_value
        elif declared.padding == "gaps":
            values[i, rng.choice(steps, size=steps - length, replace=False)] = pad_value
        else:
            values[i, length:] = pad_value


def describe_batch(arrays: Mapping[str, np.ndarray]) -> str:
    return ", ".join(f"{name}: {a.shape} {a.dtype}" for name, a in arrays.items())
