"""The seed examples in specs/examples/ report exactly what their comments promise.

Each example's leading comment block has one ``# expect: GMxxx line N`` per
expected diagnostic (N = the 1-based line it points at), or
``# expect: nothing`` (parsed by ``spec_expectations``). The expectations are what Keras 3 does (recorded in
each file's comment), not what the current checker happens to say.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import spec_expectations
from graphmask.checker import check_path
from graphmask.spec import load_file

EXAMPLES = Path(__file__).resolve().parent.parent / "specs" / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
# GM901 (an `ignore:` that suppressed nothing) is about the suppressions, not the model.
_IGNORED_CODES = {"GM901"}


def expectations(path: Path) -> set[tuple[str, int]]:
    """The (code, line) pairs promised by the file's leading comment block."""
    return {(e.code, e.line) for e in spec_expectations.expectations(path)}


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_there_is_an_example_per_seed_model():
    # 000/001 Masking API, 002 guide (mask generators, 2 Embedding+LSTM
    # models, 5 custom layers), 003 blog (3 models), 004 blog (3 layers).
    assert len(EXAMPLE_FILES) >= 14, [p.name for p in EXAMPLE_FILES]


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=_ids(EXAMPLE_FILES))
def test_example_reports_exactly_what_it_promises(path: Path):
    expected = expectations(path)
    result = check_path(path)
    actual = {(d.code, d.line) for d in result.diagnostics if d.code not in _IGNORED_CODES}
    details = "\n".join(f"  {d.line}:{d.column} {d.code} {d.message}" for d in result.diagnostics)
    assert actual == expected, f"{path.name}: expected {sorted(expected)}, got {sorted(actual)}\n{details}"
    missing, _ = spec_expectations.unmatched(spec_expectations.expectations(path), result.diagnostics)
    assert not missing, f"{path.name}: reported with another severity: {[str(e) for e in missing]}\n{details}"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=_ids(EXAMPLE_FILES))
def test_example_loads_without_unexpected_spec_errors(path: Path):
    expected = expectations(path)
    loaded = load_file(path)
    assert loaded.spec is not None, [d.message for d in loaded.diagnostics]
    structural = {(d.code, d.line) for d in check_path(path).diagnostics if d.code.startswith("GM1")}
    assert structural <= expected, f"{path.name}: unexpected {sorted(structural - expected)}"


def test_expectation_lines_point_at_a_node_or_argument():
    """Every promised line is an `- id:` line or an argument key, never a comment."""
    for path in EXAMPLE_FILES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for code, line in expectations(path):
            text = lines[line - 1]
            assert not text.lstrip().startswith("#"), f"{path.name}:{line} ({code}) is a comment line"
            assert re.match(r"^\s*(- id: \w+|\w+: .+)$", text), f"{path.name}:{line} ({code}): {text!r}"


# -- the custom-layer declarations are true of the real classes -------------------

CUSTOM_EXAMPLES = [p for p in EXAMPLE_FILES if "custom_layers:" in p.read_text(encoding="utf-8")]
# The blog's BooleanMasking/ExternalDataMasking cannot be called on a symbolic
# input (a Python `if` on a tensor): Keras cannot build them at all.
UNBUILDABLE = {"blog_custom_boolean_masking", "blog_custom_external_data_masking"}


@pytest.mark.parametrize("path", CUSTOM_EXAMPLES, ids=_ids(CUSTOM_EXAMPLES))
def test_custom_layer_declarations_match_the_classes(path: Path, keras, monkeypatch):
    from graphmask.keras.compile import compile_spec
    from graphmask.keras.errors import CompileError

    monkeypatch.syspath_prepend(str(EXAMPLES))  # makes `examples.guide_layers` importable
    if path.stem in UNBUILDABLE:
        with pytest.raises(CompileError) as failure:
            compile_spec(path, allow_imports=["examples"], force=True)
        assert {d.code for d in failure.value.diagnostics} == {"GM303"}
        return
    compiled = compile_spec(path, allow_imports=["examples"], force=True)
    lies = [d.message for d in compiled.diagnostics if d.code in ("GM305", "GM306")]
    assert not lies, lies
