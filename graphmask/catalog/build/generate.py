"""Generate ``graphmask/catalog/layers.json`` from the installed Keras.

    python -m graphmask.catalog.build           # rewrite layers.json
    python -m graphmask.catalog.build --check   # exit 1 + diff summary if stale
    python -m graphmask.catalog.build --stdout  # print instead of writing

It combines

* static facts read off each public class in ``keras.layers`` (constructor
  and call signatures, ``supports_masking`` of an instance, whether
  ``compute_mask`` is overridden, whether ``call`` takes ``mask``),
* experiments (``probe``, planned in ``probe_plan``): every layer is called eagerly on
  masked inputs and the warning / output masks / whether the mask changes the
  output values are recorded, and
* the curated facts of ``curated`` and the categories of ``categories``;
  the curated rules are cross-checked against the experiments by ``judge``
  (a disagreement fails generation).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import inspect
import json
import math
import os
import re
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from graphmask.catalog.build import categories, curated, judge, ops, probe  # noqa: E402
from graphmask.catalog.shapes import ShapeRule  # noqa: E402

DATA_FILE = Path(__file__).parent.parent / "layers.json"
FORMAT = 2  # 2: entries hold `shape` and `cudnn`; the catalog, `auxiliary_call_args` and `ops`


# --------------------------------------------------------------------- utils
def _jsonable(value: Any) -> tuple[Any, bool]:
    """Return (json_value, is_repr)."""
    if isinstance(value, tuple):
        value = list(value)
    try:
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError
        text = json.dumps(value, sort_keys=True, allow_nan=False)
        return json.loads(text), False
    except (TypeError, ValueError):
        r = repr(value)
        r = re.sub(r" at 0x[0-9a-fA-F]+", "", r)
        return r, True


def _public_layer_classes():
    import keras
    from keras.src.layers.layer import Layer

    out = {}
    for name in dir(keras.layers):
        obj = getattr(keras.layers, name)
        if inspect.isclass(obj) and issubclass(obj, Layer):
            out[name] = obj
    return out


def _alias_of(name: str, cls, classes: dict) -> str | None:
    if cls.__name__ == name:
        return None
    if classes.get(cls.__name__) is cls:
        return cls.__name__
    return None


def _super_init_keywords(klass) -> set[str]:
    """Keyword names passed explicitly in ``super().__init__(...)`` of klass.__init__."""
    try:
        src = textwrap.dedent(inspect.getsource(klass.__init__))
        tree = ast.parse(src)
    except (OSError, TypeError, SyntaxError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "__init__"
        ):
            for kw in node.keywords:
                if kw.arg is not None:
                    names.add(kw.arg)
    return names


def _kwargs_popped_defaults(func) -> dict[str, Any]:
    """Names popped from **kwargs (``kwargs.pop("x", default)``) -> default."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return {}
    names: dict[str, Any] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "pop"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "kwargs"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            default = None
            if len(node.args) > 1:
                try:
                    default = ast.literal_eval(node.args[1])
                except ValueError:
                    default = None
            names.setdefault(node.args[0].value, default)
    return names


def _kwargs_popped(func) -> set[str]:
    return set(_kwargs_popped_defaults(func))


def sub_model_facts() -> dict[str, Any]:
    """How Keras treats a model called as a layer, per model class (docs/keras-mask-facts.md R1): whether its
    ``call()`` takes ``mask=`` (Keras hands it the call's masks) and whether it supports masking (if not,
    Keras warns when the first input is masked; the outputs keep the masks the inner layers set)."""
    import keras

    def built(make):
        keras.utils.clear_session()
        return make(keras.Input((None, 2)))

    models = {
        "Functional": built(lambda x: keras.Model(x, keras.layers.Dense(1)(x))),
        "Sequential": built(lambda x: keras.Sequential([x, keras.layers.Dense(1)])),
    }
    return {kind: {"call_has_mask_arg": "mask" in inspect.signature(model.call).parameters,
                   "supports_masking": bool(model.supports_masking)} for kind, model in models.items()}


def base_kwargs() -> list[str]:
    from keras.src.layers.layer import Layer

    sig = inspect.signature(Layer.__init__)
    names = {
        p.name
        for p in sig.parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    }
    names |= _kwargs_popped(Layer.__init__)
    return sorted(names)


