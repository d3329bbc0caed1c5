"""The catalog's ``causal_when``, held to Keras: under it, the mask a layer is not handed changes only padded steps.

For each catalog layer with the fact, the layer is run in Keras on a right-padded batch with its mask
handed to ``call()`` and without it (what GM208 is about). Under the condition the outputs agree at every
valid step; with any one clause of the condition flipped they do not, so each clause is needed.
"""

from __future__ import annotations

import numpy as np
import pytest

from graphmask.catalog import load_catalog

pytestmark = pytest.mark.keras

CAUSAL = {name: load_catalog()[name].mask.facts["causal_when"] for name in load_catalog().names()
          if load_catalog()[name].mask.facts.get("causal_when")}
LENGTHS = (6, 3)


def _valid_difference(keras, layer_name: str, args: dict) -> float:
    """Largest difference between the call with and without ``mask=``, at the valid steps of each sample."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(len(LENGTHS), 6, 2)).astype("float32")
    mask = np.array([[t < n for t in range(6)] for n in LENGTHS])
    x[~mask] = 0.5  # not zero: a zero step from a zero state leaves some cells exactly at zero
    layer = getattr(keras.layers, layer_name)(units=3, **args)
    with_mask, without = layer(x, mask=mask), layer(x)
    with_mask = with_mask if isinstance(with_mask, (list, tuple)) else [with_mask]
    without = without if isinstance(without, (list, tuple)) else [without]
    diffs = []
    for a, b in zip(with_mask, without):
        a, b = np.asarray(a), np.asarray(b)
        if a.ndim == 3:  # a sequence: its valid steps
            diffs += [np.abs(a[i, :n] - b[i, :n]).max() for i, n in enumerate(LENGTHS)]
        else:  # a final state
            diffs.append(np.abs(a - b).max())
    return float(max(diffs))


def test_the_catalog_states_it_for_the_recurrent_layers():
    assert {"LSTM", "GRU", "SimpleRNN"} <= set(CAUSAL)


@pytest.mark.parametrize("layer_name", sorted(CAUSAL))
def test_under_the_condition_an_unread_mask_changes_only_padded_steps(keras, layer_name):
    assert _valid_difference(keras, layer_name, dict(CAUSAL[layer_name])) < 1e-6


@pytest.mark.parametrize("layer_name, clause", [(name, clause) for name in sorted(CAUSAL) for clause in CAUSAL[name]])
def test_each_clause_of_the_condition_is_needed(keras, layer_name, clause):
    args = dict(CAUSAL[layer_name])
    args[clause] = not args[clause]
    assert _valid_difference(keras, layer_name, args) > 1e-4


DECODER = """graphmask: 1
name: seq2seq
inputs:
  source: {{shape: [null], dtype: int32, pad_value: 0}}
  target: {{shape: [null], dtype: int32, pad_value: 0, padding: {side}}}
layers:
  - {{id: src, type: Embedding, args: {{input_dim: 50, output_dim: 8, mask_zero: true}}, inputs: source}}
  - {{id: encoder, type: LSTM, args: {{units: 8, return_state: true}}, inputs: src}}
  - {{id: tgt, type: Embedding, args: {{input_dim: 50, output_dim: 8, mask_zero: true}}, inputs: target}}
  - id: decoder
    type: LSTM
    args: {{units: 8, return_sequences: true{extra}}}
    inputs: {{sequences: tgt, initial_state: ["encoder[1]", "encoder[2]"]}}
outputs: [decoder]
"""


@pytest.mark.parametrize("side, extra, reported", [
    ("post", "", False),  # the Keras blog's word-level decoder: only padded steps change, and stay masked
    ("pre", "", True),  # left padding comes before the valid steps
    ("post", ", go_backwards: true", True),
    ("post", ", return_state: true", True),  # the final states see the padding
])
def test_gm208_is_reported_where_the_unread_mask_can_change_valid_results(side, extra, reported):
    import graphmask

    spec = graphmask.loads(DECODER.format(side=side, extra=extra), "seq2seq.yaml")
    assert ("GM208" in {d.code for d in graphmask.check(spec)}) is reported
