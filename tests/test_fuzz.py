"""Fuzzing the check path: whatever the input, ``check`` answers with diagnostics.

Inputs are (1) valid specs mutated the way a careless or hostile author
would (drop, duplicate or retype fields, rewire references, insert cycles,
random layer types and arguments from the catalog), dumped back to YAML;
(2) those YAML texts with random characters spliced in; (3) random text;
(4) random bytes read from a real file. Every input must produce a
``CheckResult`` whose diagnostics are real rules, and which the text and
JSON reports can render, within the per-input ``deadline``.

CI runs a small, derandomized sample. The long run (>= 10,000 examples per
test, random seeds) is opt-in:

    GRAPHMASK_FUZZ=long python -m pytest tests/test_fuzz.py -q
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmask.catalog import load_catalog
from graphmask.checker import CheckResult, check_path, check_text
from graphmask.diagnostics import RULES
from graphmask.report.json import format_json
from graphmask.report.text import format_text
from graphmask.spec.yaml_loader import parse_yaml

LONG = os.environ.get("GRAPHMASK_FUZZ") == "long"
EXAMPLES = Path(__file__).resolve().parent.parent / "specs" / "examples"


def fuzz_settings(ci_examples: int) -> settings:
    """CI: few examples, derandomized (no flaky CI); long: 10,000, fresh seeds."""
    return settings(
        max_examples=10_000 if LONG else ci_examples,
        derandomize=not LONG,
        deadline=timedelta(seconds=5 if LONG else 3),  # per input; generous for 2 busy cores
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        # CI keeps no example database; the long run keeps one (.hypothesis/) to replay failures
        **({} if LONG else {"database": None}),
        print_blob=True,
    )


# -- seeds: every example spec, as plain data ------------------------------------

def _seed_specs() -> list[dict]:
    seeds = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        data, _ = parse_yaml(path.read_text(encoding="utf-8"), str(path))
        seeds.append(data)
    seeds.append({  # a multi-input graph with keyword inputs, share and outputs by name
        "graphmask": 1, "name": "multi",
        "inputs": {"q": {"shape": [None], "dtype": "int32", "pad_value": 0},
                   "v": {"shape": [None, 8], "pad_value": 0.0, "padding": "pre"}},
        "layers": [
            {"id": "emb", "type": "Embedding", "args": {"input_dim": 50, "output_dim": 8, "mask_zero": True},
             "inputs": "q"},
            {"id": "mask", "type": "Masking", "args": {"mask_value": 0.0}, "inputs": "v"},
            {"id": "att", "type": "Attention", "inputs": ["emb", "mask"]},
            {"id": "rnn", "type": "Bidirectional", "args": {"layer": {"type": "LSTM", "args": {"units": 4}}},
             "inputs": "att"},
            {"id": "rnn2", "share": "rnn", "inputs": "mask"},
            {"id": "cat", "type": "Concatenate", "inputs": ["rnn", "rnn2"], "ignore": ["GM204"]},
            {"id": "out", "type": "Dense", "args": {"units": 1}},
        ],
        "outputs": {"score": "out"},
    })
    return seeds


SEEDS = _seed_specs()
CATALOG = load_catalog()
LAYER_TYPES = sorted(CATALOG.names())

# Values a field may be retyped to: the awkward ones on purpose.
scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 2**31, 2**63 - 1, -(2**63)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["", "x", "x[0]", "x[99]", "emb[1]", "lstm", "class", "None", "yes", "~", "GM201", "GM999",
                     "Dense", "LSTM", "a b", "é", "\u202e", "\x00", "0", "1e9999", "[", "{", "&a", "*a", "!!str"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.text(max_size=8), st.sampled_from(["type", "args", "id", "inputs", "units"])),
                    inner, max_size=4)),
    max_leaves=12)


# -- structure-aware mutations ---------------------------------------------------

def _paths(data, prefix=()):
    """Every path into the data tree (mapping keys and list indices)."""
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _paths(value, prefix + (i,))


def _get(data, path):
    for step in path:
        data = data[step]
    return data


def _ids(spec) -> list[str]:
    ids = list(spec.get("inputs") or {}) if isinstance(spec.get("inputs"), dict) else []
    layers = spec.get("layers") if isinstance(spec.get("layers"), list) else []
    ids += [layer["id"] for layer in layers if isinstance(layer, dict) and isinstance(layer.get("id"), str)]
    return ids


def _layers(spec) -> list[dict]:
    layers = spec.get("layers")
    return [x for x in layers if isinstance(x, dict)] if isinstance(layers, list) else []


@st.composite
def mutated_spec(draw) -> dict:
    spec = yaml.safe_load(yaml.safe_dump(draw(st.sampled_from(SEEDS))))  # a deep copy
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        operation = draw(st.sampled_from(["drop", "duplicate", "retype", "rewire", "cycle", "layer_type",
                                          "args", "rename", "call"]))
        _mutate(draw, spec, operation)
    return spec


def _mutate(draw, spec: dict, operation: str) -> None:
    paths = [p for p in _paths(spec) if p]
    layers = _layers(spec)
    ids = _ids(spec) + ["missing", "x"]
    if operation == "drop" and paths:
        path = draw(st.sampled_from(paths))
        parent = _get(spec, path[:-1])
        del parent[path[-1]]
    elif operation == "duplicate" and paths:
        path = draw(st.sampled_from(paths))
        parent = _get(spec, path[:-1])
        if isinstance(parent, list):
            parent.insert(path[-1], yaml.safe_load(yaml.safe_dump(parent[path[-1]])))
        else:
            parent[f"{path[-1]}_copy"] = parent[path[-1]]
    elif operation == "retype" and paths:
        path = draw(st.sampled_from(paths))
        _get(spec, path[:-1])[path[-1]] = draw(values)
    elif operation == "rewire" and layers:
        layer = draw(st.sampled_from(layers))
        refs = st.sampled_from(ids).flatmap(
            lambda i: st.sampled_from([i, f"{i}[0]", f"{i}[1]", f"{i}[7]"]))
        layer["inputs"] = draw(st.one_of(
            refs, st.lists(refs, max_size=4),
            st.dictionaries(st.sampled_from(["inputs", "query", "value", "key", "mask", "initial_state", "bogus"]),
                            st.one_of(refs, st.lists(refs, max_size=3)), max_size=3)))
    elif operation == "cycle" and layers:
        # an earlier layer takes its input from a later one (or itself)
        i = draw(st.integers(min_value=0, max_value=len(layers) - 1))
        j = draw(st.integers(min_value=i, max_value=len(layers) - 1))
        if isinstance(layers[j].get("id"), str):
            layers[i]["inputs"] = layers[j]["id"]
    elif operation == "layer_type" and layers:
        layer = draw(st.sampled_from(layers))
        layer["type"] = draw(st.one_of(st.sampled_from(LAYER_TYPES), st.sampled_from(["dense", "Lambda", "Nope"])))
        layer.pop("share", None)
    elif operation == "args" and layers:
        layer = draw(st.sampled_from(layers))
        info = CATALOG.get(layer.get("type")) if isinstance(layer.get("type"), str) else None
        names = sorted(info.args) if info is not None and info.args else ["units"]
        args = layer["args"] if isinstance(layer.get("args"), dict) else {}
        for name in draw(st.lists(st.sampled_from(names + ["name", "bogus"]), max_size=3)):
            args[name] = draw(values)
        layer["args"] = args
    elif operation == "rename" and layers:
        layer = draw(st.sampled_from(layers))
        layer["id"] = draw(st.sampled_from(ids + ["class", "lambda", "None", "input_layer", "dense", "yes", "1x"]))
    elif operation == "call" and layers:
        layer = draw(st.sampled_from(layers))
        layer["call"] = draw(st.dictionaries(st.sampled_from(["training", "mask", "return_sequences", "bogus"]),
                                             values, max_size=2))


def _dump(spec) -> str:
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)


# -- what every answer must satisfy ------------------------------------------------

def assert_diagnosed(result: CheckResult) -> None:
    assert isinstance(result, CheckResult)
    for d in result.diagnostics:
        assert d.code in RULES and d.code != "GM000", d
        assert d.line >= 0 and d.column >= 0, d
        assert isinstance(d.message, str) and d.message, d
    # the reports must render whatever the diagnostics contain
    format_text([result], show_source=False)
    format_json([result])


# -- the tests -------------------------------------------------------------------------

@fuzz_settings(ci_examples=80)
@given(spec=mutated_spec())
def test_mutated_specs_get_diagnostics(spec):
    assert_diagnosed(check_text(_dump(spec), "mutated.yaml"))


@fuzz_settings(ci_examples=50)
@given(spec=mutated_spec(), splices=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 8), st.text(max_size=6)),
                                             min_size=1, max_size=4))
def test_spliced_yaml_text_gets_diagnostics(spec, splices):
    """Character-level damage to a spec: broken indentation, brackets, quotes, anchors, tags."""
    text = _dump(spec)
    for where, delete, insert in splices:
        at = int(where * len(text))
        text = text[:at] + insert + text[at + delete:]
    assert_diagnosed(check_text(text, "spliced.yaml"))


yaml_tokens = st.sampled_from(["\n", "  ", "\t", "- ", ": ", "[", "]", "{", "}", ",", "&a ", "*a", "!!python/object ",
                               "<<: ", "? ", "---\n", "...\n", "'", '"', "#", "|", ">", "%YAML 1.1\n", "\ufeff",
                               "graphmask: 1\n", "layers:\n", "id: x", "type: Dense", "inputs: x", ".nan", "1e400"])


@fuzz_settings(ci_examples=40)
@given(text=st.one_of(st.text(max_size=300), st.lists(yaml_tokens | st.text(max_size=4), max_size=60).map("".join)))
def test_random_text_gets_diagnostics(text):
    assert_diagnosed(check_text(text, "random.yaml"))


_SCRATCH = Path(tempfile.mkdtemp(prefix="graphmask-fuzz-"))


@fuzz_settings(ci_examples=30)
@given(raw=st.one_of(st.binary(max_size=400),
                     st.builds(lambda spec, junk, at: (lambda b: b[:int(at * len(b))] + junk + b[int(at * len(b)):])(
                         _dump(spec).encode("utf-8")), mutated_spec(), st.binary(min_size=1, max_size=8),
                         st.floats(0, 1))))
def test_random_bytes_in_a_file_get_diagnostics(raw):
    """Through the real file path: decoding, BOMs, NUL bytes, invalid UTF-8."""
    path = _SCRATCH / "fuzzed.yaml"
    path.write_bytes(raw)
    result = check_path(path)
    assert_diagnosed(result)
    assert path.read_bytes() == raw  # checking never writes to the spec


def test_seed_specs_are_valid_input_for_the_mutators():
    """The fuzzer starts from real specs: all examples load as mappings."""
    assert len(SEEDS) > 5 and all(isinstance(s, dict) and "layers" in s for s in SEEDS)
