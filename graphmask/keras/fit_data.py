"""The ``tf.data`` pipelines ``graphmask fit`` trains on: no Python per batch.

One design for every kind of data set (docs/training.md):

- a single ``.npz`` is held in memory and sliced by batches of indices with
  ``tf.gather``, the way Keras's own ``fit(x, y, shuffle=True)`` feeds arrays;
- a directory of ``.npz`` shards is a dataset of file indices; each shard is
  read (and re-checked) by one ``tf.py_function`` call when its turn comes,
  then sliced the same way: one Python call per shard, none per batch, and a
  batch never spans two shards (their time axes may differ);
- TFRecord files are read by ``tf.data.TFRecordDataset`` (``tfrecord.py``).

The order is reproducible and resumable: epoch *e* permutes its shards and,
in each, its samples with stateless random ops seeded by ``(seed, e, shard)``,
so epoch *e* sees the same batches whether or not the run was interrupted
before it. The training stream covers the epochs ``first..epochs-1`` back to
back and is given to ``Model.fit`` with ``steps_per_epoch`` (Keras then keeps
one iterator across epochs).
"""

from __future__ import annotations

from typing import Any

from graphmask.graph import SpecGraph
from graphmask.keras.compile import model_inputs
from graphmask.keras.training_data import DataSet, shard_arrays

# Seeds of epoch e, shard s: (seed, e * _SHARDS_PER_EPOCH + s); no two (epoch, shard) pairs share one.
_SHARDS_PER_EPOCH = 1 << 24


def structure(spec, batch: dict) -> tuple[Any, Any]:
    """(x, y) in the model's structure: one tensor, or a tuple (tf.data packs lists into one tensor); a dict
    for dict outputs."""
    x = model_inputs(spec, batch)
    x = tuple(x) if isinstance(x, list) else x
    names = [name for name, _ in spec.output_refs()]
    if isinstance(spec.outputs, dict):
        y = {n: batch[n] for n in names}
    else:
        y = batch[names[0]] if len(names) == 1 else tuple(batch[n] for n in names)
    return x, y


