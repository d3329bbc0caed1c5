"""Composing before measuring gives exactly what measuring, composing and building give.

``yaml_loader._compose_unmeasured`` lets libyaml compose a text that cannot
hurt (bounded nesting, no alias, too few characters for ``max_nodes``) and
checks the limits on the tree; anything else (a limit reached, a composer
error, a value the builder refuses) goes to the measured path. Both must
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


def _measured(text: str, limits: Limits):
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


def _unmeasured(text: str, limits: Limits):
    return yaml_loader._compose_unmeasured(text, limits)


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
    assert _outcome(_either_path, text, limits) == _outcome(_measured, text, limits)


def _either_path(text: str, limits: Limits):
    try:
        return _unmeasured(text, limits)
    except yaml_loader._Unusual:
        return _measured(text, limits)


def test_a_text_past_a_limit_takes_the_measured_path():
    text = spec_text(300)
    for limits in (Limits(max_nodes=500), Limits(max_depth=3), Limits(max_graph_nodes=100)):
        with pytest.raises(yaml_loader._Unusual):
            _unmeasured(text, limits)
        assert _outcome(_either_path, text, limits) == _outcome(_measured, text, limits)
        assert _outcome(_measured, text, limits)[0] == "refused"


@pytest.mark.parametrize("text", ["a: [1, *x]\n", "a: '*'\n", "[" * 70 + "]" * 70])
def test_aliases_and_deep_texts_take_the_measured_path(text):
    with pytest.raises(yaml_loader._Unusual):
        _unmeasured(text, Limits())


@pytest.mark.parametrize("text", ODD_TEXTS + [spec_text(100)])
def test_the_node_bound_holds(text):
    """``_node_bound`` is never below the real number of nodes (what makes skipping the measure safe)."""
    if "*" in text:
        return
    try:
        root = yaml.compose(text, Loader=yaml_loader._Loader)
    except yaml.YAMLError:
        return
    assert _count(root) <= yaml_loader._node_bound(text)


def _count(node) -> int:
    if node is None:
        return 0
    if isinstance(node, yaml.ScalarNode):
        return 1
    if isinstance(node, yaml.SequenceNode):
        return 1 + sum(_count(v) for v in node.value)
    return 1 + sum(_count(k) + _count(v) for k, v in node.value)


@pytest.mark.parametrize("text", ["?\n" * 50, ": \n" * 40, "[" + ":," * 40 + "]", "{" + "?," * 30 + "}",
                                  "- - - - -\n" * 10, "---\n" * 20, "- \n" * 30, "[[[[[]]]]]" * 5])
def test_the_node_bound_holds_for_texts_dense_in_nodes(text):
    try:
        root = yaml.compose(text, Loader=yaml_loader._Loader)
    except yaml.YAMLError:  # several documents: nothing composed
        root = None
    assert _count(root) <= yaml_loader._node_bound(text)


def test_every_spec_of_the_checkout_and_generated_ones_read_the_same():
    texts = [p.read_text(encoding="utf-8") for folder in ("specs", "tests/data")
             for p in sorted((ROOT / folder).rglob("*.y*ml"))]
    texts += [spec_text(200, seed=seed) for seed in range(3)] + [spec_text(100, shape="chain")]
    assert len(texts) > 100
    unmeasured = 0
    for text in texts:
        expected = _outcome(_measured, text, Limits())
        try:
            got = _outcome(_unmeasured, text, Limits())
        except yaml_loader._Unusual:
            continue
        unmeasured += 1
        assert got == expected
    assert unmeasured > 90  # the unmeasured path is the common one, not the exception


@pytest.mark.skipif(not yaml_loader._BOUNDED_COMPOSER, reason="needs libyaml >= 0.2.5 (its nesting limit)")
def test_parse_yaml_does_not_measure_a_plain_spec(monkeypatch):
    def no_measure(*args, **kwargs):
        raise AssertionError("measured")

    monkeypatch.setattr(yaml_loader, "_measure", no_measure)
    data, source = parse_yaml(spec_text(50))
    assert data["layers"] and source.value(("layers", 3, "type")).line > 0
