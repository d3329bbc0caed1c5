"""The Python API on live Keras models: ``check``/``explain`` on functional, Sequential and nested models and on a
model loaded from disk, ``graphmask.testing.assert_masks_ok`` and the ``graphmask.keras.MaskCheck`` callback.

Each model is built by real Keras; where a finding is claimed (GM201: a Conv1D handed a mask it cannot take),
the model is the one ``tests/test_saved_models.py`` checks as a file, so both routes must agree.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import graphmask

pytestmark = pytest.mark.keras


def conv_after_mask(keras):
    """GM201: Embedding(mask_zero=True) -> Conv1D, which does not support masking."""
    L = keras.layers
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    conv = L.Conv1D(4, 2, name="conv")(L.Embedding(50, 8, mask_zero=True, name="embed")(tokens))
    return keras.Model(tokens, L.Dense(1, name="out")(L.GlobalMaxPooling1D(name="pool")(conv)), name="conv_model")


def masked_lstm(keras):
    """No findings: the mask an Embedding makes reaches the LSTM, which reads it."""
    L = keras.layers
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    state = L.LSTM(4, name="lstm")(L.Embedding(50, 8, mask_zero=True, name="embed")(tokens))
    return keras.Model(tokens, L.Dense(1, name="out")(state), name="clean")


def codes_at(diagnostics) -> set[tuple[str, str | None]]:
    return {(str(d.code), d.node) for d in diagnostics}


def test_a_functional_model_is_checked_and_explained(keras):
    model = conv_after_mask(keras)
    found = graphmask.check(model)
    assert ("GM201", "conv") in codes_at(found)
    assert all(d.file == "<keras model conv_model>" for d in found)
    flow = graphmask.explain(model)
    assert flow.nodes["embed"].mask_out is True and "unsupported" in flow.nodes["conv"].roles


def test_a_clean_functional_model_has_no_errors(keras):
    model = masked_lstm(keras)
    assert [d for d in graphmask.check(model) if d.severity.value == "error"] == []
    assert "consumer" in graphmask.explain(model).nodes["lstm"].roles


def test_a_sequential_model(keras):
    L = keras.layers
    model = keras.Sequential([keras.Input((None, 3), name="frames"), L.Masking(0.0, name="masking"),
                              L.Conv1D(2, 2, name="conv"), L.GlobalAveragePooling1D(name="pool")], name="seq")
    assert ("GM201", "conv") in codes_at(graphmask.check(model))
    flow = graphmask.explain(model)
    assert list(flow.nodes)[:3] == ["frames", "masking", "conv"]
    assert flow.nodes["masking"].roles == ["generator"]


def test_a_nested_model_is_checked_through_its_sub_model(keras):
    L = keras.layers
    inner_in = keras.Input((None, 8), name="x")
    encoder = keras.Model(inner_in, L.Conv1D(4, 2, name="conv")(L.Dense(8, name="proj")(inner_in)), name="encoder")
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    embedded = L.Embedding(50, 8, mask_zero=True, name="embed")(tokens)
    model = keras.Model(tokens, L.GlobalMaxPooling1D(name="pool")(encoder(embedded)), name="outer")
    # Keras itself: the Conv1D inside the sub-model is handed the mask when the model runs, and warns
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model(np.array([[3, 4, 0, 0]]))
    assert any("'conv'" in str(w.message) and "does not support masking" in str(w.message) for w in caught)
    flow = graphmask.explain(model)
    assert "unsupported" in flow.nodes["encoder/conv"].roles
    assert ("GM201", "encoder/conv") in codes_at(graphmask.check(model))


def test_a_model_loaded_from_disk_is_checked_like_its_file(keras, tmp_path):
    path = tmp_path / "conv.keras"
    conv_after_mask(keras).save(path)
    loaded = keras.models.load_model(path)
    from_live = codes_at(graphmask.check(loaded))
    assert ("GM201", "conv") in from_live
    assert from_live == codes_at(graphmask.check(path))


@pytest.mark.parametrize("value", [{"inputs": {}}, 42, None, object()])
def test_anything_else_is_a_type_error_naming_what_is_accepted(value):
    for function in (graphmask.check, graphmask.explain):
        with pytest.raises(TypeError, match=r"takes a Spec \(graphmask.load\), a path .*or a keras.Model"):
            function(value)


def test_assert_masks_ok(keras):
    from graphmask.testing import assert_masks_ok

    assert_masks_ok(masked_lstm(keras))
    bad = conv_after_mask(keras)
    with pytest.raises(AssertionError, match=r"graphmask found \d+ mask problem\(s\):\n.*GM201") as raised:
        assert_masks_ok(bad)
    assert "`conv`" in str(raised.value)
    remaining = [d for d in graphmask.check(bad, ignore="GM201") if d.severity.value in ("warning", "error")]
    if remaining:  # ignoring GM201 removes it from the message, whatever else stays
        with pytest.raises(AssertionError) as raised:
            assert_masks_ok(bad, ignore="GM201")
        assert "GM201" not in str(raised.value)
    else:
        assert_masks_ok(bad, ignore="GM201")


def fit_once(model, callback):
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.array([[3, 4, 0, 0], [5, 0, 0, 0]]), np.zeros((2, 1)), epochs=1, verbose=0, callbacks=[callback])


def test_mask_check_raises_before_training(keras):
    from graphmask.keras import MaskCheck

    model = conv_after_mask(keras)
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(AssertionError, match="graphmask.keras.MaskCheck: .*GM201"):
        fit_once(model, MaskCheck("raise"))
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))  # no step was taken


def test_mask_check_warns_and_training_goes_on(keras):
    from graphmask.keras import MaskCheck
    from graphmask.keras.callback import MaskProblem

    check = MaskCheck()
    with pytest.warns(MaskProblem, match="GM201"):
        fit_once(conv_after_mask(keras), check)
    assert "GM201" in {str(d.code) for d in check.diagnostics}


def test_mask_check_is_quiet_on_a_clean_model(keras):
    from graphmask.keras import MaskCheck
    from graphmask.keras.callback import MaskProblem

    check = MaskCheck("raise", errors_only=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit_once(masked_lstm(keras), check)
    assert check.diagnostics == [] and not [w for w in caught if issubclass(w.category, MaskProblem)]
    with pytest.raises(ValueError, match="on_problem must be 'warn' or 'raise'"):
        MaskCheck("ignore")
