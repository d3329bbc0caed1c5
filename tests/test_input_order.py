"""The compiled model takes its inputs in the spec's order (issue 14, item 7): Keras sorts
the keys of dict inputs, so `title, body, meta` became `body, meta, title`."""

from __future__ import annotations

import numpy as np
import pytest

import graphmask

SPEC = """\
graphmask: 1
name: order
inputs:
  title: {shape: [4], dtype: int32}
  body: {shape: [6], dtype: int32}
  meta: {shape: [3], dtype: float32}
layers:
  - {id: t, type: Embedding, inputs: title, args: {input_dim: 10, output_dim: 2}}
  - {id: b, type: Embedding, inputs: body, args: {input_dim: 10, output_dim: 2}}
  - {id: tf, type: Flatten, inputs: t}
  - {id: bf, type: Flatten, inputs: b}
  - {id: both, type: Concatenate, inputs: [tf, bf, meta]}
  - {id: out, type: Dense, args: {units: 1}}
outputs: [out]
"""


@pytest.mark.keras
def test_model_inputs_follow_the_spec_and_predict_takes_a_positional_list(keras):
    model = graphmask.compile(graphmask.loads(SPEC))
    assert [t.name for t in model.inputs] == ["title", "body", "meta"]
    rng = np.random.default_rng(0)
    title, body = rng.integers(0, 10, (2, 4)), rng.integers(0, 10, (2, 6))
    meta = rng.normal(size=(2, 3)).astype("float32")
    positional = model.predict([title, body, meta], verbose=0)
    by_name = model.predict({"meta": meta, "body": body, "title": title}, verbose=0)
    np.testing.assert_allclose(positional, by_name, rtol=1e-6)
