"""Issue 3: each mask/shape/GPU code from a real YAML file, and the explain output.

That the inferred masks are what Keras really does is proven separately,
against the runtime, in test_oracle.py.
"""

from __future__ import annotations

import json

import graphmask
from graphmask.checker import check_path

TOKENS = """\
graphmask: 1
name: t
inputs:
  tokens: {shape: [null], dtype: int32, pad_value: 0}
layers:
"""


def codes(path, *wanted):
    return [(d.code, d.line, d.column) for d in check_path(path).diagnostics if not wanted or d.code in wanted]


def test_clean_embedding_lstm(write_spec):
    path = write_spec(TOKENS + """\
  - {id: embed, type: Embedding, args: {input_dim: 50, output_dim: 8, mask_zero: true}}
  - {id: lstm, type: LSTM, args: {units: 4}}
outputs: [lstm]
""")
    assert codes(path) == []


def test_gm201_names_generator_and_path(write_spec):
    path = write_spec(TOKENS + """\
  - {id: embed, type: Embedding, args: {input_dim: 50, output_dim: 8, mask_zero: true}}
  - {id: dense, type: Dense, args: {units: 8}}
  - {id: conv, type: Conv1D, args: {filters: 4, kernel_size: 3}}
  - {id: pool, type: GlobalMaxPooling1D}
outputs: [pool]
""")
    diagnostics = [d for d in check_path(path).diagnostics if d.code == "GM201"]
    assert [(d.line, d.column) for d in diagnostics] == [(8, 10)]
    assert "`embed`" in diagnostics[0].message and "embed -> dense -> conv" in diagnostics[0].message
    assert diagnostics[0].path == ("embed", "dense", "conv")
    # the mask never reached a reader: GM202 on the generator
    assert ("GM202", 6, 10) in codes(path)


def test_gm202_mask_dropped_by_destroyer_without_reading(write_spec):
    path = write_spec(TOKENS + """\
  - {id: embed, type: Embedding, args: {input_dim: 50, output_dim: 8, mask_zero: true}}
  - {id: flat, type: Flatten}
  - {id: out, type: Dense, args: {units: 1}}
outputs: [out]
""")
    assert codes(path, "GM201", "GM202") == [("GM202", 6, 10), ("GM201", 7, 10)]


def test_mask_reaching_an_output_counts_as_read(write_spec):
    path = write_spec(TOKENS + """\
  - {id: embed, type: Embedding, args: {input_dim: 50, output_dim: 8, mask_zero: true}}
  - {id: dense, type: Dense, args: {units: 3}}
outputs: [dense]
""")
    assert codes(path) == []


def test_gm203_masking_after_embedding_on_ids_and_rank2(write_spec):
    path = write_spec("""\
graphmask: 1
name: t
inputs:
  ids: {shape: [7], dtype: int32, pad_value: 0}
  feats: {shape: [6]}
layers:
  - {id: emb, type: Embedding, args: {input_dim: 9, output_dim: 4}, inputs: ids}
  - {id: m1, type: Masking, inputs: emb}
  - {id: m2, type: Masking, inputs: ids}
  - {id: m3, type: Masking, inputs: feats}
  - {id: l1, type: LSTM, args: {units: 2}, inputs: m1}
  - {id: d2, type: Dense, args: {units: 2}, inputs: m2}
  - {id: d3, type: Dense, args: {units: 2}, inputs: m3}
outputs: [l1, d2, d3]
""")
    assert codes(path, "GM203") == [("GM203", 8, 10), ("GM203", 9, 10), ("GM203", 10, 10)]


def test_gm204_mixed_merge(write_spec):
    path = write_spec("""\
graphmask: 1
name: t
inputs:
  ids: {shape: [null], dtype: int32}
  feats: {shape: [null, 8]}
layers:
  - {id: emb, type: Embedding, args: {input_dim: 9, output_dim: 8, mask_zero: true}, inputs: ids}
  - {id: add, type: Add, inputs: [emb, feats]}
  - {id: cat, type: Concatenate, inputs: [emb, feats]}
  - {id: lstm, type: LSTM, args: {units: 2}, inputs: cat}
  - {id: gap, type: GlobalAveragePooling1D, inputs: add}
outputs: [lstm, gap]
""")
    found = [d for d in check_path(path).diagnostics if d.code == "GM204"]
    assert [(d.line, d.column) for d in found] == [(8, 10), (9, 10)]
    assert "drops the mask" in found[0].message
    assert "every timestep valid" in found[1].message


def test_gm205_padded_input_reaches_consumer_unmasked(write_spec):
    path = write_spec(TOKENS + """\
  - {id: embed, type: Embedding, args: {input_dim: 50, output_dim: 8}}
  - {id: lstm, type: LSTM, args: {units: 4}}
outputs: [lstm]
""")
    assert codes(path) == [("GM205", 7, 10)]


def test_gm206_mask_value_differs_from_pad_value(write_spec):
    path = write_spec("""\
graphmask: 1
name: t
inputs:
  x: {shape: [null, 3], pad_value: -1.0}
  ids: {shape: [null], dtype: int32, pad_value: 1}
layers:
  - id: m
    type: Masking
    args: {mask_value: 0.0}
    inputs: x
  - {id: e, type: Embedding, args: {input_dim: 9, output_dim: 3, mask_zero: true}, inputs: ids}
  - {id: l, type: LSTM, args: {units: 2}, inputs: m}
  - {id: g, type: GRU, args: {units: 2}, inputs: e}
outputs: [l, g]
""")
    assert codes(path, "GM206") == [("GM206", 9, 24), ("GM206", 11, 77)]


