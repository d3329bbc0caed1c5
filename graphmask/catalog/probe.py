"""Experiment harness: call real Keras layers on masked inputs.

Imported by ``generate.py`` and ``tests/test_catalog.py`` only (imports
Keras/TensorFlow lazily).  For each layer class:

* static facts: ``supports_masking`` of an instance built with minimal args,
  ``compute_mask`` overridden?, ``call`` has a ``mask`` parameter?,
  number of RNN states;
* eager experiments (``observe``): the layer is called on inputs carrying a
  ``_keras_mask``; we record whether Keras warned "does not support masking",
  which mask each output carries (classified against the candidate kinds of
  the vocabulary, computed with numpy by :func:`predict_mask`), and whether
  the mask changed the output values (=> the layer *consumes* the mask);
* a symbolic (functional API) experiment on ``keras.Input`` to compare.

The curated rules (mask_rules.py) are resolved for each probe and compared
with the observation; a mismatch raises ``ProbeMismatch`` in generate.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np

from graphmask.catalog import MaskRule, mask_rules as R

WARN_TEXT = "does not support masking and will therefore destroy the mask information"

SEMANTICS: dict[str, Any] = {
    "warning_text": (
        "Layer '{name}' (of type {class}) was passed an input with a mask attached "
        "to it. However, this layer does not support masking and will therefore "
        "destroy the mask information. Downstream layers will not see the mask."
    ),
    "warn_condition": (
        "layer.supports_masking is False and a mask is present on the first "
        "positional call argument (any tensor in it if it is a list) or passed "
        "explicitly as mask=; masks on other arguments are ignored."
    ),
    "previous_mask": (
        "explicit/auto-populated `mask` kwarg if not None, else the mask(s) of the "
        "first positional argument (a list of masks for a list input)."
    ),
    "mask_kwarg_population": (
        "If call() has a `mask` parameter and exactly one tensor argument, "
        "mask= is filled with that argument's mask(s).  With several tensor "
        "arguments, each `<arg>_mask` parameter (query_mask, value_mask, "
        "key_mask) is filled from the matching argument."
    ),
    "output_mask_assignment": (
        "Only if supports_masking: compute_mask(first_arg, previous_mask) is "
        "assigned to outputs that do not already carry a mask (skipped if "
        "call() already set masks on all outputs); a single mask with several "
        "outputs goes to the first output only."
    ),
    "mask_shape": "(batch, time) boolean; True = valid step.",
}


class ProbeError(Exception):
    pass


# ---------------------------------------------------------------- fixtures
# Attached mask M_IN differs from the "values" masks (any(x != 0), ids != 0)
# so that same/generated can be told apart.
M_IN = np.array([[1, 1, 1, 1, 0], [1, 1, 0, 0, 0]], dtype=bool)
M_IN2 = np.array([[1, 0, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=bool)


def _seq(seed: int = 0, t: int = 5, f: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, t, f)).astype("float32") + 0.5
    x[0, 3:] = 0.0
    x[1, 4:] = 0.0
    return x


def _ids() -> np.ndarray:
    return np.array([[1, 2, 3, 0, 0], [4, 5, 6, 7, 0]], dtype="int32")


def _tensor(x, mask=None):
    from keras import ops
    from keras.src import backend

    t = ops.convert_to_tensor(x)
    if mask is not None:
        backend.set_keras_mask(t, ops.convert_to_tensor(mask))
    return t


def make_inputs(kind: str, masked: tuple[bool, ...] = (True, True)):
    """Return (positional args, numpy values, numpy masks) for an input kind."""
    m1 = M_IN if masked[0] else None
    m2 = M_IN2 if len(masked) > 1 and masked[1] else None
    if kind == "seq":
        x = _seq()
        return [_tensor(x, m1)], [x], [m1]
    if kind == "ids":
        x = _ids()
        return [_tensor(x, m1)], [x], [m1]
    if kind == "vec":
        x = _seq()[:, 0, :]
        m = np.array([True, False]) if masked[0] else None
        return [_tensor(x, m)], [x], [m]
    if kind == "img":
        rng = np.random.default_rng(1)
        x = rng.normal(size=(2, 5, 4, 3)).astype("float32")
        return [_tensor(x, m1)], [x], [m1]
    if kind == "vol":
        rng = np.random.default_rng(2)
        x = rng.normal(size=(2, 5, 4, 4, 3)).astype("float32")
        return [_tensor(x, m1)], [x], [m1]
    if kind == "pair":
        a, b = _seq(0), _seq(1)
        return [[_tensor(a, m1), _tensor(b, m2)]], [a, b], [m1, m2]
    if kind == "pair_t3":  # time lengths 5 and 3 (for Concatenate(axis=1))
        a, b = _seq(0), _seq(1, t=3)
        m2b = m2[:, :3] if m2 is not None else None
        return [[_tensor(a, m1), _tensor(b, m2b)]], [a, b], [m1, m2b]
    if kind == "triple":
        a, b, c = _seq(0), _seq(1), _seq(2)
        m3 = M_IN if len(masked) > 2 and masked[2] else None
        return [[_tensor(a, m1), _tensor(b, m2), _tensor(c, m3)]], [a, b, c], [m1, m2, m3]
    if kind == "qv":
        a, b = _seq(0), _seq(1)
        return [_tensor(a, m1), _tensor(b, m2)], [a, b], [m1, m2]
    if kind == "pair_ids":
        a, b = _ids(), _ids()[::-1].copy()
        return [[_tensor(a, m1), _tensor(b, m2)]], [a, b], [m1, m2]
    if kind == "strs":
        x = np.array([["a", "b", "", "c", ""], ["d", "", "", "", ""]])
        return [_tensor(x, m1)], [x], [m1]
    raise ProbeError(f"unknown input kind {kind}")


# ------------------------------------------------------------ construction
def _special(value: Any):
    import keras

    if not isinstance(value, str) or not value.startswith("@"):
        if isinstance(value, dict) and "@layer" in value:
            return getattr(keras.layers, value["@layer"])(**value.get("args", {}))
        return value
    if value == "@lstm3":
        return keras.layers.LSTM(3)
    if value == "@dense3":
        return keras.layers.Dense(3)
    if value == "@lstmcell3":
        return keras.layers.LSTMCell(3)
    if value == "@lstmcells":
        return [keras.layers.LSTMCell(3), keras.layers.LSTMCell(2)]
    if value == "@identity_fn":
        return lambda x: x
    if value == "@lambda_mask_same":
        return lambda inputs, mask=None: mask
    if value == "@pipeline_layers":
        return [keras.layers.Identity()]
    raise ProbeError(f"unknown special value {value}")


def probe_ctor(name: str, cls, extra: dict | None = None) -> dict:
    ctor: dict[str, Any] = {}
    sig = inspect.signature(cls.__init__)
    for p in sig.parameters.values():
        if p.name == "self" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        if p.default is inspect.Parameter.empty and p.name in R.REQUIRED_ARG_VALUES:
            ctor[p.name] = R.REQUIRED_ARG_VALUES[p.name]
    ctor.update(R.PROBE_CTOR.get(name, {}))
    ctor.update(extra or {})
    return ctor


def instantiate(name: str, cls, ctor: dict):
    kwargs = {k: _special(v) for k, v in ctor.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(**kwargs)


def _n_states(layer) -> int:
    cell = getattr(layer, "cell", None)
    if cell is None:
        return 0
    ss = getattr(cell, "state_size", None)
    if isinstance(ss, (list, tuple)):
        return len(ss)
    return 1 if ss is not None else 0


def static_facts(name: str, cls) -> dict:
    from keras.src.utils import python_utils

    facts: dict[str, Any] = {
        "compute_mask_overridden": not python_utils.is_default(cls.compute_mask),
        "call_has_mask_arg": "mask" in inspect.signature(cls.call).parameters,
    }
    try:
        layer = instantiate(name, cls, probe_ctor(name, cls))
    except Exception as exc:  # noqa: BLE001
        facts["instantiable"] = False
        facts["instantiate_error"] = type(exc).__name__
        facts["supports_masking"] = facts["compute_mask_overridden"]
        return facts
    facts["instantiable"] = True
    facts["supports_masking"] = bool(layer.supports_masking)
    n = _n_states(layer)
    if n:
        facts["n_states"] = n
    return facts


# --------------------------------------------------------------- observing
def _mask_np(t):
    from keras import ops
    from keras.src import backend

    m = backend.get_keras_mask(t) if t is not None and hasattr(t, "shape") else None
    if m is None:
        return None
    return np.asarray(ops.convert_to_numpy(m)).astype(bool)


def _np(t):
    from keras import ops

    return np.asarray(ops.convert_to_numpy(t))


def _flatten(outputs) -> list:
    if isinstance(outputs, (list, tuple)):
        out = []
        for o in outputs:
            out.extend(_flatten(o))
        return out
    if isinstance(outputs, dict):
        return [v for _, v in sorted(outputs.items())]
    return [outputs]


def call_layer(layer, args: list, call_kwargs: dict):
    """Call eagerly; return (outputs_flat, warned, error)."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        try:
            out = layer(*args, **call_kwargs)
        except Exception as exc:  # noqa: BLE001
            return None, False, f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    warned = any(WARN_TEXT in str(w.message) for w in rec)
    return _flatten(out), warned, None


