"""Hand-curated Keras layer facts that cannot be read off the classes.

Tensor-input counts (``INPUTS``), mask rules (``CURATED``) and run-time facts
(``RUNTIME_FACTS``).  Plain data, no Keras import here.  Everything that *can*
be inferred from Keras itself (supports_masking of an instance, compute_mask
overridden, ``mask`` in the call signature, experiments) is inferred by the
generator; the rules here cover what depends on constructor/call args or on
the inputs' structure.  Every curated rule is cross-checked by experiments
(``probe_plan.py`` says which) in ``judge.py`` and in ``tests/test_catalog.py``.

Findings are documented in ``docs/keras-mask-facts.md``.
"""

from __future__ import annotations

# --------------------------------------------------------------------------
# Positional tensor inputs: name -> (min_inputs, max_inputs, input_mode)
#   input_mode "single": one tensor; "list": one positional list of tensors;
#   "args": separate tensor arguments (query, value, key=None).
# Verified by probe.verify_input_counts (calling with the min/max and min-1/max+1 counts).
INPUTS: dict[str, tuple[int, int | None, str]] = {
    "Add": (1, None, "list"),
    "Average": (1, None, "list"),
    "Maximum": (1, None, "list"),
    "Minimum": (1, None, "list"),
    "Multiply": (1, None, "list"),
    "Concatenate": (1, None, "list"),
    "Subtract": (2, 2, "list"),
    "Dot": (2, 2, "list"),
    "Attention": (2, 3, "list"),
    "AdditiveAttention": (2, 3, "list"),
    "MultiHeadAttention": (2, 3, "args"),
    "GroupQueryAttention": (2, 3, "args"),
    "HashedCrossing": (2, 2, "list"),
}

# --------------------------------------------------------------------------
# Curated mask rules: merged over what the generator infers.  Keys are MaskRule
# JSON fields (see graphmask/catalog/mask.py).
def _rnn(n_states: int) -> dict:
    return {
        "supports_masking": True,
        "consumes": True,
        "output": "none",
        "n_states": n_states,
        "overrides": [
            {"when": {"return_sequences": True}, "output": "same"},
            {"when": {"return_state": True}, "n_outputs": 1 + n_states},
        ],
        "source": "curated",
        "notes": (
            "RNN.compute_mask: output mask = input mask if return_sequences "
            f"else None; with return_state a list [output_mask] + [None]*{n_states}."
        ),
    }


# Attention and AdditiveAttention: the query's mask; return_attention_scores adds the scores output.
_DOT_ATTENTION = {
    "supports_masking": True,
    "consumes": True,
    "output": "query",
    "overrides": [
        {"when_call": {"return_attention_scores": True}, "n_outputs": 2}
    ],
    "source": "curated",
    "notes": "compute_mask returns mask[0] (the query mask).",
}
# MultiHeadAttention and GroupQueryAttention: the scores output carries the combined
# attention mask when the model runs, but none on the symbolic tensor.
_MULTI_HEAD_ATTENTION = {
    "supports_masking": True,
    "consumes": True,
    "output": "query",
    "overrides": [
        {
            "when_call": {"return_attention_scores": True},
            "n_outputs": 2,
            "output_masks": ["query", "attention_scores"],
            "symbolic_output_masks": ["query", "none"],
        }
    ],
    "source": "curated",
}


# How a mask generator computes its mask (facts.generator): what it compares
# (token ids, or whole feature vectors along the last axis) and which value it
# masks -- a constant, or a constructor argument -- with the argument that
# switches it on (where a diagnostic about the value points).
_GENERATES_FROM_IDS = {"rule": "inputs != 0", "compares": "ids", "masked_value": 0, "arg": "mask_zero"}
_GENERATES_FROM_VECTORS = {"rule": "any(inputs != mask_value, axis=-1)", "compares": "feature_vectors",
                           "masked_value_arg": "mask_value", "arg": "mask_value"}

