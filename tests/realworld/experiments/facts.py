"""Small experiments behind docs/keras-mask-facts.md section R; each returns what Keras did.

Run ``python -m tests.realworld.experiments.facts`` to print them;
``test_experiments.py`` asserts each observed fact.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

IDS = np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0]], "int32")


def _mask(t: Any) -> Any:
    m = getattr(t, "_keras_mask", None)
    return None if m is None else np.asarray(m).astype(int).tolist()


def nested_model_masks() -> dict[str, Any]:
    """R1 (keras-team/keras#18417): a Functional/Sequential sub-model called symbolically and at run time."""
    import keras
    from keras import layers

    seen: dict[str, Any] = {}

    class Spy(layers.Layer):
        def __init__(self, key, **kwargs):
            super().__init__(**kwargs)
            self.key, self.supports_masking = key, True

        def call(self, x, mask=None):
            seen[self.key] = None if mask is None else np.asarray(mask).astype(int).tolist()
            return x

    inner_in = keras.Input((None, 2))
    functional = keras.Model(inner_in, Spy("functional_inner")(inner_in))
    sequential = keras.Sequential([keras.Input((None, 2)), Spy("sequential_inner")])
    inp = keras.Input((5,), dtype="int32")
    x = layers.Embedding(10, 2, mask_zero=True)(inp)
    out_f, out_s = functional(x), sequential(x)
    outer = keras.Model(inp, [out_f, out_s])
    seen.clear()
    run_f, run_s = outer(IDS)
    embedder = keras.Sequential([keras.Input((5,), dtype="int32"), layers.Embedding(10, 2, mask_zero=True)])
    sym = embedder(keras.Input((5,), dtype="int32"))
    return {
        "functional_symbolic_output_mask": getattr(out_f, "_keras_mask", None) is not None,
        "sequential_symbolic_output_mask": getattr(out_s, "_keras_mask", None) is not None,
        "functional_inner_layer_got_mask_at_run": seen.get("functional_inner"),
        "sequential_inner_layer_got_mask_at_run": seen.get("sequential_inner"),
        "functional_runtime_output_mask": _mask(run_f),
        "sequential_runtime_output_mask": _mask(run_s),
        "mask_generated_inside_sequential_symbolic": getattr(sym, "_keras_mask", None) is not None,
        "mask_generated_inside_sequential_at_run": _mask(embedder(IDS)),
    }


def call_argument_rule() -> dict[str, Any]:
    """R3: which call gets mask= / <arg>_mask when there are several tensor arguments."""
    import keras
    from keras import layers

    received: dict[str, Any] = {}

    class TwoTensors(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, a, b, mask=None, b_mask=None):
            received["custom"] = {"mask": mask is not None, "b_mask": b_mask is not None}
            return a + b

    emb = layers.Embedding(10, 3, mask_zero=True)
    x = emb(IDS)
    h, c = keras.ops.zeros((2, 4)), keras.ops.zeros((2, 4))
    lstm = layers.LSTM(4)
    original = lstm.call

    def spy(*args, **kwargs):
        m = kwargs.get("mask", "absent")
        received["lstm_initial_state_mask"] = m if m is None or isinstance(m, str) else (
            [v is not None for v in m] if isinstance(m, (list, tuple)) else "one mask")
        return original(*args, **kwargs)

    lstm.call = spy
    lstm(x, initial_state=[h, c])
    # does the final state change with padding when initial_state is given?
    longer = emb(np.pad(IDS, ((0, 0), (0, 3))))
    with_state = [np.asarray(lstm(t, initial_state=[h, c])) for t in (x, longer)]
    without = [np.asarray(lstm(t)) for t in (x, longer)]
    mha = layers.MultiHeadAttention(1, 2)
    mha_seen: dict[str, Any] = {}
    original_mha = mha.call

    def mha_spy(*args, **kwargs):
        mha_seen.update({k: kwargs.get(k) is not None for k in ("query_mask", "value_mask", "key_mask")})
        return original_mha(*args, **kwargs)

    mha.call = mha_spy
    mha(emb(IDS), emb(IDS))
    att = layers.Attention()
    att_seen: dict[str, Any] = {}
    original_att = att.call

    def att_spy(*args, **kwargs):
        m = kwargs.get("mask")
        att_seen["mask"] = None if m is None else [v is not None for v in m]
        return original_att(*args, **kwargs)

    att.call = att_spy
    att([emb(IDS), emb(IDS)])
    TwoTensors()(emb(IDS), emb(IDS))
    return {
        "lstm_with_initial_state_call_mask": received["lstm_initial_state_mask"],
        "lstm_with_initial_state_output_changes_with_padding":
            bool(np.abs(with_state[0] - with_state[1]).max() > 1e-6),
        "lstm_without_initial_state_output_changes_with_padding":
            bool(np.abs(without[0] - without[1]).max() > 1e-6),
        "mha_query_value_call_masks": mha_seen,
        "attention_list_call_mask": att_seen["mask"],
        "custom_two_tensor_call": received["custom"],
    }


def concat_and_masking() -> dict[str, Any]:
    """R4: Concatenate(axis=1) of right-padded masks; Masking(0) after Embedding on left-padded ids."""
    import importlib

    from keras import layers

    tf_rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")
    emb = layers.Embedding(10, 3, mask_zero=True)
    joined = layers.Concatenate(axis=1)([emb(IDS[:, :4]), emb(IDS)])
    mask = joined._keras_mask
    left = np.array([[0, 0, 1, 2, 3], [0, 0, 0, 4, 5]], "int32")
    masked = layers.Masking(0.0)(layers.Embedding(10, 3)(left))
    return {
        "concat_axis1_mask": _mask(joined),
        "concat_axis1_right_padded": bool(tf_rnn._is_sequence_right_padded(mask)),
        "embedding_then_masking_left_padded_mask": _mask(masked),
        "embedding_then_masking_right_padded": bool(tf_rnn._is_sequence_right_padded(masked._keras_mask)),
    }


def main() -> None:
    import json

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for experiment in (nested_model_masks, call_argument_rule, concat_and_masking):
            print(experiment.__name__, json.dumps(experiment(), indent=1))


if __name__ == "__main__":
    main()
