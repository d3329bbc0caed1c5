"""``graphmask rules``, the rule texts in the registry, and the generated docs/rules pages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from devtools.docs import rules as docs_gen
from graphmask.checker import check_text
from graphmask.diagnostics import RULES, Severity

REPO = Path(__file__).resolve().parent.parent
# Codes found only when Keras builds the model (check --deep, compile): not by check_text.
BUILD_TIME = {"GM303", "GM305", "GM306"}
# Codes with no spec-side cause (graphmask bugs): their examples are comments.
NO_SPEC_CAUSE = {"GM000", "GM110", "GM304"}  # GM110: saved models only (tests/test_saved_models.py)


def test_rules_lists_every_code_with_severity_and_summary(cli):
    code, out, _ = cli("rules")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(RULES)
    for line, rule in zip(lines, RULES.values()):
        assert re.fullmatch(rf"{rule.code}  {rule.severity.value}\s+{re.escape(rule.summary)}", line)


def test_rules_code_prints_explanation_and_examples(cli):
    code, out, _ = cli("rules", "gm201")
    assert code == 0
    rule = RULES["GM201"]
    assert out.startswith(f"GM201 (error): {rule.summary}\n")
    assert "Keras 3 drops the mask" in out
    assert f"Fix: {rule.fix}" in out
    bad, good = out.index("Bad:\n"), out.index("Good:\n")
    assert bad < good
    assert "    type: Flatten" in out[bad:good] and "    type: GlobalAveragePooling1D" in out[good:]


def test_rules_json_and_unknown_code(cli):
    code, out, _ = cli("rules", "GM101", "GM901", "--format", "json")
    data = json.loads(out)
    assert [r["code"] for r in data] == ["GM101", "GM901"]
    assert data[1]["severity"] == "warning" and data[1]["bad_example"].startswith("graphmask: 1")
    code, _, err = cli("rules", "GM2011")
    assert code == 2 and "no rule `GM2011` (did you mean `GM201`?)" in err


@pytest.mark.parametrize("code", list(RULES))
def test_every_rule_is_documented(code):
    rule = RULES[code]
    assert len(rule.explanation.split()) >= 25, "explain the rule in a few sentences"
    assert rule.bad_example.strip() and rule.good_example.strip()
    assert rule.bad_example != rule.good_example
    assert not rule.explanation.startswith(" ") and not rule.bad_example.startswith(" ")


def _emitted_somewhere(code: str) -> bool:
    """Whether any module other than the registry emits the code (i.e. its pass exists)."""
    return any(f'"{code}"' in path.read_text(encoding="utf-8")
               for path in (REPO / "graphmask").rglob("*.py") if path.name != "diagnostics.py")


@pytest.mark.parametrize("code", [c for c in RULES if c not in NO_SPEC_CAUSE])
def test_examples_do_what_they_say(code):
    """The bad example triggers its code and the good one is clean, per the real checker."""
    rule = RULES[code]
    bad = check_text(rule.bad_example, f"{code}-bad.yaml").diagnostics
    good = check_text(rule.good_example, f"{code}-good.yaml").diagnostics
    assert not [d for d in good if d.severity is Severity.ERROR or d.code == code], good
    if code in BUILD_TIME:
        assert not [d for d in bad if d.code.startswith(("GM1", "GM2"))
                    and d.severity is Severity.ERROR], "the bad example must get past the static checks"
        pytest.skip(f"{code} is found when Keras builds the model: see test_build_time_examples_with_keras")
    if code not in {d.code for d in bad} and not _emitted_somewhere(code):
        pytest.skip(f"no analysis pass emits {code} yet")
    assert code in {d.code for d in bad}, bad


def test_checked_in_rule_pages_are_current():
    directory = REPO / "docs" / "rules"
    expected = docs_gen.pages()
    stale = [name for name, content in expected.items()
             if not (directory / name).exists() or (directory / name).read_text(encoding="utf-8") != content]
    extra = sorted(p.name for p in directory.glob("GM*.md") if p.name not in expected)
    assert not stale and not extra, (
        f"docs/rules is stale ({stale + extra}); run `python -m devtools.docs`")


def test_docs_gen_writes_and_prunes(tmp_path):
    (tmp_path / "GM999.md").write_text("a removed rule")
    changed = docs_gen.write(tmp_path)
    assert len(changed) == len(RULES) + 2  # every page, the index, and the pruned GM999.md
    assert not (tmp_path / "GM999.md").exists()
    assert docs_gen.write(tmp_path) == []  # idempotent
    page = (tmp_path / "GM205.md").read_text()
    assert page.splitlines()[2] == f"# GM205: {RULES['GM205'].summary}" and "```yaml" in page


SCALE_MODULE = '''
import keras


class Scale(keras.layers.Layer):
    """Doubles its input and passes the input mask on unchanged."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs * 2.0
'''


@pytest.mark.keras
def test_build_time_examples_with_keras(keras, tmp_path, monkeypatch):
    """GM303/GM305/GM306 examples do what they say when Keras builds them."""
    from graphmask import loads
    from graphmask.keras.compile import compile_spec
    from graphmask.keras.errors import CompileError

    package = tmp_path / "my_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "layers.py").write_text(SCALE_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))

    def codes_when_compiled(code: str, kind: str, allow=("my_pkg",)) -> set[str]:
        try:
            compile_spec(loads(getattr(RULES[code], kind)), allow_imports=allow)
        except CompileError as exc:
            return {d.code for d in exc.diagnostics}
        return set()

    assert "GM303" in codes_when_compiled("GM303", "bad_example")
    assert codes_when_compiled("GM303", "good_example") == set()
    assert "GM305" in codes_when_compiled("GM305", "bad_example")
    assert codes_when_compiled("GM305", "good_example") == set()
    assert "GM306" in codes_when_compiled("GM306", "bad_example", allow=())  # my_pkg not allowed
    assert codes_when_compiled("GM306", "good_example") == set()  # --allow-import my_pkg
