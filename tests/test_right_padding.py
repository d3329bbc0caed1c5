"""GM402 follows the mask that actually reaches the RNN, held to Keras's own right-padding check.

For each model the mask the LSTM receives when the model runs is read off
Keras and given to ``_is_sequence_right_padded``, the check the cuDNN path
asserts (``keras/src/backend/tensorflow/rnn.py``); graphmask's GM402 must say
exactly when it fails.
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest

import graphmask
from graphmask.checker import check_text
from keras_probes import record_mask_arguments

HEAD = """\
graphmask: 1
name: right_padding
inputs:
  a: {shape: [null], dtype: int32, pad_value: PAD_VALUE, padding: PAD}
  b: {shape: [null], dtype: int32, pad_value: 0, padding: post}
layers:
"""
# Two masked embeddings joined along time, into an LSTM.
TIME_CONCAT = """\
  - {id: ea, type: Embedding, args: {input_dim: 50, output_dim: 4, mask_zero: true}, inputs: a}
  - {id: eb, type: Embedding, args: {input_dim: 50, output_dim: 4, mask_zero: true}, inputs: b}
  - {id: cat, type: Concatenate, args: {axis: 1}, inputs: [ea, eb]}
  - {id: rnn, type: LSTM, args: {units: 3}, inputs: cat}
outputs: [rnn]
"""
# An LSTM on a's masked embedding, beside b's unmasked embedding pooled.
MASKED_RNN_BESIDE_POOL = """\
  - {id: ea, type: Embedding, args: {input_dim: 50, output_dim: 4, mask_zero: true}, inputs: a}
  - {id: rnn, type: LSTM, args: {units: 3}, inputs: ea}
  - {id: eb, type: Embedding, args: {input_dim: 50, output_dim: 4}, inputs: b}
  - {id: pool, type: GlobalAveragePooling1D, inputs: eb}
  - {id: out, type: Concatenate, inputs: [rnn, pool]}
outputs: [out]
"""
# name -> (a's padding side, a's pad value, the layers, whether Keras's right-padding check rejects the LSTM's mask)
CASES = {
    # Concatenate(axis=1) of two right-padded masked sequences: [1,1,0,1,1,1,0]
    "concat_time_axis": ("post", 0, TIME_CONCAT, True),
    # Embedding -> Masking(0) on left-padded ids: vectors are never all 0, the mask is all True
    "masking_after_embedding": ("pre", 0, """\
  - {id: ea, type: Embedding, args: {input_dim: 50, output_dim: 4}, inputs: a}
  - {id: m, type: Masking, args: {mask_value: 0.0}, inputs: ea}
  - {id: rnn, type: LSTM, args: {units: 3}, inputs: m}
  - {id: eb, type: Embedding, args: {input_dim: 50, output_dim: 4}, inputs: b}
  - {id: pool, type: GlobalAveragePooling1D, inputs: eb}
  - {id: out, type: Concatenate, inputs: [rnn, pool]}
outputs: [out]
""", False),
    "left_padded_ids": ("pre", 0, MASKED_RNN_BESIDE_POOL, True),
    # concatenation along the features keeps right padding
    "concat_feature_axis": ("post", 0, """\
  - {id: ea, type: Embedding, args: {input_dim: 50, output_dim: 4, mask_zero: true}, inputs: a}
  - {id: eb, type: Embedding, args: {input_dim: 50, output_dim: 4, mask_zero: true}, inputs: b}
  - {id: cat, type: Concatenate, inputs: [ea, eb]}
  - {id: rnn, type: LSTM, args: {units: 3}, inputs: cat}
outputs: [rnn]
""", False),
    # a is padded with 7, Embedding(mask_zero) looks for 0 (GM206): the mask marks no step, all True
    "mask_value_differs": ("pre", 7, MASKED_RNN_BESIDE_POOL, False),
    # along the features, an unmasked part counts as all True and the parts are ORed: all True (GM204)
    "feature_concat_with_unmasked": ("pre", 0, """\
  - {id: ea, type: Embedding, args: {input_dim: 50, output_dim: 4, mask_zero: true}, inputs: a}
  - {id: eb, type: Embedding, args: {input_dim: 50, output_dim: 4}, inputs: b}
  - {id: cat, type: Concatenate, inputs: [ea, eb]}
  - {id: rnn, type: LSTM, args: {units: 3}, inputs: cat}
outputs: [rnn]
""", False),
    # along time, a first part whose mask marks no step (pad 7, mask id 0) leaves no padding in the middle
    "time_concat_after_unmarked_mask": ("post", 7, TIME_CONCAT, False),
    # MultiHeadAttention clears bi[0]'s mask when the model runs, before the concatenation reads it, yet
    # the LSTM's mask= was bound when the model was built, from both right-padded parts: not right-padded
    "bound_before_attention_clears": ("post", 0, """\
  - {id: ea, type: Embedding, args: {input_dim: 50, output_dim: 4, mask_zero: true}, inputs: a}
  - {id: eb, type: Embedding, args: {input_dim: 50, output_dim: 2, mask_zero: true}, inputs: b}
  - id: bi
    type: Bidirectional
    args: {layer: {type: LSTM, args: {units: 2, return_sequences: true}}, merge_mode: null}
    inputs: ea
  - {id: att, type: MultiHeadAttention, args: {num_heads: 1, key_dim: 2}, inputs: ['bi[0]', 'bi[0]']}
  - {id: cat, type: Concatenate, args: {axis: 1}, inputs: ['bi[0]', 'bi[1]']}
  - {id: rnn, type: LSTM, args: {units: 3}, inputs: cat}
  - {id: att2, type: MultiHeadAttention, args: {num_heads: 1, key_dim: 2}, inputs: {query: eb, value: att}}
outputs: [rnn, att2]
""", True),
}


def _text(name: str) -> str:
    padding, pad_value, layers, _ = CASES[name]
    return HEAD.replace("PAD_VALUE", str(pad_value)).replace("PAD", padding) + layers


def _batch(padding: str, pad_value: int) -> list[np.ndarray]:
    right = np.array([[5, 6, 1, 8, 9], [3, 4, pad_value, pad_value, pad_value]])
    left = np.array([[5, 6, 1, 8, 9], [pad_value, pad_value, pad_value, 3, 4]])
    return [left if padding == "pre" else right, np.array([[1, 2, 3, 0, 0], [4, 5, 6, 7, 0]])]


@pytest.mark.parametrize("name", sorted(CASES))
def test_gm402_is_reported_where_expected(name):
    found = {d.code for d in check_text(_text(name), f"{name}.yaml").diagnostics if d.node == "rnn"}
    assert ("GM402" in found) == CASES[name][3], found


@pytest.mark.keras
@pytest.mark.parametrize("name", sorted(CASES))
def test_gm402_agrees_with_kerass_right_padding_check(keras, name):
    tf_rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")
    model = graphmask.compile(graphmask.loads(_text(name), f"{name}.yaml"))
    lstm = model.get_layer("rnn")
    received = record_mask_arguments(lstm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model(_batch(*CASES[name][:2]))
    [mask] = received
    assert mask is not None, "the LSTM gets a mask"
    keras_rejects = not bool(tf_rnn._is_sequence_right_padded(mask))
    reported = "GM402" in {d.code for d in check_text(_text(name), "x.yaml").diagnostics if d.node == "rnn"}
    assert reported == keras_rejects == CASES[name][3], (np.asarray(mask).astype(int).tolist(), reported)
