"""Safe autofixes: graphmask/fixes.py and ``graphmask check --fix/--diff``."""

from __future__ import annotations

import json
import os

import pytest

from graphmask.batch import CheckOptions
from graphmask.checker import check_text
from graphmask.fixes import fix_file, fix_text, fixes_for
from graphmask.selection import Selection

HEAD = """\
graphmask: 1
name: fixme
inputs:
  tokens: {shape: [null], dtype: int32}
layers:
"""
TAIL = """\
  - id: pool
    type: GlobalAveragePooling1D
  - id: out
    type: Dense
    args: {units: 1}
outputs: [out]
"""


def _spec(layers: str) -> str:
    return HEAD + layers + TAIL


def _check(text: str):
    result = check_text(text, "spec.yaml")
    return result.diagnostics, result.spec


def _fixed(text: str) -> str:
    return fix_text(text, _check).text


def _codes(text: str) -> set[str]:
    return {d.code for d in _check(text)[0]}


EMBED = """\
  - id: embed
    type: Embedding
    args: {input_dim: 10, output_dim: 4, mask_zero: true}
"""


def test_unknown_argument_with_one_close_match_is_renamed():
    text = _spec(EMBED + "  - id: rnn\n    type: LSTM\n    args:\n      unit: 8   # width\n      return_sequences: true\n")
    assert _fixed(text) == text.replace("unit: 8", "units: 8")


def test_quoted_key_in_a_flow_mapping_keeps_its_quotes():
    text = _spec(EMBED + "  - {id: rnn, type: LSTM, args: {'unit': 8, \"return_sequence\": true}}\n")
    assert _fixed(text) == text.replace("'unit'", "'units'").replace('"return_sequence"', '"return_sequences"')


def test_unknown_call_argument_is_renamed():
    text = _spec(EMBED + "  - id: rnn\n    type: LSTM\n    args: {units: 8}\n    call: {trainig: false}\n")
    assert _fixed(text) == text.replace("trainig", "training")


def test_unknown_type_with_one_close_match_is_replaced_and_then_its_args_are_checked():
    text = _spec(EMBED + '  - id: rnn\n    type: "LTSM"  # typo\n    args: {unit: 8}\n')
    assert _fixed(text) == text.replace('"LTSM"', '"LSTM"').replace("unit:", "units:")
    assert "GM103" not in _codes(_fixed(text)) and "GM104" not in _codes(_fixed(text))


@pytest.mark.parametrize("layer_type", ["MaxPool", "Conv2DTransposed"])
def test_an_ambiguous_type_is_not_guessed(layer_type):
    text = _spec(EMBED + f"  - id: rnn\n    type: {layer_type}\n")
    assert _fixed(text) == text
    assert "GM103" in _codes(text)


def test_a_rename_onto_an_existing_argument_is_not_offered():
    text = _spec(EMBED + "  - id: rnn\n    type: LSTM\n    args: {unit: 8, units: 8}\n")
    assert _fixed(text) == text


@pytest.mark.parametrize("before, after", [
    # block style, with a comment on the removed line and one on its own line above
    ("    args:\n      input_dim: 10\n      # keep me\n      input_length: 5  # legacy\n      output_dim: 4\n"
     "      mask_zero: true\n",
     "    args:\n      input_dim: 10\n      # keep me\n      output_dim: 4\n      mask_zero: true\n"),
    # last entry of a block mapping
    ("    args:\n      input_dim: 10\n      output_dim: 4\n      mask_zero: true\n      input_length: 5\n",
     "    args:\n      input_dim: 10\n      output_dim: 4\n      mask_zero: true\n"),
    # flow style: first, middle and last entries
    ("    args: {input_length: 5, input_dim: 10, output_dim: 4, mask_zero: true}\n",
     "    args: {input_dim: 10, output_dim: 4, mask_zero: true}\n"),
    ("    args: {input_dim: 10,  input_length: 5 , output_dim: 4, mask_zero: true}\n",
     "    args: {input_dim: 10,  output_dim: 4, mask_zero: true}\n"),
    ("    args: {input_dim: 10, output_dim: 4, mask_zero: true, \"input_length\": 5}\n",
     "    args: {input_dim: 10, output_dim: 4, mask_zero: true}\n"),
])
def test_a_legacy_argument_is_removed(before, after):
    text = _spec("  - id: embed\n    type: Embedding\n" + before)
    assert _fixed(text) == _spec("  - id: embed\n    type: Embedding\n" + after)


