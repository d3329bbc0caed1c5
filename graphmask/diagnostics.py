"""Diagnostics and the rule registry.

Every code graphmask can emit is declared once, in ``graphmask/rules.yaml``
(loaded into ``RULES``): its severity, a one-line summary, a fix hint, an
explanation and examples. Formatters, ``graphmask rules`` and the
docs read from here, so a rule is never described in two places.
"""

from __future__ import annotations

import enum
import os
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterator, Mapping


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


_TEXTS = ("severity", "summary", "fix", "explanation", "bad_example", "good_example")


class Rule:
    """A diagnostic code (``graphmask.codes.GM201``): equal to, and hashed as, its code string.

    Its texts (``severity``, ``summary``, ``fix``, ``explanation``, ``bad_example``,
    ``good_example``) are read from rules.yaml on first use: a ``check`` whose
    results all come from the cache never needs them, nor the YAML parser.
    """

    __slots__ = ("code", *_TEXTS)

    def __init__(self, code: str, severity: Severity | None = None, summary: str = "", fix: str = "",
                 explanation: str = "", bad_example: str = "", good_example: str = ""):
        object.__setattr__(self, "code", code)
        if severity is not None:
            self._fill(severity=severity, summary=summary, fix=fix, explanation=explanation, bad_example=bad_example,
                       good_example=good_example)

    def _fill(self, **texts: Any) -> None:
        for name in _TEXTS:
            object.__setattr__(self, name, texts[name])

    def __getattr__(self, name: str) -> Any:  # only called for a text not read yet
        if name not in _TEXTS:
            raise AttributeError(f"'Rule' object has no attribute {name!r}")
        RULES.load()
        return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: a Rule is immutable")

    def __repr__(self) -> str:
        return f"Rule(code={self.code!r}, " + ", ".join(f"{n}={getattr(self, n)!r}" for n in _TEXTS) + ")"

    def __str__(self) -> str:
        return self.code

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Rule):
            return other.code == self.code
        return isinstance(other, str) and other == self.code

    def __hash__(self) -> int:
        return hash(self.code)


# Each entry of rules.yaml opens with its code, in the file's own order.
_ENTRY_CODE = re.compile(r"^- code: (GM\d{3})[ \t]*$", re.MULTILINE)


class RuleRegistry(Mapping[str, Rule]):
    """``RULES``: code -> ``Rule``, in the order of graphmask/rules.yaml.

    The codes are found by their ``- code:`` lines; the YAML itself is parsed
    (libyaml, a few ms, plus the import of the YAML package) the first time a
    rule's text is read, and must list the same codes.
    """

    def __init__(self, path: str):
        self._path = path
        with open(path, encoding="utf-8") as handle:
            self._text = handle.read()
        self._rules = {code: Rule(code) for code in _ENTRY_CODE.findall(self._text)}
        self._loaded = False

    def __getitem__(self, code: str) -> Rule:
        return self._rules[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, code: object) -> bool:
        return code in self._rules

    def load(self) -> None:
        """Read every rule's texts (once)."""
        if self._loaded:
            return
        import yaml

        entries = yaml.load(self._text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        if [entry["code"] for entry in entries] != list(self._rules):
            raise RuntimeError(f"{self._path}: every entry must start with its own `- code: GMnnn` line")
        for entry in entries:
            texts = {k: entry.get(k, "").strip("\n") for k in ("explanation", "bad_example", "good_example")}
            self._rules[entry["code"]]._fill(severity=Severity(entry["severity"]), summary=entry["summary"],
                                             fix=entry["fix"], **texts)
        self._loaded = True


# Rule texts are data: graphmask/rules.yaml, next to this module.
RULES = RuleRegistry(os.path.join(os.path.dirname(os.path.abspath(__file__)), "rules.yaml"))


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
