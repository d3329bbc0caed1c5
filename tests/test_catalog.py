"""graphmask.catalog: the loader contract, conformance of layers.json with the
installed Keras, and a sample of mask rules checked against real Keras.

The loader tests run without TensorFlow.  The rest use the session ``keras``
fixture (skipped, with the reason, when Keras is not installed).
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

from graphmask.catalog import (
    ArgInfo,
    CATEGORIES,
    Catalog,
    LayerInfo,
    MaskRule,
    OUTPUT_KINDS,
    load_catalog,
)

WARN = "does not support masking and will therefore destroy the mask information"


# ----------------------------------------------------------------- loader
@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def test_load_is_cached_and_complete(cat):
    assert load_catalog() is cat
    assert cat.keras_version.count(".") == 2
    names = cat.names()
    assert names == sorted(names)
    assert len(names) >= 150
    for n in ("LSTM", "Embedding", "Masking", "Add", "Concatenate", "MultiHeadAttention",
              "Bidirectional", "TimeDistributed", "Dense", "AvgPool1D", "GroupQueryAttention"):
        assert n in cat
    assert cat.get("NoSuchLayer") is None
    assert "NoSuchLayer" not in cat


def test_loader_does_not_import_tensorflow():
    code = (
        "import sys; from graphmask.catalog import load_catalog; load_catalog();"
        "bad=[m for m in ('tensorflow','keras','jax','torch') if m in sys.modules];"
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_base_kwargs(cat):
    assert {"name", "dtype", "trainable", "autocast", "activity_regularizer",
            "input_shape", "input_dim"} <= cat.base_kwargs
    assert "batch_input_shape" not in cat.base_kwargs  # Keras 2 only


def test_layer_info_fields(cat):
    lstm = cat.get("LSTM")
    assert isinstance(lstm, LayerInfo)
    assert lstm.category == "rnn" and lstm.alias_of is None
    assert lstm.args["units"] == ArgInfo("units", True, None)
    assert lstm.arg_default("return_sequences") is False
    assert lstm.accepts_var_kwargs
    assert lstm.call_args[0] == "sequences" and "mask" in lstm.call_args
    assert (lstm.min_inputs, lstm.max_inputs) == (1, 1)
    with pytest.raises(KeyError):
        lstm.arg_default("units")  # required

    assert cat.get("AvgPool1D").alias_of == "AveragePooling1D"
    assert cat.get("GroupQueryAttention").alias_of is None  # only public name
    assert cat.get("Dense").min_inputs == 1
    assert (cat.get("Add").min_inputs, cat.get("Add").max_inputs) == (1, None)
    assert (cat.get("Subtract").min_inputs, cat.get("Subtract").max_inputs) == (2, 2)
    assert (cat.get("Dot").min_inputs, cat.get("Dot").max_inputs) == (2, 2)
    assert (cat.get("Attention").min_inputs, cat.get("Attention").max_inputs) == (2, 3)
    mha = cat.get("MultiHeadAttention")
    assert mha.input_mode == "args" and mha.call_args[:3] == ("query", "value", "key")
    assert mha.call_defaults["use_causal_mask"] is False
    # inherited through **kwargs from BaseImagePreprocessingLayer
    flip = cat.get("RandomFlip")
    assert flip.args["bounding_box_format"].inherited
    for info in cat.layers():
        assert info.category in CATEGORIES, info.name
        assert info.mask.output in OUTPUT_KINDS, info.name
        for k in info.mask.output_masks or ():
            assert k in OUTPUT_KINDS
    assert "name" in cat.valid_kwargs("Dense") and "units" in cat.valid_kwargs("Dense")
    # legacy names an __init__ pops from **kwargs are accepted, and flagged
    assert cat.get("Embedding").args["input_length"].via_kwargs
    assert cat.get("LSTM").args["implementation"].default == 2
    assert "input_length" in cat.valid_kwargs("Embedding")


def test_mask_for_rnn(cat):
    lstm = cat.get("LSTM")
    r = lstm.mask_for({"units": 4})
    assert (r.supports_masking, r.consumes, r.output, r.n_outputs) == (True, True, "none", 1)
    r = lstm.mask_for({"units": 4, "return_sequences": True, "return_state": True})
    assert r.output_masks == ("same", "none", "none")
    assert cat.get("GRU").mask_for({"units": 2, "return_state": True}).n_outputs == 2
    # RNN(cell): states from the cell
    r = cat.get("RNN").mask_for({"return_state": True}, inner=cat.get("LSTMCell"))
    assert r.n_outputs == 3


def test_mask_for_wrappers(cat):
    bi = cat.get("Bidirectional")
    lstm = cat.get("LSTM")
    r = bi.mask_for({}, inner_args={"units": 3, "return_sequences": True}, inner=lstm)
    assert r.output_masks == ("same",)
    r = bi.mask_for({"merge_mode": None}, inner_args={"units": 3, "return_sequences": True}, inner=lstm)
    assert r.output_masks == ("same", "same")
    r = bi.mask_for({}, inner_args={"units": 3, "return_state": True}, inner=lstm)
    assert r.n_outputs == 5 and r.output_masks == ("none",) * 5
    r = bi.mask_for({"merge_mode": None},
                    inner_args={"units": 3, "return_sequences": True, "return_state": True},
                    inner=lstm)
    assert r.output_masks == ("same", "same", "none", "none", "none", "none")
    td = cat.get("TimeDistributed")
    assert td.mask_for({}, inner=cat.get("Dense"), inner_args={"units": 2}).output == "same"
    assert td.mask_for({}, inner=cat.get("Dense"), inner_args={"units": 2}).consumes is False
    r = td.mask_for({}, inner=cat.get("Softmax"), inner_args={})
    assert r.consumes and r.mask_constraint == "broadcastable"


def test_mask_for_arg_dependent(cat):
    emb = cat.get("Embedding")
    assert not emb.mask_for({"input_dim": 3, "output_dim": 2}).supports_masking
    r = emb.mask_for({"input_dim": 3, "output_dim": 2, "mask_zero": True})
    assert r.supports_masking and r.output == "generated"
    lam = cat.get("Lambda")
    assert not lam.mask_for({"function": "f"}).supports_masking
    assert lam.mask_for({"function": "f", "mask": "g"}).output == "custom"
    mha = cat.get("MultiHeadAttention")
    r = mha.mask_for({"num_heads": 2, "key_dim": 2}, {"return_attention_scores": True})
    assert r.output_masks == ("query", "attention_scores")
    assert r.symbolic_output_masks == ("query", "none")
    assert mha.mask_for({"num_heads": 2, "key_dim": 2}, {"use_causal_mask": True}).output == "query"
    rev = cat.get("ReversibleEmbedding").mask_for({"input_dim": 3, "output_dim": 2, "mask_zero": True})
    assert rev.output == "generated" and rev.symbolic_output_masks == ("none",)
    assert cat.get("Softmax").mask.mask_constraint == "broadcastable"


def test_supports_masking_table(cat):
    supports = {n for n in cat.names() if cat.get(n).mask_for({}).supports_masking}
    for n in ("Dense", "Dropout", "Activation", "LayerNormalization", "BatchNormalization",
              "Masking", "LSTM", "Add", "Concatenate", "Dot", "Attention", "TimeDistributed",
              "GlobalAveragePooling1D", "Softmax", "Identity", "Rescaling"):
        assert n in supports, n
    for n in ("Conv1D", "Flatten", "Reshape", "GlobalMaxPooling1D", "MaxPooling1D",
              "EinsumDense", "RMSNormalization", "RepeatVector", "Cropping1D",
              "ZeroPadding1D", "UpSampling1D", "Permute", "Embedding", "Lambda"):
        assert n not in supports, n


def test_declarations_of_guide_layers():
    split = MaskRule.from_declaration({"output": "custom", "outputs": 2}).resolve()
    assert split.supports_masking and split.output_masks == ("custom", "custom")
    emb = MaskRule.from_declaration({"output": "generated"}).resolve()
    assert emb.supports_masking and emb.output == "generated"
    act = MaskRule.from_declaration({"supports_masking": True}).resolve()
    assert act.output == "same" and not act.consumes
    soft = MaskRule.from_declaration({"consumes": True}).resolve()
    assert soft.consumes and not soft.supports_masking and soft.output == "none"
    soft2 = MaskRule.from_declaration({"supports_masking": True, "consumes": True, "output": "same"})
    assert soft2.resolve().output == "same"
    plain = MaskRule.from_declaration({}).resolve()
    assert not plain.supports_masking and plain.output == "none"
    off = MaskRule.from_declaration({"supports_masking": False, "output": "generated"}).resolve()
    assert not off.supports_masking and off.warns_on_masked_input
    assert MaskRule.from_declaration({"supports_masking": None, "output": "custom"}).supports_masking
    with pytest.raises(ValueError):
        MaskRule.from_declaration({"output": "concat"})
    with pytest.raises(ValueError):
        MaskRule.from_declaration({"outputs": 0})
    with pytest.raises(ValueError):
        MaskRule.from_declaration({"mask_zero": True})


def test_rule_json_roundtrip(cat):
    for info in cat.layers():
        assert MaskRule.from_json(info.mask.to_json()) == info.mask


# ------------------------------------------------------------ conformance
@pytest.mark.keras
@pytest.mark.slow
def test_layers_json_matches_installed_keras(keras):
    """Regenerate in-process; any difference means layers.json is stale."""
    from graphmask.catalog.build import generate, probe

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = generate.build_catalog()
    assert not probe.MISMATCHES, "\n".join(probe.MISMATCHES)
    new = generate.dumps(data)
    old = generate.DATA_FILE.read_text(encoding="utf-8")
    if data["keras_version"] != json.loads(old)["keras_version"]:
        pytest.skip(
            f"installed Keras {data['keras_version']} != catalog's "
            f"{json.loads(old)['keras_version']}; run python -m graphmask.catalog.build"
        )
    assert new == old, (
        "layers.json is stale; run `python -m graphmask.catalog.build`\n"
        + generate._summary_diff(old, new)[:4000]
    )


# ------------------------------------------------- runtime spot checks
def _masked(keras, x, mask):
    from keras.src import backend

    t = keras.ops.convert_to_tensor(x)
    backend.set_keras_mask(t, keras.ops.convert_to_tensor(np.asarray(mask, bool)))
    return t


def _mask(t):
    m = getattr(t, "_keras_mask", None)
    return None if m is None else np.asarray(m).astype(bool)


def _call(layer, *args, **kwargs):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = layer(*args, **kwargs)
    return out, any(WARN in str(w.message) for w in rec)


SEQ = np.ones((2, 5, 4), "float32")
M1 = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 0]], bool)
M2 = np.array([[1, 0, 0, 0, 0], [1, 1, 0, 0, 1]], bool)


@pytest.mark.keras
def test_masking_rank2_gives_per_sample_mask(keras, cat):
    x = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 2.0]], "float32")
    y, warned = _call(keras.layers.Masking(), x)
    assert not warned
    np.testing.assert_array_equal(_mask(y), [False, True])
    assert cat.get("Masking").mask.output == "generated"


@pytest.mark.keras
def test_merge_masked_and_unmasked(keras, cat):
    a, b = _masked(keras, SEQ, M1), _masked(keras, SEQ, M2)
    y, _ = _call(keras.layers.Add(), [a, b])
    np.testing.assert_array_equal(_mask(y), M1 | M2)  # OR, not AND
    y, _ = _call(keras.layers.Add(), [a, keras.ops.convert_to_tensor(SEQ)])
    assert _mask(y) is None  # one unmasked input => no mask
    assert cat.get("Add").mask.output == "merge_or"


@pytest.mark.keras
def test_concatenate_axes(keras, cat):
    a = _masked(keras, SEQ, M1)
    plain = keras.ops.convert_to_tensor(SEQ)
    y, _ = _call(keras.layers.Concatenate(), [a, plain])  # feature axis
    np.testing.assert_array_equal(_mask(y), np.ones((2, 5), bool))  # all valid, not None
    y, _ = _call(keras.layers.Concatenate(axis=1), [a, plain])  # time axis
    np.testing.assert_array_equal(_mask(y), np.concatenate([M1, np.ones((2, 5), bool)], 1))
    y, _ = _call(keras.layers.Concatenate(), [plain, plain])
    assert _mask(y) is None
    assert cat.get("Concatenate").mask.output == "concat"


@pytest.mark.keras
def test_warning_only_for_first_argument_and_nonsupporting(keras, cat):
    x = _masked(keras, SEQ, M1)
    y, warned = _call(keras.layers.Conv1D(2, 2), x)
    assert warned and _mask(y) is None
    assert cat.get("Conv1D").mask_for({"filters": 2, "kernel_size": 2}).warns_on_masked_input
    y, warned = _call(keras.layers.Embedding(10, 2), _masked(keras, np.ones((2, 5), "int32"), M1))
    assert warned
    y, warned = _call(keras.layers.Dense(3), x)
    assert not warned
    np.testing.assert_array_equal(_mask(y), M1)


@pytest.mark.keras
def test_rnn_and_bidirectional(keras, cat):
    x = _masked(keras, SEQ, M1)
    outs, _ = _call(keras.layers.LSTM(2, return_sequences=True, return_state=True), x)
    assert len(outs) == 3
    np.testing.assert_array_equal(_mask(outs[0]), M1)
    assert _mask(outs[1]) is None and _mask(outs[2]) is None
    outs, _ = _call(
        keras.layers.Bidirectional(keras.layers.LSTM(2, return_sequences=True), merge_mode=None), x
    )
    assert len(outs) == 2
    np.testing.assert_array_equal(_mask(outs[1]), M1)
    y, _ = _call(keras.layers.LSTM(2), x)
    assert _mask(y) is None


@pytest.mark.keras
def test_mha_query_mask_and_causal(keras, cat):
    q, v = _masked(keras, SEQ, M1), _masked(keras, SEQ, M2)
    y, _ = _call(keras.layers.MultiHeadAttention(2, 2), q, v, use_causal_mask=True)
    np.testing.assert_array_equal(_mask(y), M1)
    # direct eager call strips the masks from its inputs
    assert _mask(q) is None and _mask(v) is None
    y, _ = _call(keras.layers.MultiHeadAttention(2, 2), keras.ops.convert_to_tensor(SEQ),
                 _masked(keras, SEQ, M2))
    assert _mask(y) is None  # only the query's mask is propagated


@pytest.mark.keras
def test_softmax_mask_shape_error_only_at_runtime(keras, cat):
    inp = keras.Input((5, 4))
    y = keras.layers.Softmax()(keras.layers.Masking()(inp))  # graph builds
    assert getattr(y, "_keras_mask", None) is not None
    model = keras.Model(inp, y)
    with pytest.raises(ValueError, match="broadcastable"):
        model(SEQ)
    from graphmask.catalog.build.judge import check_constraint

    assert not check_constraint(cat.get("Softmax").mask.mask_constraint, (2, 5, 4), (2, 5))
    assert check_constraint("broadcastable", (2, 5), (2, 5))


@pytest.mark.keras
def test_guide_custom_layers_match_declarations(keras):
    """The four custom layers of the Keras masking guide, ported to keras.ops."""
    ops = keras.ops

    class TemporalSplit(keras.layers.Layer):
        def call(self, inputs):
            return ops.split(inputs, 2, axis=1)

        def compute_mask(self, inputs, mask=None):
            return None if mask is None else ops.split(mask, 2, axis=1)

    class MyActivation(keras.layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.supports_masking = True

        def call(self, inputs):
            return ops.relu(inputs)

    class TemporalSoftmax(keras.layers.Layer):
        def call(self, inputs, mask=None):
            m = ops.expand_dims(ops.cast(mask, "float32"), -1)
            e = ops.exp(inputs) * m
            return e / ops.sum(e * m, axis=-1, keepdims=True)

    x = _masked(keras, np.ones((2, 4, 3), "float32"), [[1, 1, 1, 0], [1, 1, 0, 0]])
    (a, b), warned = _call(TemporalSplit(), x)
    rule = MaskRule.from_declaration({"output": "custom", "outputs": 2}).resolve()
    assert not warned and rule.supports_masking
    assert _mask(a) is not None and _mask(b) is not None and rule.output_masks == ("custom", "custom")

    y, warned = _call(MyActivation(), x)
    assert not warned and _mask(y) is not None
    assert MaskRule.from_declaration({"supports_masking": True}).resolve().output == "same"

    y, warned = _call(TemporalSoftmax(), x)  # consumes, but destroys the mask
    r = MaskRule.from_declaration({"consumes": True}).resolve()
    assert warned == (not r.supports_masking) and _mask(y) is None and r.output == "none"


@pytest.mark.keras
def test_config_defaults_json_is_what_the_installed_keras_writes(keras):
    """catalog/config_defaults.json (the defaults the TensorFlow-free converter drops) regenerated in-process:
    stale after a Keras upgrade or a catalog change until `python -m graphmask.catalog.build.config_defaults`."""
    from graphmask.catalog.build import config_defaults

    fresh = config_defaults.dumps(config_defaults.build())
    assert fresh == config_defaults.DATA_FILE.read_text(encoding="utf-8"), \
        "stale: run python -m graphmask.catalog.build.config_defaults"
