"""Rule selection (--select/--ignore prefixes, --strict) and per-node `ignore:` suppressions."""

from __future__ import annotations

import json

import pytest

import graphmask
from graphmask.diagnostics import Diagnostic, Severity
from graphmask.selection import Selection, SelectionError, parse_codes


def test_prefixes_and_specificity():
    s = Selection.from_options(select="GM2,GM108", ignore="GM20")
    assert s.enabled("GM201") is False  # GM20 (3 chars) beats GM2
    assert s.enabled("GM108") and not s.enabled("GM103")
    assert s.enabled("GM205") is False
    s = Selection.from_options(select=["GM201"], ignore=["GM2"])
    assert s.enabled("GM201") and not s.enabled("GM202")  # the more specific select wins
    s = Selection.from_options(select=["GM2"], ignore=["GM2"])
    assert not s.enabled("GM201")  # a tie: ignore wins
    assert Selection.from_options(ignore="ALL").enabled_rules() == ["GM000", "GM101"]


def test_unreadable_and_internal_errors_cannot_be_deselected():
    s = Selection.from_options(select="GM2", ignore="GM1,GM0")
    assert s.enabled("GM101") and s.enabled("GM000")
    assert not s.enabled("GM102")


@pytest.mark.parametrize("bad", ["GM", "X201", "GM2011", "GM7", "GM8"])
def test_bad_prefixes_are_rejected(bad):
    if bad == "GM":  # the empty prefix is "all": allowed
        assert parse_codes(bad) == ("GM",)
        return
    with pytest.raises(SelectionError):
        parse_codes(bad)


def test_strict_turns_warnings_into_errors_only():
    found = [Diagnostic("GM108", "w"), Diagnostic("GM204", "i"), Diagnostic("GM103", "e")]
    out = Selection(strict=True).apply(found)
    assert [d.severity for d in out] == [Severity.ERROR, Severity.INFO, Severity.ERROR]
    assert [d.severity for d in Selection().apply(found)] == [Severity.WARNING, Severity.INFO, Severity.ERROR]


SUPPRESSED = """
graphmask: 1
name: suppressions
inputs:
  features: {shape: [8]}
  spare: {shape: [3]}
layers:
  - id: dead
    type: Dense
    args: {units: 2}
    inputs: spare
    ignore: [GM108]
  - id: out
    type: Dense
    args: {units: 1}
    inputs: features
    ignore: [GM201, GM108]
outputs: [out]
"""


def test_node_ignore_suppresses_and_unused_suppressions_are_gm901(write_spec):
    path = write_spec(SUPPRESSED)
    found = [(d.code, d.node, d.line) for d in graphmask.check(path)]
    # `dead` is unused (GM108) but suppressed; the input `spare` has no `ignore:`, so it is reported;
    # both suppressions on `out` match nothing and each gets its own GM901, at its own list item
    assert found == [("GM108", "spare", 5), ("GM901", "out", 16), ("GM901", "out", 16)]
    gm901 = [d for d in graphmask.check(path) if d.code == "GM901"]
    assert [d.column for d in gm901] == [14, 21]
    assert "`ignore: GM201` on `out` suppresses nothing" in gm901[0].message


def test_cli_selection_with_suppressions(write_spec, cli):
    path = write_spec(SUPPRESSED)
    code, out, _ = cli("check", path, "--format", "json", "--no-config")
    assert code == 0 and [d["code"] for d in json.loads(out)] == ["GM108", "GM901", "GM901"]
    code, out, _ = cli("check", path, "--format", "json", "--no-config", "--ignore", "GM901")
    assert [d["code"] for d in json.loads(out)] == ["GM108"]
    code, out, _ = cli("check", path, "--format", "json", "--no-config", "--select", "GM9", "--strict")
    assert code == 1 and {d["severity"] for d in json.loads(out)} == {"error"}
    code, out, _ = cli("check", path, "--no-config", "--warnings-as-errors")
    assert code == 1 and out.splitlines()[0].endswith("GM108 error input `spare` is not used by any output")
    code, _, err = cli("check", path, "--no-config", "--select", "GM77")
    assert code == 2 and "`GM77` matches no rule" in err


def test_api_selection(write_spec):
    path = write_spec(SUPPRESSED)
    assert [d.code for d in graphmask.check(path, ignore=["GM9"])] == ["GM108"]
    assert [d.severity.value for d in graphmask.check(path, select="GM108", strict=True)] == ["error"]