def observe(
    name: str,
    cls,
    ctor: dict,
    input_kind: str,
    call_kwargs: dict | None = None,
    masked: tuple[bool, ...] = (True, True),
    consumption: bool = True,
) -> dict:
    """One eager experiment.  Returns a JSON-able observation."""
    call_kwargs = dict(call_kwargs or {})
    try:
        layer = instantiate(name, cls, ctor)
    except Exception as exc:  # noqa: BLE001
        return {"error": f"init {type(exc).__name__}: {str(exc).splitlines()[0][:160]}"}
    args, vals, masks = make_inputs(input_kind, masked)
    outs, warned, err = call_layer(layer, args, call_kwargs)
    if err:
        return {"error": err}
    obs: dict[str, Any] = {"warned": warned, "n_outputs": len(outs)}
    out_masks = [_mask_np(o) for o in outs]
    obs["_masks"] = out_masks
    obs["_vals"] = vals
    obs["_in_masks"] = masks
    obs["mask_shapes"] = [None if m is None else list(m.shape) for m in out_masks]
    if consumption:
        # Same layer instance (same weights), same values, no masks attached.
        args2, _, _ = make_inputs(input_kind, masked=(False, False, False))
        outs2, _, err2 = call_layer(layer, args2, call_kwargs)
        if err2 is None and outs2 is not None and len(outs2) == len(outs):
            try:
                diff = any(
                    not np.allclose(_np(a), _np(b), atol=1e-6, equal_nan=True)
                    for a, b in zip(outs, outs2)
                    if _np(a).dtype.kind in "fiub" and _np(a).shape == _np(b).shape
                )
            except Exception:  # noqa: BLE001
                diff = None
            obs["mask_changes_values"] = diff
    return obs