def test_removing_the_only_argument_removes_args():
    layers = "  - id: embed\n    type: Embedding\n    args:\n      input_length: 5\n    inputs: tokens\n"
    text = HEAD + layers + "outputs: [embed]\n"
    assert "GM104" in _codes(text)
    assert _fixed(text) == HEAD + "  - id: embed\n    type: Embedding\n    inputs: tokens\n" + "outputs: [embed]\n"


def test_a_legacy_argument_inside_a_wrapper_is_removed():
    # Keras 3's LSTM pops and ignores `implementation` (the catalog marks it via_kwargs).
    text = _spec(EMBED + "  - id: bi\n    type: Bidirectional\n"
                 "    args: {layer: {type: LSTM, args: {units: 4, implementation: 2}}}\n")
    assert "GM104" in _codes(text)
    assert _fixed(text) == text.replace(", implementation: 2", "")


@pytest.mark.parametrize("before, after", [
    ("    ignore: [GM204, GM201]\n", "    ignore: [GM204]\n"),
    ("    ignore: [GM201]  # why\n", ""),
    ("    ignore:\n      - GM204\n      - GM201   # not needed\n", "    ignore:\n      - GM204\n"),
    ("    ignore:\n      - GM201\n", ""),
])
def test_an_unused_suppression_is_removed(before, after):
    # GM204 is used (the merge mixes masked and unmasked inputs); GM201 is not.
    merge = "  - id: merged\n    type: Add\n    inputs: [embed, plain]\n"
    layers = EMBED + "  - id: plain\n    type: Embedding\n    args: {input_dim: 10, output_dim: 4}\n    inputs: tokens\n"
    text = _spec(layers + merge + before)
    assert {d.code for d in _check(text)[0]} >= {"GM901"}
    assert _fixed(text) == _spec(layers + merge + after)
    assert "GM901" not in _codes(_fixed(text))


def test_a_suppression_in_a_flow_layer_is_removed_with_its_key():
    text = _spec(EMBED + "  - {id: rnn, type: LSTM, args: {units: 4}, ignore: [GM201]}\n")
    assert _fixed(text) == _spec(EMBED + "  - {id: rnn, type: LSTM, args: {units: 4}}\n")


def test_an_undefined_reference_is_a_suggestion_never_applied():
    text = _spec(EMBED + "  - id: rnn\n    type: LSTM\n    args: {units: 4}\n    inputs: embd\n")
    outcome = fix_text(text, _check)
    assert outcome.text == text
    [suggestion] = outcome.suggestions
    assert suggestion.diagnostic.code == "GM105" and not suggestion.safe
    assert suggestion.apply(text) == text.replace("inputs: embd", "inputs: embed")


def test_every_fix_keeps_the_rest_of_an_oddly_formatted_file():
    text = """\
# A spec written by hand, with comments everywhere.
graphmask: 1
name: "odd"   # quoted
inputs: {tokens: {shape: [null], dtype: int32, pad_value: 0}}
layers:
  # the embedding
  - id: embed
    type: Embedding
    args: {"input_dim": 10, 'output_dim': 4,
           mask_zero: true, input_length: 7}
  -   id:   rnn        # odd spacing
      type: 'LTSM'
      args:
        "unit":   8     # width
        return_sequences: false
      ignore: [GM204]
  - {id: out, type: Dense, args: {units: 1}}
outputs:
  - out   # the only one
"""
    fixed = _fixed(text)
    assert fixed == text.replace(", input_length: 7}", "}").replace("'LTSM'", "'LSTM'") \
        .replace('"unit":', '"units":').replace("      ignore: [GM204]\n", "")
    for line in text.splitlines():
        if "#" in line:
            assert line.split("#", 1)[1] in fixed  # every comment is still there
    assert not [f for f in fixes_for(fixed, *_check(fixed)) if f.safe]


