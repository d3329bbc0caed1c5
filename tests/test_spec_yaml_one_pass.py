"""The one-pass YAML reader gives exactly what measuring, composing and building give.

``yaml_loader._read`` builds the node tree and the data while it measures
the event stream; it hands anything unusual (anchors, aliases, several
documents, values the builder refuses) to the three-pass path. Both must
agree on every text: same data (types included), same node tree (tags,
values, positions, styles), same refusal.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bench.specgen import spec_text
from graphmask.spec import yaml_loader
from graphmask.spec.limits import Limits
from graphmask.spec.yaml_loader import YamlLoadError, parse_yaml

ROOT = Path(__file__).resolve().parent.parent


def _three_passes(text: str, limits: Limits):
    yaml_loader._measure(text, limits)
    root = yaml.compose(text, Loader=yaml_loader._Loader)
    return root, (None if root is None else yaml_loader._Builder(limits).build(root))


def _typed(value):
    """The data with every scalar's type, so that 1, 1.0 and True differ."""
    if isinstance(value, dict):
        return ("dict", [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    return (type(value).__name__, repr(value))


def _tree(node):
    if node is None:
        return None
    marks = (node.start_mark.line, node.start_mark.column, node.start_mark.index,
             node.end_mark.line, node.end_mark.column, node.end_mark.index)
    if isinstance(node, yaml.ScalarNode):
        return ("scalar", node.tag, node.value, node.style, marks)
    if isinstance(node, yaml.SequenceNode):
        return ("seq", node.tag, node.flow_style, marks, [_tree(v) for v in node.value])
    return ("map", node.tag, node.flow_style, marks, [(_tree(k), _tree(v)) for k, v in node.value])


def _outcome(read, text: str, limits: Limits):
    try:
        root, data = read(text, limits)
    except YamlLoadError as exc:
        return ("refused", exc.message, exc.position, exc.hint)
    except yaml.YAMLError as exc:
        return ("yaml error", str(exc))
    return ("read", _tree(root), _typed(data))


def _one_pass(text: str, limits: Limits):
    return yaml_loader._read(text, limits)


ODD_TEXTS = [
    "", "---\n", "x", "a: 1", "- [a, {b: c}]", "a:\n", "? a\n? b\n", "{a, b: }", "[a: b]",
    "a: 1\nb: 1.5\nc: true\nd: null\ne: ~\nf: '1'\ng: \"x\"\nh: 0x1F\ni: .inf\nj: -.NaN\nk: 1_000\n",
    "a: !!str 1\n", "a: ! 1\n", "a: !!binary aGk=\n", "a: !custom x\n", "a: !!set {x}\n",
    "a: &x 1\nb: *x\n", "a: *x\n", "a: &x [*x]\n", "a: 1\n---\nb: 2\n", "a: 1\na: 2\n", "1: a\ntrue: b\n",
    "<<: {a: 1}\n", "[a, b]: 1\n", "a: 99999999999999999999\n", "a: 9223372036854775807\n",
    "a: |\n  text\n  more\nb: >-\n  folded\n", "a: [1, 2\n", "a:\n\t- b\n", "key: value # comment\n",
    "a: " + "[" * 70 + "]" * 70 + "\n", "a:\n  b:\n    c:\n      - - - x\n",
]


@pytest.mark.parametrize("text", ODD_TEXTS)
def test_odd_texts_read_the_same(text):
    limits = Limits()
    assert _outcome(_one_pass_or_three, text, limits) == _outcome(_three_passes, text, limits)


def _one_pass_or_three(text: str, limits: Limits):
    try:
        return _one_pass(text, limits)
    except yaml_loader._Unusual:
        return _three_passes(text, limits)


def test_limits_refuse_at_the_same_event():
    text = spec_text(300)
    for limits in (Limits(max_nodes=500), Limits(max_depth=3), Limits(max_graph_nodes=100)):
        assert _outcome(_one_pass, text, limits) == _outcome(_three_passes, text, limits)
        assert _outcome(_one_pass, text, limits)[0] == "refused"


def test_every_spec_of_the_checkout_and_generated_ones_read_the_same():
    texts = [p.read_text(encoding="utf-8") for folder in ("specs", "tests/data")
             for p in sorted((ROOT / folder).rglob("*.y*ml"))]
    texts += [spec_text(200, seed=seed) for seed in range(3)] + [spec_text(100, shape="chain")]
    assert len(texts) > 100
    one_pass = 0
    for text in texts:
        expected = _outcome(_three_passes, text, Limits())
        try:
            got = _outcome(_one_pass, text, Limits())
        except yaml_loader._Unusual:
            continue
        one_pass += 1
        assert got == expected
    assert one_pass > 90  # the one pass is the common path, not the exception


def test_parse_yaml_uses_the_one_pass_for_a_plain_spec(monkeypatch):
    def no_compose(*args, **kwargs):
        raise AssertionError("composed a second time")

    monkeypatch.setattr(yaml, "compose", no_compose)
    data, source = parse_yaml(spec_text(50))
    assert data["layers"] and source.value(("layers", 3, "type")).line > 0
