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

import json
import os
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmask.catalog import load_catalog
from graphmask.checker import CheckResult, check_path, check_text
from graphmask.diagnostics import RULES, Severity
from graphmask.report.json import format_json
from graphmask.report.text import format_text
from graphmask.spec.yaml_loader import parse_yaml
from spec_expectations import expectations

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


# -- properties that can fail: invalid input is caught, meaning-preserving edits change nothing ----

VALID_SEEDS = [path for path in sorted(EXAMPLES.glob("*.yaml")) if not expectations(path)]


def _spec_data(path: Path) -> dict:
    return parse_yaml(path.read_text(encoding="utf-8"), str(path))[0]


def _fresh_name(draw, taken) -> str:
    """An identifier that is none of ``taken`` (the `zz` prefix keeps it off every real name)."""
    suffix = draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=8))
    name = f"zz{suffix}"
    return name if name not in taken else name + "_"


@st.composite
def invalid_spec(draw) -> tuple[str, str]:
    """(YAML text, the code it must get): a valid example broken in one way that is always an error."""
    path = draw(st.sampled_from(VALID_SEEDS))
    spec = _spec_data(path)
    layers = [layer for layer in spec["layers"] if "share" not in layer]
    layer = draw(st.sampled_from(layers))
    breakage = draw(st.sampled_from(["drop_field", "unknown_field", "unknown_type", "unknown_arg",
                                     "undefined_ref", "duplicate_id", "duplicate_key"]))
    if breakage == "drop_field":
        del spec[draw(st.sampled_from(["graphmask", "name", "inputs", "layers", "outputs"]))]
        return _dump(spec), "GM102"
    if breakage == "unknown_field":
        layer[_fresh_name(draw, set(layer) | {"id", "type", "args", "inputs", "call", "share", "ignore"})] = 1
        return _dump(spec), "GM102"
    if breakage == "unknown_type":
        layer["type"] = _fresh_name(draw, set(LAYER_TYPES) | set(spec.get("custom_layers") or {})).capitalize()
        return _dump(spec), "GM103"
    if breakage == "unknown_arg":
        known = [x for x in spec["layers"] if CATALOG.get(x.get("type") or "") is not None]
        if not known:  # only custom layers: add a Keras one
            known = [{"id": _fresh_name(draw, set(_ids(spec))), "type": "Dropout", "args": {"rate": 0.1},
                      "inputs": next(iter(spec["inputs"]))}]
            spec["layers"].append(known[0])
        layer = draw(st.sampled_from(known))
        args = layer.setdefault("args", {})
        args[_fresh_name(draw, set(args) | set(CATALOG.get(layer["type"]).args))] = 1
        return _dump(spec), "GM104"
    if breakage == "undefined_ref":
        layer["inputs"] = _fresh_name(draw, set(_ids(spec)))
        return _dump(spec), "GM105"
    if breakage == "duplicate_id":
        if len(spec["layers"]) < 2:
            spec["layers"].append({"id": spec["layers"][0]["id"], "type": "Dropout", "args": {"rate": 0.1}})
        else:
            first, second = draw(st.sampled_from([(i, j) for i in range(len(spec["layers"]))
                                                  for j in range(len(spec["layers"])) if i < j]))
            spec["layers"][second]["id"] = spec["layers"][first]["id"]
        return _dump(spec), "GM106"
    return _dump(spec) + f"name: {spec['name']}_again\n", "GM101"  # a top-level key twice


@fuzz_settings(ci_examples=40)
@given(case=invalid_spec())
def test_spec_broken_by_construction_gets_an_error(case):
    text, code = case
    result = check_text(text, "broken.yaml")
    assert_diagnosed(result)
    errors = {d.code for d in result.diagnostics if d.severity is Severity.ERROR}
    assert code in errors, f"expected {code} among the errors, got {sorted(errors)}\n{text}"


# Mappings whose key order is meaning: model inputs and outputs, in order; a layer's inputs.
_ORDERED = {"inputs", "outputs"}
_COMMENTS = st.sampled_from(["# note", "#", "# expect: GM201 line 1", "# - id: fake", "#: {[", "# ünïcödé"])


