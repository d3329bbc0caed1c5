"""graphmask.compile / `graphmask compile`: specs become real Keras models."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import graphmask
from graphmask.keras.imports import ImportRefused, import_object, is_allowed
from keras_hand_models import refused_for
from spec_expectations import expected_errors

DATA = Path(__file__).parent / "data"
SPECS = DATA / "specs"
EXAMPLES = Path(__file__).resolve().parent.parent / "specs" / "examples"



@pytest.fixture
def importable(monkeypatch):
    """Test layers (tests/data) and the examples' layers (specs/examples) on sys.path."""
    monkeypatch.syspath_prepend(str(DATA))
    monkeypatch.syspath_prepend(str(EXAMPLES))


def codes(diagnostics):
    return sorted({d.code for d in diagnostics})


# -- the allow-list (no TensorFlow) ------------------------------------------------


def test_allow_list_matches_packages_not_prefixes():
    assert is_allowed("pkg.sub.mod", ["pkg"])
    assert is_allowed("pkg", ["pkg"])
    assert not is_allowed("pkgx.mod", ["pkg"])
    assert not is_allowed("pkg.mod", [])


def test_import_object_refuses_without_importing(monkeypatch):
    monkeypatch.syspath_prepend(str(DATA))
    with pytest.raises(ImportRefused, match="not on the allow-list"):
        import_object("gmtest_untrusted:Anything", ["gmtest_layers"])
    assert "gmtest_untrusted" not in sys.modules
    with pytest.raises(ImportRefused, match="not an import path"):
        import_object("os.system('x')", ["os"])


# -- models -------------------------------------------------------------------------


@pytest.mark.keras
def test_layer_names_are_spec_ids(keras):
    for path in sorted(SPECS.glob("*.yaml")):
        spec = graphmask.load(path)
        model = graphmask.compile(spec)
        own_layers = {layer.id for layer in spec.layers if layer.share is None}
        assert {layer.name for layer in model.layers} == set(spec.inputs) | own_layers, path.name


@pytest.mark.keras
def test_multiple_inputs_named_outputs_and_state_refs(keras):
    model = graphmask.compile(SPECS / "seq2seq_states.yaml")
    batch = {"source": np.array([[3, 4, 0]], "int32"), "target": np.array([[5, 6, 7, 0]], "int32")}
    out = model.predict(batch, verbose=0)
    assert set(out) == {"tokens", "summary"}
    assert out["tokens"].shape == (1, 4, 60) and out["summary"].shape == (1, 2)
    decoder_call = model.get_layer("decoder")._inbound_nodes[0]
    encoder = model.get_layer("encoder")
    states = decoder_call.arguments.kwargs["initial_state"]
    history = [s._keras_history for s in states]
    assert [(h.operation, h.tensor_index) for h in history] == [(encoder, 1), (encoder, 2)]


@pytest.mark.keras
def test_shared_layer_is_one_instance_with_one_weight_set(keras):
    model = graphmask.compile(SPECS / "attention_shared.yaml")
    project = model.get_layer("project")
    assert len(project._inbound_nodes) == 2  # `project` and `project_doc`
    assert "project_doc" not in [layer.name for layer in model.layers]
    assert len(project.weights) == 2 and model.count_params() == sum(
        int(np.prod(w.shape)) for w in {id(w): w for w in model.weights}.values())


@pytest.mark.keras
def test_keyword_inputs_call_kwargs_and_wrapped_layers(keras):
    attention = graphmask.compile(SPECS / "attention_shared.yaml")
    cross_call = attention.get_layer("cross")._inbound_nodes[0]
    assert cross_call.arguments.kwargs["value"]._keras_history.operation is attention.get_layer("project")
    features = graphmask.compile(SPECS / "masked_features.yaml")
    assert features.get_layer("drop")._inbound_nodes[0].arguments.kwargs["training"] is False
    classifier = graphmask.compile(SPECS / "text_classifier.yaml")
    assert classifier.get_layer("encoder").forward_layer.name == "forward_encoder_inner"
    seq2seq = graphmask.compile(SPECS / "seq2seq_states.yaml")
    assert seq2seq.get_layer("logits").layer.name == "logits_inner"


