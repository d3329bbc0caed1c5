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


SEQ2SEQ_CALL_REFS = """\
graphmask: 1
name: seq2seq
inputs:
  source: {shape: [null], dtype: int32, pad_value: 0}
  target: {shape: [null], dtype: int32, pad_value: 0}
layers:
  - {id: src, type: Embedding, args: {input_dim: 50, output_dim: 8, mask_zero: true}, inputs: source}
  - {id: encoder, type: LSTM, args: {units: 8, return_state: true}, inputs: src}
  - {id: tgt, type: Embedding, args: {input_dim: 50, output_dim: 8, mask_zero: true}, inputs: target}
  - id: decoder
    type: LSTM
    args: {units: 8}
    inputs: tgt
    call: {initial_state: ["encoder[1]", "encoder[2]"], training: false}
outputs: [decoder]
"""


def test_refs_in_call_keywords_are_graph_edges():
    from graphmask.graph import build_graph

    g, problems = build_graph(graphmask.loads(SEQ2SEQ_CALL_REFS, "s.yaml"))
    assert problems == []
    decoder = g.nodes["decoder"]
    assert [(b.slot, b.ref) for b in decoder.bindings] == [
        (0, "tgt"), ("initial_state[0]", "encoder[1]"), ("initial_state[1]", "encoder[2]")]
    assert decoder.call_kwargs == {"training": False}
    assert g.graph.has_edge("encoder", "decoder")
    found = check_text(SEQ2SEQ_CALL_REFS, "s.yaml").diagnostics
    assert not [d for d in found if d.code in ("GM104", "GM108", "GM109")], found  # no "unused" encoder
    [gm208] = [d for d in found if d.code == "GM208"]
    assert (gm208.line, gm208.node) == (10, "decoder")


def test_a_ref_in_a_keyword_the_call_does_not_take_is_refused():
    text = SEQ2SEQ_CALL_REFS.replace("initial_state:", "state:")
    [problem] = [d for d in check_text(text, "s.yaml").diagnostics if d.code == "GM109"]
    assert "takes no input `state`" in problem.message and problem.line == 14


@pytest.mark.keras
def test_refs_in_call_keywords_compile_as_tensors(keras):
    model = graphmask.compile(graphmask.loads(SEQ2SEQ_CALL_REFS, "s.yaml"))
    out = model([np.ones((2, 5), int), np.ones((2, 5), int)])
    assert tuple(out.shape) == (2, 8)
