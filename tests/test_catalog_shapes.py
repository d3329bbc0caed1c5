"""Every catalog shape rule agrees with Keras's own output shapes, and the catalog holds what the passes need.

Keras is the oracle: each layer with a ``shape.rule`` is built on symbolic
inputs and its output shape compared with the rule's.  A rule may know less
than Keras (``None`` for a dimension it does not model), never something else.
"""

from __future__ import annotations

import warnings

import pytest

from graphmask.catalog import load_catalog
from graphmask.catalog.build.probe_plan import PROBE_CTOR, REQUIRED_ARG_VALUES

# The input shapes (batch axis left out) a rule's layers are built on.
_BY_RANK = {2: [(4,)], 3: [(5, 4)], 4: [(6, 6, 4)], 5: [(4, 4, 4, 2)]}
# Layers whose probe needs more than the generic plan; the value is (ctor args, input shapes, int input).
_CASES = {
    "Embedding": ({"input_dim": 10, "output_dim": 3}, [(5,)], True),
    "Bidirectional": ({"layer": ("LSTM", {"units": 3, "return_sequences": True})}, [(5, 4)], False),
    "TimeDistributed": ({"layer": ("Dense", {"units": 3})}, [(5, 4)], False),
    "Reshape": ({"target_shape": [20]}, [(5, 4)], False),
    "RepeatVector": ({"n": 2}, [(4,)], False),
    "MultiHeadAttention": ({"num_heads": 2, "key_dim": 2}, [(5, 4), (6, 4)], False),
    "GroupQueryAttention": ({"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 1}, [(5, 4), (6, 4)],
                            False),
    "Concatenate": ({"axis": 1}, [(5, 4), (3, 4)], False),
    "Dot": ({"axes": 2}, [(5, 4), (6, 4)], False),
}
_SHAPED = sorted(name for name in load_catalog().names()
                 if load_catalog()[name].shape.rule is not None and not load_catalog()[name].abstract)


def _construct(keras, name: str):
    info = load_catalog()[name]
    if name in _CASES or info.canonical in _CASES:
        args, shapes, ints = _CASES.get(name) or _CASES[info.canonical]
    else:
        required = [a for a, arg in info.args.items() if arg.required and not arg.inherited]
        missing = [a for a in required if a not in REQUIRED_ARG_VALUES]
        assert not missing, f"{name}: no probe value for required {missing}"
        args = {a: REQUIRED_ARG_VALUES[a] for a in required}
        args.update(PROBE_CTOR.get(name, {}))
        count = max(info.min_inputs, 2) if info.input_mode == "list" else 1
        shapes, ints = _BY_RANK[info.shape.input_rank or 3] * count, False
    built = {k: (getattr(keras.layers, v[0])(**v[1]) if isinstance(v, tuple) else v) for k, v in args.items()}
    return getattr(keras.layers, name)(**built), args, shapes, ints


@pytest.mark.keras
@pytest.mark.parametrize("name", _SHAPED)
def test_shape_rule_agrees_with_keras(keras, name):
    info = load_catalog()[name]
    layer, args, shapes, ints = _construct(keras, name)
    inner = inner_args = None
    wrapped = args.get(info.mask.wraps) if info.mask.wraps else None
    if wrapped is not None:
        inner = load_catalog()[wrapped[0]]
        inner_args = inner.effective_args(wrapped[1])
    spec = layer.input_spec[0] if isinstance(layer.input_spec, list) else layer.input_spec
    if spec is not None and spec.ndim is not None:  # Keras states the rank it needs
        assert info.shape.required_rank(inner) == spec.ndim, f"{name}: Keras needs rank {spec.ndim}"
    inputs = [keras.Input(shape=s, dtype="int32" if ints else "float32") for s in shapes]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if info.input_mode == "list":
            out = layer(inputs)
        else:
            out = layer(*inputs)
    expected = [tuple(t.shape) for t in (out if isinstance(out, (list, tuple)) else [out])]
    plain = {k: v for k, v in args.items() if not isinstance(v, tuple)}
    ours = info.shape.output_shapes([(None,) + s for s in shapes], info.effective_args(plain), inner, inner_args,
                                    n_outputs=len(expected))
    assert ours is not None, f"{name}: rule {info.shape.rule!r} knows no shape"
    for got, want in zip(ours, expected):
        if got is None:
            continue
        assert len(got) == len(want), (name, got, want)
        assert all(g is None or g == w for g, w in zip(got, want)), (name, got, want)


@pytest.mark.keras
@pytest.mark.parametrize("name", sorted(n for n in load_catalog().names() if load_catalog()[n].shape.input_rank))
def test_required_rank_is_what_keras_requires(keras, name):
    """A rule's ``input_rank`` is enforced by Keras: one rank less fails to build."""
    info = load_catalog()[name]
    layer, _, shapes, ints = _construct(keras, name)
    wrong = shapes[0][1:] if len(shapes[0]) > 1 else shapes[0] + (2,)
    with pytest.raises((ValueError, TypeError, IndexError)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer(keras.Input(shape=wrong, dtype="int32" if ints else "float32"))
    assert info.shape.input_rank == len(shapes[0]) + 1


def test_the_passes_find_their_keras_facts_in_the_catalog():
    """What the rules used to spell as class names is now catalog data."""
    cat = load_catalog()
    assert cat["Masking"].mask.facts["generator"]["compares"] == "feature_vectors"
    assert cat["Embedding"].mask.facts["generator"]["masked_value"] == 0
    assert {n for n in cat.names() if cat[n].cudnn is not None} == {"LSTM", "GRU"}
    assert cat["Bidirectional"].shape.required_rank(cat["LSTM"]) == 3
    assert cat["TimeDistributed"].mask.facts["passes_step_mask_to_inner"]
    assert not cat.is_input_param("initial_state") and not cat.is_input_param("query_mask")
    assert cat.is_input_param("query")


@pytest.mark.keras
def test_bidirectional_without_merge_has_two_sequence_outputs(keras):
    """``merge_mode=None``: the forward and the backward sequence, then the states, as Keras shapes them."""
    info, inner = load_catalog()["Bidirectional"], load_catalog()["SimpleRNN"]
    inner_args = inner.effective_args({"units": 2, "return_sequences": True, "return_state": True})
    layer = keras.layers.Bidirectional(keras.layers.SimpleRNN(2, return_sequences=True, return_state=True),
                                       merge_mode=None)
    expected = [tuple(t.shape) for t in layer(keras.Input(shape=(5, 4)))]
    ours = info.shape.output_shapes([(None, 5, 4)], info.effective_args({"merge_mode": None}), inner, inner_args,
                                    n_outputs=len(expected))
    assert ours == expected
