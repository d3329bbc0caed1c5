"""The docs: generated parts are fresh, every link resolves, every doc is reachable from the README."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import devtools.docs
from devtools.docs import blocks as docs_blocks
from graphmask.catalog import load_catalog
from graphmask.checker import check_text
from graphmask.cli import build_parser
from graphmask.spec import json_schema
from graphmask.spec.models import CustomLayerSpec, InputSpec, LayerSpec, MaskDeclaration, Spec, known_fields

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")  # inline Markdown links and images


def test_generated_docs_are_fresh():
    stale = devtools.docs.stale()
    assert stale == [], f"stale generated docs: {[str(p) for p in stale]}; run `{devtools.docs.COMMAND}`"


def test_a_block_without_markers_is_an_error_not_a_silent_no_op():
    with pytest.raises(ValueError, match="layer-table"):
        docs_blocks.fill("no markers here", "layer-table", "x")
    text = "a\n<!-- BEGIN GENERATED t: cmd -->\nold\n<!-- END GENERATED t -->\nb"
    assert docs_blocks.fill(text, "t", "new") == "a\n<!-- BEGIN GENERATED t: cmd -->\nnew\n<!-- END GENERATED t -->\nb"


def test_schema_file_is_what_graphmask_schema_prints(cli):
    code, out, _ = cli("schema")
    assert code == 0
    assert json.loads((DOCS / "spec-schema.json").read_text(encoding="utf-8")) == json.loads(out) == json_schema()


def test_spec_format_documents_every_field():
    text = (DOCS / "spec-format.md").read_text(encoding="utf-8")
    for model in (Spec, InputSpec, LayerSpec, CustomLayerSpec, MaskDeclaration):
        for name in known_fields(model):
            assert f"| `{name}` |" in text, f"{model.__name__}.{name} missing from spec-format.md"
    assert "# yaml-language-server: $schema=" in text and '"yaml.schemas"' in text


def test_spec_format_example_is_a_clean_spec():
    text = (DOCS / "spec-format.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(.*?)```", text, re.DOTALL).group(1)
    assert example.startswith("# yaml-language-server: $schema=../docs/spec-schema.json\n")
    assert check_text(example).diagnostics == []


def test_masking_table_has_every_catalog_layer():
    text = (DOCS / "masking.md").read_text(encoding="utf-8")
    cat = load_catalog()
    missing = [info.name for info in cat.layers() if not info.abstract and f"| `{info.name}` |" not in text]
    assert missing == []
    row = next(line for line in text.splitlines() if line.startswith("| `Flatten` |"))
    assert "drops it** (GM201)" in row  # Flatten does not support masking (keras-mask-facts F18)


def test_cli_doc_has_every_command_and_flag():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.choices and isinstance(a.choices, dict))
    for name, command in sub.choices.items():
        assert f"### graphmask {name}" in text
        for action in command._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert flag in text, f"graphmask {name} {flag} missing from cli.md"


def _links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)  # not links in code
    return [target for target in _LINK.findall(text) if not re.match(r"[a-z]+:", target) and not target.startswith("#")]


def _markdown_files() -> list[Path]:
    return [REPO / "README.md", *sorted(DOCS.rglob("*.md"))]


def test_every_relative_link_resolves():
    broken = []
    for page in _markdown_files():
        for target in _links(page):
            if not (page.parent / target.split("#", 1)[0]).exists():
                broken.append(f"{page.relative_to(REPO)} -> {target}")
    assert broken == []


def test_every_doc_is_reachable_from_the_readme():
    seen: set[Path] = set()
    todo = [REPO / "README.md"]
    while todo:
        page = todo.pop()
        if page in seen or not page.exists():
            continue
        seen.add(page)
        for target in _links(page):
            resolved = (page.parent / target.split("#", 1)[0]).resolve()
            if resolved.is_dir():  # GitHub lists a folder's files
                todo += sorted(resolved.glob("*.md"))
            elif resolved.suffix == ".md":
                todo.append(resolved)
    unreachable = [str(p.relative_to(REPO)) for p in sorted(DOCS.rglob("*.md")) if p.resolve() not in seen]
    assert unreachable == []


def test_every_security_promise_names_tests_that_exist():
    """docs/security.md's promise table: each `tests/x.py::name` (and `::name` after it) is a real test."""
    text = (DOCS / "security.md").read_text(encoding="utf-8")
    table = text.split("## Promises and the tests that keep them", 1)[1]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "tests/" in line]
    assert len(rows) >= 20
    for row in rows:
        file = None
        for ref in re.findall(r"`((?:tests/[\w/]+\.py)?::\w+)`", row):
            path, _, name = ref.partition("::")
            file = path or file
            source = (DOCS.parent / file).read_text(encoding="utf-8")
            assert re.search(rf"^def {name}\(", source, flags=re.MULTILINE), f"{file}::{name} (in: {row[:60]})"
