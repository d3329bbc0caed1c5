"""Every generated file under ``docs/``: ``python -m devtools.docs [--check]``.

A development tool, not shipped with graphmask (it writes into a checkout's
``docs/``). It regenerates

* ``docs/rules/`` -- one page per rule of ``graphmask/rules.yaml`` (``rules``),
* the generated blocks of hand-written pages and ``docs/spec-schema.json``
  (``blocks``, which draws on ``cli_reference``, ``spec_fields``,
  ``masking_tables`` and ``tutorial_outputs``).

``--check`` writes nothing, lists the stale files and exits 1 if there are
any; tests/test_docs.py runs the same check through :func:`stale`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from devtools.docs import blocks, rules, sync

COMMAND = "python -m devtools.docs"


def _wanted() -> tuple[dict[Path, str], list[Path]]:
    """(every generated file's wanted content, generated files to remove)."""
    pages, removed = rules.expected()
    return {**pages, **blocks.expected()}, removed


def stale() -> list[Path]:
    """Generated files that are out of date, missing, or left over from a removed rule."""
    return sync.out_of_date(*_wanted())


def generate_all() -> list[Path]:
    """Bring every generated file up to date; returns the files written or removed."""
    return sync.write(*_wanted())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv not in ([], ["--check"]):
        print(f"usage: {COMMAND} [--check]", file=sys.stderr)
        return 2
    if argv == ["--check"]:
        out_of_date = stale()
        for path in out_of_date:
            print(f"stale: {path} (run `{COMMAND}`)")
        return 1 if out_of_date else 0
    for path in generate_all():
        print(f"wrote {path}")
    return 0
