"""Issue 2: every structural code, triggered from a real YAML file, at the right line and column."""

from __future__ import annotations

import json

import pytest

import graphmask
from graphmask.checker import check_path

HEADER = """\
graphmask: 1
name: t
inputs:
  tokens: {shape: [null], dtype: int32, pad_value: 0}
layers:
"""


def findings(path, code=None):
    diagnostics = check_path(path).diagnostics
    return [(d.code, d.line, d.column) for d in diagnostics if code is None or d.code == code]


def test_valid_spec_has_no_findings(write_spec):
    path = write_spec(HEADER + """\
  - id: embed
    type: Embedding
    args: {input_dim: 100, output_dim: 8, mask_zero: true}
  - id: lstm
    type: LSTM
    args: {units: 4}
outputs: [lstm]
""")
    assert check_path(path).diagnostics == []


def test_a_repeated_configuration_is_checked_at_every_node(write_spec):
    """Clean layer configurations are remembered (a big spec repeats a few): one that is not clean is
    reported wherever it is, and the same arguments with another input count are checked again."""
    path = write_spec(HEADER + """\
  - {id: a, type: Dense, args: {units: 4}, inputs: tokens}
  - {id: b, type: Dense, args: {units: 4}, inputs: a}
  - {id: c, type: Dense, args: {units: 4}, inputs: [a, b]}
  - {id: d, type: Dense, args: {unit: 4}, inputs: c}
  - {id: e, type: Dense, args: {unit: 4}, inputs: d}
outputs: [e]
""")
    for _ in range(2):  # the second check finds the clean ones remembered
        assert findings(path) == [("GM109", 8, 52), ("GM104", 9, 32), ("GM104", 9, 33), ("GM104", 10, 32),
                                  ("GM104", 10, 33)]


def test_gm101_yaml_syntax_error_has_parser_position(write_spec):
    path = write_spec(HEADER + "  - id: x\n    type: [Dense\n")
    (code, line, column), = findings(path)
    assert code == "GM101" and line == 8 and column >= 1


def test_gm101_python_tag_is_refused(write_spec):
    path = write_spec(HEADER + "  - !!python/object/apply:os.system [echo hi]\noutputs: [x]\n")
    assert findings(path) == [("GM101", 6, 5)]


@pytest.mark.parametrize("value", ["!!bool maybe", "!!int twelve", "!!float x"])
def test_gm101_an_explicit_tag_on_a_value_it_cannot_read(write_spec, value):
    path = write_spec(f"graphmask: {value}\nname: t\n")
    assert findings(path) == [("GM101", 1, 12)]


def test_gm101_duplicate_key(write_spec):
    path = write_spec(HEADER + "  - id: a\n    type: Dense\n    type: LSTM\noutputs: [a]\n")
    assert findings(path) == [("GM101", 8, 5)]


@pytest.mark.parametrize("text, position, fragment", [
    ("graphmask: 2\nname: t\ninputs: {x: {shape: [3]}}\nlayers: [{id: d, type: Dense, args: {units: 1}}]\noutputs: [d]\n",
     (1, 12), "format version 2"),
    ("graphmask: 1\nname: t\ninputs: {x: {shape: [3]}}\nlayers: [{id: d, type: Dense, args: {units: 1}}]\n"
     "outputs: [d]\nlayer: []\n", (6, 1), "unknown field `layer` (did you mean `layers`?)"),
    ("graphmask: 1\nname: t\ninputs: {x: {shape: [3]}}\nlayers:\n  - id: 1d\n    type: Dense\noutputs: [d]\n",
     (5, 9), "not a valid id"),
    ("graphmask: 1\nname: t\ninputs: {x: {shape: [3]}}\nlayers:\n  - id: d\n    typ: Dense\noutputs: [d]\n",
     (6, 5), "did you mean `type`?"),
    ("graphmask: 1\ninputs: {x: {shape: [3]}}\nlayers: [{id: d, type: Dense, args: {units: 1}}]\noutputs: [d]\n",
     (1, 1), "missing required field `name`"),
])
def test_gm102_schema_violations(write_spec, text, position, fragment):
    path = write_spec(text)
    diagnostics = [d for d in check_path(path).diagnostics if d.code == "GM102"]
    assert [(d.line, d.column) for d in diagnostics] == [position]
    assert fragment in diagnostics[0].message


