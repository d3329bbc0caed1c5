"""`graphmask check --deep`: Keras builds each spec; its masks are held against the static inference."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import graphmask

DATA = Path(__file__).parent / "data"
SPECS = DATA / "specs"

pytestmark = pytest.mark.keras

DECLARED = """
graphmask: 1
name: declared
custom_layers:
  Scale: {import: "gmtest_layers:ScaleKeepsMask", args: [scale], mask: {supports_masking: SUPPORTS}}
inputs: {x: {shape: [null], dtype: int32, pad_value: 0}}
layers:
  - {id: emb, type: Embedding, args: {input_dim: 10, output_dim: 4, mask_zero: true}}
  - {id: scale, type: Scale, args: {scale: 2.0}, ignore: [GM201]}
  - {id: lstm, type: LSTM, args: {units: 3}}
outputs: [lstm]
"""

# The transformer residual: MultiHeadAttention clears the masks of the tensors
# it is given, so when the model runs `add` merges an unmasked `emb` with the
# attention output and has no mask -- though the symbolic graph gives it one.
RESIDUAL = """
graphmask: 1
name: residual
inputs: {x: {shape: [null], dtype: int32, pad_value: 0}}
layers:
  - {id: emb, type: Embedding, args: {input_dim: 10, output_dim: 4, mask_zero: true}}
  - {id: att, type: MultiHeadAttention, args: {num_heads: 2, key_dim: 2}, inputs: {query: emb, value: emb}}
  - {id: add, type: Add, inputs: [emb, att]}
outputs: [add]
"""


def test_static_inference_agrees_with_keras_on_the_test_specs(keras):
    from graphmask.keras.deep import deep_verify

    for path in sorted(SPECS.glob("*.yaml")):
        assert deep_verify(graphmask.load(path)) == [], path.name



def test_residual_attention_is_judged_on_the_running_model(keras, write_spec):
    """No GM304: --deep sees what model(batch) does (shared tensors, Keras's order), not one copy per consumer."""
    from graphmask.keras.compile import compile as compile_model
    from graphmask.keras.deep import deep_verify
    from graphmask.keras.masks import get_keras_mask

    path = write_spec(RESIDUAL)
    assert deep_verify(graphmask.load(path)) == []
    # what a real run gives: the residual's output carries no mask
    batch = keras.ops.convert_to_tensor([[1, 2, 3, 0], [4, 5, 0, 0]])
    assert get_keras_mask(compile_model(path)(batch)) is None


def test_a_static_result_that_differs_from_the_run_is_still_gm304(keras, write_spec, monkeypatch):
    """Hand --deep the symbolic view (a mask on `add`) as the static result: the run disagrees at `add`."""
    import graphmask.analysis.masks as masks
    from graphmask.keras.deep import deep_verify

    real = masks.infer_masks

    def symbolic_view(g):
        flow = real(g)
        assert flow.symbolic is not None, "the residual's symbolic and running masks differ"
        return dataclasses.replace(flow, nodes=flow.symbolic)

    monkeypatch.setattr(masks, "infer_masks", symbolic_view)
    found = deep_verify(graphmask.load(write_spec(RESIDUAL)))
    assert [(d.code, d.node) for d in found] == [("GM304", "add")]
    assert "graphmask infers a mask on its output" in found[0].message
    assert "the output carries no mask" in found[0].message


def test_keras_build_errors_are_gm303_at_the_node(keras, write_spec):
    from graphmask.keras.deep import deep_verify

    path = write_spec("""
        graphmask: 1
        name: ranks
        inputs: {x: {shape: [5], dtype: float32}}
        layers:
          - {id: lstm, type: LSTM, args: {units: 2}}
          - {id: out, type: Dense, args: {units: 1}}
        outputs: [out]
    """)
    [found] = deep_verify(graphmask.load(path))
    assert found.code == "GM303" and found.node == "lstm" and "expected ndim=3" in found.message
    assert found.line == 5  # the `lstm` layer's line; `out` depends on it and is skipped


def test_a_disagreement_is_gm304(keras, write_spec, monkeypatch):
    """The declaration says the layer drops the mask; Keras passes it on: the static view is wrong."""
    from graphmask.keras.deep import deep_verify

    monkeypatch.syspath_prepend(str(DATA))
    path = write_spec(DECLARED.replace("SUPPORTS", "false"))
    found = deep_verify(graphmask.load(path), allow_imports=["gmtest_layers"])
    assert [(d.code, d.node) for d in found] == [("GM304", "scale")]
    assert "graphmask infers no mask on its output" in found[0].message
    truthful = write_spec(DECLARED.replace("SUPPORTS", "true").replace(", ignore: [GM201]", ""), "true.yaml")
    assert deep_verify(graphmask.load(truthful), allow_imports=["gmtest_layers"]) == []


def test_check_deep_command(keras, write_spec, cli):
    code, out, _ = cli("check", "--deep", "--no-config", SPECS)
    assert code == 0 and "GM30" not in out
    custom = write_spec(DECLARED.replace("SUPPORTS", "true").replace(", ignore: [GM201]", ""))
    code, out, _ = cli("check", "--deep", "--no-config", custom)
    # check never imports the spec's code: the custom layer is skipped with a note, not an error
    assert code == 0 and "GM306" in out and "--deep skipped `scale`" in out