def observe_symbolic(name: str, cls, ctor: dict, input_kind: str, call_kwargs=None) -> dict:
    """Functional API: masked keras.Input -> layer; which outputs carry a mask."""
    import keras

    call_kwargs = dict(call_kwargs or {})
    try:
        layer = instantiate(name, cls, ctor)
    except Exception as exc:  # noqa: BLE001
        return {"error": f"init {type(exc).__name__}"}

    def masked_input(shape, dtype="float32"):
        inp = keras.Input(shape=shape, dtype=dtype)
        if dtype.startswith("int"):
            return inp, keras.layers.Embedding(10, 4, mask_zero=True)(inp)  # float+mask
        return inp, keras.layers.Masking()(inp)

    try:
        if input_kind == "seq":
            _, x = masked_input((5, 4))
            args = [x]
        elif input_kind in ("pair", "qv"):
            _, a = masked_input((5, 4))
            _, b = masked_input((5, 4))
            args = [[a, b]] if input_kind == "pair" else [a, b]
        else:
            return {"skipped": input_kind}
    except Exception as exc:  # noqa: BLE001
        return {"error": f"input {type(exc).__name__}"}
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        try:
            out = layer(*args, **call_kwargs)
        except Exception as exc:  # noqa: BLE001
            return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"}
    warned = any(WARN_TEXT in str(w.message) for w in rec)
    flat = _flatten(out)
    return {
        "warned": warned,
        "n_outputs": len(flat),
        "has_mask": [getattr(o, "_keras_mask", None) is not None for o in flat],
    }