def steps_per_epoch(data: DataSet, batch_size: int) -> int:
    return sum(-(-n // batch_size) for n in data.samples)  # a batch never spans shards


def training_stream(g: SpecGraph, data: DataSet, batch_size: int, seed: int | None, first: int, epochs: int) -> Any:
    """Epochs ``first..epochs-1`` of shuffled batches, one after the other."""
    import tensorflow as tf

    if data.kind == "tfrecord":
        from graphmask.keras.tfrecord import tfrecord_epochs

        return tfrecord_epochs(g, data, batch_size, seed, first, epochs)
    seed_t = tf.constant(seed or 0, tf.int64)
    epochs_ds = tf.data.Dataset.range(first, epochs)
    total = (epochs - first) * steps_per_epoch(data, batch_size)
    if len(data.shards) == 1:  # in memory: one permutation per epoch, index batches gathered from the arrays
        seed_of = (lambda e: tf.stack([seed_t, e * _SHARDS_PER_EPOCH]))  # shard 0's seed, as below
        order = epochs_ds.map(_graph(lambda e: _permutation(data.samples[0], seed_of(e))))
        indices = order.prefetch(1).flat_map(_graph(lambda i: _index_batches(i, batch_size, data.samples[0])))
        return _finish(_gather(g, indices, _shard_tensors(g, data, 0)), total)
    shards = len(data.shards)

    def shard_order(epoch):
        order = _permutation(shards, tf.stack([seed_t, epoch]))
        return tf.data.Dataset.from_tensor_slices(tf.stack([tf.fill([shards], epoch), order], axis=1))

    def shard_batches(pair):
        epoch, shard = pair[0], pair[1]
        arrays = _shard_tensors(g, data, shard)
        count = tf.shape(next(iter(arrays.values())), out_type=tf.int64)[0]
        seed = tf.stack([seed_t, epoch * _SHARDS_PER_EPOCH + shard])
        return _gather(g, _index_batches(_permutation(count, seed), batch_size), arrays)

    return _finish(epochs_ds.flat_map(_graph(shard_order)).flat_map(_graph(shard_batches)), total)


def evaluation_stream(g: SpecGraph, data: DataSet, batch_size: int) -> Any:
    """One pass in stored order (validation)."""
    import tensorflow as tf

    if data.kind == "tfrecord":
        from graphmask.keras.tfrecord import tfrecord_pass

        return tfrecord_pass(g, data, batch_size)
    total = steps_per_epoch(data, batch_size)
    if len(data.shards) == 1:
        indices = _index_batches(tf.range(data.samples[0], dtype=tf.int64), batch_size, data.samples[0])
        return _finish(_gather(g, indices, _shard_tensors(g, data, 0)), total)

    def shard_batches(shard):
        arrays = _shard_tensors(g, data, shard)
        count = tf.shape(next(iter(arrays.values())), out_type=tf.int64)[0]
        return _gather(g, _index_batches(tf.range(count), batch_size), arrays)

    return _finish(tf.data.Dataset.range(len(data.shards)).flat_map(_graph(shard_batches)), total)


def _graph(fn: Any) -> Any:
    """A tf.data function traced as plain TensorFlow (AutoGraph has nothing to convert, and fails on this module)."""
    import tensorflow as tf

    return tf.autograph.experimental.do_not_convert(fn)


def _permutation(count: Any, seed: Any) -> Any:
    import tensorflow as tf

    return tf.random.experimental.stateless_shuffle(tf.range(count, dtype=tf.int64), seed=seed)


def _index_batches(indices: Any, batch_size: int, count: int | None = None) -> Any:
    """Batches of indices: the full ones as one reshaped tensor, then the short last one (as Keras's array
    adapter does; cheaper than batching the indices one by one). With ``count`` known and a multiple of
    the batch size, every batch has a static size, as in Keras (the model's steps are then cheaper)."""
    import tensorflow as tf

    if count is not None:
        full, rest = divmod(count, batch_size)
        batches = tf.data.Dataset.from_tensor_slices(tf.reshape(indices[:full * batch_size], [full, batch_size]))
        return batches.concatenate(tf.data.Dataset.from_tensors(indices[full * batch_size:])) if rest else batches
    full = tf.size(indices, out_type=tf.int64) // batch_size
    batches = tf.data.Dataset.from_tensor_slices(tf.reshape(indices[:full * batch_size], [full, batch_size]))
    rest = tf.data.Dataset.from_tensors(indices[full * batch_size:]).filter(_graph(lambda r: tf.size(r) > 0))
    return batches.concatenate(rest)


def _gather(g: SpecGraph, indices: Any, arrays: dict[str, Any]) -> Any:
    """Each batch of indices as (x, y) gathered from the arrays."""
    import tensorflow as tf

    named = tf.data.Dataset.zip((indices, tf.data.Dataset.from_tensors(arrays).repeat()))
    return named.map(_graph(lambda i, a: structure(g.spec, {k: tf.gather(v, i) for k, v in a.items()})),
                     num_parallel_calls=tf.data.AUTOTUNE)


def _finish(stream: Any, total: int) -> Any:
    import tensorflow as tf

    options = tf.data.Options()
    # The shuffles are stateless (seeded ops), so there is no state to lose; say so to tf.distribute.
    options.experimental_external_state_policy = tf.data.experimental.ExternalStatePolicy.IGNORE
    # As Keras does for arrays: tf.data's default graph rewrites serialize the pipeline for nothing here.
    options.experimental_optimization.apply_default_optimizations = False
    stream = stream.apply(tf.data.experimental.assert_cardinality(total)).with_options(options)
    return stream.prefetch(tf.data.AUTOTUNE)


def _shard_tensors(g: SpecGraph, data: DataSet, shard: Any) -> dict[str, Any]:
    """A shard's checked arrays as tensors: constants for a single file (read once), else read when its turn
    comes, by one ``tf.py_function`` call."""
    import tensorflow as tf

    names = list(data.shapes)
    if len(data.shards) == 1:
        arrays = shard_arrays(g, data, 0)
        return {n: tf.constant(arrays[n]) for n in names}
    dtypes = [tf.as_dtype(data.dtypes[n]) for n in names]  # as checked: inputs already cast to the spec's

    def read(index):
        arrays = shard_arrays(g, data, int(index.numpy()))
        return [arrays[n] for n in names]

    values = tf.py_function(read, [shard], dtypes)
    for name, value in zip(names, values):
        value.set_shape((None, *data.shapes[name]))
    return dict(zip(names, values))

