"""The per-epoch checkpoint of ``graphmask fit``: the training state, not a whole ``.keras`` model.

``<stem>.checkpoints/`` holds

- ``epoch-NNNN.npz``: every model variable (weights and seed-generator
  states), every optimizer variable (step count, moments) and, with
  ``restore_best_weights``, EarlyStopping's best weights, in a fixed order;
- ``state.json``: epochs done, the history so far, EarlyStopping's counters
  (``wait``, ``best``, ``best_epoch``, whether it stopped) and the name of the
  current ``.npz``.

Each file is written atomically, the ``.npz`` under a new name first, then
``state.json``, and only then is the previous ``.npz`` removed: a crash at any
moment leaves a ``state.json`` naming a complete ``.npz`` of the same epoch.
Restoring needs the model the spec builds (``fit`` compiles it first); a
checkpoint whose variables do not fit it is refused with the reason. The
training thread only copies the state (a few milliseconds; a full
``Model.save`` of config, zip and HDF5 cost a tenth of a second per epoch),
see ``CheckpointWriter`` and ``python -m bench.fit_parity``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from graphmask.atomic import atomic_path, write_atomic

STATE = "state.json"
# EarlyStopping's own attributes that carry over epochs (keras.callbacks.EarlyStopping.on_train_begin resets them).
_STOPPING = ("wait", "best", "best_epoch", "stopped_epoch")


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed (missing, unreadable, or not this spec's model)."""


@dataclass
class Checkpoint:
    epochs_done: int
    history: dict[str, list[float]]
    stopping: dict[str, Any] | None = None  # EarlyStopping's counters, when the spec has one
    stopped: bool = False  # early stopping ended the run: nothing left to train
    arrays: dict[str, list[np.ndarray]] = field(default_factory=dict)  # model, optimizer, best


def _groups(model: Any, stopping: Any) -> dict[str, list[Any]]:
    groups = {"model": list(model.variables), "optimizer": list(model.optimizer.variables)}
    if stopping is not None and getattr(stopping, "best_weights", None) is not None:
        groups["best"] = list(stopping.best_weights)
    return groups


class CheckpointWriter:
    """Writes a run's checkpoints: the state is copied when an epoch ends, the files are written by a
    thread while the next epoch trains (``wait`` joins it and raises what it raised).

    The copy is one traced read of every variable (not one eager read each, which cost half a millisecond
    per variable); the writing (``.npz``, ``state.json``, their fsyncs) overlaps the next epoch. A crash
    while a checkpoint is being written leaves the previous one whole (the order above).
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self._reader: Any = None
        self._thread: Any = None
        self._error: BaseException | None = None

    def save(self, model: Any, epochs_done: int, history: dict[str, list[float]], stopping: Any = None) -> None:
        import threading

        self.wait()
        groups = _groups(model, stopping)
        read = groups.pop("best", None)
        arrays = self._read(groups["model"] + groups["optimizer"])
        snapshot = {"model": arrays[:len(groups["model"])], "optimizer": arrays[len(groups["model"]):]}
        if read is not None:
            snapshot["best"] = [np.asarray(a) for a in read]
        state: dict[str, Any] = {"epochs_done": epochs_done, "history": {k: list(v) for k, v in history.items()}}
        if stopping is not None:
            state["early_stopping"] = {key: _plain(getattr(stopping, key, None)) for key in _STOPPING}
            state["stopped"] = bool(model.stop_training)
        self._thread = threading.Thread(target=self._write, args=(snapshot, state), name="graphmask-checkpoint")
        self._thread.start()  # not a daemon: an interrupted run still finishes the checkpoint it started

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _read(self, variables: list[Any]) -> list[np.ndarray]:
        import tensorflow as tf

        if self._reader is None or self._reader[0] != [id(v) for v in variables]:
            self._reader = ([id(v) for v in variables], tf.function(lambda: [v.value for v in variables]))
        return [np.asarray(value) for value in self._reader[1]()]

    def _write(self, snapshot: dict[str, list[np.ndarray]], state: dict[str, Any]) -> None:
        try:
            write_checkpoint(self.folder, snapshot, state)
        except BaseException as exc:  # noqa: BLE001 - handed to the training thread by `wait`
            self._error = exc


def write_checkpoint(folder: Path, arrays: dict[str, list[np.ndarray]], state: dict[str, Any]) -> Path:
    """Write one checkpoint in the crash-safe order above; returns its ``.npz``."""
    folder.mkdir(exist_ok=True)
    name = f"epoch-{state['epochs_done']:04d}.npz"
    flat = {f"{group}.{i:05d}": value for group, values in arrays.items() for i, value in enumerate(values)}
    with atomic_path(folder / name, overwrite=True) as tmp:
        np.savez(tmp, **flat)
    write_atomic(folder / STATE, json.dumps({**state, "weights": name}, indent=1) + "\n", overwrite=True)
    for old in folder.glob("epoch-*.npz"):
        if old.name != name:
            old.unlink(missing_ok=True)
    return folder / name


def _plain(value: Any) -> Any:
    return None if value is None else (int(value) if isinstance(value, (int, np.integer)) else float(value))


def has_checkpoint(folder: Path) -> bool:
    return (folder / STATE).is_file()


def load_checkpoint(folder: Path) -> Checkpoint:
    try:
        state = json.loads((folder / STATE).read_text(encoding="utf-8"))
        with np.load(folder / state["weights"], allow_pickle=False) as stored:
            arrays: dict[str, list[np.ndarray]] = {}
            for key in sorted(stored.files):
                arrays.setdefault(key.split(".")[0], []).append(stored[key])
        history = {k: [float(x) for x in v] for k, v in state["history"].items()}
        return Checkpoint(int(state["epochs_done"]), history, state.get("early_stopping"),
                          bool(state.get("stopped", False)), arrays)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{folder}: cannot read the checkpoint ({type(exc).__name__}: {exc}); "
                              "start again without --resume (with --overwrite)") from None


def restore(model: Any, checkpoint: Checkpoint) -> None:
    """Put the checkpoint's model and optimizer variables into ``model`` (compiled, in its strategy's scope)."""
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    for group, variables in (("model", model.variables), ("optimizer", model.optimizer.variables)):
        stored = checkpoint.arrays.get(group, [])
        shapes = [tuple(v.shape) for v in variables]
        if [a.shape for a in stored] != shapes:
            raise CheckpointError(f"the checkpoint's {group} variables ({len(stored)}) do not fit the model the spec "
                                  f"builds ({len(shapes)}): was the spec changed since? Start again without --resume")
        for variable, array in zip(variables, stored):
            variable.assign(array)


def restore_stopping(stopping: Any, checkpoint: Checkpoint) -> None:
    """EarlyStopping's counters (and best weights) as they were after the checkpoint's epoch."""
    for key, value in (checkpoint.stopping or {}).items():
        if key in _STOPPING:
            setattr(stopping, key, value)
    if "best" in checkpoint.arrays:
        stopping.best_weights = checkpoint.arrays["best"]
