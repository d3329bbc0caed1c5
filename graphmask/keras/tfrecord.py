"""TFRecord training data for ``graphmask fit``: the convention, a writer, the checks and the stream.

The convention (docs/training.md#tfrecord-files): a ``.tfrecord`` file holds
one ``tf.train.Example`` per sample; each spec input and each output has a
feature of that name holding one bytes value, the sample's tensor (no batch
axis) serialized by ``tf.io.serialize_tensor``, which keeps its dtype and
shape. ``write_tfrecord`` writes such files. Samples of a file may differ in
sequence length: a batch is padded to its longest sample with the input's
``pad_value`` (labels with 0), which is what the mask is for.

TensorFlow parses TFRecords, so it is imported for the checks; they still
run before anything is built or written. Every file's records are counted
(their length headers, without reading the data) and its first
``CHECKED_RECORDS`` records are parsed and each checked like an ``.npz`` of
one sample (``training_data.check_arrays``: keys, shapes, dtypes, label
ranges, NaN).
Later records are not read before training.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from graphmask.graph import SpecGraph
from graphmask.keras.errors import InputError

SUFFIXES = (".tfrecord", ".tfrecords")
CHECKED_RECORDS = 32
SHUFFLE_BUFFER = 8192  # records of one file shuffled at a time


def is_tfrecord(path: Path) -> bool:
    return path.suffix in SUFFIXES


def write_tfrecord(path: str | os.PathLike, samples: Mapping[str, np.ndarray] | Iterable[Mapping[str, Any]],
                   overwrite: bool = False) -> Path:
    """Write samples in graphmask's TFRecord convention, atomically.

    ``samples`` is a mapping name -> array with a batch axis (one record per
    row), or an iterable of per-sample mappings (when lengths differ).
    """
    import tensorflow as tf

    from graphmask.atomic import atomic_path

    if isinstance(samples, Mapping):
        count = len(next(iter(samples.values())))
        samples = ({name: array[i] for name, array in samples.items()} for i in range(count))
    with atomic_path(path, overwrite) as tmp:
        with tf.io.TFRecordWriter(str(tmp)) as writer:
            for sample in samples:
                features = {name: tf.train.Feature(bytes_list=tf.train.BytesList(
                    value=[tf.io.serialize_tensor(np.asarray(value)).numpy()])) for name, value in sample.items()}
                writer.write(tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString())
    return Path(path)


def count_records(path: Path, what: str) -> int:
    """Records in a TFRecord file, from their length headers (the data is skipped, not read)."""
    size, count, offset = path.stat().st_size, 0, 0
    with open(path, "rb") as handle:
        while offset < size:
            header = handle.read(12)  # uint64 length, uint32 CRC of the length
            if len(header) < 12:
                raise InputError(f"{what} {path}: not a TFRecord file, or truncated (record {count + 1} is cut short)")
            (length,) = struct.unpack("<Q", header[:8])
            offset += 12 + length + 4  # the data and its CRC
            if offset > size:
                raise InputError(f"{what} {path}: not a TFRecord file, or truncated (record {count + 1} declares "
                                 f"{length} bytes, the file ends before)")
            handle.seek(offset)
            count += 1
    return count


def first_samples(path: Path, what: str, limit: int = CHECKED_RECORDS) -> tuple[list[dict], int]:
    """The first ``limit`` records decoded to numpy arrays, and the file's record count."""
    import tensorflow as tf

    if path.stat().st_size == 0:
        raise InputError(f"{what} {path}: the file is empty")
    count = count_records(path, what)
    samples = []
    try:
        for number, record in enumerate(tf.data.TFRecordDataset(str(path)).take(limit), 1):
            samples.append(_decode(record.numpy(), f"{what} {path}: record {number}"))
    except tf.errors.OpError as exc:
        raise InputError(f"{what} {path}: cannot read it as TFRecord: {exc.message}") from None
    return samples, count


def _decode(record: bytes, where: str) -> dict[str, np.ndarray]:
    import tensorflow as tf
    from google.protobuf.message import DecodeError
    from tensorflow.core.framework.tensor_pb2 import TensorProto

    try:
        example = tf.train.Example.FromString(record)
    except DecodeError:
        raise InputError(f"{where} is not a tf.train.Example") from None
    arrays = {}
    for name, feature in sorted(example.features.feature.items()):
        kind = feature.WhichOneof("kind")
        values = feature.bytes_list.value if kind == "bytes_list" else ()
        if kind != "bytes_list" or len(values) != 1:
            article = "an " if kind and kind[0] in "aeiou" else "a "
            raise InputError(f"{where}: feature `{name}` is {article + kind if kind else 'empty'}"
                             f"{' of ' + str(len(values)) + ' values' if kind == 'bytes_list' else ''}; graphmask "
                             "reads one tensor per feature, serialized with tf.io.serialize_tensor "
                             "(graphmask.keras.tfrecord.write_tfrecord writes them; see docs/training.md)")
        try:
            arrays[name] = tf.make_ndarray(TensorProto.FromString(values[0]))
        except (DecodeError, TypeError, ValueError) as exc:
            raise InputError(f"{where}: feature `{name}` is not a serialized tensor ({exc}); write it with "
                             "tf.io.serialize_tensor") from None
    return arrays