CURATED: dict[str, dict] = {
    "Embedding": {
        "supports_masking": False,
        "output": "none",
        "overrides": [
            {"when": {"mask_zero": True}, "supports_masking": True, "output": "generated"}
        ],
        "facts": {"generator": _GENERATES_FROM_IDS},
        "source": "curated",
        "notes": (
            "supports_masking = mask_zero.  With mask_zero=False an incoming mask "
            "(e.g. from a previous layer) triggers the 'destroy the mask' warning.  "
            "With mask_zero=True the output mask is inputs != 0 and any incoming "
            "mask is ignored."
        ),
    },
    "ReversibleEmbedding": {
        "supports_masking": False,
        "output": "none",
        "overrides": [
            {
                "when": {"mask_zero": True},
                "supports_masking": True,
                "output": "generated",
                "symbolic_output_masks": ["none"],
            },
            {
                "when_call": {"reverse": True},
                "output": "none",
            },
        ],
        "facts": {"generator": _GENERATES_FROM_IDS},
        "source": "curated",
        "notes": (
            "Subclass of Embedding; compute_mask returns None but call() sets "
            "mask = inputs != 0 itself when mask_zero=True (reverse=False).  So the "
            "mask exists when the model runs but NOT on the symbolic KerasTensor."
        ),
    },
    "Masking": {
        "supports_masking": True,
        "output": "generated",
        "facts": {"generator": _GENERATES_FROM_VECTORS},
        "source": "curated",
        "notes": (
            "mask = any(inputs != mask_value, axis=-1): drops the last axis, so "
            "a rank-2 (batch, features) input gives a per-sample mask of shape "
            "(batch,).  Incoming mask ignored (replaced)."
        ),
    },
    "LSTM": _rnn(2),
    "GRU": _rnn(1),
    "SimpleRNN": _rnn(1),
    "RNN": {
        "supports_masking": True,
        "consumes": True,
        "output": "none",
        "wraps": "cell",
        "n_states": 0,
        "overrides": [
            {"when": {"return_sequences": True}, "output": "same"},
            {"when": {"return_state": True}, "n_states_from_inner": 1},
        ],
        "source": "curated",
        "notes": "Like LSTM/GRU; with return_state the number of state outputs is "
        "the cell's (LSTMCell: 2, GRUCell/SimpleRNNCell: 1, StackedRNNCells: sum).",
    },
    "ConvLSTM1D": _rnn(2),
    "ConvLSTM2D": _rnn(2),
    "ConvLSTM3D": _rnn(2),
    "Bidirectional": {
        "supports_masking": True,
        "consumes": True,
        "output": "none",
        "wraps": "layer",
        "overrides": [
            {"when": {"layer.return_sequences": True}, "output": "same"},
            {
                "when": {"merge_mode": False},
                "n_outputs": 2,
                "output_masks": ["none", "none"],
            },
            {
                "when": {"merge_mode": False, "layer.return_sequences": True},
                "output_masks": ["same", "same"],
            },
            {"when": {"layer.return_state": True}, "n_states_from_inner": 2},
        ],
        "source": "curated",
        # the constructor args that hold a layer it runs on the sequence and its mask: the forward
        # `layer`, and `backward_layer` (when not given, a copy of `layer` with go_backwards flipped)
        "facts": {"wrapped_args": ["layer", "backward_layer"]},
        "notes": (
            "Output mask follows the wrapped layer's return_sequences; "
            "merge_mode=None returns [forward, backward] (2 outputs, same mask "
            "on each).  return_state adds 2*n_states state outputs without masks."
        ),
    },
    "TimeDistributed": {
        "supports_masking": True,
        "consumes": False,
        "output": "same",
        "wraps": "layer",
        "source": "curated",
        "notes": (
            "No compute_mask override: the output mask is the incoming mask "
            "whatever the inner layer is.  The per-step mask is passed to the "
            "inner layer's call() if it has a `mask` parameter."
        ),
        # so whether it consumes, and the mask constraint, are the wrapped layer's
        "facts": {"passes_step_mask_to_inner": True},
    },
    "Attention": _DOT_ATTENTION,
    "AdditiveAttention": _DOT_ATTENTION,
    "MultiHeadAttention": {
        **_MULTI_HEAD_ATTENTION,
        "notes": (
            "Reads the masks of query/value/key, removes them from those "
            "tensors (eager), and sets the query mask on the output."
        ),
    },
    "GroupQueryAttention": {
        **_MULTI_HEAD_ATTENTION,
        "notes": (
            "Like MultiHeadAttention, but it does not strip the masks from its "
            "inputs, so its internal EinsumDense projections (no masking support) "
            "emit the 'destroy the mask' warning for masked query/value/key."
        ),
    },
    "Add": {"supports_masking": True, "output": "merge_or", "source": "curated"},
    "Subtract": {"supports_masking": True, "output": "merge_or", "source": "curated"},
    "Average": {"supports_masking": True, "output": "merge_or", "source": "curated"},
    "Maximum": {
        "supports_masking": True,
        "consumes": True,
        "output": "merge_or",
        "source": "curated",
    },
    "Minimum": {
        "supports_masking": True,
        "consumes": True,
        "output": "merge_or",
        "source": "curated",
    },
    "Multiply": {
        "supports_masking": True,
        "consumes": True,
        "output": "merge_or",
        "source": "curated",
    },
    "Concatenate": {"supports_masking": True, "output": "concat", "source": "curated"},
    "Dot": {"supports_masking": True, "output": "none", "source": "curated"},
    "GlobalAveragePooling1D": {
        "supports_masking": True,
        "consumes": True,
        "output": "none",
        "source": "curated",
    },
    "Softmax": {
        "supports_masking": True,
        "consumes": True,
        "output": "same",
        "mask_constraint": "broadcastable",
        "source": "curated",
        "notes": (
            "call(inputs, mask) adds -1e9 where mask is False; the mask must be "
            "broadcastable to inputs (right-aligned), so the usual (batch, time) "
            "mask on a (batch, time, features) tensor raises ValueError when the "
            "model runs (the graph builds fine)."
        ),
    },
    "BatchNormalization": {
        "supports_masking": True,
        "consumes": True,
        "consumes_untested": True,
        "output": "same",
        "mask_constraint": "rank_minus_one",
        "source": "curated",
        "notes": (
            "Uses the mask for the batch moments in training only; raises if the "
            "mask rank is not input rank - 1."
        ),
    },
    "SpectralNormalization": {
        "supports_masking": False,
        "output": "inner",
        "symbolic_output_masks": ["none"],
        "wraps": "layer",
        "source": "curated",
        "notes": (
            "supports_masking is False (warns), yet when the model runs the "
            "wrapped layer's own mask survives on the output."
        ),
    },
    "Lambda": {
        "supports_masking": False,
        "output": "none",
        "overrides": [
            {"when": {"mask": {"not": None}}, "supports_masking": True, "output": "custom"}
        ],
        "source": "curated",
        "notes": (
            "supports_masking = (mask is not None).  Without `mask=` an incoming "
            "mask is dropped with the warning.  The function receives the mask "
            "only if it has a `mask` parameter."
        ),
    },
}