def _plain_ok(text: str, flow: bool) -> bool:
    """Whether `text` may be written unquoted and still read back as this very string."""
    try:
        return (yaml.safe_load(f"[{text}]") == [text]) if flow else (yaml.safe_load(f"k: {text}") == {"k": text})
    except yaml.YAMLError:
        return False


def _scalar(draw, value, flow: bool) -> str:
    if value is None:
        return draw(st.sampled_from(["null", "~", "Null"]))
    if isinstance(value, bool):
        return draw(st.sampled_from(["true", "True"] if value else ["false", "False"]))
    if isinstance(value, (int, float)):
        return repr(value)
    styles = ["single", "double"] + (["plain"] if _plain_ok(value, flow) else [])
    style = draw(st.sampled_from(styles))
    if style == "plain":
        return value
    return "'" + value.replace("'", "''") + "'" if style == "single" else json.dumps(value)


def _flow(draw, value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(draw, k, True)}: {_flow(draw, v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(draw, v) for v in value) + "]"
    return _scalar(draw, value, True)


def _leaf(value) -> bool:
    return not isinstance(value, (dict, list)) or all(not isinstance(v, (dict, list)) for v in
                                                     (value.values() if isinstance(value, dict) else value))


def _block(draw, value, indent: int, ordered: bool = True) -> list[str]:
    """YAML lines for a mapping or list at `indent`, with the choices a human might make."""
    pad = " " * indent
    lines: list[str] = []
    items = list(value.items()) if isinstance(value, dict) else list(value)
    if isinstance(value, dict) and not ordered:
        items = draw(st.permutations(items))
    for item in items:
        if draw(st.integers(0, 4)) == 0:
            lines.append(pad + draw(_COMMENTS))
        key, child = item if isinstance(value, dict) else (None, item)
        head = f"{pad}{_scalar(draw, key, False)}:" if isinstance(value, dict) else f"{pad}-"
        if not isinstance(child, (dict, list)) or not child or (_leaf(child) and draw(st.booleans())):
            text = _flow(draw, child) if isinstance(child, (dict, list)) else _scalar(draw, child, False)
            comment = f"  {draw(_COMMENTS)}" if draw(st.integers(0, 4)) == 0 else ""
            lines.append(f"{head} {text}{comment}")
            continue
        keep_order = ordered if key is None else key not in _ORDERED
        nested = _block(draw, child, indent + 2, keep_order)
        if isinstance(value, list) and isinstance(child, dict):  # `- key: value` on the dash's line
            first = next(i for i, line in enumerate(nested) if not line.lstrip().startswith("#"))
            lines += nested[:first] + [f"{head} {nested[first].lstrip()}"] + nested[first + 1:]
        else:
            lines += [head] + nested
    return lines


def _meaning(result: CheckResult) -> Counter:
    """What the diagnostics say, apart from where: lines move when the text is rewritten."""
    return Counter((d.code, d.severity, d.node, d.message) for d in result.diagnostics)


@fuzz_settings(ci_examples=40)
@given(path=st.sampled_from(sorted(EXAMPLES.glob("*.yaml"))), data=st.data())
def test_rewriting_a_spec_without_changing_its_meaning_changes_no_finding(path, data):
    """Reordered keys (not where order is meaning), comments, quoting and flow style."""
    text = "\n".join(_block(data.draw, _spec_data(path), 0, ordered=False)) + "\n"
    assert parse_yaml(text, "rewritten.yaml")[0] == _spec_data(path), text  # the rewrite is the same data
    before, after = _meaning(check_path(path)), _meaning(check_text(text, "rewritten.yaml"))
    assert after == before, f"{path.name}: {sorted(before - after)} lost, {sorted(after - before)} new\n{text}"


def test_the_valid_seeds_are_clean():
    """The properties above start from specs that really are clean."""
    assert len(VALID_SEEDS) >= 5
    for path in VALID_SEEDS:
        assert not [d for d in check_path(path).diagnostics if d.code != "GM901"], path.name
