"""Sub-models (`models:` + `model:` nodes): graphmask's view against a real nested Keras model.

Keras 3.15.1 (docs/keras-mask-facts.md R1): a sub-model called on a masked
KerasTensor gives a symbolic output with no mask, yet when the model runs
its layers are handed the mask and its output carries theirs.  The tests
compile the spec to a real nested ``keras.Model`` and instrument its layers.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import graphmask
from graphmask.checker import check_text
from keras_probes import record_mask_arguments

NESTED = """\
graphmask: 1
name: nested_encoder
inputs:
  tokens: {shape: [null], dtype: int32, pad_value: 0}
models:
  encoder:
    inputs:
      x: {shape: [null, 8]}
    layers:
      - {id: proj, type: Dense, args: {units: 8}}
      - {id: rnn, type: LSTM, args: {units: 4, return_sequences: true}}
    outputs: [rnn]
layers:
  - {id: embed, type: Embedding, args: {input_dim: 50, output_dim: 8, mask_zero: true}, inputs: tokens}
  - {id: enc, model: encoder, inputs: embed}
  - {id: again, model: encoder, inputs: embed}
  - {id: both, type: Add, inputs: [enc, again]}
  - {id: pool, type: GlobalAveragePooling1D, inputs: both}
outputs: [pool]
"""


def test_the_runtime_view_carries_the_mask_through_the_sub_model_and_the_built_view_does_not():
    flow = graphmask.explain(graphmask.loads(NESTED, "n.yaml"))
    assert flow.nodes["enc/rnn"].roles == ["consumer"] and flow.nodes["enc"].mask_out is True
    assert "consumer" in flow.nodes["pool"].roles
    assert flow.symbolic is not None and flow.symbolic["enc"].mask_out is False
    assert flow.symbolic["enc/x"].mask_out is False  # built on its own Input


def test_sub_model_mistakes_are_located_in_the_models_section():
    text = NESTED.replace("{id: rnn, type: LSTM", "{id: rnn, type: LTSM").replace("inputs: embed}\n  - {id: again",
                                                                                 "inputs: embd}\n  - {id: again")
    found = {(d.code, d.line) for d in check_text(text, "n.yaml").diagnostics}
    assert ("GM103", 11) in found  # once, although the model is called twice
    assert [c for c, _ in found].count("GM103") == 1
    assert ("GM105", 15) in found
    unknown = check_text(NESTED.replace("model: encoder, inputs: embed}\n  - {id: again", "model: encodr, "
                                        "inputs: embed}\n  - {id: again"), "n.yaml").diagnostics
    assert any(d.code == "GM105" and "did you mean `encoder`" in d.message for d in unknown)


def test_a_model_that_calls_itself_is_a_cycle():
    text = NESTED.replace("      - {id: proj, type: Dense, args: {units: 8}}",
                          "      - {id: proj, model: encoder}")
    assert any(d.code == "GM107" and "calls itself" in d.message for d in check_text(text, "n.yaml").diagnostics)


@pytest.mark.keras
def test_compiles_to_a_nested_model_whose_run_matches_the_runtime_view(keras):
    model = graphmask.compile(graphmask.loads(NESTED, "n.yaml"))
    [encoder] = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    assert encoder.name == "encoder" and len(model.layers) == len({id(l) for l in model.layers})
    rnn = encoder.get_layer("rnn")
    received = record_mask_arguments(rnn)
    short, long = np.array([[3, 4, 5, 0, 0]]), np.array([[3, 4, 5, 0, 0, 0, 0, 0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = model(short), model(long)
    assert received and all(m is not None for m in received), "the inner LSTM is handed the mask"
    assert np.asarray(received[0]).astype(int).tolist() == [[1, 1, 1, 0, 0]]
    assert float(np.abs(np.asarray(a) - np.asarray(b)).max()) < 1e-6, "every consumer got its mask"
    assert getattr(model.get_layer("encoder").output, "_keras_mask", None) is None  # the built graph's view