# --------------------------------------------------------------------------
# Run-time facts, merged into a layer's ``facts`` (curated or inferred rule).
# Found by the differential oracle (tests/test_oracle.py); see
# docs/keras-mask-facts.md, "Found by the differential oracle".
#   clears_input_masks: call parameters whose tensors' Keras masks the call
#       removes when the model runs (MultiHeadAttention.call does
#       set_keras_mask(query/value/key, None)); later readers of those tensor
#       objects see no mask.
#   returns_input: the call returns its input tensor object itself (True, or
#       a condition on the constructor args) -- at inference; the dropout and
#       noise layers return a new tensor when training.  A mask removed from
#       one is removed from the other.
#   mask_ops: how many Keras ops compute_mask applies to build the symbolic
#       mask (Embedding: not_equal; Masking: not_equal + any; Attention:
#       convert_to_tensor).  They become nodes of the functional graph when a
#       later layer takes the mask as a call argument, and so shift Keras'
#       execution order (graphmask/analysis/keras_schedule.py).
#   causal_when: the constructor args (a condition, as for returns_input) under
#       which the layer's only output is a sequence whose step t depends on
#       steps <= t: then padding at the end of the sequence cannot change its
#       valid steps, and a mask it is not handed (GM208) changes only the
#       padded steps, which the output's mask hides (tests/test_causal_rnn.py).
_RETURNS_INPUT = {"returns_input": True}
_CAUSAL = {"causal_when": {"go_backwards": False, "return_sequences": True, "return_state": False}}
RUNTIME_FACTS: dict[str, dict] = {
    "MultiHeadAttention": {"clears_input_masks": ["query", "value", "key"]},
    "Attention": {"mask_ops": 1},
    "AdditiveAttention": {"mask_ops": 1},
    "Embedding": {"mask_ops": 1},
    "Masking": {"mask_ops": 2},
    "Activation": {"returns_input": {"activation": {"in": ["linear", None]}}},
    "Identity": _RETURNS_INPUT,
    "ActivityRegularization": _RETURNS_INPUT,
    "Dropout": _RETURNS_INPUT,
    "SpatialDropout1D": _RETURNS_INPUT,
    "SpatialDropout2D": _RETURNS_INPUT,
    "SpatialDropout3D": _RETURNS_INPUT,
    "GaussianNoise": _RETURNS_INPUT,
    "GaussianDropout": _RETURNS_INPUT,
    "AlphaDropout": _RETURNS_INPUT,
    "LSTM": _CAUSAL,
    "GRU": _CAUSAL,
    "SimpleRNN": _CAUSAL,
}