@pytest.mark.keras
def test_refuses_a_spec_with_errors_unless_forced(keras, write_spec, cli):
    from graphmask.keras.errors import CompileError

    bad = write_spec("""
        graphmask: 1
        name: bad
        inputs: {x: {shape: [null], dtype: int32}}
        layers:
          - {id: emb, type: Embedding, args: {input_dim: 10, output_dim: 4, mask_zero: true}}
          - {id: pool, type: GlobalMaxPooling1D}
        outputs: [pool]
    """)
    with pytest.raises(CompileError) as refused:
        graphmask.compile(bad)
    assert codes(refused.value.diagnostics) == ["GM201"]
    code, out, err = cli("compile", bad, "-o", bad.with_suffix(".keras"))
    assert code == 1 and "GM201" in err and not bad.with_suffix(".keras").exists()
    # Keras itself only warns about the dropped mask, so a forced build works
    model = graphmask.compile(bad, force=True)
    assert model.get_layer("pool") is not None
    typo = write_spec(bad.read_text().replace("output_dim", "output_dims"), "typo.yaml")
    with pytest.raises(CompileError, match="GM303.*output_dim"):
        graphmask.compile(typo, force=True)  # Keras cannot build it either: still refused, with the cause


CUSTOM = """
graphmask: 1
name: custom
custom_layers:
  Scale: {{import: "gmtest_layers:ScaleKeepsMask", args: [scale], mask: {{supports_masking: true, output: {scale_output}}}}}
  PlusOne: {{import: "gmtest_layers:PlusOneDropsMask", mask: {{supports_masking: {plus_supports}}}}}
  Split: {{import: "gmtest_layers:SplitInTwo", mask: {{supports_masking: true, output: {split_output}, outputs: 2}}}}
inputs: {{x: {{shape: [null], dtype: int32, pad_value: 0}}}}
layers:
  - {{id: emb, type: Embedding, args: {{input_dim: 10, output_dim: 4, mask_zero: true}}}}
  - {{id: scale, type: Scale, args: {{scale: 3.0}}}}
  - {{id: split, type: Split}}
  - {{id: lstm, type: LSTM, args: {{units: 3}}, inputs: "split[0]"}}
  - {{id: plus, type: PlusOne, inputs: lstm}}
outputs: [plus, "split[1]"]
"""


def custom_spec(write_spec, scale_output="same", plus_supports="false", split_output="same"):
    return write_spec(CUSTOM.format(scale_output=scale_output, plus_supports=plus_supports,
                                    split_output=split_output), "custom.yaml")


@pytest.mark.keras
def test_custom_layers_need_the_allow_list(keras, write_spec, importable):
    from graphmask.keras.errors import CompileError

    path = custom_spec(write_spec)
    with pytest.raises(CompileError) as refused:
        graphmask.compile(path)
    assert codes(refused.value.diagnostics) == ["GM306"]
    assert "--allow-import gmtest_layers" in refused.value.diagnostics[0].message
    model = graphmask.compile(path, allow_imports=["gmtest_layers"])
    assert type(model.get_layer("scale")).__name__ == "ScaleKeepsMask"
    untrusted = write_spec(path.read_text().replace("gmtest_layers:PlusOneDropsMask", "gmtest_untrusted:Layer"),
                           "untrusted.yaml")
    with pytest.raises(CompileError, match="not on the allow-list"):
        graphmask.compile(untrusted, allow_imports=["gmtest_layers"])
    assert "gmtest_untrusted" not in sys.modules


