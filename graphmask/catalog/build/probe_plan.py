"""The experiment plan: how ``probe`` builds each layer and what it feeds it.

Probe constructor arguments, input kinds, layers not probed, and the extra
variants that cross-check the curated rules.  Plain data, no Keras import here.
"""

from __future__ import annotations

# --------------------------------------------------------------------------
# Experiment probes: how to build a layer and what to feed it.
#   ctor: constructor kwargs (strings starting with "@" are built by
#         probe.py: "@lstm3", "@lstmcell3", "@identity_fn" ...).
#   input: "seq" float (2,5,4) masked; "ids" int (2,5) masked; "pair" list of
#          two masked seqs; "qv" two separate masked seqs; "img" (2,5,4,3)
#          masked on the first two axes; "vol" (2,4,4,4,3); "vec" (2,4) float
#          with a (2,) mask.
# Probe values for required args by argument name:
REQUIRED_ARG_VALUES: dict[str, object] = {
    "units": 3,
    "filters": 3,
    "kernel_size": 2,
    "input_dim": 10,
    "output_dim": 3,
    "output_size": 2,
    "rate": 0.5,
    "stddev": 0.1,
    "pool_size": 2,
    "activation": "relu",
    "axes": -1,
    "num_heads": 2,
    "key_dim": 2,
    "head_dim": 2,
    "num_query_heads": 2,
    "num_key_value_heads": 1,
    "n": 2,
    "num_bins": 4,
    "height": 2,
    "width": 2,
    "factor": 0.1,
    "height_factor": 0.1,
    "width_factor": 0.1,
    "scale": 1.0,
    "max_number": 2,
    "layer": "@lstm3",
    "cell": "@lstmcell3",
    "cells": "@lstmcells",
    "function": "@identity_fn",
}

PROBE_CTOR: dict[str, dict] = {
    "Reshape": {"target_shape": [20]},
    "Permute": {"dims": [2, 1]},
    "EinsumDense": {"equation": "abc,cd->abd", "output_shape": [None, 3]},
    "TimeDistributed": {"layer": "@dense3"},
    "SpectralNormalization": {"layer": "@dense3"},
    "Wrapper": {"layer": "@dense3"},
    "Dot": {"axes": [2, 2]},
    "Pipeline": {"layers": "@pipeline_layers"},
    "GroupNormalization": {"groups": 2},
    "CategoryEncoding": {"num_tokens": 10},
    "Discretization": {"bin_boundaries": [0.0, 1.0]},
    "RandomPosterization": {"factor": [1, 8], "value_range": [0, 255]},
    "IntegerLookup": {"vocabulary": [1, 2, 3]},
    "StringLookup": {"vocabulary": ["a", "b"]},
    "TextVectorization": {"vocabulary": ["a", "b"]},
}

# Input kind per layer (default "seq").
PROBE_INPUT: dict[str, str] = {
    "Embedding": "ids",
    "ReversibleEmbedding": "ids",
    "Add": "pair",
    "Subtract": "pair",
    "Average": "pair",
    "Maximum": "pair",
    "Minimum": "pair",
    "Multiply": "pair",
    "Concatenate": "pair",
    "Dot": "pair",
    "Attention": "pair",
    "AdditiveAttention": "pair",
    "MultiHeadAttention": "qv",
    "GroupQueryAttention": "qv",
    "HashedCrossing": "pair_ids",
    "StringLookup": "strs",
    "TextVectorization": "strs",
    "Hashing": "ids",
    "IntegerLookup": "ids",
    "CategoryEncoding": "ids",
    "Discretization": "seq",
    "RNN": "seq",
    "RepeatVector": "vec",
    "LSTMCell": "cell",
    "GRUCell": "cell",
    "SimpleRNNCell": "cell",
    "StackedRNNCells": "cell",
    "ConvLSTM1D": "img",
    "ConvLSTM2D": "vol",
    "ConvLSTM3D": "skip",
}

# Layers not worth (or impossible) to instantiate in the generator.
SKIP_EXPERIMENT: frozenset[str] = frozenset(
    {
        "FlaxLayer",
        "JaxLayer",
        "TFSMLayer",
        "TorchModuleWrapper",
        "InputLayer",
        "Layer",  # abstract: call() not implemented
        "Wrapper",  # abstract
        "MelSpectrogram",  # audio (batch, samples) input
        # audio too: its 256-sample frames need longer input than the probes'; on a
        # 5-step probe its eager call raised in some environments and not in others
        "STFTSpectrogram",
        "HashedCrossing",  # needs scalar/rank-1 features
        "TextVectorization",  # rank-1 string input
    }
)

