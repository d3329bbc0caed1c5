"""``graphmask.keras.MaskCheck()``: a Keras callback that checks the model's masks when training starts."""

from __future__ import annotations

import warnings
from typing import Any

import keras


class MaskProblem(UserWarning):
    """Warned by ``MaskCheck`` for each finding (``on_problem="warn"``)."""


class MaskCheck(keras.callbacks.Callback):
    """Check ``self.model`` at ``on_train_begin``: warn (default) or raise ``AssertionError`` on findings.

    ``ignore``/``select`` take codes as ``graphmask.check`` does; ``on_problem`` is ``"warn"`` or ``"raise"``;
    ``errors_only`` skips warnings and infos.
    """

    def __init__(self, on_problem: str = "warn", *, ignore: Any = None, select: Any = None,
                 errors_only: bool = False):
        super().__init__()
        if on_problem not in ("warn", "raise"):
            raise ValueError(f"on_problem must be 'warn' or 'raise', not {on_problem!r}")
        self.on_problem, self.ignore, self.select, self.errors_only = on_problem, ignore, select, errors_only
        self.diagnostics: list = []

    def on_train_begin(self, logs=None):
        import graphmask
        from graphmask.diagnostics import Severity
        from graphmask.report.text import diagnostic_line

        found = graphmask.check(self.model, ignore=self.ignore, select=self.select)
        floor = Severity.ERROR.rank if self.errors_only else Severity.WARNING.rank
        self.diagnostics = [d for d in found if d.severity.rank >= floor]
        if not self.diagnostics:
            return
        if self.on_problem == "raise":
            raise AssertionError("graphmask.keras.MaskCheck: " + "; ".join(diagnostic_line(d) for d in self.diagnostics))
        for d in self.diagnostics:
            warnings.warn(diagnostic_line(d), MaskProblem, stacklevel=2)
