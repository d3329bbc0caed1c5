"""Does a compiled LSTM/GRU run on the fused cuDNN kernel?

``analysis/cudnn_rules.py`` states Keras's conditions as data (the static
GM401 pass reads them); this module asks Keras itself, on built layers:

- ``keras_says_eligible(layer)``: Keras 3's own predicate
  (``backend.tensorflow.rnn._do_lstm/gru_arguments_support_cudnn`` plus the
  ``use_cudnn``/``recurrent_dropout`` gates of ``inner_loop``), no GPU needed;
- ``cudnn_ops(model, batch)``: the ``CudnnRNN*`` ops in the traced inference
  graph, i.e. what really runs (only ever non-empty on a GPU).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from graphmask.analysis.cudnn_rules import CUDNN_ARG_RULES, Blocker, cudnn_blockers


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
            if candidate is not None and type(candidate).__name__ in CUDNN_ARG_RULES:
                yield candidate


def layer_args(layer: Any) -> dict[str, Any]:
    """The arguments the rules look at, read back from the instance's config."""
    config = layer.get_config()
    args = {rule.arg: config.get(rule.arg, rule.default) for rule in CUDNN_ARG_RULES[type(layer).__name__]}
    args["use_cudnn"] = getattr(layer, "use_cudnn", "auto")
    return args


def keras_says_eligible(layer: Any) -> bool:
    import importlib

    # the module, not the `rnn` function the package re-exports under the same name
    tf_rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")

    if layer.use_cudnn not in ("auto", True) or layer.recurrent_dropout:
        return False
    cell = layer.cell
    if type(layer).__name__ == "GRU":
        return bool(tf_rnn._do_gru_arguments_support_cudnn(
            cell.activation, cell.recurrent_activation, layer.unroll, cell.use_bias, cell.reset_after))
    return bool(tf_rnn._do_lstm_arguments_support_cudnn(
        cell.activation, cell.recurrent_activation, layer.unroll, cell.use_bias))


def rnn_status(model: Any) -> list[RnnStatus]:
    return [RnnStatus(layer.name, type(layer).__name__, tuple(cudnn_blockers(type(layer).__name__, layer_args(layer))),
                      keras_says_eligible(layer)) for layer in recurrent_layers(model)]


def cudnn_ops(model: Any, batch: Any) -> list[str]:
    """Names of the ``CudnnRNN*`` ops in the graph of ``model(batch)`` (inference)."""
    import tensorflow as tf

    function = tf.function(lambda x: model(x, training=False))
    graph = function.get_concrete_function(tf.nest.map_structure(tf.convert_to_tensor, batch)).graph
    return [op.name for op in graph.get_operations() if op.type.startswith("CudnnRNN")]
