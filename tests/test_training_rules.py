"""The training rules (GM5xx): fixtures per code, and GM501/GM503 held to real Keras.

Each ``tests/data/rules/GM5xx/*.yaml`` promises, in ``# expect:`` lines as in
specs/examples/, exactly which of its own code's diagnostics it gets (other
codes a fixture also triggers, e.g. GM204 next to GM501, are other rules'
business).  The Keras tests compute the loss the way ``fit`` does
(``model.compile`` + ``evaluate``) on a batch and on the same batch with more
padding: with the mask honoured the two losses are equal, without it they differ.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from graphmask.checker import check_path
from graphmask.spec import load_file

RULES_DATA = Path(__file__).resolve().parent / "data" / "rules"
FIXTURES = sorted(p for p in RULES_DATA.glob("GM5*/*.yaml"))
_EXPECT = re.compile(r"^# expect: (?:(?P<nothing>nothing)|(?P<code>GM\d{3}) line (?P<line>\d+))\s*$")


def _expected(path: Path) -> set[tuple[str, int]]:
    found = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.startswith("#"):
            break
        match = _EXPECT.match(raw)
        if match and match["code"]:
            found.add((match["code"], int(match["line"])))
    return found


def test_every_training_code_has_a_failing_and_a_passing_fixture():
    codes = {p.parent.name for p in FIXTURES}
    assert codes == {"GM501", "GM502", "GM503", "GM504", "GM505"}
    for code in codes:
        names = {p.stem for p in (RULES_DATA / code).glob("*.yaml")}
        assert "pass" in names and any(n.startswith("fail") for n in names), code


@pytest.mark.parametrize("path", FIXTURES, ids=[f"{p.parent.name}-{p.stem}" for p in FIXTURES])
def test_fixture_reports_exactly_what_it_promises(path: Path):
    code = path.parent.name
    actual = {(d.code, d.line) for d in check_path(path).diagnostics if d.code == code}
    assert actual == _expected(path)
    assert bool(actual) == path.stem.startswith("fail")


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
