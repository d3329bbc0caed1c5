"""Inference for ``graphmask run``: pick a device, build, load weights, predict, read masks.

Outputs come from ``model.predict`` (so a ``tf.distribute`` strategy spreads
the batches over its replicas). Masks are Keras's own: a side model whose
outputs are the ``_keras_mask`` tensors Keras attached to the model's
symbolic outputs, predicted on the same batches.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from graphmask.keras.build import keras_message
from graphmask.keras.compile import Compiled, compile_spec, model_inputs, predictions_by_name
from graphmask.keras.errors import ModelFailed, RunError
from graphmask.spec import Spec

DEVICES = ("auto", "cpu", "gpu")
Progress = Callable[[int, int], None]


@dataclass
class RunResult:
    outputs: dict[str, np.ndarray]
    masks: dict[str, np.ndarray] = field(default_factory=dict)  # only outputs that carry a mask
    device: str = ""
    compiled: Compiled | None = None


def select_device(device: str) -> str:
    """The TensorFlow device to run on, as ``/CPU:0`` or ``/GPU:0``."""
    import tensorflow as tf

    if device not in DEVICES:
        raise RunError(f"unknown device {device!r}; use one of {', '.join(DEVICES)}")
    gpus = tf.config.list_physical_devices("GPU")
    if device == "gpu" and not gpus:
        raise RunError("--device gpu: no GPU is visible to TensorFlow (tf.config.list_physical_devices('GPU') "
                       "is empty); install a CUDA build (pip install tensorflow[and-cuda]) or use --device cpu/auto")
    if device == "cpu" and gpus:
        try:  # hide the GPUs so Keras does not even try cuDNN kernels
            tf.config.set_visible_devices([], "GPU")
        except RuntimeError:
            pass  # TensorFlow already started: the device scope below still pins the ops
    return "/GPU:0" if device != "cpu" and gpus else "/CPU:0"


def run_spec(spec_or_path: Spec | str | os.PathLike, inputs: Mapping[str, np.ndarray], *, batch_size: int = 32,
             device: str = "auto", strategy: Any = None, masks: bool = False, weights: str | None = None,
             allow_imports: Iterable[str] = (), force: bool = False, progress: Progress | None = None) -> RunResult:
    """Compile the spec and run it on checked input arrays (see ``inputs.check_inputs``)."""
    from graphmask.keras.quiet import load_tensorflow

    load_tensorflow()
    import tensorflow as tf

    distributed = strategy not in (None, "default")
    where = select_device(device)
    with tf.device(where) if not distributed else contextlib.nullcontext():
        compiled = compile_spec(spec_or_path, allow_imports=allow_imports, force=force, strategy=strategy)
        if weights:
            _load_weights(compiled.model, weights)
        feed = model_inputs(compiled.graph.spec, inputs)
        try:
            outputs = predictions_by_name(compiled.graph, _predict(compiled.model, feed, batch_size, progress))
            found = _masks(compiled, feed, batch_size) if masks else {}
        except Exception as exc:  # noqa: BLE001 - a layer's own code failing on real data
            raise ModelFailed(f"Keras failed while running the model: {keras_message(exc)}") from exc
    ran_on = _describe_device(compiled, where)
    return RunResult({k: np.asarray(v) for k, v in outputs.items()}, found, ran_on, compiled)


def _load_weights(model: Any, path: str) -> None:
    if not os.path.isfile(path):
        raise RunError(f"--weights: no such file: {path}")
    if not path.endswith(".weights.h5"):
        raise RunError(f"--weights {path}: Keras 3 weight files end in .weights.h5 (model.save_weights)")
    try:
        model.load_weights(path)
    except Exception as exc:  # noqa: BLE001 - Keras raises ValueError/KeyError/OSError on mismatches
        raise RunError(f"--weights {path}: does not fit this model: {exc}") from None


def _batches(feed: Any) -> int:
    first = feed[0] if isinstance(feed, (list, tuple)) else feed  # several inputs: a list (model_inputs)
    return len(first)


def _predict(model: Any, feed: Any, batch_size: int, progress: Progress | None) -> Any:
    import keras

    total = math.ceil(_batches(feed) / batch_size)

    class Report(keras.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            if progress is not None:
                progress(batch + 1, total)

    return model.predict(feed, batch_size=batch_size, verbose=0, callbacks=[Report()])


def _masks(compiled: Compiled, feed: Any, batch_size: int) -> dict[str, np.ndarray]:
    """The masks Keras attaches to the outputs of ``model(batch)``, batch by batch.

    Read from a real call, not from a side model over the graph's symbolic
    masks: at run time a layer can remove masks the built graph still shows
    (MultiHeadAttention clears its inputs' masks, docs/keras-mask-facts.md).
    """
    from keras import tree

    from graphmask.keras.masks import get_keras_mask

    parts: dict[str, list[np.ndarray]] = {}
    for start in range(0, _batches(feed), batch_size):
        batch = tree.map_structure(lambda array: array[start:start + batch_size], feed)
        outputs = predictions_by_name(compiled.graph, compiled.model(batch, training=False))
        for name, tensor in outputs.items():
            mask = get_keras_mask(tensor)
            if mask is not None:
                parts.setdefault(name, []).append(np.asarray(mask).astype(bool))
    return {name: np.concatenate(chunks) for name, chunks in parts.items()}


def _describe_device(compiled: Compiled, where: str) -> str:
    from graphmask.keras.distribute import describe

    if compiled.strategy is not None and "Default" not in type(compiled.strategy).__name__:
        return describe(compiled.strategy)  # the strategy placed the replicas
    for weight in compiled.model.weights[:1]:
        device = getattr(getattr(weight, "value", None), "device", "") or ""
        if device:
            return device.rsplit("device:", 1)[-1]
    return where.strip("/")
