"""Seeded synthetic specs for the benchmarks.

``generate(n_nodes, seed, shape=...)`` returns spec *data* (the dict a
YAML file would load to); ``to_yaml`` (graphmask's spec writer, the one
``graphmask import`` uses) writes it the way people write specs: block style
at the top, one flow mapping per layer.

Every generated spec is a valid model that Keras builds without warnings:
token ids -> ``Embedding(mask_zero=True)`` -> a trunk of blocks that keep
the shape (batch, time, width) and the mask -> ``GlobalAveragePooling1D``
-> ``Dense``. Blocks cover the spec features the checker has to walk:
implicit (previous-layer) and explicit inputs, merges (``Add``,
``Concatenate``) including long skip connections, wrappers
(``TimeDistributed``, ``Bidirectional``), attention (``MultiHeadAttention``
with keyword inputs, ``Attention``), RNNs and ``share:`` nodes.

``shape="chain"`` uses single-input blocks only (a Sequential-like
model); ``shape="dag"`` mixes in merges and skips.
"""

from __future__ import annotations

import random
from typing import Any, Callable

from graphmask.spec.writer import to_yaml

# Blocks that take the trunk tensor and return one of the same shape.
CHAIN_BLOCKS = ("dense", "norm", "time_distributed", "rnn", "bidirectional")
DAG_BLOCKS = CHAIN_BLOCKS + ("residual", "branch_concat", "skip", "mha", "attention", "shared")

_HEAD_LAYERS = 2  # Embedding + shared projection
_TAIL_LAYERS = 2  # pooling + classifier


class _Builder:
    def __init__(self, width: int, rng: random.Random):
        self.width = width
        self.rng = rng
        self.layers: list[dict[str, Any]] = []
        self.trunk: list[str] = []  # ids of earlier trunk tensors (same shape, masked): skip targets
        self.current = ""

    def add(self, type_name: str | None, inputs: Any = None, **fields: Any) -> str:
        layer_id = f"n{len(self.layers)}"
        layer: dict[str, Any] = {"id": layer_id}
        if type_name is not None:
            layer["type"] = type_name
        if fields.get("share"):
            layer["share"] = fields["share"]
        # Sequential style (no `inputs`) when the input is the previous layer.
        if inputs is not None and not (isinstance(inputs, str) and self.layers and inputs == self.layers[-1]["id"]):
            layer["inputs"] = inputs
        if fields.get("args"):
            layer["args"] = fields["args"]
        self.layers.append(layer)
        return layer_id

    def advance(self, layer_id: str) -> None:
        self.current = layer_id
        self.trunk.append(layer_id)


def _rnn_type(rng: random.Random) -> str:
    return rng.choice(("LSTM", "GRU"))


def _dense(b: _Builder) -> None:
    b.advance(b.add("Dense", b.current, args={"units": b.width, "activation": b.rng.choice(("relu", "tanh"))}))


def _norm(b: _Builder) -> None:
    if b.rng.random() < 0.5:
        b.advance(b.add("LayerNormalization", b.current))
    else:
        b.advance(b.add("Dropout", b.current, args={"rate": 0.1}))


def _time_distributed(b: _Builder) -> None:
    b.advance(b.add("TimeDistributed", b.current,
                    args={"layer": {"type": "Dense", "args": {"units": b.width}}}))


def _rnn(b: _Builder) -> None:
    b.advance(b.add(_rnn_type(b.rng), b.current, args={"units": b.width, "return_sequences": True}))