# ---------------------------------------------------------------- predict
def predict_mask(kind: str, vals: list, masks: list, layer_args: dict, call_kwargs: dict):
    """numpy model of an output kind.  Returns mask array, None, or "custom"."""
    first = masks[0] if masks else None
    if kind == "none":
        return None
    if kind == "same":
        return first
    if kind == "query":
        return first
    if kind == "custom":
        return "custom"
    if kind == "generated":
        x = vals[0]
        if np.issubdtype(x.dtype, np.integer):
            return x != 0
        mv = layer_args.get("mask_value", 0.0)
        return np.any(x != mv, axis=-1)
    if kind == "merge_or":
        if any(m is None for m in masks):
            return None
        out = masks[0]
        for m in masks[1:]:
            out = np.logical_or(out, m)
        return out
    if kind == "concat":
        if all(m is None for m in masks):
            return None
        axis = layer_args.get("axis", -1)
        full = []
        for x, m in zip(vals, masks):
            if m is None:
                full.append(np.ones(x.shape, dtype=bool))
            elif m.ndim < x.ndim:
                full.append(np.broadcast_to(m[..., None], x.shape))
            else:
                full.append(m)
        return np.any(np.concatenate(full, axis=axis), axis=-1)
    raise ProbeError(f"unknown kind {kind}")


CANDIDATE_KINDS = ("same", "generated", "merge_or", "concat")


def classify(mask, vals, masks, layer_args) -> list[str] | None:
    """Which vocabulary kinds explain an observed mask (None = no mask)."""
    if mask is None:
        return None
    hits = []
    for kind in CANDIDATE_KINDS:
        try:
            p = predict_mask(kind, vals, masks, layer_args, {})
        except Exception:  # noqa: BLE001
            continue
        if isinstance(p, np.ndarray) and p.shape == mask.shape and np.array_equal(p, mask):
            hits.append(kind)
    return hits or ["other"]


# ------------------------------------------------------------------- study
def default_input_kind(name: str, canon: str, category: str | None = None) -> str:
    if name in R.PROBE_INPUT:
        return R.PROBE_INPUT[name]
    if canon in R.PROBE_INPUT:
        return R.PROBE_INPUT[canon]
    if canon.endswith("2D") or category == "image_augmentation":
        return "img"
    if canon.endswith("3D"):
        return "vol"
    return "seq"


def _defaults(cls) -> dict:
    out = {}
    for klass in cls.__mro__:
        if "__init__" not in klass.__dict__:
            continue
        try:
            sig = inspect.signature(klass.__init__)
        except (TypeError, ValueError):
            continue
        for p in sig.parameters.values():
            if p.name == "self" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                continue
            if p.default is not inspect.Parameter.empty and p.name not in out:
                out[p.name] = p.default
    return out


def _call_defaults(cls) -> dict:
    out = {}
    for p in inspect.signature(cls.call).parameters.values():
        if p.default is not inspect.Parameter.empty:
            out[p.name] = p.default
    return out


def _json_ctor(ctor: dict) -> dict:
    """Probe ctor as JSON (specials kept as their '@' names)."""
    out = {}
    for k, v in sorted(ctor.items()):
        if isinstance(v, dict) and "@layer" in v:
            out[k] = {"@layer": v["@layer"], "args": dict(sorted(v.get("args", {}).items()))}
        elif isinstance(v, tuple):
            out[k] = list(v)
        else:
            out[k] = v
    return out


