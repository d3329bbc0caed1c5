"""Does a compiled LSTM/GRU run on the fused cuDNN kernel?

The catalog states Keras's conditions as data (``LayerInfo.cudnn``, read by
the static GM401/GM402 rules); this module asks Keras itself, on built layers:

- ``keras_says_eligible(layer)``: Keras 3's own predicate
  (``backend.tensorflow.rnn._do_lstm/gru_arguments_support_cudnn`` plus the
  ``use_cudnn``/``recurrent_dropout`` gates of ``inner_loop``), no GPU needed;
- ``cudnn_ops(model, batch)``: the ``CudnnRNN*`` ops in the traced inference
  graph, i.e. what really runs (only ever non-empty on a GPU).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Iterator

from graphmask.catalog import CudnnRule, load_catalog
from graphmask.catalog.cudnn import Blocker


@dataclass(frozen=True)
class RnnStatus:
    name: str  # Keras layer name (a Bidirectional's halves: forward_<inner>, backward_<inner>)
    type: str  # LSTM | GRU
    blockers: tuple[Blocker, ...]  # from graphmask's rules
    keras_eligible: bool  # Keras's own predicate

    @property
    def eligible(self) -> bool:
        return not self.blockers


def recurrent_layers(model: Any) -> Iterator[Any]:
    """Every LSTM/GRU in a model, including the halves of a Bidirectional."""
    for layer in model.layers:
        if hasattr(layer, "forward_layer"):  # Bidirectional: its two copies are the layers that run
            candidates = [layer.forward_layer, layer.backward_layer]
        else:  # the layer itself, or the one a wrapper such as TimeDistributed holds
            candidates = [layer, getattr(layer, "layer", None)]
        for candidate in candidates:
            if candidate is not None and _cudnn_rule(candidate) is not None:
                yield candidate


def _cudnn_rule(layer: Any) -> CudnnRule | None:
    info = load_catalog().get(type(layer).__name__)
    return info.cudnn if info is not None else None


def layer_args(layer: Any) -> dict[str, Any]:
    """The arguments the rules look at, read back from the instance's config."""
    config = layer.get_config()
    args = {rule.arg: config.get(rule.arg, rule.default) for rule in _cudnn_rule(layer).args}
    args["use_cudnn"] = getattr(layer, "use_cudnn", "auto")
    return args


def keras_says_eligible(layer: Any) -> bool:
    """Whether Keras's own code path would run this built (or buildable) LSTM/GRU on cuDNN, GPU or not.

    Calls the layer once, eagerly, with TensorFlow's RNN backend told that a
    GPU is visible and its cuDNN kernels replaced by a probe that records the
    call and falls back (``NotImplementedError``, as a missing kernel does).
    So every gate on the way is Keras's: ``inner_loop``'s ``use_cudnn`` and
    ``recurrent_dropout`` tests and ``cudnn_ok``'s argument checks.
    """
    import numpy as np

    # the module, not the `rnn` function the package re-exports under the same name
    tf_rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")
    reached: list[str] = []

    def kernel_probe(*args: Any, **kwargs: Any) -> Any:
        reached.append(type(layer).__name__)
        raise NotImplementedError

    features = layer.cell.kernel.shape[0] if layer.built else 1
    patched = {"_is_gpu_available": lambda: True, "_cudnn_lstm": kernel_probe, "_cudnn_gru": kernel_probe}
    saved = {name: getattr(tf_rnn, name) for name in patched}
    try:
        for name, value in patched.items():
            setattr(tf_rnn, name, value)
        try:
            layer(np.zeros((1, 2, features), dtype="float32"))
        except ValueError:  # use_cudnn=True with cuDNN unavailable: Keras refuses, after trying it
            pass
    finally:
        for name, value in saved.items():
            setattr(tf_rnn, name, value)
    return bool(reached)


def rnn_status(model: Any) -> list[RnnStatus]:
    return [RnnStatus(layer.name, type(layer).__name__, tuple(_cudnn_rule(layer).blockers(layer_args(layer))),
                      keras_says_eligible(layer)) for layer in recurrent_layers(model)]


def cudnn_ops(model: Any, batch: Any) -> list[str]:
    """Names of the ``CudnnRNN*`` ops in the graph of ``model(batch)`` (inference)."""
    import tensorflow as tf

    function = tf.function(lambda x: model(x, training=False))
    graph = function.get_concrete_function(tf.nest.map_structure(tf.convert_to_tensor, batch)).graph
    return [op.name for op in graph.get_operations() if op.type.startswith("CudnnRNN")]
