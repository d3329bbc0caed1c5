"""Built graph vs running model (issue 14 item 9): every place masks are shown shows both, and says which.

After a residual around MultiHeadAttention, `res` has a mask in the built
graph but none when the model runs; `pool` still gets one (Keras bound it into
its call when the model was built), the loss on `tags` does not.  The keras
test checks each of those claims on the real model.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import graphmask
from graphmask.checker import check_text
from keras_probes import record_mask_arguments

RESIDUAL = """\
graphmask: 1
name: residual
inputs:
  tokens: {shape: [null], dtype: int32, pad_value: 0}
layers:
  - {id: embed, type: Embedding, args: {input_dim: 100, output_dim: 8, mask_zero: true}, inputs: tokens}
  - {id: attn, type: MultiHeadAttention, args: {num_heads: 2, key_dim: 4}, inputs: {query: embed, value: embed}}
  - {id: res, type: Add, inputs: [embed, attn]}
  - {id: pool, type: GlobalAveragePooling1D, inputs: res}
  - {id: tags, type: Dense, args: {units: 3}, inputs: res}
outputs: [pool, tags]
"""


@pytest.fixture
def residual(write_spec):
    return write_spec(RESIDUAL)


def test_explain_has_a_column_per_view(cli, residual):
    code, out, _ = cli("explain", str(residual))
    header, _, *rows = out.splitlines()[1:]
    assert header.split()[:7] == ["id", "type", "mask", "in", "mask", "out", "built"]
    row = {line.split()[0]: line.split() for line in rows}
    assert row["res"][2:6] == ["-,yes", "-", "yes", "-"]  # in (run), out (run), out (built), call mask
    assert row["pool"][2:6] == ["yes", "-", "-", "yes"]


def test_explain_json_has_both_views(cli, residual):
    _, out, _ = cli("explain", str(residual), "--format", "json")
    nodes = {n["id"]: n for n in json.loads(out)["nodes"]}
    assert nodes["res"]["mask_out"] is False and nodes["res"]["mask_out_built"] is True
    assert nodes["pool"]["call_gets_mask"] is True and nodes["tags"]["call_gets_mask"] is False


def test_the_picture_draws_built_only_masks_differently_and_says_so(cli, residual):
    _, mermaid, _ = cli("graph", str(residual), "--format", "mermaid")
    assert "stroke-width:1.5px" in mermaid  # res -> pool, res -> tags: built graph only
    _, html, _ = cli("graph", str(residual), "--format", "html")
    assert "a mask in the built graph only (lost when the model runs)" in html
    assert "a mask in the built graph, none when the model runs" in html  # the edge's tooltip


def test_gm204_says_what_still_gets_the_mask_and_what_does_not():
    [d] = [d for d in check_text(RESIDUAL, "r.yaml").diagnostics if d.code == "GM204"]
    assert "`pool` still gets the mask Keras bound into its call when the model was built" in d.message
    assert "the loss on output `tags` gets none" in d.message


@pytest.mark.keras
def test_what_the_views_claim_is_what_keras_does(keras):
    from keras.src import backend

    model = graphmask.compile(graphmask.loads(RESIDUAL, "r.yaml"))
    pool = model.get_layer("pool")
    received = record_mask_arguments(pool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outputs = model(np.array([[3, 4, 5, 0, 0]]))
    assert received and received[-1] is not None, "pool still gets a mask when the model runs"
    assert backend.get_keras_mask(outputs[1]) is None, "the tags output (what the loss reads) has none"
    res_built = model.get_layer("res").output
    assert getattr(res_built, "_keras_mask", None) is not None, "the built graph has a mask on res"