# --------------------------------------------------------------------------
# Extra experiment variants per layer (the default probe -- required args
# only, PROBE_INPUT input, both inputs masked -- always runs).
#   ctor: extra constructor kwargs; call: call kwargs; input: input kind;
#   masked: which inputs carry a mask.
_LSTM_RS = {"@layer": "LSTM", "args": {"units": 3, "return_sequences": True}}
_LSTM_ST = {"@layer": "LSTM", "args": {"units": 3, "return_state": True}}
_LSTM_RS_ST = {
    "@layer": "LSTM",
    "args": {"units": 3, "return_sequences": True, "return_state": True},
}
_GRU_RS_ST = {
    "@layer": "GRU",
    "args": {"units": 3, "return_sequences": True, "return_state": True},
}


def _rnn_variants() -> list[dict]:
    return [
        {"ctor": {"return_sequences": True}},
        {"ctor": {"return_state": True}},
        {"ctor": {"return_sequences": True, "return_state": True}},
        {"ctor": {"return_sequences": True}, "masked": [False]},
    ]


VARIANTS: dict[str, list[dict]] = {
    "Embedding": [
        {"ctor": {"mask_zero": True}},
        {"ctor": {"mask_zero": True}, "masked": [False]},
    ],
    "ReversibleEmbedding": [
        {"ctor": {"mask_zero": True}},
    ],
    "Masking": [
        {"masked": [False]},
        {"input": "vec", "masked": [False]},
        {"ctor": {"mask_value": 1.0}, "masked": [False]},
    ],
    "LSTM": _rnn_variants(),
    "GRU": _rnn_variants(),
    "SimpleRNN": _rnn_variants(),
    "RNN": [{"ctor": {"return_sequences": True}}, {"ctor": {"return_state": True}}],
    "Bidirectional": [
        {"ctor": {"layer": _LSTM_RS}},
        {"ctor": {"layer": _LSTM_RS, "merge_mode": None}},
        {"ctor": {"merge_mode": None}},
        {"ctor": {"layer": _LSTM_ST}},
        {"ctor": {"layer": _LSTM_RS_ST}},
        {"ctor": {"layer": _GRU_RS_ST}},
        {"ctor": {"layer": _LSTM_RS_ST, "merge_mode": None}},
        {"ctor": {"layer": _LSTM_RS}, "masked": [False]},
    ],
    "TimeDistributed": [
        {"ctor": {"layer": {"@layer": "Dense", "args": {"units": 2}}}, "masked": [False]},
        {"ctor": {"layer": {"@layer": "Softmax", "args": {}}}, "expect_error": True},
        {"ctor": {"layer": {"@layer": "LSTM", "args": {"units": 2}}}, "input": "img", "expect_error": True},
        {"ctor": {"layer": {"@layer": "LSTM", "args": {"units": 2}}}, "input": "img", "masked": [False]},
    ],
    "Attention": [
        {"call": {"return_attention_scores": True}},
        {"call": {"use_causal_mask": True}},
        {"masked": [False, True]},
        {"masked": [True, False]},
        {"input": "triple", "masked": [True, True, True]},
    ],
    "AdditiveAttention": [
        {"call": {"return_attention_scores": True}},
        {"masked": [False, True]},
    ],
    "MultiHeadAttention": [
        {"call": {"return_attention_scores": True}},
        {"call": {"use_causal_mask": True}},
        {"call": {"use_causal_mask": True}, "masked": [False, False]},
        {"masked": [False, True]},
        {"masked": [True, False]},
    ],
    "GroupQueryAttention": [
        {"call": {"return_attention_scores": True}},
        {"masked": [False, True]},
    ],
    "Add": [{"masked": [True, False]}, {"masked": [False, True]}, {"input": "triple", "masked": [True, True, True]}],
    "Subtract": [{"masked": [True, False]}, {"masked": [False, True]}],
    "Multiply": [{"masked": [True, False]}, {"masked": [False, True]}],
    "Average": [{"masked": [True, False]}],
    "Maximum": [{"masked": [True, False]}, {"masked": [False, True]}],
    "Minimum": [{"masked": [True, False]}],
    "Concatenate": [
        {"masked": [True, False]},
        {"masked": [False, True]},
        {"masked": [False, False]},
        {"ctor": {"axis": 1}, "input": "pair_t3"},
        {"ctor": {"axis": 1}, "input": "pair_t3", "masked": [True, False]},
        {"ctor": {"axis": 1}, "input": "pair_t3", "masked": [False, True]},
    ],
    "Dot": [{"masked": [True, False]}],
    "Lambda": [
        {"ctor": {"mask": "@lambda_mask_same"}},
    ],
    "Dense": [{"input": "vec"}],
    "Softmax": [{"input": "mat"}, {"input": "vec"}, {"input": "mat", "ctor": {"axis": 1}}],
    "BatchNormalization": [{"call": {"training": True}}, {"input": "vec"}],
    "GlobalAveragePooling1D": [{"ctor": {"keepdims": True}}],
    "Activation": [{"ctor": {"activation": "softmax"}}],
}
