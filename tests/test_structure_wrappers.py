"""What `compile` refuses, `check` reports statically (issue 14 item 8), from catalog facts held to Keras."""

from __future__ import annotations

import warnings

import pytest

from graphmask.catalog import load_catalog
from graphmask.checker import check_text

SPEC = """\
graphmask: 1
name: t
inputs:
  x: {shape: [null, 4]}
layers:
LAYERS
outputs: [out]
"""


def _found(layers: str) -> list:
    return check_text(SPEC.replace("LAYERS", layers), "t.yaml").diagnostics


def test_bidirectional_of_a_bidirectional_is_gm104_at_the_inner_type():
    [d] = [d for d in _found("  - {id: out, type: Bidirectional, args: {layer: {type: Bidirectional, args: "
                             "{layer: {type: LSTM, args: {units: 3}}}}}, inputs: x}") if d.code == "GM104"]
    assert "`Bidirectional` wraps a recurrent layer" in d.message and "has no `go_backwards`" in d.message
    assert (d.line, d.column) == (6, 57)
    assert not [d for d in _found("  - {id: out, type: Bidirectional, args: {layer: {type: GRU, args: {units: 3}}},"
                                  " inputs: x}") if d.code == "GM104"]


def test_code_in_a_lambda_string_is_gm104():
    [d] = [d for d in _found('  - {id: out, type: Lambda, args: {function: "lambda x: x * 2"}, inputs: x}')
           if d.code == "GM104"]
    assert "must name a function as `package.module:function_name`" in d.message and d.line == 6
    assert not [d for d in _found('  - {id: out, type: Lambda, args: {function: "my_pkg.fns:double"}, inputs: x}')
                if d.code == "GM104"]


def test_a_node_sharing_itself_says_so():
    [d] = [d for d in _found("  - {id: out, share: out}") if d.code == "GM105"]
    assert d.message == ("`out` shares itself: `share:` names another node, whose layer instance (and weights) "
                         "this node calls again")


@pytest.mark.keras
@pytest.mark.parametrize("inner", ["Dense", "Bidirectional", "LSTM", "GRU", "SimpleRNN"])
def test_wrapped_needs_is_what_keras_requires(keras, inner):
    """The catalog's `wrapped_needs` for Bidirectional predicts exactly which layers Keras accepts."""
    cat = load_catalog()
    needs = cat["Bidirectional"].wrapped_needs
    predicted = all(a in cat.valid_kwargs(cat[inner]) for a in needs)
    layer = (keras.layers.Bidirectional(keras.layers.LSTM(2)) if inner == "Bidirectional"
             else getattr(keras.layers, inner)(2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            keras.layers.Bidirectional(layer)(keras.Input((5, 4)))
            accepted = True
        except (ValueError, TypeError, AttributeError):
            accepted = False
    assert accepted == predicted