def _bidirectional(b: _Builder) -> None:
    inner = {"type": _rnn_type(b.rng), "args": {"units": b.width // 2, "return_sequences": True}}
    b.advance(b.add("Bidirectional", b.current, args={"layer": inner}))


def _residual(b: _Builder) -> None:
    side = b.add("Dense", b.current, args={"units": b.width})
    b.advance(b.add("Add", [b.current, side]))


def _branch_concat(b: _Builder) -> None:
    left = b.add("Dense", b.current, args={"units": b.width // 2})
    right = b.add("Dense", b.current, args={"units": b.width - b.width // 2, "activation": "relu"})
    b.advance(b.add("Concatenate", [left, right]))


def _skip(b: _Builder) -> None:
    # any earlier trunk tensor (indexing, not slicing: a 100k-node trunk is long)
    earlier = b.trunk[b.rng.randrange(max(1, len(b.trunk) - 1))]
    b.advance(b.add(b.rng.choice(("Add", "Average")), [b.current, earlier]))


def _mha(b: _Builder) -> None:
    b.advance(b.add("MultiHeadAttention", {"query": b.current, "value": b.current},
                    args={"num_heads": 2, "key_dim": max(1, b.width // 2)}))


def _attention(b: _Builder) -> None:
    b.advance(b.add("Attention", [b.current, b.current]))


def _shared(b: _Builder) -> None:
    b.advance(b.add(None, b.current, share="n1"))  # n1: the shared projection of the head


_BLOCKS: dict[str, Callable[[_Builder], None]] = {
    "dense": _dense, "norm": _norm, "time_distributed": _time_distributed, "rnn": _rnn,
    "bidirectional": _bidirectional, "residual": _residual, "branch_concat": _branch_concat, "skip": _skip,
    "mha": _mha, "attention": _attention, "shared": _shared,
}
_LAYERS_PER_BLOCK = {"residual": 2, "branch_concat": 3}


def generate(n_nodes: int, seed: int = 0, shape: str = "dag", width: int = 8, vocab: int = 50,
             name: str | None = None) -> dict[str, Any]:
    """Spec data with exactly ``n_nodes`` nodes (one input + layers)."""
    if shape not in ("chain", "dag"):
        raise ValueError(f"shape must be 'chain' or 'dag', not {shape!r}")
    minimum = 1 + _HEAD_LAYERS + _TAIL_LAYERS
    if n_nodes < minimum:
        raise ValueError(f"a generated spec has at least {minimum} nodes")
    rng = random.Random(seed)
    b = _Builder(width, rng)
    b.advance(b.add("Embedding", "tokens", args={"input_dim": vocab, "output_dim": width, "mask_zero": True}))
    b.advance(b.add("Dense", b.current, args={"units": width}))  # n1, reused by `share:` blocks
    kinds = CHAIN_BLOCKS if shape == "chain" else DAG_BLOCKS
    budget = n_nodes - 1 - _TAIL_LAYERS
    while len(b.layers) < budget:
        room = budget - len(b.layers)
        kind = rng.choice([k for k in kinds if _LAYERS_PER_BLOCK.get(k, 1) <= room])
        _BLOCKS[kind](b)
    pooled = b.add("GlobalAveragePooling1D", b.current)
    b.add("Dense", pooled, args={"units": 1, "activation": "sigmoid"})
    return {
        "graphmask": 1,
        "name": name or f"synthetic_{shape}_{n_nodes}_s{seed}",
        "description": f"generated by bench/specgen.py (shape={shape}, seed={seed})",
        "inputs": {"tokens": {"shape": [None], "dtype": "int32", "pad_value": 0}},
        "layers": b.layers,
        "outputs": [b.layers[-1]["id"]],
    }


def spec_text(n_nodes: int, seed: int = 0, shape: str = "dag", **kwargs: Any) -> str:
    return to_yaml(generate(n_nodes, seed, shape, **kwargs))


def lstm_stack(n_lstm: int = 2, width: int = 64, vocab: int = 1000, name: str = "lstm_stack") -> dict[str, Any]:
    """Token ids -> masked Embedding -> ``n_lstm`` LSTMs -> Dense: the GPU (cuDNN) model."""
    layers: list[dict[str, Any]] = [
        {"id": "embed", "type": "Embedding", "inputs": "tokens",
         "args": {"input_dim": vocab, "output_dim": width, "mask_zero": True}}]
    for i in range(n_lstm):
        layers.append({"id": f"lstm{i}", "type": "LSTM",
                       "args": {"units": width, "return_sequences": i < n_lstm - 1}})
    layers.append({"id": "out", "type": "Dense", "args": {"units": 1, "activation": "sigmoid"}})
    return {
        "graphmask": 1,
        "name": name,
        "inputs": {"tokens": {"shape": [None], "dtype": "int32", "pad_value": 0}},
        "layers": layers,
        "outputs": ["out"],
    }