def test_only_selected_findings_are_fixed(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(_spec(EMBED + "  - id: rnn\n    type: LSTM\n    args: {unit: 8}\n    ignore: [GM201]\n"))
    fixed = fix_file(str(path), CheckOptions(), Selection(ignore=("GM901",)))
    assert [f.diagnostic.code for f in fixed.outcome.applied] == ["GM104"]


# -- the command line ----------------------------------------------------------------------

BROKEN = _spec(EMBED + "  - id: rnn  # the recurrent part\n    type: LTSM\n    args: {unit: 8}\n    ignore: [GM201]\n"
               "    inputs: embd\n")


def test_diff_prints_a_unified_diff_and_writes_nothing(write_spec, cli):
    spec = write_spec(BROKEN)
    code, out, err = cli("check", spec, "--diff", "--no-config")
    assert code == 1
    assert out.startswith(f"--- {spec}\n+++ {spec}\n@@")
    assert "-    type: LTSM\n" in out and "+    type: LSTM\n" in out and "-    ignore: [GM201]\n" in out
    assert spec.read_text() == BROKEN
    assert "Would fix 3 findings in 1 file." in err
    assert "GM105 suggestion: replace `embd` with `embed`" in err


def test_diff_with_nothing_to_fix_exits_0(write_spec, cli):
    code, out, err = cli("check", write_spec(_spec(EMBED)), "--diff", "--no-config")
    assert (code, out) == (0, "")


def test_fix_writes_in_place_and_reports_what_is_left(write_spec, cli):
    spec = write_spec(BROKEN)
    os.chmod(spec, 0o640)
    code, out, err = cli("check", spec, "--fix", "--no-config", "--format", "json")
    assert "Fixed 3 findings in 1 file." in err
    assert spec.read_text() == BROKEN.replace("LTSM", "LSTM").replace("unit:", "units:") \
        .replace("    ignore: [GM201]\n", "")
    assert os.stat(spec).st_mode & 0o777 == 0o640
    left = {d["code"] for d in json.loads(out)}
    assert "GM105" in left and not left & {"GM103", "GM104", "GM901"}  # the suggestion is left for a person
    assert code == 1
    code, out, err = cli("check", spec, "--diff", "--no-config")  # nothing fixable is left
    assert (code, out) == (0, "")


def test_fix_keeps_a_bom_and_crlf_line_ends(tmp_path, cli):
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(b"\xef\xbb\xbf" + BROKEN.replace("\n", "\r\n").encode())
    cli("check", spec, "--fix", "--no-config")
    raw = spec.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"LSTM" in raw and b"units" in raw
    assert raw.count(b"\r\n") == raw.count(b"\n")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_fix_writes_through_a_symlink(tmp_path, cli):
    real = tmp_path / "real.yaml"
    real.write_text(BROKEN)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    cli("check", link, "--fix", "--no-config")
    assert link.is_symlink() and "LSTM" in real.read_text()


def test_a_file_changed_while_fixing_is_left_alone(write_spec, cli, monkeypatch):
    import graphmask.fixes

    spec = write_spec(BROKEN)
    real = graphmask.fixes.fix_text

    def edit_meanwhile(*args, **kwargs):
        outcome = real(*args, **kwargs)
        spec.write_text(BROKEN + "# edited meanwhile\n")
        return outcome

    monkeypatch.setattr(graphmask.fixes, "fix_text", edit_meanwhile)
    code, out, err = cli("check", spec, "--fix", "--no-config")
    assert "changed while it was being fixed" in err
    assert spec.read_text() == BROKEN + "# edited meanwhile\n"