def pad_values(g: SpecGraph, names: Iterable[str]) -> dict[str, float]:
    """What a batch is padded with: an input's ``pad_value`` (0 without one), 0 for labels."""
    return {n: (g.spec.inputs[n].pad_value or 0) if n in g.spec.inputs else 0 for n in names}


def check_tfrecords(g: SpecGraph, labels: Mapping, files: list[Path], what: str) -> Any:
    """A ``DataSet`` of TFRecord files, each counted and its first records checked; ``InputError`` otherwise."""
    from graphmask.keras.training_data import DataSet, check_arrays

    counts, stored, ranks = [], {}, {}
    for path in files:
        samples, count = first_samples(path, what)
        if not samples:
            raise InputError(f"{what} {path}: no records")
        for number, sample in enumerate(samples, 1):  # each a batch of one: no padding to blur the checks
            check_arrays(g, labels, {n: v[None] for n, v in sample.items()}, f"{what} {path}: record {number}")
            for name, array in sample.items():
                if name in stored and stored[name] != array.dtype:
                    raise InputError(f"{what} {path}: record {number}: feature `{name}` holds {array.dtype}, "
                                     f"earlier records hold {stored[name]}")
                stored[name], ranks[name] = array.dtype, array.ndim
        counts.append(count)
    targets = {n: _target_dtype(g, n, stored[n]) for n in stored}
    shapes = {n: (None,) * ranks[n] for n in stored}
    return DataSet(tuple(files), tuple(counts), labels, targets, shapes, kind="tfrecord", stored=stored)


def _target_dtype(g: SpecGraph, name: str, stored: np.dtype) -> np.dtype:
    from graphmask.keras.inputs import _numpy_dtype

    declared = g.spec.inputs.get(name)
    return np.dtype(_numpy_dtype(declared.dtype)) if declared is not None else stored


# ------------------------------------------------------------------ tf.data
def _records(g: SpecGraph, data: Any, path: Any, batch_size: int, seed: Any) -> Any:
    """One file's batches: records parsed, shuffled through a buffer (``seed``; None keeps their order),
    padded per batch."""
    import tensorflow as tf

    from graphmask.keras.fit_data import _graph, structure

    names = list(data.stored)
    features = {n: tf.io.FixedLenFeature([], tf.string) for n in names}

    def parse(record):
        parsed = tf.io.parse_single_example(record, features)
        values = {}
        for n in names:
            value = tf.io.parse_tensor(parsed[n], out_type=tf.as_dtype(data.stored[n]))
            value.set_shape(data.shapes[n])
            values[n] = tf.cast(value, tf.as_dtype(data.dtypes[n]))
        return values

    records = tf.data.TFRecordDataset(path)
    if seed is not None:
        records = records.shuffle(SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=False)
    pads = pad_values(g, names)
    parsed = records.map(_graph(parse), num_parallel_calls=tf.data.AUTOTUNE)
    batches = parsed.padded_batch(batch_size, padding_values={n: tf.constant(pads[n], tf.as_dtype(data.dtypes[n]))
                                                              for n in names})
    return batches.map(_graph(lambda b: structure(g.spec, b)))


def tfrecord_epochs(g: SpecGraph, data: Any, batch_size: int, seed: int | None, first: int, epochs: int) -> Any:
    import tensorflow as tf

    from graphmask.keras.fit_data import _SHARDS_PER_EPOCH, _finish, _graph, _permutation, steps_per_epoch

    files = tf.constant([str(p) for p in data.shards])
    count = len(data.shards)
    seed_t = tf.constant(seed or 0, tf.int64)

    def file_order(epoch):
        order = _permutation(count, tf.stack([seed_t, epoch]))
        return tf.data.Dataset.from_tensor_slices(tf.stack([tf.fill([count], epoch), order], axis=1))

    def file_batches(pair):
        epoch, index = pair[0], pair[1]
        # A shuffle seed per (run seed, epoch, file): the same batches whether or not the run started at this epoch.
        op_seed = (seed_t * 1_000_003 + epoch * _SHARDS_PER_EPOCH + index) % (2**31 - 1)
        return _records(g, data, tf.gather(files, index), batch_size, op_seed)

    stream = tf.data.Dataset.range(first, epochs).flat_map(_graph(file_order)).flat_map(_graph(file_batches))
    return _finish(stream, (epochs - first) * steps_per_epoch(data, batch_size))


def tfrecord_pass(g: SpecGraph, data: Any, batch_size: int) -> Any:
    import tensorflow as tf

    from graphmask.keras.fit_data import _finish, _graph, steps_per_epoch

    files = tf.data.Dataset.from_tensor_slices([str(p) for p in data.shards])
    stream = files.flat_map(_graph(lambda path: _records(g, data, path, batch_size, None)))
    return _finish(stream, steps_per_epoch(data, batch_size))