@pytest.mark.keras
@pytest.mark.parametrize("lie, field", [
    ({"plus_supports": "true"}, "supports_masking"),  # the class keeps the default False
    ({"split_output": "none"}, "output"),  # its outputs do carry the mask
    ({"scale_output": "generated"}, "output"),  # it passes the mask through, makes none of its own
])
def test_a_lying_mask_declaration_is_gm305(keras, write_spec, importable, lie, field):
    from graphmask.keras.compile import compile_spec
    from graphmask.keras.errors import CompileError

    path = custom_spec(write_spec, **lie)
    with pytest.raises(CompileError) as refused:
        compile_spec(path, allow_imports=["gmtest_layers"])
    found = refused.value.diagnostics
    assert codes(found) == ["GM305"]
    diagnostic = next(d for d in found if f"`{field}:" in d.message)
    assert field in path.read_text().splitlines()[diagnostic.line - 1]
    forced = compile_spec(path, allow_imports=["gmtest_layers"], force=True)
    assert "GM305" in codes(forced.diagnostics)


@pytest.mark.keras
def test_true_declarations_pass(keras, write_spec, importable):
    from graphmask.keras.compile import compile_spec

    compiled = compile_spec(custom_spec(write_spec), allow_imports=["gmtest_layers"])
    assert "GM305" not in codes(compiled.diagnostics)


@pytest.mark.keras
def test_lambda_functions_come_from_allowed_modules_only(keras, write_spec, importable):
    from graphmask.keras.errors import CompileError

    text = """
        graphmask: 1
        name: lam
        inputs: {x: {shape: [3]}}
        layers:
          - {id: twice, type: Lambda, args: {function: FUNCTION}}
        outputs: [twice]
    """
    model = graphmask.compile(write_spec(text.replace("FUNCTION", "gmtest_layers:double")),
                              allow_imports=["gmtest_layers"])
    np.testing.assert_allclose(model.predict(np.ones((1, 3), "float32"), verbose=0), 2.0)
    with pytest.raises(CompileError, match="never evaluated"):
        graphmask.compile(write_spec(text.replace("FUNCTION", "'lambda x: x'"), "eval.yaml"), force=True)


# Ids equal to the names Keras gives the mask ops it adds to the graph
# (docs/keras-mask-facts.md O6): plain ones, and `<op>_<n>` equal to the name
# the next such op would get in this process.
OP_NAMED = """
graphmask: 1
name: op_named
inputs:
  x: {{shape: [5, 4], dtype: float32}}
  ones_like: {{shape: [5, 4], dtype: float32}}
layers:
  - {{id: not_equal, type: Masking, args: {{mask_value: 0.0}}, inputs: x}}
  - {{id: {any_n}, type: Masking, args: {{mask_value: 0.0}}, inputs: ones_like}}
  - {{id: concatenate, type: Concatenate, inputs: [not_equal, x]}}
  - {{id: {concatenate_n}, type: LSTM, args: {{units: 2, return_sequences: true}}}}
  - {{id: logical_or, type: Add, inputs: [not_equal, {any_n}]}}
  - {{id: any, type: LSTM, args: {{units: 2, return_sequences: true}}}}
  - {{id: convert_to_tensor, type: Attention, inputs: [{concatenate_n}, any]}}
  - {{id: masking, type: GlobalAveragePooling1D}}
outputs: [masking]
"""


def next_automatic_name(keras, prefix: str) -> str:
    """The name Keras gives the next op it names `prefix` (its counter says which number comes next)."""
    return f"{prefix}_{keras.backend.get_uid(prefix)}"


def op_named_spec(keras, write_spec):
    return write_spec(OP_NAMED.format(any_n=next_automatic_name(keras, "any"),
                                      concatenate_n=next_automatic_name(keras, "concatenate")), "op_named.yaml")


