"""Spec text in human output formats is printed with control characters escaped
(issue 14, item 2): a newline in a layer type must not start a line that
GitHub Actions would run as a workflow command (``::error ...``), and an ESC
must not reach the terminal."""

from __future__ import annotations

import pytest

from graphmask.report.printable import visible

EVIL_TYPE = "Dense\\n::error file=evil.py,line=1::PWNED\\x1b[2J"
SPEC = f"""\
graphmask: 1
name: "evil\\nname"
inputs:
  tokens: {{shape: [null], dtype: int32, pad_value: 0}}
layers:
  - id: embedding
    type: Embedding
    args: {{input_dim: 100, output_dim: 8, mask_zero: true}}
  - id: dense
    type: "{EVIL_TYPE}"
    args: {{units: 4}}
outputs: [dense]
"""


def _assert_safe(text: str) -> None:
    assert "PWNED" in text  # the text is shown, escaped
    for line in text.splitlines():
        assert not line.lstrip().startswith("::"), line
    assert "\x1b[2J" not in text


def test_visible_escapes_newlines_tabs_and_escapes():
    assert visible("a\nb\tc\r\x1bd\u2028e") == "a\\nb\\tc\\r\\x1bd\\u2028e"
    assert visible("plain — ünïcode") == "plain — ünïcode"


@pytest.mark.parametrize("flags", [(), ("--show-source",), ("--color", "always")])
def test_check_text_report(cli, write_spec, flags):
    code, out, err = cli("check", write_spec(SPEC), "--no-config", *flags)
    assert code == 1
    _assert_safe(out)


def test_explain_table(cli, write_spec):
    code, out, err = cli("explain", write_spec(SPEC))
    _assert_safe(out + err)


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_graph_labels(cli, write_spec, fmt):
    code, out, err = cli("graph", write_spec(SPEC), "--format", fmt)
    assert "\x1b" not in out
    for line in out.splitlines():
        assert not line.lstrip().startswith("::"), line


def test_diagnostics_printed_by_compile_are_escaped(write_spec, capsys):
    from graphmask.commands import print_diagnostics
    from graphmask.diagnostics import Diagnostic

    print_diagnostics([Diagnostic("GM103", "unknown `Dense\n::error::PWNED`", file="x.yaml", line=1, column=1)],
                      "x.yaml")
    _assert_safe(capsys.readouterr().err)
