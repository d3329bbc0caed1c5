"""Generated blocks in hand-written docs, and the files generated whole.

Hand-written Markdown holds generated blocks between markers::

    <!-- BEGIN GENERATED layer-table: python -m devtools.docs -->
    ...
    <!-- END GENERATED layer-table -->

Only the text between markers is rewritten. ``docs/spec-schema.json`` is
generated whole.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _schema_json() -> str:
    from graphmask.spec import json_schema

    return json.dumps(json_schema(), indent=2) + "\n"


def _blocks() -> dict[str, dict[str, Callable[[], str]]]:
    """file name in docs/ -> block name -> generator."""
    from devtools.docs.cli_reference import cli_reference
    from devtools.docs.masking_tables import layer_table, seed_findings
    from devtools.docs.spec_fields import field_tables
    from devtools.docs.tutorial_outputs import blocks as tutorial_blocks

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