# --------------------------------------------------------------------------
# Output shapes: the rule (graphmask/catalog/shapes.py's vocabulary) each class's
# compute_output_shape follows, by Keras class name, then by category.  Checked
# against Keras's own compute_output_shape by tests/test_catalog.py.
SHAPES: dict[str, str] = {
    "Embedding": "embedding", "Dense": "dense",
    "LSTM": "rnn", "GRU": "rnn", "SimpleRNN": "rnn",
    "Bidirectional": "bidirectional", "TimeDistributed": "time_distributed",
    "Conv1D": "conv1d", "SeparableConv1D": "conv1d", "DepthwiseConv1D": "conv1d", "Conv1DTranspose": "conv1d",
    "Conv2D": "conv2d", "SeparableConv2D": "conv2d", "DepthwiseConv2D": "conv2d", "Conv2DTranspose": "conv2d",
    "Conv3D": "conv3d", "Conv3DTranspose": "conv3d",
    "MaxPooling1D": "pool1d", "AveragePooling1D": "pool1d",
    "MaxPooling2D": "pool2d", "AveragePooling2D": "pool2d",
    "MaxPooling3D": "pool3d", "AveragePooling3D": "pool3d",
    "GlobalAveragePooling1D": "global_pool1d", "GlobalMaxPooling1D": "global_pool1d",
    "GlobalAveragePooling2D": "global_pool2d", "GlobalMaxPooling2D": "global_pool2d",
    "GlobalAveragePooling3D": "global_pool3d", "GlobalMaxPooling3D": "global_pool3d",
    "Flatten": "flatten", "Reshape": "reshape", "RepeatVector": "repeat_vector",
    "Add": "elementwise", "Subtract": "elementwise", "Multiply": "elementwise",
    "Average": "elementwise", "Maximum": "elementwise", "Minimum": "elementwise",
    "Concatenate": "concatenate", "Dot": "dot",
    "Attention": "attention", "AdditiveAttention": "attention",
    "MultiHeadAttention": "mha", "GroupQueryAttention": "mha",
    "Masking": "same", "Dropout": "same", "SpatialDropout1D": "same", "GaussianNoise": "same",
    "GaussianDropout": "same", "AlphaDropout": "same", "ActivityRegularization": "same",
    "LayerNormalization": "same", "BatchNormalization": "same", "UnitNormalization": "same",
    "RMSNormalization": "same", "GroupNormalization": "same",
    "Activation": "same", "ReLU": "same", "LeakyReLU": "same", "ELU": "same", "PReLU": "same",
    "Softmax": "same", "Identity": "same",
}
SHAPES_BY_CATEGORY: dict[str, str] = {"activation": "same", "regularization": "same"}

