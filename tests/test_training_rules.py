"""The training rules (GM5xx): messages, and GM501/GM503 held to real Keras.

The fixtures ``tests/data/rules/GM5xx/*.yaml`` run with every other code's in
tests/test_rule_fixtures.py.  The Keras tests compute the loss the way ``fit`` does
(``model.compile`` + ``evaluate``) on a batch and on the same batch with more
padding: with the mask honoured the two losses are equal, without it they differ.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from graphmask.checker import check_path
from graphmask.spec import load_file

RULES_DATA = Path(__file__).resolve().parent / "data" / "rules"
# Each fixture's `# expect:` lines are checked exactly, with the other codes', by tests/test_rule_fixtures.py.


def test_gm501_names_the_output_and_the_layer_where_the_mask_is_lost():
    (d,) = [d for d in check_path(RULES_DATA / "GM501" / "fail_runtime.yaml").diagnostics if d.code == "GM501"]
    assert "output `tags`" in d.message and "lost at `res` (Add)" in d.message and "built graph" in d.message
    assert d.node == "tags" and "mask survive `res`" in d.hint


def test_gm501_is_silent_for_a_loss_per_sample():
    """A pooled (batch, classes) output has no timesteps for padding to count in."""
    text = (RULES_DATA / "GM501" / "fail.yaml").read_text(encoding="utf-8")
    text = text.replace("- id: tags\n", "- {id: pool, type: GlobalAveragePooling1D}\n  - id: tags\n")
    path = RULES_DATA / "GM501" / "fail.yaml"
    from graphmask.checker import check_text

    assert not [d for d in check_text(text, str(path)).diagnostics if d.code == "GM501"]


# ------------------------------------------------------------------ real Keras
def _padded_batch(spec, extra: int, rng):
    """Token ids (1..) with trailing pad 0, labels per step; `extra` more pad steps appended."""
    lengths = np.array([3, 5, 2, 6])
    steps = 6 + extra
    x = np.zeros((4, steps), dtype="int32")
    y = np.zeros((4, steps), dtype="int32")
    for i, n in enumerate(lengths):
        x[i, :n] = rng.integers(1, 50, size=n)
        y[i, :n] = rng.integers(0, 5, size=n)
    return x, y


def _loss_with_and_without_padding(keras, path: Path) -> tuple[float, float]:
    from graphmask.keras.compile import compile_spec
    from graphmask.keras.train import compile_for_training

    spec = load_file(path).spec
    keras.utils.set_random_seed(0)
    model = compile_spec(spec, force=True).model
    compile_for_training(model, spec)
    rng = np.random.default_rng(0)
    x, y = _padded_batch(spec, 0, rng)
    xp = np.pad(x, ((0, 0), (0, 4)))
    yp = np.pad(y, ((0, 0), (0, 4)), constant_values=3)  # labels under padding: anything
    short = model.evaluate(x, y, batch_size=4, verbose=0)
    longer = model.evaluate(xp, yp, batch_size=4, verbose=0)
    return float(np.ravel(short)[0]), float(np.ravel(longer)[0])


@pytest.mark.keras
@pytest.mark.parametrize("name", ["fail", "fail_runtime"])
def test_keras_counts_padding_in_the_loss_where_gm501_says_so(keras, name):
    short, longer = _loss_with_and_without_padding(keras, RULES_DATA / "GM501" / f"{name}.yaml")
    assert abs(short - longer) > 1e-3, (short, longer)


@pytest.mark.keras
def test_keras_ignores_padding_in_the_loss_of_the_passing_spec(keras):
    short, longer = _loss_with_and_without_padding(keras, RULES_DATA / "GM501" / "pass.yaml")
    assert short == pytest.approx(longer, abs=1e-5)


@pytest.mark.keras
def test_keras_sparse_crossentropy_on_one_unit_learns_nothing(keras):
    """GM503's claim: with 1 unit the softmax/probability is the only class, loss 0 whatever the output."""
    loss = keras.losses.SparseCategoricalCrossentropy()
    y_pred = np.array([[0.1], [0.9], [0.5]], dtype="float32")
    assert float(loss(np.zeros(3), y_pred)) == pytest.approx(0.0, abs=1e-6)