def _arg_entry(p: inspect.Parameter, inherited: bool) -> dict:
    d: dict[str, Any] = {"required": p.default is inspect.Parameter.empty}
    if not d["required"]:
        val, is_repr = _jsonable(p.default)
        d["default"] = val
        if is_repr:
            d["default_is_repr"] = True
    else:
        d["default"] = None
    if p.kind is inspect.Parameter.KEYWORD_ONLY:
        d["positional"] = False
    if inherited:
        d["inherited"] = True
    return d


def constructor_args(cls) -> tuple[dict, bool]:
    """(args, accepts_var_kwargs) following **kwargs through intermediate bases."""
    from keras.src.layers.layer import Layer

    base = set(base_kwargs())
    args: dict[str, dict] = {}
    own_var_kwargs = None
    blocked: set[str] = set()
    first = True
    for klass in cls.__mro__:
        if klass is Layer or not issubclass(klass, Layer):
            break
        if "__init__" not in klass.__dict__:
            continue
        sig = inspect.signature(klass.__init__)
        has_var = False
        for p in sig.parameters.values():
            if p.name == "self":
                continue
            if p.kind is p.VAR_KEYWORD:
                has_var = True
                continue
            if p.kind is p.VAR_POSITIONAL:
                continue
            if not first and (p.name in blocked or p.name in base):
                continue
            if p.name in args:
                continue
            if not first and p.name in base:
                continue
            args[p.name] = _arg_entry(p, inherited=not first)
        if own_var_kwargs is None:
            own_var_kwargs = has_var
        if has_var:
            # legacy kwargs an __init__ pops from **kwargs (input_length,
            # implementation, alpha, rms_scaling...)
            for pname, pdefault in sorted(_kwargs_popped_defaults(klass.__init__).items()):
                if pname in args or pname in base or pname in blocked:
                    continue
                val, is_repr = _jsonable(pdefault)
                args[pname] = {"required": False, "default": val, "positional": False, "via_kwargs": True}
                if is_repr:
                    args[pname]["default_is_repr"] = True
        if not has_var:
            break
        blocked |= _super_init_keywords(klass)
        first = False
    if own_var_kwargs is None:
        own_var_kwargs = True  # Layer.__init__ itself
    # Own signature args listed under base kwargs (e.g. InputLayer's name/dtype)
    return args, bool(own_var_kwargs)


def call_signature(cls) -> tuple[list[str], dict]:
    sig = inspect.signature(cls.call)
    names, defaults = [], {}
    for p in sig.parameters.values():
        if p.name == "self" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        names.append(p.name)
        if p.default is not inspect.Parameter.empty:
            val, is_repr = _jsonable(p.default)
            if not is_repr:
                defaults[p.name] = val
    return names, defaults


def shape_rule(canonical: str, category: str) -> dict:
    """The entry's ``shape``: the curated rule of the class (or its category) and the rank it needs."""
    rule = curated.SHAPES.get(canonical) or curated.SHAPES_BY_CATEGORY.get(category)
    rank = curated.INPUT_RANK_BY_CLASS.get(canonical, curated.INPUT_RANK.get(rule or ""))
    shape = ShapeRule(rule=rule, input_rank=rank,
                      rank_from_inner=canonical in curated.RANK_FROM_INNER)
    return shape.to_json()


