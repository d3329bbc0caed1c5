"""`graphmask import`: existing Keras models become specs; import -> compile round-trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import graphmask

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).resolve().parent.parent / "specs" / "examples"

pytestmark = pytest.mark.keras


def strip_names(value):
    if isinstance(value, dict):
        return {k: strip_names(v) for k, v in value.items() if k not in ("name", "shared_object_id")}
    if isinstance(value, (list, tuple)):
        return [strip_names(v) for v in value]
    return value


def architecture(keras, model):
    """Layer name -> (class, config without names) for every non-input layer."""
    return {layer.name: (type(layer).__name__, strip_names(json.loads(json.dumps(
        keras.saving.serialize_keras_object(layer.get_config()), default=str))))
        for layer in model.layers if type(layer).__name__ != "InputLayer"}


def node_masks(keras, model):
    """(layer, call) -> whether each output tensor of that call carries a Keras mask."""
    from graphmask.keras.masks import get_keras_mask

    return {(layer.name, i): [get_keras_mask(t) is not None for t in node.output_tensors]
            for layer in model.layers if type(layer).__name__ != "InputLayer"
            for i, node in enumerate(layer._inbound_nodes)}


def assert_round_trip(keras, original, spec_path, **compile_args):
    compiled = graphmask.compile(spec_path, **compile_args)
    assert architecture(keras, compiled) == architecture(keras, original)
    assert node_masks(keras, compiled) == node_masks(keras, original)
    assert [tuple(t.shape) for t in compiled.inputs] == [tuple(t.shape) for t in original.inputs]
    return compiled


@pytest.fixture(scope="module")
def functional(keras):
    """Masks, return_state refs, a Bidirectional, a shared layer, keyword inputs, dict outputs."""
    L = keras.layers
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    embedded = L.Embedding(50, 8, mask_zero=True, name="emb")(tokens)
    seq, state_h, _ = L.LSTM(4, return_sequences=True, return_state=True, name="lstm",
                             kernel_initializer="he_normal")(embedded)
    both = L.Bidirectional(L.GRU(2, return_sequences=True), name="bi")(embedded)
    shared = L.Dense(5, name="d")
    added = L.Add(name="add")([shared(seq), shared(both)])
    attended = L.MultiHeadAttention(2, 4, name="mha")(added, value=shared(seq))
    pooled = L.GlobalAveragePooling1D(name="pool")(attended)
    return keras.Model(tokens, {"out": pooled, "seq": added, "state": L.Dense(3, name="hd")(state_h)}, name="m")


def test_functional_model_round_trips(keras, functional, tmp_path, cli):
    saved = tmp_path / "m.keras"
    functional.save(saved)
    spec_path = tmp_path / "m.yaml"
    code, out, err = cli("import", saved, "-o", spec_path)
    assert code == 0, err
    assert "wrote" in out
    spec = graphmask.load(spec_path)
    layers = {layer.id: layer for layer in spec.layers}
    assert layers["d_call2"].share == "d" and layers["d_call3"].share == "d"
    assert layers["hd"].inputs == "lstm[1]" and layers["d"].inputs == "lstm[0]"
    assert layers["mha"].inputs == {"query": "add", "value": "d_call3"}
    assert layers["bi"].args["layer"] == {"type": "GRU", "args": {"units": 2, "return_sequences": True}}
    assert layers["lstm"].args["kernel_initializer"] == "he_normal"
    assert "name" not in layers["emb"].args and "dtype" not in layers["emb"].args  # defaults dropped
    assert spec.outputs == {"out": "pool", "seq": "add", "state": "hd"}
    assert graphmask.check(spec_path) == []
    assert_round_trip(keras, functional, spec_path)


def test_json_config_and_sequential_models(keras, tmp_path, cli):
    L = keras.layers
    sequential = keras.Sequential([keras.Input((None, 3), name="frames"), L.Masking(-1.0, name="masking"),
                                   L.LSTM(4, name="lstm"), L.Dense(2, name="dense")], name="seq")
    config = tmp_path / "seq.json"
    config.write_text(sequential.to_json())
    spec_path = tmp_path / "seq.yaml"
    code, _, err = cli("import", config, "-o", spec_path)
    assert code == 0, err
    spec = graphmask.load(spec_path)
    assert list(spec.inputs) == ["frames"] and [layer.inputs for layer in spec.layers] == [None, None, None]
    assert_round_trip(keras, sequential, spec_path)


def copy_weights(source, target):
    """Weights by layer name, into sub-models too (a compiled spec orders its weights its own way)."""
    for layer in source.layers:
        if layer.weights:
            twin = target.get_layer(layer.name)
            if hasattr(layer, "layers") and layer.layers:
                copy_weights(layer, twin)
            else:
                twin.set_weights(layer.get_weights())


def test_keras_ops_and_nested_models_become_op_and_model_nodes(keras, tmp_path, cli):
    import numpy as np

    L, ops = keras.layers, keras.ops
    x = keras.Input((5, 3), name="x")
    d = L.Dense(3, name="d")(x)
    summed = ops.expand_dims(ops.sum((x + d) * 2 - 1, axis=-1), -1)  # ops with constant operands
    inner_in = keras.Input((5, 3), name="inner_in")
    inner = keras.Model(inner_in, L.Dense(2, name="inner_dense")(inner_in), name="inner")
    seq = keras.Sequential([keras.Input((5, 2)), L.Dense(4, name="s1"), L.Dense(1, name="s2")], name="seq")
    model = keras.Model(x, L.Concatenate(name="cat")([summed, seq(inner(x)), seq(inner(d))]))
    saved, spec_path = tmp_path / "m.keras", tmp_path / "m.yaml"
    model.save(saved)
    code, _, err = cli("import", saved, "-o", spec_path)
    assert code == 0, err
    spec = graphmask.load(spec_path)
    ops_written = {layer.op: dict(layer.args) for layer in spec.layers if layer.op}
    assert ops_written == {"add": {}, "multiply": {"x2": 2}, "subtract": {"x2": 1},
                           "sum": {"axis": -1, "keepdims": False}, "expand_dims": {"axis": -1}}
    assert list(spec.models) == ["inner", "seq"]
    assert [layer.id for layer in spec.models["seq"].layers] == ["s1", "s2"]  # the Sequential's layers, chained
    assert sorted(layer.model for layer in spec.layers if layer.model) == ["inner", "inner", "seq", "seq"]
    compiled = graphmask.compile(spec_path)
    copy_weights(model, compiled)
    batch = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    np.testing.assert_allclose(compiled.predict(batch, verbose=0), model.predict(batch, verbose=0), atol=1e-6)


def test_padding_stated_inside_a_sub_model_is_inferred(keras, tmp_path, cli):
    L = keras.layers
    ids = keras.Input((None,), dtype="int32", name="enc_ids")
    encoder = keras.Model(ids, L.LSTM(3, return_sequences=True)(L.Embedding(9, 4, mask_zero=True)(ids)),
                          name="encoder")
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    config = tmp_path / "nested.json"
    config.write_text(keras.Model(tokens, L.Dense(1)(encoder(tokens))).to_json())
    spec_path = tmp_path / "nested.yaml"
    code, _, err = cli("import", config, "-o", spec_path)
    assert code == 0, err
    assert "inferred: `tokens` is padded with 0" in err and "in model `encoder`, called by `encoder`" in err
    assert graphmask.load(spec_path).inputs["tokens"].pad_value == 0


def test_what_a_spec_cannot_express_is_reported_not_dropped(keras, tmp_path, cli):
    L = keras.layers
    x = keras.Input((3,), name="x")
    model = keras.Model(x, L.Dense(2, name="out")(L.Lambda(lambda t: t * 2, name="twice")(x)))
    config = tmp_path / "lam.json"
    config.write_text(model.to_json())
    code, _, err = cli("import", config, "-o", tmp_path / "lam.yaml")
    assert code == 1
    assert "layer `twice`" in err and "python lambda" in err
    assert not (tmp_path / "lam.yaml").exists()


def test_a_constant_first_operand_round_trips(keras, tmp_path, cli):
    """`1 - x`: the constant goes under `args: {x1: 1}`, the tensor under `inputs: {x2: x}`."""
    import numpy as np

    x = keras.Input((3,), name="x")
    model = keras.Model(x, 1 - x)
    config = tmp_path / "minus.json"
    config.write_text(model.to_json())
    code, _, err = cli("import", config, "-o", tmp_path / "minus.yaml")
    assert code == 0, err
    spec = graphmask.load(tmp_path / "minus.yaml")
    [node] = spec.layers
    assert node.op == "subtract" and node.args == {"x1": 1} and node.inputs == {"x2": "x"}
    batch = np.array([[0.5, 2.0, -1.0]], "float32")
    assert np.allclose(np.asarray(graphmask.compile(spec)(batch)), 1 - batch)


@pytest.mark.parametrize("config, problem", [
    ({"class_name": "Functional", "config": {"layers": [{"class_name": "Dense"}]}}, "KeyError: 'name'"),
    ({"class_name": "Functional", "config": {"layers": "abc"}}, "TypeError"),
    ({"class_name": "Functional", "config": {"layers": [
        {"name": "x", "class_name": "InputLayer", "config": {"batch_shape": [None, 3]}}],
        "output_layers": [["y", 0, 0]]}}, "KeyError: ('y', 0)"),
    ({"class_name": "Sequential", "config": {"layers": [5]}}, "AttributeError"),
])
def test_a_config_keras_did_not_write_is_a_usage_error(keras, tmp_path, cli, config, problem):
    """Hand-edited or truncated configs get a message naming the file, not a GM000 traceback."""
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(config))
    code, _, err = cli("import", path, "-o", tmp_path / "odd.yaml")
    assert code == 2 and "Traceback" not in err
    assert f"{path}: the {config['class_name']} config is not in the form Keras writes it" in err and problem in err
    assert not (tmp_path / "odd.yaml").exists()


def test_json_nested_past_the_recursion_limit_is_a_usage_error(tmp_path, cli):
    model = tmp_path / "deep.json"
    model.write_text("[" * 100_000 + "]" * 100_000)
    code, _, err = cli("import", model, "-o", tmp_path / "deep.yaml")
    assert code == 2 and "nested more than 200 levels deep" in err and "Traceback" not in err


def test_output_problems_are_found_before_keras_loads(tmp_path, cli):
    model = tmp_path / "model.json"
    model.write_text("{}")  # never read: the output is refused first
    code, _, err = cli("import", model, "-o", tmp_path / "no" / "such" / "spec.yaml")
    assert code == 2 and f"no such directory: {tmp_path / 'no' / 'such'}" in err
    existing = tmp_path / "spec.yaml"
    existing.write_text("keep me")
    code, _, err = cli("import", model, "-o", existing)
    assert code == 2 and "--overwrite" in err and existing.read_text() == "keep me"


def test_custom_layers_are_declared_for_review(keras, tmp_path, cli, monkeypatch):
    monkeypatch.syspath_prepend(str(DATA))
    import gmtest_layers

    L = keras.layers
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    scaled = gmtest_layers.ScaleKeepsMask(3.0, name="scale")(L.Embedding(9, 4, mask_zero=True, name="emb")(tokens))
    model = keras.Model(tokens, L.LSTM(2, name="lstm")(scaled))
    config = tmp_path / "custom.json"
    config.write_text(model.to_json())
    spec_path = tmp_path / "custom.yaml"
    code, _, err = cli("import", config, "-o", spec_path)
    assert code == 0, err
    assert "custom_layers.ScaleKeepsMask.mask" in err  # the mask behaviour must be reviewed
    spec = graphmask.load(spec_path)
    assert spec.custom_layers["ScaleKeepsMask"].import_ == "gmtest_layers:ScaleKeepsMask"
    assert spec.layers[1].args == {"scale": 3.0}
    # the default declaration (no masking) is wrong for this class, and compile says so
    from graphmask.keras.compile import compile_spec

    compiled = compile_spec(spec_path, allow_imports=["gmtest_layers"], force=True)
    assert "GM305" in {d.code for d in compiled.diagnostics}
    assert architecture(keras, compiled.model) == architecture(keras, model)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_round_trips(keras, tmp_path, monkeypatch, path):
    from graphmask.convert.load import convert_file
    from graphmask.spec.writer import to_yaml
    from keras_hand_models import refused_for

    if refused_for(path):  # the example's own expectations decide, not compile's answer
        pytest.skip(f"the example expects {refused_for(path)}: there is no model to import (test_compile checks why)")
    monkeypatch.syspath_prepend(str(EXAMPLES))
    original = graphmask.compile(path, allow_imports=["examples"])
    saved = tmp_path / "example.keras"
    original.save(saved)
    result = convert_file(saved)
    assert result.problems == []
    spec_path = tmp_path / "imported.yaml"
    spec_path.write_text(to_yaml(result.spec))
    # imported custom layers get a placeholder mask declaration (GM305 until reviewed): force
    assert_round_trip(keras, original, spec_path, allow_imports=["examples"], force=True)


def test_import_never_runs_the_models_code(keras, tmp_path, cli, monkeypatch):
    import sys

    monkeypatch.syspath_prepend(str(DATA))
    x = keras.Input((3,), name="x")
    data = json.loads(keras.Model(x, keras.layers.Dense(2, name="d")(x)).to_json())
    layer = data["config"]["layers"][1]
    layer.update(module="gmtest_untrusted", class_name="Evil", registered_name="Evil")
    config = tmp_path / "evil.json"
    config.write_text(json.dumps(data))
    code, _, err = cli("import", config, "-o", tmp_path / "evil.yaml")
    assert code == 0, err
    assert graphmask.load(tmp_path / "evil.yaml").custom_layers["Evil"].import_ == "gmtest_untrusted:Evil"
    assert "gmtest_untrusted" not in sys.modules