def test_gm102_all_layer_errors_reported_and_rest_still_checked(write_spec):
    path = write_spec(HEADER + """\
  - id: a
    type: Dense
    args: {units: 2}
    inputs: tokens
    colour: red
  - id: b
    type: Densse
    inputs: a
outputs: [b]
""")
    assert findings(path) == [("GM102", 10, 5), ("GM103", 12, 11)]
    assert [d.node for d in check_path(path).diagnostics] == ["a", "b"]


def test_gm103_unknown_type_suggests(write_spec):
    path = write_spec(HEADER + "  - id: l\n    type: LTSM\n    args: {units: 3}\noutputs: [l]\n")
    (diagnostic,) = check_path(path).diagnostics
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("GM103", 7, 11)
    assert "did you mean `LSTM`" in diagnostic.message


def test_gm104_unknown_argument_points_at_key(write_spec):
    path = write_spec(HEADER + "  - id: e\n    type: Embedding\n    args:\n      input_dim: 9\n"
                      "      output_dim: 2\n      mask_zeros: true\noutputs: [e]\n")
    (diagnostic,) = check_path(path).diagnostics
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("GM104", 11, 7)
    assert "did you mean `mask_zero`" in diagnostic.message


def test_gm104_missing_required_and_wrong_type(write_spec):
    path = write_spec(HEADER + "  - id: e\n    type: Embedding\n    args: {input_dim: 9, output_dim: 2, mask_zero: 1}\n"
                      "  - id: l\n    type: LSTM\n    args: {return_sequences: true}\noutputs: [l]\n")
    assert findings(path, "GM104") == [("GM104", 8, 52), ("GM104", 11, 11)]


def test_gm104_nested_wrapped_layer_args(write_spec):
    path = write_spec(HEADER + """\
  - id: e
    type: Embedding
    args: {input_dim: 9, output_dim: 2, mask_zero: true}
  - id: bi
    type: Bidirectional
    args:
      layer: {type: LSTM, args: {units: 3, retrun_sequences: true}}
outputs: [bi]
""")
    assert findings(path) == [("GM104", 12, 44)]


def test_gm105_undefined_ref_and_bad_index(write_spec):
    path = write_spec(HEADER + """\
  - id: e
    type: Embedding
    args: {input_dim: 9, output_dim: 2, mask_zero: true}
    inputs: tokenz
  - id: l
    type: LSTM
    args: {units: 3}
    inputs: e
  - id: d
    type: Dense
    args: {units: 1}
    inputs: l[1]
outputs: [d, nowhere]
""")
    assert findings(path, "GM105") == [("GM105", 9, 13), ("GM105", 17, 13), ("GM105", 18, 14)]
    messages = [d.message for d in check_path(path).diagnostics if d.code == "GM105"]
    assert "did you mean `tokens`" in messages[0]


def test_gm105_multi_output_needs_index(write_spec):
    path = write_spec(HEADER + """\
  - {id: e, type: Embedding, args: {input_dim: 9, output_dim: 2, mask_zero: true}}
  - {id: l, type: LSTM, args: {units: 3, return_state: true}}
  - {id: d, type: Dense, args: {units: 1}, inputs: l}
  - {id: h, type: Dense, args: {units: 1}, inputs: "l[2]"}
outputs: [d, h]
""")
    assert findings(path, "GM105") == [("GM105", 8, 52)]


def test_gm106_duplicate_id(write_spec):
    path = write_spec(HEADER + "  - {id: tokens, type: Dense, args: {units: 1}}\noutputs: [tokens]\n")
    assert ("GM106", 6, 10) in findings(path)


def test_gm107_cycle(write_spec):
    path = write_spec(HEADER + """\
  - {id: e, type: Embedding, args: {input_dim: 9, output_dim: 2}, inputs: tokens}
  - {id: a, type: Add, inputs: [e, b]}
  - {id: b, type: Dense, args: {units: 2}, inputs: a}
outputs: [b]
""")
    (diagnostic,) = [d for d in check_path(path).diagnostics if d.code == "GM107"]
    assert (diagnostic.line, diagnostic.column) == (7, 10)
    assert "a -> b -> a" in diagnostic.message


