"""Diagnostics and the rule registry.

Every code graphmask can emit is declared once, in ``graphmask/rules.yaml``
(loaded into ``RULES``): its severity, a one-line summary, a fix hint, an
explanation and examples. Formatters, ``graphmask rules`` and the
docs read from here, so a rule is never described in two places.
"""

from __future__ import annotations

import enum
from importlib import resources
from dataclasses import dataclass, field, replace

import yaml


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


@dataclass(frozen=True, eq=False)
class Rule:
    """A diagnostic code (``graphmask.codes.GM201``): equal to, and hashed as, its code string."""

    code: str
    severity: Severity
    summary: str
    fix: str
    explanation: str = ""
    bad_example: str = ""
    good_example: str = ""

    def __str__(self) -> str:
        return self.code

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Rule):
            return other.code == self.code
        return isinstance(other, str) and other == self.code

    def __hash__(self) -> int:
        return hash(self.code)


def _load_rules() -> dict[str, Rule]:
    # Rule texts are data: graphmask/rules.yaml (libyaml reads it in a few ms).
    text = resources.files("graphmask").joinpath("rules.yaml").read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    rules = {}
    for entry in yaml.load(text, Loader=loader):
        texts = {k: entry.get(k, "").strip("\n") for k in ("explanation", "bad_example", "good_example")}
        rules[entry["code"]] = Rule(entry["code"], Severity(entry["severity"]), entry["summary"], entry["fix"], **texts)
    return rules


RULES: dict[str, Rule] = _load_rules()


MAX_MESSAGE = 2000  # characters


@dataclass(frozen=True)
class Diagnostic:
    """One finding, located in a spec file.

    ``line`` and ``column`` are 1-based; 0 means "the whole file".
    ``path`` is the route a mask took (node ids), for mask findings.
    """

    code: str  # a ``graphmask.codes`` constant (a ``Rule``) is accepted and stored as its code
    message: str
    file: str = "<string>"
    line: int = 0
    column: int = 0
    node: str | None = None
    severity: Severity = field(default=None)  # type: ignore[assignment]
    hint: str | None = None
    path: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.code, Rule):
            object.__setattr__(self, "code", self.code.code)
        rule = RULES[self.code]
        if self.severity is None:
            object.__setattr__(self, "severity", rule.severity)
        elif not isinstance(self.severity, Severity):
            object.__setattr__(self, "severity", Severity(self.severity))
        if self.hint is None:
            object.__setattr__(self, "hint", rule.fix)
        if len(self.message) > MAX_MESSAGE:
            # Messages quote the spec; a hostile spec must not flood the report.
            cut = f"{self.message[:MAX_MESSAGE]}... ({len(self.message) - MAX_MESSAGE} more characters)"
            object.__setattr__(self, "message", cut)

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    def with_severity(self, severity: Severity) -> Diagnostic:
        return replace(self, severity=severity)

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.column, self.code, self.message)

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "node": self.node,
            "hint": self.hint,
            "path": list(self.path),
        }


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)
