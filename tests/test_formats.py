"""Every ``graphmask check --format``: text (plain, source excerpts, colour), json,
github (line by line), sarif (validated against the official 2.1.0 schema), junit."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from graphmask.checker import CheckResult
from graphmask.diagnostics import RULES, Diagnostic
from graphmask.report.github import annotation, escape_data, escape_property, format_github
from graphmask.report.junit import format_junit
from graphmask.report.sarif import format_sarif
from graphmask.report.text import format_text, strip_ansi

DATA = Path(__file__).parent / "data"
LINT = DATA / "lint"
LINE = re.compile(r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+): (?P<code>GM\d{3}) (?P<sev>error|warning|info) (?P<msg>.+)$")


@pytest.fixture
def specs(tmp_path, monkeypatch):
    """The three lint specs copied into a temp dir that is also the working directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()  # a project top: config discovery stops here
    for name in ("bad", "warn", "good"):
        (tmp_path / f"{name}.yaml").write_text((LINT / f"{name}.yaml").read_text())
    return ["bad.yaml", "warn.yaml", "good.yaml"]


# -- text ----------------------------------------------------------------------------------


def test_text_plain_lines_and_hints(cli, specs):
    code, out, _ = cli("check", *specs, "--format", "text")
    assert code == 1
    lines = out.splitlines()
    diagnostics = [LINE.match(line).groupdict() for line in lines if LINE.match(line)]
    assert [(d["file"], d["line"], d["col"], d["code"], d["sev"]) for d in diagnostics] == [
        ("bad.yaml", "7", "11", "GM103", "error"),
        ("bad.yaml", "12", "14", "GM901", "warning"),
        ("warn.yaml", "5", "3", "GM108", "warning"),
    ]
    # each diagnostic line is followed by its hint; no source excerpt when not on a terminal
    for i, line in enumerate(lines[:-1]):
        if LINE.match(line):
            assert lines[i + 1].startswith("    hint: ")
    assert " | " not in out
    assert lines[-1] == "Found 1 error, 2 warnings in 3 files."


def test_text_source_excerpt_puts_caret_under_the_column(cli, specs):
    code, out, _ = cli("check", "bad.yaml", "--show-source")
    lines = out.splitlines()
    assert lines[0].startswith("bad.yaml:7:11: GM103 error unknown layer type `Flaten`")
    assert lines[1] == "  7 |     type: Flaten"
    assert lines[2] == "    |           ^^^^^^"
    assert lines[1].index("Flaten") == lines[2].index("^")
    assert lines[3].startswith("    hint: ")
    assert "\033[" not in out


def test_color_always_adds_ansi_and_source_but_same_text(cli, specs):
    _, plain, _ = cli("check", "bad.yaml", "--show-source", "--color", "never")
    _, colored, _ = cli("check", "bad.yaml", "--color", "always")
    assert "\033[1;31m" in colored  # errors in red
    assert strip_ansi(colored) == plain


def test_text_on_a_terminal_shows_source_and_colour(specs, monkeypatch, capsys):
    from graphmask.cli import main

    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert main(["check", "bad.yaml"]) == 1
    out = capsys.readouterr().out
    assert "\033[" in out and "^^^^^^" in out
    assert strip_ansi(out).splitlines()[0].startswith("bad.yaml:7:11: GM103 error ")
    monkeypatch.setenv("NO_COLOR", "1")
    main(["check", "bad.yaml"])
    out = capsys.readouterr().out
    assert "\033[" not in out and "^^^^^^" in out  # NO_COLOR drops colour, not the excerpt


def test_excerpt_skipped_for_whole_file_and_unreadable_positions():
    results = [CheckResult("missing-file.yaml", None, None, [Diagnostic("GM103", "x", "missing-file.yaml", 3, 1)]),
               CheckResult("<string>", None, None, [Diagnostic("GM102", "empty", "<string>", 0, 0)])]
    lines = format_text(results, show_source=True).splitlines()
    assert lines[0] == "missing-file.yaml:3:1: GM103 error x"
    assert lines[1].startswith("    hint:")
    assert lines[2] == "<string>:0:0: GM102 error empty"


def test_json_format(cli, specs):
    code, out, _ = cli("check", *specs, "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert [(d["file"], d["code"], d["line"], d["column"], d["severity"]) for d in data] == [
        ("bad.yaml", "GM103", 7, 11, "error"), ("bad.yaml", "GM901", 12, 14, "warning"),
        ("warn.yaml", "GM108", 5, 3, "warning")]


def test_json_text_is_json_dumps_with_an_indent_of_2():
    """format_json writes the layout itself (json's indented encoder is pure Python and slow): it must be
    json.dumps(..., indent=2)'s to the byte, for every rule's fixtures and for awkward strings."""
    from graphmask.checker import check_path
    from graphmask.report.json import format_json

    fixtures = sorted((Path(__file__).parent / "data" / "rules").glob("*/*.yaml"))
    results = [check_path(path) for path in fixtures]
    awkward = Diagnostic("GM101", 'tab\t "quote" \\ é \u2028 \x00', file="ü.yaml", line=1, column=2,
                         path=("a", "ß"))
    results.append(CheckResult("ü.yaml", None, None, [awkward]))
    expected = json.dumps([d.to_dict() for r in results for d in r.diagnostics], indent=2) + "\n"
    assert sum(len(r.diagnostics) for r in results) > len(fixtures) // 2
    assert format_json(results) == expected
    assert format_json([]) == json.dumps([], indent=2) + "\n"


