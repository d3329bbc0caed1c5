"""``CheckResult``, one file's outcome: in a module of its own so that the result
cache and the reports can name it without importing the checker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graphmask.diagnostics import Diagnostic
    from graphmask.graph import SpecGraph
    from graphmask.spec.models import Spec


@dataclass
class CheckResult:
    file: str
    spec: Spec | None
    graph: SpecGraph | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
