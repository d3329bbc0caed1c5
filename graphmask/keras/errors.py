"""Errors of the Keras backend that carry located diagnostics (no TF import)."""

from __future__ import annotations

from graphmask.diagnostics import Diagnostic


class CompileError(Exception):
    """The spec could not be turned into a Keras model; ``diagnostics`` says why."""

    def __init__(self, diagnostics: list[Diagnostic], summary: str = "cannot compile the spec"):
        self.diagnostics = list(diagnostics)
        first = self.diagnostics[0] if self.diagnostics else None
        detail = f": {first.file}:{first.line}:{first.column}: {first.code} {first.message}" if first else ""
        more = f" (and {len(self.diagnostics) - 1} more)" if len(self.diagnostics) > 1 else ""
        super().__init__(f"{summary}{detail}{more}")


class InputError(ValueError):
    """Input data for ``run`` does not match the spec's inputs (checked before TF loads)."""


class RunError(RuntimeError):
    """``run`` cannot proceed: no such device, unreadable or mismatched weights."""


class ModelFailed(RuntimeError):
    """The model was built but Keras raised while running it (the model's code is at fault)."""
