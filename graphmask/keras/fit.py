"""Training a spec's model: ``graphmask fit`` (TensorFlow is imported here, after the data checks).

Reproducible and resumable by construction: samples are shuffled by numpy
with a generator seeded by ``(seed, epoch)``, so epoch *k* sees the same order
whether or not the run was interrupted before it; with a seed, Keras's and
TensorFlow's seeds are set and op determinism is on.  After every epoch the
whole model (weights and optimizer state) is saved atomically to
``<stem>.checkpoints/last.keras`` with ``state.json`` (epochs done, history);
``resume`` loads both and continues with the next epoch.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from graphmask.atomic import write_atomic
from graphmask.graph import SpecGraph
from graphmask.keras.compile import model_inputs
from graphmask.keras.history import write_history
from graphmask.keras.training_data import DataSet, batches


@dataclass(frozen=True)
class FitPaths:
    """Where a run writes: the model, its history files, the checkpoint folder."""

    model: Path

    @property
    def stem(self) -> Path:
        return self.model.with_suffix("")

    @property
    def checkpoints(self) -> Path:
        return self.model.with_name(self.stem.name + ".checkpoints")

    @property
    def checkpoint(self) -> Path:
        return self.checkpoints / "last.keras"

    @property
    def state(self) -> Path:
        return self.checkpoints / "state.json"

    def outputs(self) -> list[Path]:
        """Files a fresh run would replace (refused without --overwrite)."""
        history = [self.stem.with_name(self.stem.name + f".history.{ext}") for ext in ("json", "csv", "png")]
        return [self.model, *history, self.checkpoints]


@dataclass
class FitResult:
    model: Any
    history: dict[str, list[float]]
    epochs_run: int
    written: list[Path] = field(default_factory=list)


def seed_everything(seed: int | None) -> None:
    if seed is None:
        return
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)  # Python, numpy, TensorFlow and Keras's own generators
    tf.config.experimental.enable_op_determinism()


def _structure(spec, batch: dict) -> tuple[Any, Any]:
    """(x, y) in the model's structure: a tensor for one input/output, a dict (or tuple for list outputs)."""
    x = model_inputs(spec, batch)
    names = [name for name, _ in spec.output_refs()]
    if isinstance(spec.outputs, dict):
        y = {n: batch[n] for n in names}
    else:
        y = batch[names[0]] if len(names) == 1 else tuple(batch[n] for n in names)
    return x, y


def dataset(g: SpecGraph, data: DataSet, batch_size: int, seed: int | None, epoch_of: Any) -> Any:
    """A ``tf.data.Dataset`` streaming the shards; ``epoch_of()`` picks the epoch's shuffle (None: no shuffle)."""
    import tensorflow as tf

    def generate():
        epoch = epoch_of()
        rng = None if epoch is None else np.random.default_rng([seed or 0, epoch])
        for batch in batches(g, data, batch_size, rng):
            yield _structure(g.spec, batch)

    example = {name: tf.TensorSpec((None, *data.shapes[name]), tf.as_dtype(data.dtypes[name]) if name not in
                                   g.spec.inputs else tf.as_dtype(_input_dtype(g.spec.inputs[name].dtype)))
               for name in data.shapes}
    signature = _structure(g.spec, example)
    steps = sum(-(-n // batch_size) for n in data.samples)  # a batch never spans shards
    stream = tf.data.Dataset.from_generator(generate, output_signature=signature)
    return stream.apply(tf.data.experimental.assert_cardinality(steps)).prefetch(2)


def _input_dtype(name: str) -> str:
    return "float32" if name == "bfloat16" else name


class _Epochs:
    """The epoch Keras is in, for the data generator (set by a callback before each epoch's first batch)."""

    def __init__(self, first: int):
        self.current = first

    def __call__(self) -> int:
        return self.current


def _callbacks(keras: Any, epochs: _Epochs, paths: FitPaths, history: dict[str, list[float]], chief: bool) -> list:
    from graphmask.keras.save import save_model

    class Track(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            epochs.current = epoch

        def on_epoch_end(self, epoch, logs=None):
            for key, value in (logs or {}).items():
                history.setdefault(key, []).append(float(value))
            if not chief:
                return
            paths.checkpoints.mkdir(exist_ok=True)
            save_model(self.model, paths.checkpoint, overwrite=True)
            write_atomic(paths.state, json.dumps({"epochs_done": epoch + 1, "history": history}, indent=1) + "\n",
                         overwrite=True)

    return [Track()]


def fit(g: SpecGraph, data: DataSet, paths: FitPaths, *, validation: DataSet | None = None,
        epochs: int | None = None, batch_size: int | None = None, seed: int | None = None, strategy: Any = None,
        resume: bool = False, overwrite: bool = False, allow_imports: Iterable[str] = (), force: bool = False,
        verbose: Any = "auto", protect: Iterable[str | os.PathLike] = ()) -> FitResult:
    import keras

    from graphmask.keras.compile import compile_spec
    from graphmask.keras.distribute import get_strategy
    from graphmask.keras.save import save_model
    from graphmask.keras.train import callbacks as spec_callbacks
    from graphmask.keras.train import compile_for_training

    spec, training = g.spec, g.spec.training
    epochs = epochs or training.epochs
    batch_size = batch_size or training.batch_size
    seed = training.seed if seed is None else seed
    seed_everything(seed)
    resolved = get_strategy(strategy)
    history: dict[str, list[float]] = {}
    first = 0
    if resume:
        state = json.loads(paths.state.read_text(encoding="utf-8"))
        first, history = int(state["epochs_done"]), {k: list(v) for k, v in state["history"].items()}
        with resolved.scope():
            model = keras.models.load_model(paths.checkpoint)
    else:
        model = compile_spec(spec, allow_imports=allow_imports, force=force, strategy=resolved).model
        with resolved.scope():
            compile_for_training(model, spec)
    tracker = _Epochs(first)
    train = dataset(g, data, batch_size, seed, tracker)
    val = dataset(g, validation, batch_size, seed, lambda: None) if validation is not None else None
    chief = _is_chief(resolved)
    callbacks = _callbacks(keras, tracker, paths, history, chief) + spec_callbacks(training)
    if first < epochs:
        model.fit(train, validation_data=val, epochs=epochs, initial_epoch=first, callbacks=callbacks,
                  shuffle=False, verbose=verbose)  # shuffled by `dataset`, reproducibly per epoch
    written = []
    if chief:
        replace = overwrite or resume  # a resumed run replaces its own earlier outputs
        save_model(model, paths.model, overwrite=replace, protect=protect)
        written = [paths.model, *write_history(history, paths.stem, overwrite=replace, protect=protect)]
    return FitResult(model, history, len(next(iter(history.values()), [])) - first, written)


def _is_chief(strategy: Any) -> bool:
    """Only the chief (worker 0) of a multi-worker run writes files; every process of any other strategy does."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        return True
    return resolver.task_type == "chief" or (resolver.task_type == "worker" and resolver.task_id == 0)
