"""GM207 (ops drop masks) and GM208 (the call-argument rule), held to real Keras by behaviour.

Each rule's bad example is compiled and run on padded batches, then again
with three more padding steps appended: where graphmask reports the mask
lost, the outputs at the valid steps change; in the fixed (good) example,
where every consumer gets its mask, they do not.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import graphmask
from graphmask.checker import check_text
from graphmask.diagnostics import RULES


def _padding_effect(model) -> float:
    rng = np.random.RandomState(0)
    base = [np.concatenate([rng.randint(1, 40, (2, 4)), np.zeros((2, 2), int)], 1) for _ in model.inputs]
    more = [np.concatenate([b, np.zeros((2, 3), int)], 1) for b in base]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        before, after = model(base), model(more)
    before, after = np.asarray(before), np.asarray(after)
    if before.ndim == 3:  # a sequence output: compare the valid steps only
        before, after = before[:, :4], after[:, :4]
    return float(np.abs(before - after).max())


@pytest.mark.keras
@pytest.mark.parametrize("code", ["GM207", "GM208"])
def test_what_the_rule_reports_is_what_keras_does(keras, code):
    rule = RULES[code]
    bad = graphmask.loads(rule.bad_example, f"{code}-bad.yaml")
    good = graphmask.loads(rule.good_example, f"{code}-good.yaml")
    assert code in {d.code for d in check_text(rule.bad_example, "bad.yaml").diagnostics}
    assert code not in {d.code for d in check_text(rule.good_example, "good.yaml").diagnostics}
    assert _padding_effect(graphmask.compile(bad)) > 1e-4, "the reported mask loss must show in the outputs"
    assert _padding_effect(graphmask.compile(good)) < 1e-6, "with the fix, padding must change nothing"


@pytest.mark.keras
def test_an_op_node_compiles_to_the_keras_op(keras):
    spec = graphmask.loads(RULES["GM207"].bad_example, "ops.yaml")
    config = graphmask.compile(spec).get_config()
    recorded = [(layer["class_name"], layer.get("module")) for layer in config["layers"]]
    assert ("Add", "keras.src.ops.numpy") in recorded, recorded  # what `x + y` records, not the Add layer
    assert ("Add", "keras.layers") not in recorded
