"""graphmask's exceptions: one base for the errors that carry located diagnostics, and bad usage.

Plain classes with no imports beyond the diagnostics, so every layer of the
package (the loader, the explainer, the Keras backend, the commands) can
raise them without importing another.
"""

from __future__ import annotations

from typing import Sequence

from graphmask.diagnostics import Diagnostic, Severity


def located(diagnostic: Diagnostic) -> str:
    """``file:line:col: CODE message``, the one-line form of a diagnostic in an error message."""
    d = diagnostic
    return f"{d.file}:{d.line}:{d.column}: {d.code} {d.message}"


class GraphmaskError(Exception):
    """An error that carries the diagnostics saying why and where (``diagnostics``)."""

    def __init__(self, diagnostics: Sequence[Diagnostic], message: str):
        self.diagnostics = list(diagnostics)
        super().__init__(message)


class SpecError(GraphmaskError, ValueError):
    """A spec could not be loaded; ``diagnostics`` says why and where."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        super().__init__(diagnostics, located(diagnostics[0]) if diagnostics else "invalid spec")


class ExplainError(GraphmaskError, ValueError):
    """The spec is too broken to explain (e.g. it does not load, or has a cycle)."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        errors = [d for d in diagnostics if d.severity is Severity.ERROR]
        super().__init__(diagnostics, located(errors[0]) if errors else "spec cannot be explained")


class UsageError(Exception):
    """Bad command-line usage detected after parsing (the CLI prints it and exits 2)."""
