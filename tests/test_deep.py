"""`graphmask check --deep`: Keras builds each spec; its masks are held against the static inference."""

from __future__ import annotations

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


def test_static_inference_agrees_with_keras_on_the_test_specs(keras):
    from graphmask.keras.deep import deep_verify

    for path in sorted(SPECS.glob("*.yaml")):
        assert deep_verify(graphmask.load(path)) == [], path.name


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
