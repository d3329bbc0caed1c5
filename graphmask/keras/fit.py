"""Training a spec's model: ``graphmask fit`` (TensorFlow is imported here, after the data checks).

Reproducible and resumable by construction: the data streams through
``tf.data`` (``fit_data``), shuffled by stateless ops seeded by ``(seed,
epoch)``, so epoch *k* sees the same order whether or not the run was
interrupted before it; with a seed, Keras's and TensorFlow's seeds are set and
op determinism is on.  After every epoch the training state (model and
optimizer variables, history, EarlyStopping's counters) is saved atomically
to ``<stem>.checkpoints/`` (``checkpoint``); ``resume`` builds the spec's
model, restores that state and continues with the next epoch, so a resumed
run trains, and stops early, exactly like an uninterrupted one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from graphmask.graph import SpecGraph
from graphmask.keras.checkpoint import Checkpoint, CheckpointWriter, load_checkpoint, restore, restore_stopping
from graphmask.keras.fit_data import evaluation_stream, steps_per_epoch, training_stream
from graphmask.keras.history import write_history
from graphmask.keras.training_data import DataSet


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


def _save_epoch(keras: Any, writer: CheckpointWriter | None, history: dict[str, list[float]],
                stopping: Any, resumed: Checkpoint | None) -> Any:
    """The checkpoint's callback; it goes last, so that it saves EarlyStopping's counters as updated."""

    class SaveEpoch(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            if resumed is not None and stopping is not None:
                restore_stopping(stopping, resumed)  # after EarlyStopping.on_train_begin has reset them

        def on_epoch_end(self, epoch, logs=None):
            for key, value in (logs or {}).items():
                history.setdefault(key, []).append(float(value))
            if writer is not None:  # only the chief writes
                writer.save(self.model, epoch + 1, history, stopping)

    return SaveEpoch()


def fit(g: SpecGraph, data: DataSet, paths: FitPaths, *, validation: DataSet | None = None,
        epochs: int | None = None, batch_size: int | None = None, seed: int | None = None, strategy: Any = None,
        resume: bool = False, overwrite: bool = False, allow_imports: Iterable[str] = (), force: bool = False,
        verbose: Any = "auto", protect: Iterable[str | os.PathLike] = (), callbacks: Iterable[Any] = ()) -> FitResult:
    """Train ``g``'s model on checked data; ``callbacks`` are extra Keras callbacks (run before the checkpoint's)."""
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
    resumed = load_checkpoint(paths.checkpoints) if resume else None
    seed_everything(seed)
    resolved = get_strategy(strategy)
    model = compile_spec(spec, allow_imports=allow_imports, force=force, strategy=resolved).model
    with resolved.scope():
        compile_for_training(model, spec)
        if resumed is not None:
            restore(model, resumed)
    history = dict(resumed.history) if resumed is not None else {}
    first = resumed.epochs_done if resumed is not None else 0
    declared = spec_callbacks(training)
    stopping = next((c for c in declared if isinstance(c, keras.callbacks.EarlyStopping)), None)
    chief = _is_chief(resolved)
    if first < epochs and not (resumed is not None and resumed.stopped):
        train = training_stream(g, data, batch_size, seed, first, epochs)
        val = evaluation_stream(g, validation, batch_size) if validation is not None else None
        writer = CheckpointWriter(paths.checkpoints) if chief else None
        try:
            model.fit(train, validation_data=val, epochs=epochs, initial_epoch=first,
                      steps_per_epoch=steps_per_epoch(data, batch_size),
                      callbacks=[*callbacks, *declared, _save_epoch(keras, writer, history, stopping, resumed)],
                      shuffle=False, verbose=verbose)  # shuffled by the stream, reproducibly per epoch
        finally:
            if writer is not None:
                writer.wait()  # the last epoch's checkpoint is on disk before fit returns (or fails)
    elif resumed is not None and stopping is not None and stopping.restore_best_weights and "best" in resumed.arrays:
        model.set_weights(resumed.arrays["best"])  # what EarlyStopping's on_train_end gave the finished run
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