def test_gm108_unused_node_and_input(write_spec):
    path = write_spec("""\
graphmask: 1
name: t
inputs:
  x: {shape: [4]}
  spare: {shape: [4]}
layers:
  - {id: d, type: Dense, args: {units: 2}, inputs: x}
  - {id: dead, type: Dense, args: {units: 2}, inputs: x}
outputs: [d]
""")
    assert findings(path) == [("GM108", 5, 3), ("GM108", 8, 10)]


def test_gm109_wrong_number_of_inputs(write_spec):
    path = write_spec("""\
graphmask: 1
name: t
inputs:
  x: {shape: [4]}
  y: {shape: [4]}
layers:
  - {id: add, type: Add, inputs: [x]}
  - {id: d, type: Dense, args: {units: 2}, inputs: [add, y]}
  - {id: mha, type: MultiHeadAttention, args: {num_heads: 1, key_dim: 2}, inputs: {query: d, valu: d}}
outputs: [mha]
""")
    assert findings(path, "GM109") == [("GM109", 7, 34), ("GM109", 8, 52), ("GM109", 9, 94)]


def test_ignore_suppresses_and_unused_suppression_is_reported(write_spec):
    path = write_spec("""\
graphmask: 1
name: t
inputs:
  x: {shape: [4]}
layers:
  - {id: d, type: Dense, args: {units: 2}, inputs: x}
  - {id: dead, type: Dense, args: {units: 2}, inputs: x, ignore: [GM108]}
  - {id: e, type: Dense, args: {units: 2}, inputs: d, ignore: [GM201]}
outputs: [e]
""")
    assert findings(path) == [("GM901", 8, 64)]


def test_cli_check_text_and_json(write_spec, cli):
    path = write_spec(HEADER + "  - {id: l, type: LTSM}\noutputs: [l]\n")
    code, out, _ = cli("check", path)
    assert code == 1
    assert out.splitlines()[0].startswith(f"{path}:6:19: GM103 error unknown layer type `LTSM`")
    assert out.splitlines()[-1] == "Found 1 error in 1 file."
    code, out, _ = cli("check", "--format", "json", path)
    (item,) = json.loads(out)
    assert code == 1
    assert {k: item[k] for k in ("code", "severity", "file", "line", "column", "node")} == {
        "code": "GM103", "severity": "error", "file": str(path), "line": 6, "column": 19, "node": "l"}


def test_cli_exit_codes(write_spec, cli, tmp_path):
    ok = write_spec("graphmask: 1\nname: t\ninputs: {x: {shape: [3]}}\nlayers: [{id: d, type: Dense, args: {units: 1}}]\n"
                    "outputs: [d]\n", "ok.yaml")
    assert cli("check", ok)[0] == 0
    assert cli("check", tmp_path / "missing.yaml")[0] == 2
    assert cli("check", "--no-such-flag", ok)[0] == 2


def test_directory_is_walked_for_yaml(write_spec, cli, tmp_path):
    (tmp_path / "sub").mkdir()
    write_spec("graphmask: 1\nname: t\ninputs: {x: {shape: [3]}}\nlayers: [{id: d, type: Dense, args: {units: 1}}]\n"
               "outputs: [d]\n", "sub/a.yml")
    write_spec("not: a spec\n", "b.yaml")
    (tmp_path / "notes.txt").write_text("ignored")
    code, out, _ = cli("check", tmp_path)
    assert code == 1
    assert out.splitlines()[-1] == "Found 6 errors in 2 files."


def test_python_api(write_spec):
    path = write_spec(HEADER + "  - {id: e, type: Embedding, args: {input_dim: 9, output_dim: 2}}\noutputs: [e]\n")
    spec = graphmask.load(path)
    assert spec.name == "t" and spec.layers[0].type == "Embedding"
    assert graphmask.check(spec) == graphmask.check(path) == []
    bad = write_spec("graphmask: 1\n", "bad.yaml")
    with pytest.raises(graphmask.SpecError) as info:
        graphmask.load(bad)
    assert info.value.diagnostics[0].code == "GM102"


def test_schema_command_prints_json_schema(cli):
    code, out, _ = cli("schema")
    schema = json.loads(out)
    assert code == 0
    assert set(schema["required"]) >= {"graphmask", "name", "inputs", "layers", "outputs"}
    assert "LayerSpec" in schema["$defs"]
