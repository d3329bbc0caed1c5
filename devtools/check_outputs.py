"""Record what `graphmask check` prints for every spec of the checkout, to compare two versions.

``python -m devtools.check_outputs OUT.txt`` runs ``graphmask check`` on each
YAML file under specs/ and tests/data/, one file at a time, in text (with the
source lines) and JSON, and writes every command, its exit status, stdout and
stderr to OUT.txt. A speed change must leave that file byte-identical::

    python -m devtools.check_outputs /tmp/before.txt   # on the old commit
    python -m devtools.check_outputs /tmp/after.txt    # on the new one
    cmp /tmp/before.txt /tmp/after.txt

The commands run in this process (``graphmask.cli.main``), so the file also
shows any state leaking from one check into the next.
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMATS = (["--format", "text", "--show-source", "--color", "never"], ["--format", "json"])


def spec_files() -> list[Path]:
    return sorted(p for folder in ("specs", "tests/data") for p in (ROOT / folder).rglob("*")
                  if p.suffix in (".yaml", ".yml"))


def run_check(argv: list[str]) -> tuple[int, str, str]:
    from graphmask.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def record() -> str:
    chunks = []
    for path in spec_files():
        rel = path.relative_to(ROOT).as_posix()
        for fmt in FORMATS:
            argv = ["check", rel, "--no-config", "--no-cache", *fmt]
            code, out, err = run_check(argv)
            chunks.append(f"$ graphmask {' '.join(argv)}\n[exit {code}]\n{out}[stderr]\n{err}\n")
    return "".join(chunks)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    import os

    os.chdir(ROOT)
    Path(argv[0]).write_text(record(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