@pytest.mark.keras
def test_ids_equal_to_keras_automatic_op_names_compile(keras, write_spec, tmp_path, cli):
    path = op_named_spec(keras, write_spec)
    spec = graphmask.load(path)
    model = graphmask.compile(spec)
    names = [op.name for op in model.operations]
    ids = set(spec.inputs) | {layer.id for layer in spec.layers}
    assert ids <= set(names) and len(set(names)) == len(names)
    # the mask ops really are in the graph, under names that skip the ids
    automatic = {name.rsplit("_", 1)[0] for name in set(names) - ids}
    assert {"not_equal", "any", "concatenate", "logical_or", "convert_to_tensor"} <= automatic
    x = np.ones((2, 5, 4), "float32")
    assert tuple(model({"x": x, "ones_like": x}).shape) == (2, 2)
    target = tmp_path / "op_named.keras"
    code, _, err = cli("compile", path, "-o", target)
    assert code == 0, err
    loaded = [op.name for op in keras.models.load_model(target).operations]
    assert ids <= set(loaded) and len(set(loaded)) == len(loaded) == len(names)


@pytest.mark.keras
def test_a_graph_keras_refuses_to_make_a_model_of_is_gm303_not_a_traceback(keras, write_spec, cli, monkeypatch):
    """Without reserving the ids, Keras refuses the clash; compile and check --deep say so at `outputs:`."""
    import graphmask.keras.build as build
    from graphmask.keras.deep import deep_verify
    from graphmask.keras.errors import CompileError

    monkeypatch.setattr(build, "reserve_names", lambda keras, names: None)
    path = op_named_spec(keras, write_spec)  # each attempt below needs the next names again
    with pytest.raises(CompileError) as refused:
        graphmask.compile(path)
    [found] = refused.value.diagnostics
    assert found.code == "GM303" and "is used 2 times in the model" in found.message
    assert found.line == path.read_text().splitlines().index("outputs: [masking]") + 1
    path = op_named_spec(keras, write_spec)
    code, _, err = cli("compile", path, "-o", path.with_suffix(".keras"))
    assert code == 1 and "GM303" in err and "Traceback" not in err
    assert [d.code for d in deep_verify(graphmask.load(op_named_spec(keras, write_spec)))] == ["GM303"]


# -- the command ----------------------------------------------------------------------


@pytest.mark.keras
def test_compile_command_writes_a_loadable_keras_file(keras, tmp_path, cli):
    target = tmp_path / "model.keras"
    code, out, err = cli("compile", SPECS / "seq2seq_states.yaml", "-o", target)
    assert code == 0, err
    assert "wrote" in out and target.is_file()
    loaded = keras.models.load_model(target)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in graphmask.compile(
        SPECS / "seq2seq_states.yaml").layers]
    code, _, err = cli("compile", SPECS / "seq2seq_states.yaml", "-o", target)
    assert code == 2 and "--overwrite" in err
    code, _, err = cli("compile", SPECS / "text_classifier.yaml", "-o", target, "--overwrite")
    assert code == 0, err
    assert keras.models.load_model(target).name == "text_classifier"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]  # no temp files left


@pytest.mark.keras
def test_compile_command_custom_objects(keras, tmp_path, write_spec, cli, importable):
    import gmtest_layers

    target = tmp_path / "custom.keras"
    code, out, err = cli("compile", custom_spec(write_spec), "-o", target, "--allow-import", "gmtest_layers")
    assert code == 0, err
    assert "custom_objects" in out and "PlusOneDropsMask" in out
    loaded = keras.models.load_model(target, custom_objects={
        "PlusOneDropsMask": gmtest_layers.PlusOneDropsMask, "SplitInTwo": gmtest_layers.SplitInTwo})
    assert type(loaded.get_layer("plus")).__name__ == "PlusOneDropsMask"


# -- every example ----------------------------------------------------------------------


@pytest.mark.keras
@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_compiles_or_is_refused_for_its_errors(keras, importable, path):
    from graphmask.keras.errors import CompileError

    # The example's own `# expect:` lines (what Keras does), not what `check` says, decide.
    static_errors = sorted(expected_errors(path))
    expected = static_errors or refused_for(path)
    if not expected:
        model = graphmask.compile(path, allow_imports=["examples"])
        assert model.outputs
        return
    with pytest.raises(CompileError) as refused:
        graphmask.compile(path, allow_imports=["examples"])
    assert codes(refused.value.diagnostics) == expected