# ------------------------------------------------------------------ assembly
def build_catalog(run_experiments: bool = True, log=None) -> dict:
    import keras

    probe.MISMATCHES.clear()
    classes = _public_layer_classes()
    layers: dict[str, dict] = {}
    experiments: dict[type, dict] = {}
    for name in sorted(classes):
        cls = classes[name]
        canon = cls.__name__ if _alias_of(name, cls, classes) else name
        category = categories.category(name, cls)
        args, var_kwargs = constructor_args(cls)
        call_args, call_defaults = call_signature(cls)
        mn, mx, mode = curated.INPUTS.get(name, curated.INPUTS.get(canon, (1, 1, "single")))
        if cls not in experiments:
            experiments[cls] = probe.study(name, cls, run_experiments=run_experiments)
            if run_experiments:
                probe.MISMATCHES.extend(probe.verify_input_counts(name, cls, mn, mx, mode))
        study = experiments[cls]
        rule_name = name if name in curated.CURATED else canon
        mask = judge.mask_rule(rule_name, cls, study, categories.meaningful(name, canon, category))
        entry = {
            "alias_of": _alias_of(name, cls, classes),
            "category": category,
            "module": cls.__module__,
            "args": args,
            "accepts_var_kwargs": var_kwargs,
            "call_args": call_args,
            "call_defaults": call_defaults,
            "min_inputs": mn,
            "max_inputs": mx,
            "input_mode": mode,
            "mask": mask,
        }
        entry["shape"] = shape_rule(canon, category)
        if canon in curated.CUDNN:
            entry["cudnn"] = curated.CUDNN[canon]
        if canon in curated.CALLABLE_ARGS:
            entry["callable_args"] = curated.CALLABLE_ARGS[canon]
        if canon in curated.WRAPPED_NEEDS:
            entry["wrapped_needs"] = curated.WRAPPED_NEEDS[canon]
        if name in categories.ABSTRACT:
            entry["abstract"] = True
        layers[name] = entry
    return {
        "format": FORMAT,
        "generator": "python -m graphmask.catalog.build",
        "keras_version": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "base_kwargs": base_kwargs(),
        "auxiliary_call_args": list(curated.AUXILIARY_CALL_ARGS),
        "sub_models": sub_model_facts(),
        "semantics": probe.SEMANTICS,
        "layers": layers,
        "ops": ops.build_ops() if run_experiments else {},
    }


def dumps(data: dict) -> str:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _summary_diff(old: str, new: str) -> str:
    try:
        a, b = json.loads(old), json.loads(new)
    except ValueError:
        a, b = None, None
    lines = []
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key == "layers":
                continue
            if a.get(key) != b.get(key):
                lines.append(f"top-level {key!r} differs")
        la, lb = a.get("layers", {}), b.get("layers", {})
        for n in sorted(set(la) - set(lb)):
            lines.append(f"layer {n}: only in checked-in file")
        for n in sorted(set(lb) - set(la)):
            lines.append(f"layer {n}: missing from checked-in file")
        for n in sorted(set(la) & set(lb)):
            if la[n] != lb[n]:
                keys = sorted(k for k in set(la[n]) | set(lb[n]) if la[n].get(k) != lb[n].get(k))
                lines.append(f"layer {n}: differs in {', '.join(keys)}")
    diff = list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), "checked-in", "generated", lineterm="", n=1
        )
    )
    if diff:
        lines.append("")
        lines.extend(diff[:200])
        if len(diff) > 200:
            lines.append(f"... ({len(diff) - 200} more diff lines)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m graphmask.catalog.build", description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if layers.json is stale")
    ap.add_argument("--stdout", action="store_true", help="print the JSON instead of writing")
    ap.add_argument("--output", type=Path, default=DATA_FILE)
    ap.add_argument("--no-experiments", action="store_true", help=argparse.SUPPRESS)
    ns = ap.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = build_catalog(run_experiments=not ns.no_experiments)
    text = dumps(data)
    for msg in probe.MISMATCHES:
        print(f"MISMATCH {msg}", file=sys.stderr)
    if probe.MISMATCHES:
        print(
            f"{len(probe.MISMATCHES)} disagreement(s) between the curated rules and Keras "
            f"{data['keras_version']}; fix the rules (nothing written)",
            file=sys.stderr,
        )
        return 2
    if ns.stdout:
        sys.stdout.write(text)
        return 0
    if ns.check:
        old = ns.output.read_text(encoding="utf-8") if ns.output.exists() else ""
        if old == text:
            print(f"{ns.output.name} is up to date (Keras {data['keras_version']})")
            return 0
        print(f"{ns.output.name} is stale; regenerate with python -m graphmask.catalog.build")
        print(_summary_diff(old, text))
        return 1
    ns.output.write_text(text, encoding="utf-8")
    print(f"wrote {ns.output} ({len(data['layers'])} layers, Keras {data['keras_version']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