def test_gm301_lstm_on_rank2(write_spec):
    path = write_spec(TOKENS.replace("int32", "float32") + """\
  - {id: m, type: Masking}
  - {id: lstm, type: LSTM, args: {units: 4}}
outputs: [lstm]
""")
    assert ("GM301", 7, 10) in codes(path)


def test_gm302_merge_shape_conflict(write_spec):
    path = write_spec("""\
graphmask: 1
name: t
inputs:
  a: {shape: [5, 4]}
  b: {shape: [5, 3]}
layers:
  - {id: add, type: Add, inputs: [a, b]}
  - {id: cat, type: Concatenate, args: {axis: 1}, inputs: [a, b]}
  - {id: ok, type: Concatenate, inputs: [a, b]}
outputs: [add, cat, ok]
""")
    assert codes(path, "GM302") == [("GM302", 7, 10), ("GM302", 8, 10)]


def test_gm401_and_gm402(write_spec):
    path = write_spec("""\
graphmask: 1
name: t
inputs:
  ids: {shape: [null], dtype: int32, pad_value: 0, padding: pre}
layers:
  - {id: e, type: Embedding, args: {input_dim: 9, output_dim: 3, mask_zero: true}, inputs: ids}
  - {id: slow, type: LSTM, args: {units: 2, recurrent_dropout: 0.2, return_sequences: true}}
  - {id: fast, type: GRU, args: {units: 2}}
outputs: [fast]
""")
    found = {d.code: d for d in check_path(path).diagnostics}
    assert (found["GM401"].line, found["GM402"].line) == (7, 8)
    assert "recurrent_dropout=0.2" in found["GM401"].message
    assert "GM402" not in {d.code for d in check_path(path).diagnostics if d.node == "slow"}


def test_explain_json_shape(write_spec, cli):
    path = write_spec(TOKENS + """\
  - {id: embed, type: Embedding, args: {input_dim: 50, output_dim: 8, mask_zero: true}}
  - {id: lstm, type: LSTM, args: {units: 4, return_sequences: true, return_state: true}}
  - {id: pool, type: GlobalAveragePooling1D, inputs: "lstm[0]"}
  - {id: h, type: Dense, args: {units: 1}, inputs: "lstm[1]"}
  - {id: out, type: Add, inputs: [pool, h]}
outputs: [out]
""")
    code, out, _ = cli("explain", "--format", "json", path)
    data = json.loads(out)
    assert code == 0 and data["name"] == "t"
    nodes = {n["id"]: n for n in data["nodes"]}
    assert [n["id"] for n in data["nodes"]] == ["tokens", "embed", "lstm", "pool", "h", "out"]
    assert nodes["embed"]["roles"] == ["generator"] and nodes["embed"]["mask_out"] is True
    assert nodes["lstm"]["mask_out"] == [True, False, False]
    assert nodes["lstm"]["roles"] == ["consumer"]
    assert nodes["pool"]["roles"] == ["consumer", "destroyer"]
    assert nodes["h"]["mask_in"] == [False] and nodes["h"]["roles"] == []
    assert nodes["embed"]["mask_axes"] == ["batch, time"]


def test_explain_text_table(write_spec, cli):
    path = write_spec(TOKENS + """\
  - {id: embed, type: Embedding, args: {input_dim: 50, output_dim: 8, mask_zero: true}}
  - {id: drop, type: Dropout, args: {rate: 0.1}}
  - {id: lstm, type: LSTM, args: {units: 4}}
outputs: [lstm]
""")
    code, out, _ = cli("explain", path)
    lines = out.splitlines()
    assert code == 0 and lines[0] == "t"
    drop = next(line for line in lines if line.startswith("drop"))
    assert "propagator" in drop and "embed -> drop" in drop
    assert graphmask.explain(path).nodes["lstm"].roles == ["consumer", "destroyer"]


def test_gm204_says_when_multi_head_attention_cleared_the_mask(write_spec):
    # The transformer residual: the built graph shows a mask on `add`, the running model has none.
    path = write_spec(TOKENS + """\
  - {id: emb, type: Embedding, args: {input_dim: 50, output_dim: 8, mask_zero: true}}
  - {id: att, type: MultiHeadAttention, args: {num_heads: 2, key_dim: 4}, inputs: {query: emb, value: emb}}
  - {id: add, type: Add, inputs: [emb, att]}
  - {id: pool, type: GlobalAveragePooling1D}
outputs: [pool]
""")
    found = {d.code: d for d in check_path(path).diagnostics}
    assert sorted(found) == ["GM204"]
    assert "`emb` loses its mask when the model runs: `att` clears the masks of its inputs" in found["GM204"].message
    # The pooling layer still reads a mask: its call binds the mask Keras recorded when
    # the model was built (docs/keras-mask-facts.md), so no GM205 here.
    flow = graphmask.explain(path)
    assert flow.nodes["add"].mask_out is False and flow.nodes["pool"].mask_in == [True]
