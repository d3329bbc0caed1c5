"""Every rule's fixtures in tests/data/rules/GMxxx/ report exactly what their `# expect:` lines say.

Each code that a spec can cause has a directory with at least one failing
spec (``fail.yaml``, or ``fail_<trigger>.yaml`` for each distinct trigger) and
a passing one (``pass.yaml``, a minimal fix; ``pass_<case>.yaml`` for a look-alike
the code must not fire on, other codes allowed). Expectations are exact: every
diagnostic reported must be expected (code, line, column, part of the
message) and every expected one reported. So deleting or breaking the pass
that emits a code fails its fixture; nothing here asks the source which
codes exist. Build-time codes run through ``compile`` with real Keras.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graphmask.checker import check_path
from graphmask.diagnostics import RULES, Severity
from spec_expectations import BUILD_TIME, NO_SPEC_CAUSE, expectations, unmatched

DATA = Path(__file__).resolve().parent / "data"
RULE_FIXTURES = DATA / "rules"
FIXTURES = sorted(RULE_FIXTURES.glob("GM*/*.yaml"))
STATIC = [p for p in FIXTURES if p.parent.name not in BUILD_TIME]
BUILT = [p for p in FIXTURES if p.parent.name in BUILD_TIME]
# The build-time fixtures' custom layers live in tests/data/gmtest_layers.py.
ALLOWED_IMPORTS = ["gmtest_layers"]


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _assert_reports_what_it_expects(path: Path, diagnostics: list) -> None:
    code = path.parent.name
    expected = expectations(path)
    vague = [str(e) for e in expected if e.column is None or e.message is None]
    assert not vague, f"{_id(path)}: a fixture's expectations give line, column and message: {vague}"
    missing, extra = unmatched(expected, diagnostics)
    details = "\n".join(f"  {d.line}:{d.column} {d.code} {d.message}" for d in diagnostics)
    assert not missing and not extra, (
        f"{_id(path)}: not reported {[str(e) for e in missing]}, not expected "
        f"{[f'{d.code} at {d.line}:{d.column}' for d in extra]}\nreported:\n{details}")
    if path.stem == "pass" or path.stem.startswith("pass_"):
        assert code not in {e.code for e in expected}, f"{_id(path)}: a pass spec must not expect {code}"
        assert not [d for d in diagnostics if d.severity is Severity.ERROR], details
    else:
        assert code in {e.code for e in expected}, f"{_id(path)}: a failing spec must expect {code}"


@pytest.mark.parametrize("path", STATIC, ids=[_id(p) for p in STATIC])
def test_static_fixture_reports_what_it_expects(path: Path):
    _assert_reports_what_it_expects(path, check_path(path).diagnostics)


@pytest.mark.parametrize("path", BUILT, ids=[_id(p) for p in BUILT])
def test_build_time_fixture_gets_past_the_static_checks(path: Path):
    """A build-time code is Keras's finding: the static checks must pass the spec."""
    errors = [f"{d.code} {d.message}" for d in check_path(path).diagnostics if d.severity is Severity.ERROR]
    assert not errors, f"{_id(path)}: {errors}"


@pytest.mark.keras
@pytest.mark.parametrize("path", BUILT, ids=[_id(p) for p in BUILT])
def test_build_time_fixture_reports_what_it_expects(path: Path, keras, monkeypatch):
    from graphmask.keras.compile import compile_spec
    from graphmask.keras.errors import CompileError

    monkeypatch.syspath_prepend(str(DATA))
    try:
        diagnostics = compile_spec(path, allow_imports=ALLOWED_IMPORTS).diagnostics
    except CompileError as failure:
        diagnostics = failure.diagnostics
    _assert_reports_what_it_expects(path, diagnostics)


def test_every_rule_a_spec_can_cause_has_a_failing_and_a_passing_fixture():
    """A new rule without fixtures fails here; so does a fixture for a code that is not a rule."""
    directories = {p.name for p in RULE_FIXTURES.iterdir() if p.is_dir()}
    wanted = set(RULES) - NO_SPEC_CAUSE
    assert not wanted - directories, f"rules without fixtures in tests/data/rules: {sorted(wanted - directories)}"
    assert not directories - wanted, f"fixtures for codes that are no rule a spec can cause: {sorted(directories - wanted)}"
    for code in sorted(wanted):
        names = sorted(p.name for p in (RULE_FIXTURES / code).iterdir())
        assert "pass.yaml" in names, f"{code}: no pass.yaml"
        assert any(n.startswith("fail") for n in names), f"{code}: no fail.yaml or fail_*.yaml"
        odd = [n for n in names if not re.fullmatch(r"(pass|fail)(_\w+)?\.yaml", n)]
        assert not odd, f"{code}: fixtures are named pass.yaml, fail.yaml, fail_<trigger>.yaml or pass_<case>.yaml, " \
                        f"not {odd}"
    assert BUILD_TIME <= wanted and not NO_SPEC_CAUSE & BUILD_TIME
