"""The `# expect:` lines in a spec's leading comment block: what the spec must report.

The example specs (specs/examples/) and the per-rule fixtures
(tests/data/rules/GMxxx/) say what graphmask must find in them, written down
independently of graphmask, in the file itself:

    # expect: GM205 line 12                               (code and line)
    # expect: GM205 line 12 col 5 "reaches it with no mask"  (exact position and part of the message)
    # expect: GM104 line 43 (warning)      (a severity other than the rule's default)
    # expect: nothing

Only the leading comment block counts. The tests compare these with what
``check``/``compile`` report; a spec's own expectations (not the checker's
output) also decide which tests apply to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_EXPECT = re.compile(r'^# expect: (?:(?P<nothing>nothing)|(?P<code>GM\d{3}) line (?P<line>\d+)'
                     r'(?: col (?P<column>\d+))?(?: "(?P<message>[^"]+)")?(?: \((?P<severity>error|warning|info)\))?)\s*$')


@dataclass(frozen=True, order=True)
class Expectation:
    code: str
    line: int
    column: int | None = None  # None: any column
    message: str | None = None  # a part of the message; None: any message
    severity: str | None = None  # None: the rule's default severity

    def matches(self, diagnostic) -> bool:
        return (diagnostic.code == self.code and diagnostic.line == self.line
                and (self.column is None or diagnostic.column == self.column)
                and (self.message is None or self.message in diagnostic.message)
                and diagnostic.severity.value == self.expected_severity)

    @property
    def expected_severity(self) -> str:
        from graphmask.diagnostics import RULES

        return self.severity or RULES[self.code].severity.value

    def __str__(self) -> str:
        where = f"{self.line}" if self.column is None else f"{self.line}:{self.column}"
        return (f"{self.code} at {where}" + (f' "{self.message}"' if self.message else "")
                + (f" ({self.severity})" if self.severity else ""))


def expectations(path: Path) -> list[Expectation]:
    """The diagnostics promised by the file's leading comment block (empty for `nothing`)."""
    expected: list[Expectation] = []
    nothing = False
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.startswith("#"):
            break  # only the leading comment block counts
        if not raw.startswith("# expect:"):
            continue
        match = _EXPECT.match(raw)
        assert match, f"{path.name}: malformed expectation {raw!r}"
        if match["nothing"]:
            nothing = True
        else:
            column = int(match["column"]) if match["column"] else None
            expected.append(Expectation(match["code"], int(match["line"]), column, match["message"], match["severity"]))
    assert nothing or expected, f"{path.name}: no `# expect:` line in the leading comment block"
    assert not (nothing and expected), f"{path.name}: `# expect: nothing` together with expected codes"
    return sorted(expected)


def expected_codes(path: Path) -> set[str]:
    return {e.code for e in expectations(path)}


def unmatched(expected: list[Expectation], diagnostics: list) -> tuple[list[Expectation], list]:
    """(expectations nothing reported, diagnostics nothing expected), pairing each with at most one."""
    missing, extra = [], list(diagnostics)
    for expectation in expected:
        hit = next((d for d in extra if expectation.matches(d)), None)
        if hit is None:
            missing.append(expectation)
        else:
            extra.remove(hit)
    return missing, extra


# Codes found only when Keras builds the model (compile, check --deep), never by check_text.
BUILD_TIME = frozenset({"GM303", "GM305", "GM306"})
# Codes with no spec-side cause: graphmask bugs (a crash, static inference disagreeing with Keras),
# and GM110, found only in saved models (.keras, config.json: tests/test_saved_models.py).
NO_SPEC_CAUSE = frozenset({"GM000", "GM110", "GM304"})


def expected_errors(path: Path) -> set[str]:
    """The error-severity codes the spec expects: it must be refused by compile for these."""
    return {e.code for e in expectations(path) if e.expected_severity == "error"}
