"""One module per subcommand: ``register(subparsers) -> parser`` and ``run(args) -> int``.

The few things several commands do alike live here: refusing a missing input
or an unwritable output before any work (and before TensorFlow loads), and
printing diagnostics in the ``check`` text format.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from graphmask.errors import UsageError

if TYPE_CHECKING:
    from graphmask.diagnostics import Diagnostic


def require_file(path: str) -> None:
    """The command's input must be a file (a usage error, exit 2, otherwise)."""
    if not os.path.isfile(path):
        raise UsageError(f"no such file: {path}")


def refuse_existing(path: str | os.PathLike, overwrite: bool) -> None:
    """Fail before the work when the output exists and ``--overwrite`` was not given, or
    is no regular file (a FIFO, a device: ``graphmask.atomic.check_target``).

    ``graphmask.atomic`` enforces this again, race-free, when it writes.
    """
    from graphmask.atomic import check_target

    check_target(path, overwrite)


def refuse_output(path: str | os.PathLike, overwrite: bool) -> None:
    """``refuse_existing``, and a missing directory is a usage error too (before TensorFlow loads)."""
    refuse_existing(path, overwrite)
    directory = Path(path).absolute().parent
    if not directory.is_dir():
        raise UsageError(f"no such directory: {directory}")


def print_diagnostics(diagnostics: list[Diagnostic], file: str) -> None:
    """Diagnostics in the `check` text format, on stderr (stdout is for results)."""
    if not diagnostics:
        return
    from graphmask.checker import CheckResult
    from graphmask.diagnostics import Diagnostic
    from graphmask.report.text import format_text

    sys.stderr.write(format_text([CheckResult(file, None, None, sorted(diagnostics, key=Diagnostic.sort_key))]))