def study(name: str, cls, run_experiments: bool = True) -> dict:
    """Static facts + eager/symbolic observations for one layer class."""
    from graphmask.catalog.generate import _category

    canon = cls.__name__
    facts = static_facts(name, cls)
    result: dict[str, Any] = {"static": facts, "probes": []}
    if not run_experiments or name in R.SKIP_EXPERIMENT or canon in R.SKIP_EXPERIMENT:
        return result
    kind = default_input_kind(name, canon, _category(name, cls))
    if kind in ("skip", "cell"):
        return result
    variants = [{}] + list(R.VARIANTS.get(name, R.VARIANTS.get(canon, [])))
    for i, var in enumerate(variants):
        ctor = probe_ctor(name, cls, var.get("ctor"))
        ik = var.get("input", kind)
        masked = tuple(var.get("masked", (True, True, True)))
        obs = observe(name, cls, ctor, ik, var.get("call"), masked)
        rec = {
            "ctor": _json_ctor(ctor),
            "call": dict(var.get("call", {})),
            "input": ik,
            "masked": list(masked[: _n_inputs(ik)]),
            "obs": obs,
        }
        if i == 0:
            rec["symbolic"] = observe_symbolic(name, cls, ctor, ik, var.get("call"))
        result["probes"].append(rec)
    return result


def _n_inputs(kind: str) -> int:
    return {"pair": 2, "pair_t3": 2, "qv": 2, "pair_ids": 2, "triple": 3}.get(kind, 1)


def _inner_rule(ctor: dict) -> tuple[dict, MaskRule | None]:
    v = ctor.get("layer")
    if isinstance(v, dict) and "@layer" in v:
        import keras

        inner_cls = getattr(keras.layers, v["@layer"])
        args = {**_defaults(inner_cls), **v.get("args", {})}
        cur = R.CURATED.get(v["@layer"])
        return args, (MaskRule.from_json(cur) if cur else None)
    if v == "@lstm3":
        import keras

        return {**_defaults(keras.layers.LSTM), "units": 3}, MaskRule.from_json(R.CURATED["LSTM"])
    return {}, None


def verify_probe(rule: MaskRule, cls, rec: dict) -> list[str]:
    """Compare a resolved rule with one observation; return mismatch messages."""
    obs = rec["obs"]
    if "error" in obs:
        return []
    ctor = rec["ctor"]
    args = {**_defaults(cls), **ctor}
    call = {**_call_defaults(cls), **rec["call"]}
    inner_args, inner = _inner_rule(ctor)
    rm = rule.resolve(args, call, inner_args, inner)
    problems = []
    in_masks = obs["_in_masks"]
    first_masked = in_masks[0] is not None if _n_inputs(rec["input"]) == 1 or rec["input"] == "qv" else any(
        m is not None for m in in_masks
    )
    exp_warn = (not rm.supports_masking) and first_masked
    if exp_warn != obs["warned"]:
        problems.append(f"warned={obs['warned']} but rule predicts {exp_warn}")
    if obs["n_outputs"] != rm.n_outputs:
        problems.append(f"n_outputs={obs['n_outputs']} but rule predicts {rm.n_outputs}")
        return problems
    for i, (kind, got) in enumerate(zip(rm.output_masks, obs["_masks"])):
        if not rm.supports_masking and kind not in ("generated",):
            # Keras never assigns compute_mask results; only masks set inside call().
            kind = "none" if kind != "custom" else kind
        exp = predict_mask(kind, obs["_vals"], in_masks, args, call)
        if isinstance(exp, str):
            if got is None:
                problems.append(f"output {i}: expected a custom mask, got none")
            continue
        if exp is None and got is None:
            continue
        if exp is None or got is None or exp.shape != got.shape or not np.array_equal(exp, got):
            problems.append(
                f"output {i}: rule kind {kind!r} predicts "
                f"{None if exp is None else exp.astype(int).tolist()} but Keras gave "
                f"{None if got is None else got.astype(int).tolist()}"
            )
    ch = obs.get("mask_changes_values")
    if ch is not None and first_masked and rm.supports_masking and ch != rm.consumes:
        problems.append(f"mask changes values={ch} but rule says consumes={rm.consumes}")
    return problems


