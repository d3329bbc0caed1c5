"""``graphmask check --format text``: a mask finding shows the route of its mask on one line."""

from __future__ import annotations

from graphmask.diagnostics import Diagnostic
from graphmask.report.text import format_text, mask_path
from graphmask.checker import CheckResult

SPEC = """
graphmask: 1
name: lost_mask
inputs:
  tokens: {shape: [null], dtype: int32, pad_value: 0}
layers:
  - {id: embed, type: Embedding, args: {input_dim: 50, output_dim: 4, mask_zero: true}, inputs: tokens}
  - {id: dense, type: Dense, args: {units: 4}}
  - {id: flat, type: Flatten}
outputs: [flat]
"""


def test_check_text_shows_the_mask_path_after_the_finding(cli, write_spec):
    path = write_spec(SPEC)
    for extra in ((), ("--show-source",)):  # plain and terminal-style output alike
        code, out, _ = cli("check", path, "--format", "text", *extra)
        assert code == 1
        lines = out.splitlines()
        (i,) = [k for k, line in enumerate(lines) if " GM201 " in line]
        route = [line for line in lines[i + 1:] if line.startswith("    mask path:")]
        assert route[0] == "    mask path: embed -> dense -> flat"
    assert "mask path:" not in cli("check", write_spec(SPEC.replace("Flatten", "LSTM, args: {units: 2}")))[1]


def test_long_mask_paths_stay_on_one_short_line():
    route = tuple(f"layer{i}" for i in range(40))
    assert mask_path(route) == "layer0 -> layer1 -> layer2 -> ... (34 more) -> layer37 -> layer38 -> layer39"
    assert mask_path(("a", "b")) == "a -> b"
    text = format_text([CheckResult("f.yaml", None, None, [Diagnostic("GM201", "m", "f.yaml", 1, 1, path=route)])])
    assert sum("mask path:" in line for line in text.splitlines()) == 1


# -- issue 14, item 15 -----------------------------------------------------------------

CONSUMER = """\
graphmask: 1
name: consumer
inputs:
  ids: {shape: [null], dtype: int32, pad_value: 0}
layers:
  - {id: embed, type: Embedding, args: {input_dim: 50, output_dim: 4, mask_zero: true}}
  - {id: lstm, type: LSTM, args: {units: 2}}
outputs: [lstm]
"""


def test_explain_shows_the_mask_path_of_a_consumer(cli, write_spec):
    code, out, err = cli("explain", write_spec(CONSUMER))
    row = next(line for line in out.splitlines() if line.startswith("lstm "))
    assert row.rstrip().endswith("embed -> lstm"), row


def test_check_dash_reads_the_spec_from_stdin(tmp_path, monkeypatch):
    import io
    import sys

    from graphmask.cli import main

    broken = CONSUMER.replace("LSTM, args: {units: 2}", "Flatten")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(broken.encode())))
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["check", "-", "--no-config"]) == 1
    assert out.getvalue().startswith("<stdin>:") and "GM201" in out.getvalue()
    assert "in 1 file." in out.getvalue()
