"""Generated parts of the docs: ``python -m graphmask.docs_blocks [--check]``.

Hand-written Markdown holds generated blocks between markers::

    <!-- BEGIN GENERATED layer-table: python -m graphmask.docs_blocks -->
    ...
    <!-- END GENERATED layer-table -->

Only the text between markers is rewritten. ``docs/spec-schema.json`` is
generated whole. tests/test_docs.py fails when any of it is stale; with
``--check`` this module does the same (exit 1) without writing.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Callable

DOCS = Path(__file__).resolve().parent.parent / "docs"
COMMAND = "python -m graphmask.docs_blocks"


def _schema_json() -> str:
    from graphmask.spec import json_schema

    return json.dumps(json_schema(), indent=2) + "\n"


def _blocks() -> dict[str, dict[str, Callable[[], str]]]:
    """file name in docs/ -> block name -> generator."""
    from graphmask.docs_cli import cli_reference
    from graphmask.docs_masking import layer_table, seed_findings
    from graphmask.docs_spec import field_tables
    from graphmask.docs_tutorial import blocks as tutorial_blocks

    return {
        "masking.md": {"seed-findings": seed_findings, "layer-table": layer_table},
        "cli.md": {"cli-reference": cli_reference},
        "spec-format.md": {"spec-fields": field_tables},
        "tutorial.md": tutorial_blocks(),
    }


WHOLE_FILES: dict[str, Callable[[], str]] = {"spec-schema.json": _schema_json}


def fill(text: str, name: str, body: str) -> str:
    """Replace the body of block ``name`` in ``text``; a missing block is an error, not a silent no-op."""
    pattern = re.compile(rf"(<!-- BEGIN GENERATED {re.escape(name)}:[^\n]*-->\n)(.*?)(<!-- END GENERATED {re.escape(name)} -->)",
                         re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"no `<!-- BEGIN GENERATED {name}: ... -->` ... `<!-- END GENERATED {name} -->` block")
    return pattern.sub(lambda m: m.group(1) + body.rstrip("\n") + "\n" + m.group(3), text, count=1)


def expected(docs: Path = DOCS) -> dict[Path, str]:
    """Every generated file's wanted content."""
    result = {docs / name: make() for name, make in WHOLE_FILES.items()}
    for name, blocks in _blocks().items():
        path = docs / name
        text = path.read_text(encoding="utf-8")
        for block, make in blocks.items():
            text = fill(text, block, make())
        result[path] = text
    return result


def _out_of_date(wanted: dict[Path, str]) -> dict[Path, str]:
    return {path: text for path, text in wanted.items()
            if not path.exists() or path.read_text(encoding="utf-8") != text}


def stale(docs: Path = DOCS) -> list[Path]:
    return list(_out_of_date(expected(docs)))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out_of_date = _out_of_date(expected())
    if argv == ["--check"]:
        for path in out_of_date:
            print(f"stale: {path} (run `{COMMAND}`)")
        return 1 if out_of_date else 0
    for path, text in out_of_date.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
