"""Which diagnostics to report: ``--select``/``--ignore`` code prefixes and ``--strict``.

Applied after the checker (and after per-node ``ignore:`` suppressions), by
the CLI and the API alike, so every output format sees the same findings.

Prefix semantics follow ruff: ``GM2`` means every GM2xx code. When a code
matches both a select and an ignore prefix, the more specific (longer) one
wins, so ``--select GM201 --ignore GM2`` keeps GM201 and drops the other
GM2xx codes; on a tie, ignore wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from graphmask import codes
from graphmask.diagnostics import RULES, Diagnostic, Severity

# Codes that are always reported: without them a file that could not be read
# (or that crashed graphmask) would pass silently.
ALWAYS_REPORTED = frozenset({codes.GM000, codes.GM101})

_PREFIX = re.compile(r"^GM[0-9]{0,3}$")


class SelectionError(ValueError):
    """A code prefix that is malformed or matches no rule."""


def parse_codes(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"GM2, GM901"`` or ``["GM2", "GM901"]`` -> ``("GM2", "GM901")``, checked against ``RULES``."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    prefixes = []
    for item in items:
        if not isinstance(item, str):
            raise SelectionError(f"a code prefix must be a string, not {item!r}")
        prefix = item.strip().upper()
        if not prefix:
            continue
        if prefix == "ALL":
            prefix = "GM"
        if not _PREFIX.match(prefix):
            raise SelectionError(f"`{item.strip()}` is not a code or code prefix like `GM2` or `GM201`")
        if not any(code.startswith(prefix) for code in RULES):
            raise SelectionError(f"`{prefix}` matches no rule; `graphmask rules` lists them")
        prefixes.append(prefix)
    return tuple(prefixes)


def _longest_match(code: str, prefixes: tuple[str, ...]) -> int:
    return max((len(p) for p in prefixes if code.startswith(p)), default=-1)


@dataclass(frozen=True)
class Selection:
    """``select`` empty means every rule; ``strict`` reports warnings as errors."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    strict: bool = False

    @classmethod
    def from_options(cls, select=None, ignore=None, strict: bool = False) -> Selection:
        return cls(parse_codes(select), parse_codes(ignore), bool(strict))

    @property
    def everything(self) -> bool:
        """Every rule, as it is: applying it changes nothing."""
        return not (self.select or self.ignore or self.strict)

    def enabled(self, code: str) -> bool:
        if code in ALWAYS_REPORTED:
            return True
        selected = _longest_match(code, self.select) if self.select else 0
        return selected >= 0 and selected > _longest_match(code, self.ignore)

    def enabled_rules(self) -> list[str]:
        return [code for code in RULES if self.enabled(code)]

    def apply(self, diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
        kept = []
        for d in diagnostics:
            if not self.enabled(d.code):
                continue
            if self.strict and d.severity is Severity.WARNING:
                d = d.with_severity(Severity.ERROR)
            kept.append(d)
        return kept
