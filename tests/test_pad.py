"""Declared padding beyond one number at the end: pad vectors (one-hot inputs) and `padding: gaps`."""

from __future__ import annotations

import numpy as np
import pytest

import graphmask
from graphmask.convert.padding import PadError, parse_pad
from graphmask.graph import build_graph
from graphmask.keras.inputs import demo_batch

SPEC = """graphmask: 1
name: m
inputs:
  x: {{shape: [null, 3], pad_value: {pad}, padding: {side}}}
layers:
  - {{id: rnn, type: LSTM, args: {{units: 2}}, inputs: x}}
outputs: [rnn]
"""


@pytest.mark.parametrize("text, expected", [
    ("tokens=0", ("tokens", (0, "post"))),
    ("tokens=-1.5:pre", ("tokens", (-1.5, "pre"))),
    ("chars=1,0,0:post", ("chars", ([1, 0, 0], "post"))),
    ("readings=0.0:gaps", ("readings", (0.0, "gaps"))),
])
def test_parse_pad_reads_numbers_vectors_and_sides(text, expected):
    assert parse_pad(text) == expected


@pytest.mark.parametrize("text, says", [
    ("tokens", "expected INPUT=VALUE"),
    ("tokens=0:middle", "post|pre|gaps"),
    ("chars=1,x,0", "comma-separated numbers"),
])
def test_parse_pad_refuses_what_it_cannot_read(text, says):
    with pytest.raises(PadError, match=says):
        parse_pad(text)


def test_a_pad_vector_must_give_one_value_per_feature():
    with pytest.raises(graphmask.SpecError) as caught:
        graphmask.loads(SPEC.format(pad="[1, 0]", side="post"), "m.yaml")
    assert "one value per feature: 2 values, but the input's last axis is 3" in str(caught.value)
    assert "m.yaml:4:" in str(caught.value)


def test_a_pad_vector_marks_the_input_padded():
    codes = [d.code for d in graphmask.check(graphmask.loads(SPEC.format(pad="[1, 0, 0]", side="post"), "m.yaml"))]
    assert "GM205" in codes  # the LSTM reads masks, and the padded input reaches it with none


def _runs(row: np.ndarray) -> str:
    """A row of padded flags as a string of runs: ``vp`` (valid then padded), ``pv``, ``vpvp``..."""
    return "".join(("p" if flag else "v") for i, flag in enumerate(row) if i == 0 or flag != row[i - 1])


@pytest.mark.parametrize("side, shapes", [("post", {"vp"}), ("pre", {"pv"}), ("gaps", None)])
def test_demo_batches_put_the_padding_where_the_spec_says(side, shapes):
    spec = graphmask.loads(SPEC.format(pad="[9, 9, 9]", side=side), "m.yaml")
    batch = demo_batch(build_graph(spec)[0], samples=32, seed=1)["x"]
    padded = np.all(batch == 9, axis=-1)  # (samples, steps)
    assert not padded[0].any()  # sample 0 is full length
    found = {_runs(row) for row in padded if row.any()}
    if shapes is not None:
        assert found == shapes
    else:  # gaps: some sample has a padded step between valid ones
        assert any("vpv" in runs for runs in found), found