# The rank (batch axis included) a shape rule requires of the first input: Keras
# raises at build time otherwise (an RNN needs (batch, time, features)).
INPUT_RANK: dict[str, int] = {
    "rnn": 3, "conv1d": 3, "pool1d": 3, "global_pool1d": 3,
    "conv2d": 4, "pool2d": 4, "global_pool2d": 4,
    "conv3d": 5, "pool3d": 5, "global_pool3d": 5,
    "repeat_vector": 2,
}
# Classes whose rank is their own, not their rule's (a `same` rule of any rank).
INPUT_RANK_BY_CLASS: dict[str, int] = {"SpatialDropout1D": 3, "SpatialDropout2D": 4, "SpatialDropout3D": 5}
# Wrappers whose wrapped layer's input rank applies to their own input.
RANK_FROM_INNER: frozenset[str] = frozenset({"Bidirectional"})

# --------------------------------------------------------------------------
# cuDNN: the argument tests of LSTM/GRU.inner_loop and backend.tensorflow.rnn's
# cudnn_ok, as Keras 3.15 writes them (graphmask/catalog/cudnn.py's vocabulary).
# tests/test_gpu.py holds them to Keras's own code path on every variant.
_CUDNN_COMMON = [
    {"arg": "activation", "test": "in", "allowed": ["tanh"], "default": "tanh",
     "why": "cuDNN implements only tanh"},
    {"arg": "recurrent_activation", "test": "in", "allowed": ["sigmoid"], "default": "sigmoid",
     "why": "cuDNN implements only sigmoid gates"},
    {"arg": "recurrent_dropout", "test": "falsy", "default": 0.0,
     "why": "recurrent dropout is not in the fused kernel"},
    {"arg": "unroll", "test": "falsy", "default": False,
     "why": "an unrolled RNN is a Python loop, not the fused kernel"},
    {"arg": "use_bias", "test": "truthy", "default": True, "why": "the fused kernel always has a bias"},
    {"arg": "use_cudnn", "test": "in", "allowed": ["auto", True], "default": "auto",
     "why": "cuDNN is switched off explicitly"},
]
_CUDNN_RUNTIME = [
    "a GPU is visible to TensorFlow",
    "the mask, if any, is strictly right-padded (True...True False...False) with no fully masked sample",
]
CUDNN: dict[str, dict] = {
    "LSTM": {"args": _CUDNN_COMMON, "runtime_conditions": _CUDNN_RUNTIME},
    "GRU": {"args": _CUDNN_COMMON + [{"arg": "reset_after", "test": "truthy", "default": True,
                                      "why": "cuDNN's GRU applies the reset gate after"}],
            "runtime_conditions": _CUDNN_RUNTIME},
}

# --------------------------------------------------------------------------
# Call parameters that are not the layer's tensor inputs (they do not count
# towards min_inputs/max_inputs): masks, flags, and auxiliary tensors such as
# an RNN's initial state.  Besides these, every `<arg>_mask` parameter.
AUXILIARY_CALL_ARGS: tuple[str, ...] = (
    "mask", "training", "initial_state", "constants", "return_attention_scores",
    "use_causal_mask", "attention_mask",
)

# --------------------------------------------------------------------------
# Constructor arguments that name Python callables (Lambda's function): a spec
# writes them as `package.module:name`, imported only via --allow-import;
# code in strings is never evaluated.  (The first is required.)
CALLABLE_ARGS: dict[str, list[str]] = {"Lambda": ["function", "mask", "output_shape"]}

# What a wrapper's wrapped layer must be: the constructor arguments it needs.
# Bidirectional re-creates its layer with go_backwards=True and reads
# stateful/return_sequences/return_state off it (keras/src/layers/rnn/bidirectional.py).
WRAPPED_NEEDS: dict[str, list[str]] = {"Bidirectional": ["go_backwards", "return_sequences", "return_state",
                                                         "stateful"]}
