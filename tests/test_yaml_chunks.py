"""Reading a spec again from its parts (``parse_yaml(earlier=)``) is reading it whole.

The language server's re-check composes only the top-level entries and
``layers:`` items whose text changed (``graphmask.spec.yaml_chunks``).  Here
that read must give the same data, the same position for every YAML node and
the same refusal (message and position) as reading the whole text, on every
spec in the repository, generated specs, and those texts broken the ways
typing breaks them.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path

import pytest
import yaml

from bench.specgen import generate, spec_text, to_yaml
from graphmask.checker import check_text
from graphmask.spec.yaml_loader import SourceMap, YamlLoadError, parse_yaml

REPO = Path(__file__).resolve().parent.parent
SPECS = sorted({*REPO.glob("specs/**/*.yaml"), *REPO.glob("tests/data/**/*.yaml"), *REPO.glob("docs/**/*.yaml")})
BREAKS = ['"', "'", ":", "-", "{", "}", "[", "]", " ", "\n", "#", "x", "  - ", "\n- a", "\nlayers:\n", ": :",
          "\n  ", "\n---\n", "&a ", "*a", "!!str ", "\t", "%YAML 1.1\n", "? "]


def _marks(node: yaml.Node, path: tuple = ()) -> list[tuple]:
    marks = [(path, type(node).__name__, node.tag, node.start_mark.line, node.start_mark.column)]
    if isinstance(node, yaml.MappingNode):
        for i, (key, value) in enumerate(node.value):
            marks += _marks(key, path + (i, "key")) + _marks(value, path + (i, "value"))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            marks += _marks(item, path + (i,))
    else:
        marks.append(node.value)
    return marks


def _read(text: str, earlier: SourceMap | None = None) -> tuple:
    try:
        data, source = parse_yaml(text, "model.yaml", earlier=earlier)
    except YamlLoadError as exc:
        return "refused", exc.message, exc.position
    return data, _marks(source._root) if source._root is not None else None


def _texts() -> list[tuple[str, str]]:
    texts = [(str(path.relative_to(REPO)), path.read_text(encoding="utf-8")) for path in SPECS]
    texts += [(f"dag{seed}", spec_text(30, seed=seed)) for seed in range(10)]
    texts += [(f"mixed{seed}", to_yaml(generate(30, seed=seed))) for seed in range(10)]
    return texts


def _broken(text: str, rng: random.Random) -> str:
    at = rng.randrange(len(text))
    kind = rng.randrange(4)
    if kind == 0:
        return text[:at] + rng.choice(BREAKS) + text[at:]
    if kind == 1:
        return text[:at] + text[at + rng.randrange(1, 30):]
    lines = text.splitlines(keepends=True)
    i = rng.randrange(len(lines))
    if kind == 2:
        lines.insert(i, lines[rng.randrange(len(lines))])
    else:
        lines[i] = lines[i].lstrip()
    return "".join(lines)


def test_every_spec_reads_the_same_from_its_parts() -> None:
    read_in_parts = 0
    for name, text in _texts():
        try:
            read_in_parts += bool(parse_yaml(text, "model.yaml", earlier=SourceMap("model.yaml", None))[1].chunks.parts)
        except YamlLoadError:
            pass  # refused: compared below
        assert _read(text, SourceMap("model.yaml", None)) == _read(text), name
    assert read_in_parts >= len(SPECS) // 2  # most specs are plain block style: the parts are really used


@pytest.mark.parametrize("seed", range(4))
def test_broken_texts_are_refused_the_same_way(seed: int) -> None:
    rng = random.Random(seed)
    for name, text in _texts():
        for _ in range(3):
            broken = _broken(text, rng)
            assert _read(broken, SourceMap("model.yaml", None)) == _read(broken), f"{name}:\n{broken}"


@pytest.mark.parametrize("text", [
    "graphmask: 1\n.name: x\n",  # a key the splitter does not take for one
    "? graphmask\n: 1\nname: x\n",
    "---\ngraphmask: 1\nname: x\n",
    "graphmask: 1\n...\n",
    "%YAML 1.1\n---\ngraphmask: 1\n",
    "layers:\n  - a\n b: 1\n",  # less indented than the items
    "layers:\n  - a\n    - b\n  - c\n",
    "layers:\n- a\n- b\nname: x\n",  # items not indented
    "layers:  # the layers\n  - {id: a}\n  # between\n\n  - {id: b}\n",
    "layers:\n  -\n    id: a\n  - id: b\n    type: Dense\n",
    "layers: [a, b]\nname: x\n",
    "layers:\n\n\n  - a\n",
    "layers:\n",
    "description: |\n  text\n\n  more\nname: x\n",
    "description: >\n  folded\n  text\nname: x\n",
    "name: a\n  continued\nlayers:\n  - a\n",
    "name: a\ncontinued\n",
    "graphmask: 1\ngraphmask: 2\n",
    "1: a\n'1': b\n",
    "name: x\nlayers:\n  - a\nlayers:\n  - b\n",
    "layers:\n  - a: 1\n    a: 2\n",
    "# only a comment\n",
    "- a\n- b\n",
])
def test_tricky_texts_read_the_same(text: str) -> None:
    assert _read(text, SourceMap("model.yaml", None)) == _read(text)


def test_an_edit_composes_only_the_part_it_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    text = spec_text(40, seed=2)
    _, first = parse_yaml(text, "model.yaml", earlier=SourceMap("model.yaml", None))
    composed: list[str] = []
    compose = yaml.compose
    monkeypatch.setattr(yaml, "compose", lambda part, **kw: composed.append(part) or compose(part, **kw))
    edited = text.replace("units: 4", "units: 5", 1)
    line = next(line for line in edited.splitlines() if "units: 5" in line)
    assert _read(edited, first) == _read(edited)
    assert len(composed) == 2  # the part read again, then the whole text (the read from scratch)
    assert composed[0].strip() == line.strip()


def test_parts_kept_for_the_next_read_are_not_changed_by_a_check() -> None:
    text = (REPO / "specs" / "examples" / "guide_functional_embedding_lstm.yaml").read_text(encoding="utf-8")
    first = check_text(text, "model.yaml")
    again = check_text(text + "\n", "model.yaml", previous=first)
    kept = again.spec.source.chunks.parts
    before = copy.deepcopy({key: data for key, (_, data) in kept.items()})
    check_text(text, "model.yaml", previous=again)
    assert {key: data for key, (_, data) in kept.items()} == before