# -- github --------------------------------------------------------------------------------


def test_github_one_workflow_command_per_diagnostic(cli, specs):
    code, out, _ = cli("check", *specs, "--format", "github")
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("::error file=bad.yaml,line=7,col=11,title=GM103::unknown layer type `Flaten`")
    assert lines[0].endswith("%0Ahint: use a class name from keras.layers or declare it under `custom_layers:`")
    assert lines[1].startswith("::warning file=bad.yaml,line=12,col=14,title=GM901::`ignore: GM108` on `out`")
    assert lines[2].startswith("::warning file=warn.yaml,line=5,col=3,title=GM108::input `unused`")
    for line in lines:  # a workflow command is one physical line: `::cmd props::data`
        assert re.fullmatch(r"::(error|warning|notice) file=[^,:]+,line=\d+,col=\d+,title=GM\d{3}::[^\r\n]+", line)


def test_github_info_is_notice_and_escaping():
    d = Diagnostic("GM204", "50% of\r\nthe inputs", file="dir,a:b/100%.yaml", line=3, column=5, hint="")
    assert annotation(d) == ("::notice file=dir%2Ca%3Ab/100%25.yaml,line=3,col=5,title=GM204::"
                             "50%25 of%0D%0Athe inputs")
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert escape_data("a:b,c") == "a:b,c"  # data keeps `:` and `,`


def test_github_whole_file_diagnostic_has_no_position():
    out = format_github([CheckResult("x.yaml", None, None, [Diagnostic("GM101", "bad", "x.yaml", 0, 0, hint="")])])
    assert out == "::error file=x.yaml,title=GM101::bad\n"


# -- sarif ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator():
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_sarif_validates_and_carries_rule_metadata(cli, specs, sarif_validator):
    code, out, _ = cli("check", *specs, "--format", "sarif", "--strict")
    log = json.loads(out)
    sarif_validator.validate(log)
    assert code == 1
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    gm201 = rules[list(RULES).index("GM201")]
    assert gm201["shortDescription"]["text"] == RULES["GM201"].summary
    assert gm201["defaultConfiguration"]["level"] == "error"
    assert "GlobalAveragePooling1D" in gm201["help"]["markdown"]  # the good example
    assert gm201["fullDescription"]["text"].startswith("A Keras mask")
    assert rules[list(RULES).index("GM204")]["defaultConfiguration"]["level"] == "note"
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("GM103", "error"), ("GM901", "error"), ("GM108", "error")]
    first = results[0]
    assert rules[first["ruleIndex"]]["id"] == "GM103"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "bad.yaml", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 7, "startColumn": 11}


def test_sarif_levels_paths_and_no_region_for_whole_file(tmp_path, monkeypatch, sarif_validator):
    monkeypatch.chdir(tmp_path)
    outside = "/elsewhere/dir with space/x.yaml"
    results = [CheckResult("sub/a b.yaml", None, None, [Diagnostic("GM204", "merge", "sub/a b.yaml", 2, 3)]),
               CheckResult(outside, None, None, [Diagnostic("GM101", "unreadable", outside, 0, 0)])]
    log = json.loads(format_sarif(results))
    sarif_validator.validate(log)
    r1, r2 = log["runs"][0]["results"]
    assert r1["level"] == "note"
    assert r1["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "sub/a%20b.yaml"
    assert r2["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "file:///elsewhere/dir%20with%20space/x.yaml"}}


def test_sarif_schema_check_is_real(sarif_validator):
    """The validator rejects a log that breaks the schema (so passing means something)."""
    log = json.loads(format_sarif([CheckResult("a.yaml", None, None, [Diagnostic("GM103", "x", "a.yaml", 1, 1)])]))
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        sarif_validator.validate(log)


# -- junit ---------------------------------------------------------------------------------


def test_junit_one_testcase_per_file_in_input_order(cli, specs):
    code, out, _ = cli("check", "warn.yaml", "good.yaml", "bad.yaml", "--format", "junit")
    assert code == 1
    root = ET.fromstring(out)
    assert root.tag == "testsuites" and root.attrib["tests"] == "3" and root.attrib["failures"] == "1"
    (suite,) = root
    cases = suite.findall("testcase")
    assert [c.attrib["name"] for c in cases] == ["warn.yaml", "good.yaml", "bad.yaml"]
    warn, good, bad = cases
    assert warn.find("failure") is None and "GM108" in warn.find("system-out").text
    assert list(good) == []
    failure = bad.find("failure")
    assert failure.attrib["type"] == "GM103"
    assert failure.text.startswith("bad.yaml:7:11: GM103 error")
    assert "GM901" in bad.find("system-out").text


def test_junit_internal_error_and_hostile_characters():
    results = [CheckResult("x.yaml", None, None, [Diagnostic("GM000", "boom \x00\x1b <&>", "x.yaml")])]
    root = ET.fromstring(format_junit(results))  # parses: control characters were replaced
    error = root.find("testsuite/testcase/error")
    assert root.attrib["errors"] == "1" and root.attrib["failures"] == "0"
    assert error.attrib["message"] == "boom \ufffd\ufffd <&>"