def _public_obs(rec: dict) -> dict:
    obs = rec["obs"]
    out: dict[str, Any] = {
        "ctor": rec["ctor"],
        "input": rec["input"],
        "masked": rec["masked"],
    }
    if rec["call"]:
        out["call"] = rec["call"]
    if "error" in obs:
        out["error"] = obs["error"]
        return out
    out["warned"] = obs["warned"]
    out["n_outputs"] = obs["n_outputs"]
    out["output_masks"] = [
        None if m is None else classify(m, obs["_vals"], obs["_in_masks"], {**rec["ctor"]})
        for m in obs["_masks"]
    ]
    out["mask_shapes"] = obs["mask_shapes"]
    if "mask_changes_values" in obs:
        out["mask_changes_values"] = obs["mask_changes_values"]
    if "symbolic" in rec:
        out["symbolic"] = rec["symbolic"]
    return out


class ProbeMismatch(Exception):
    pass


MISMATCHES: list[str] = []


def mask_rule(name: str, cls, st: dict, meaningful: bool) -> dict:
    """Build the JSON mask rule for a layer from curated data + study."""
    facts = st["static"]
    curated = R.CURATED.get(name) or R.CURATED.get(cls.__name__)
    probes = st["probes"]
    default = probes[0] if probes else None
    dobs = default["obs"] if default and "error" not in default["obs"] else None
    if curated is not None:
        rule = {k: v for k, v in curated.items()}
        source = "curated"
    else:
        sm = bool(facts.get("supports_masking", False))
        rule = {"supports_masking": sm}
        if dobs is not None:
            source = "experiment"
            first_mask = dobs["_masks"][0] if dobs["_masks"] else None
            if sm and first_mask is not None:
                hits = classify(first_mask, dobs["_vals"], dobs["_in_masks"], default["ctor"])
                rule["output"] = hits[0]
            elif first_mask is not None:
                rule["output"] = "custom"
            else:
                rule["output"] = "none"
            if dobs["n_outputs"] != 1:
                rule["n_outputs"] = dobs["n_outputs"]
            ch = dobs.get("mask_changes_values")
            rule["consumes"] = bool(ch) if (ch is not None and sm) else bool(
                facts.get("call_has_mask_arg") and sm
            )
        else:
            source = "static"
            overridden = facts.get("compute_mask_overridden", False)
            rule["output"] = "same" if sm and not overridden else ("custom" if sm else "none")
            rule["consumes"] = bool(facts.get("call_has_mask_arg") and sm)
    rule["meaningful"] = meaningful
    rule["source"] = source
    if "n_states" in facts and "n_states" not in rule:
        rule["n_states"] = facts["n_states"]
    rule_facts = dict(rule.get("facts", {}))
    rule_facts.update(
        {
            "supports_masking_instance": facts.get("supports_masking"),
            "compute_mask_overridden": facts.get("compute_mask_overridden"),
            "call_has_mask_arg": facts.get("call_has_mask_arg"),
        }
    )
    if not facts.get("instantiable", True):
        rule_facts["instantiable"] = False
    rule["facts"] = rule_facts
    # verify against every probe
    mr = MaskRule.from_json(rule)
    problems = []
    for rec in probes:
        for p in verify_probe(mr, cls, rec):
            problems.append(f"{name} {rec['ctor']} call={rec['call']} masked={rec['masked']}: {p}")
    MISMATCHES.extend(problems)
    rule["verified"] = bool(probes) and not problems and any("error" not in r["obs"] for r in probes)
    rule["observations"] = [_public_obs(r) for r in probes]
    full = MaskRule.from_json(rule).to_json()
    full["verified"] = rule["verified"]
    full["observations"] = rule["observations"]
    return full
