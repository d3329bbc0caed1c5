"""Errors of the Keras backend that carry located diagnostics (no TF import)."""

from __future__ import annotations

from typing import Sequence

from graphmask.diagnostics import Diagnostic
from graphmask.errors import GraphmaskError, located


class CompileError(GraphmaskError):
    """The spec could not be turned into a Keras model; ``diagnostics`` says why."""

    def __init__(self, diagnostics: Sequence[Diagnostic], summary: str = "cannot compile the spec"):
        detail = f": {located(diagnostics[0])}" if diagnostics else ""
        more = f" (and {len(diagnostics) - 1} more)" if len(diagnostics) > 1 else ""
        super().__init__(diagnostics, f"{summary}{detail}{more}")


class InputError(ValueError):
    """Input data for ``run`` does not match the spec's inputs (checked before TF loads)."""


class RunError(RuntimeError):
    """``run`` cannot proceed: no such device, unreadable or mismatched weights."""


class ModelFailed(RuntimeError):
    """The model was built but Keras raised while running it (the model's code is at fault)."""
