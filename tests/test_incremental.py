"""An editor's re-check (``check_text(..., previous=...)``) gives exactly what a check from scratch gives.

The language server hands each check the document's last result, and the
mask pass then recomputes only the nodes an edit changed (``masks._Earlier``).
Here every example spec, every rule's fixtures and generated specs are edited the ways a person
types (a number changed, an argument toggled or removed, an input rewired, a
pad value changed, a line inserted above everything) and checked both ways,
one edit after another as in the server: diagnostics, the running model's
flow, the built graph's flow and Keras's call order must be equal.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from bench.specgen import generate, spec_text, to_yaml
from graphmask.analysis.masks import infer_masks
from graphmask.checker import CheckResult, check_text

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "specs" / "examples").glob("*.yaml"))
RULE_FIXTURES = sorted((REPO / "tests" / "data" / "rules").glob("*/*.yaml"))  # every rule's bad and good cases


def _edits(text: str, rng: random.Random) -> list[str]:
    """A sequence of versions of ``text``, each one edit after the previous."""
    versions = []
    for _ in range(6):
        kind = rng.choice(["number", "bool", "drop_arg", "rewire", "pad", "shift", "units"])
        if kind == "number":
            spots = list(re.finditer(r"(?<=: )\d+", text))
            if spots:
                m = rng.choice(spots)
                text = text[:m.start()] + str(int(m.group()) % 7 + 1) + text[m.end():]
        elif kind == "bool":
            spots = list(re.finditer(r"\b(true|false)\b", text))
            if spots:
                m = rng.choice(spots)
                text = text[:m.start()] + ("false" if m.group() == "true" else "true") + text[m.end():]
        elif kind == "drop_arg":
            spots = list(re.finditer(r", (return_sequences|mask_zero|activation|padding): [^,}]+", text))
            if spots:
                m = rng.choice(spots)
                text = text[:m.start()] + text[m.end():]
        elif kind == "rewire":
            ids = re.findall(r"id: (\w+)", text)
            spots = list(re.finditer(r"inputs: (\w+)", text))
            if spots and ids:
                m = rng.choice(spots)
                text = text[:m.start(1)] + rng.choice(ids) + text[m.end(1):]
        elif kind == "pad":
            spots = list(re.finditer(r"pad_value: [^,}\n]+", text))
            if spots:
                m = rng.choice(spots)
                text = text[:m.start()] + f"pad_value: {rng.choice(['0', '1', '-1.0'])}" + text[m.end():]
        elif kind == "units":
            spots = list(re.finditer(r"units: \d+", text))
            if spots:
                m = rng.choice(spots)
                text = text[:m.start()] + f"units: {rng.randint(1, 12)}" + text[m.end():]
        else:  # every position moves down a line
            text = "# edited\n" + text
        versions.append(text)
    return versions


def _view(result: CheckResult) -> tuple:
    diagnostics = [d.to_dict() for d in result.diagnostics]
    if result.graph is None or not result.graph.acyclic:
        return diagnostics, None, None
    flow = infer_masks(result.graph)
    symbolic = [n.to_dict() for n in flow.symbolic.values()] if flow.symbolic is not None else None
    return diagnostics, flow.to_dict(), symbolic, flow.execution_order


def _texts() -> list[tuple[str, str]]:
    texts = [(path.name, path.read_text(encoding="utf-8")) for path in EXAMPLES]
    texts += [(f"{path.parent.name}/{path.name}", path.read_text(encoding="utf-8")) for path in RULE_FIXTURES]
    texts += [(f"dag{seed}", spec_text(60, seed=seed)) for seed in range(12)]
    texts += [(f"mixed{seed}", to_yaml(generate(40, seed=seed))) for seed in range(12)]
    return texts


@pytest.mark.parametrize("name,text", _texts(), ids=lambda v: v if len(v) < 40 else None)
def test_recheck_after_edits_equals_a_fresh_check(name: str, text: str) -> None:
    rng = random.Random(name)
    previous = check_text(text, "model.yaml")
    compared = 0
    for version in _edits(text, rng):
        again = check_text(version, "model.yaml", previous=previous)
        fresh = check_text(version, "model.yaml")
        assert _view(again) == _view(fresh), f"{name}: re-check differs after the edit to\n{version}"
        compared += 1
        if again.spec is not None:  # the server keeps the last version that loaded
            previous = again
    assert compared == 6


def test_an_unchanged_node_keeps_its_flow_objects() -> None:
    """The reuse is real: after an edit at the end, the nodes before it keep their earlier output states."""
    text = spec_text(60, seed=3)
    first = check_text(text, "model.yaml")
    last_units = list(re.finditer(r"units: \d+", text))[-1]
    edited = text[:last_units.start()] + "units: 11" + text[last_units.end():]
    again = check_text(edited, "model.yaml", previous=first)
    before, after = infer_masks(first.graph), infer_masks(again.graph)
    kept = [n for n in after.nodes if after.nodes[n].outputs is before.nodes[n].outputs]
    assert len(kept) >= len(after.nodes) // 2
    assert again.graph.previous is None  # used, then let go: no chain of old checks


@pytest.mark.parametrize("old,new,code", [
    ("pad_value: 0", "pad_value: 3", "GM206"),  # the mask now looks for another value than the padding
    ("padding: post", "padding: pre", "GM402"),  # left padding reaches cuDNN
])
def test_an_edit_of_the_inputs_section_reaches_every_node(old: str, new: str, code: str) -> None:
    """Only the Embedding's call and inputs are unchanged: what its mask marks comes from the input's
    declaration, so the earlier flows must not be reused."""
    text = (EXAMPLES[0].parent / "guide_functional_embedding_lstm.yaml").read_text(encoding="utf-8")
    first = check_text(text, "model.yaml")
    assert code not in {d.code for d in first.diagnostics}
    edited = text.replace(old, new)
    again = check_text(edited, "model.yaml", previous=first)
    assert code in {d.code for d in again.diagnostics}
    assert _view(again) == _view(check_text(edited, "model.yaml"))
