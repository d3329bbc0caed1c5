"""Judging what the probes saw: from observations to the rule written to layers.json.

``probe`` calls real Keras layers and records what happened; this module
decides what that means, with numpy only (Keras is imported just to resolve
a wrapped layer's class):

* ``predict_mask`` models each output kind of the mask vocabulary, and
  ``classify`` names the kinds that explain an observed mask;
* ``verify_probe`` holds a resolved rule against one observation (warning,
  run-time error from a mask constraint, the mask of every output, the
  symbolic masks) and returns the disagreements;
* ``mask_rule`` builds a layer's JSON rule from the curated data (or the
  observations) and adds every disagreement to ``probe.MISMATCHES``.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from graphmask.catalog import MaskRule
from graphmask.catalog.build import curated
from graphmask.catalog.build.probe import INPUT_KINDS, MISMATCHES, ProbeError, static_facts


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
    if kind == "attention_scores":
        q = masks[0] if masks else None
        v = masks[1] if len(masks) > 1 else None
        auto = None
        if q is not None:
            auto = q[:, :, None]
        if v is not None:
            auto = v[:, None, :] if auto is None else auto & v[:, None, :]
        if call_kwargs.get("use_causal_mask") and auto is not None:
            tq, tv = vals[0].shape[1], vals[1].shape[1]
            auto = auto & np.tril(np.ones((1, tq, tv), dtype=bool))
        return None if auto is None else auto[:, None]
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
    kinds = CANDIDATE_KINDS if len(masks) > 1 else ("same", "generated")
    for kind in kinds:
        try:
            p = predict_mask(kind, vals, masks, layer_args, {})
        except Exception:  # noqa: BLE001
            continue
        if isinstance(p, np.ndarray) and p.shape == mask.shape and np.array_equal(p, mask):
            hits.append(kind)
    return hits or ["other"]


def check_constraint(constraint: str | None, x_shape: tuple, m_shape: tuple) -> bool:
    """True if a mask of m_shape is acceptable for an input of x_shape."""
    if not constraint:
        return True
    if constraint == "broadcastable":
        if len(m_shape) > len(x_shape):
            return False
        return all(m == 1 or m == x for m, x in zip(m_shape[::-1], x_shape[::-1]))
    if constraint == "rank_minus_one":
        return len(m_shape) == len(x_shape) - 1
    raise ProbeError(f"unknown constraint {constraint}")


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


def _inner_rule(ctor: dict) -> tuple[dict, MaskRule | None]:
    import keras

    v = ctor.get("layer", ctor.get("cell"))
    if isinstance(v, dict) and "@layer" in v:
        inner_name, inner_args = v["@layer"], v.get("args", {})
    elif v == "@lstm3":
        inner_name, inner_args = "LSTM", {"units": 3}
    elif v == "@dense3":
        inner_name, inner_args = "Dense", {"units": 3}
    elif v == "@lstmcell3":
        inner_name, inner_args = "LSTMCell", {"units": 3}
    else:
        return {}, None
    inner_cls = getattr(keras.layers, inner_name)
    args = {**_defaults(inner_cls), **inner_args}
    cur = curated.CURATED.get(inner_name)
    if cur:
        return args, MaskRule.from_json(cur)
    f = static_facts(inner_name, inner_cls)
    sm = bool(f.get("supports_masking"))
    return args, MaskRule(
        supports_masking=sm,
        output="same" if sm and not f.get("compute_mask_overridden") else "none",
        n_states=int(f.get("n_states", 0)),
    )


def _first_arg_masked(kind: str, masks: list) -> bool:
    structure = INPUT_KINDS[kind][0]
    if structure == "args":
        return masks[0] is not None
    return any(m is not None for m in masks)


def verify_probe(rule: MaskRule, cls, rec: dict, notes: list[str]) -> list[str]:
    """Compare a resolved rule with one observation; return mismatch messages.

    Truth is the functional Model run (runtime masks) plus the warning seen
    while building the graph; differences between the symbolic graph, the
    Model run and a direct eager call are appended to ``notes``.
    """
    obs = rec["obs"]
    if "error" in obs:
        return []
    ctor = rec["ctor"]
    args = {**_defaults(cls), **ctor}
    call = {**_call_defaults(cls), **rec["call"]}
    inner_args, inner = _inner_rule(ctor)
    rm = rule.resolve(args, call, inner_args, inner)
    vals, in_masks = obs["_vals"], obs["_in_masks"]
    kind = rec["input"]
    first_masked = _first_arg_masked(kind, in_masks)
    exp_warn = (not rm.supports_masking) and first_masked
    problems: list[str] = []
    model, eager = obs.get("model", {}), obs.get("eager", {})
    tag = f"ctor={ctor} call={rec['call']} input={kind} masked={rec['masked']}"
    for mode, o in (("model", model), ("eager", eager)):
        if "warned" in o and o["warned"] != exp_warn:
            problems.append(f"{mode}: warned={o['warned']} but rule predicts {exp_warn}")
    # mask constraint -> runtime error
    first_mask = in_masks[0]
    x0 = vals[0]
    ok = True
    if rm.supports_masking and first_mask is not None:
        ok = check_constraint(rule.mask_constraint, x0.shape, first_mask.shape)
    if rec.get("expect_error"):
        ok = False
    for mode, o, key in (("model", model, "runtime_error"), ("eager", eager, "error")):
        if not o or "build_error" in o or "skipped" in o or "model_error" in o:
            continue
        got_err = key in o
        if got_err and ok:
            problems.append(f"{mode}: unexpected error {o[key]}")
        elif not got_err and not ok:
            problems.append(f"{mode}: rule's mask_constraint predicts an error, none raised")
    if "runtime_error" in model and not ok and "warned" in model:
        if any(model["symbolic_has_mask"]):
            notes.append(f"{tag}: graph builds but fails at runtime: {model['runtime_error']}")
    truth = None
    if "_masks" in model:
        truth, source = model["_masks"], "model"
    elif "_masks" in eager:
        truth, source = eager["_masks"], "eager"
    if truth is None:
        return problems
    if len(truth) != rm.n_outputs:
        problems.append(f"{source}: n_outputs={len(truth)} but rule predicts {rm.n_outputs}")
        return problems
    for i, (k, got) in enumerate(zip(rm.output_masks, truth)):
        if not rm.supports_masking and k not in ("custom", "inner"):
            k = "none"  # Keras never calls compute_mask
        if k == "inner":
            ir = inner.resolve(inner_args, {}) if inner is not None else None
            k = ir.output if ir is not None and ir.supports_masking else "none"
        exp = predict_mask(k, vals, in_masks, args, call)
        if isinstance(exp, str):
            if got is None:
                problems.append(f"{source} output {i}: expected a custom mask, got none")
            continue
        if exp is None and got is None:
            continue
        if exp is None and got is not None and eager.get("passthrough"):
            notes.append(f"{tag}: output {i} is the input tensor object; its mask survives at runtime")
            continue
        if exp is None or got is None or exp.shape != got.shape or not np.array_equal(exp, got):
            problems.append(
                f"{source} output {i}: rule kind {k!r} predicts "
                f"{None if exp is None else exp.astype(int).tolist()} but Keras gave "
                f"{None if got is None else got.astype(int).tolist()}"
            )
    # symbolic graph presence
    if "symbolic_has_mask" in model and rm.supports_masking == (not model.get("warned")):
        exp_sym = []
        for k in rm.symbolic_output_masks:
            if not rm.supports_masking and k != "custom":
                k = "none"
            p = predict_mask(k, vals, in_masks, args, call) if k not in ("inner",) else None
            exp_sym.append(p is not None)
        if exp_sym != model["symbolic_has_mask"] and not rule.meaningful:
            notes.append(f"{tag}: symbolic masks {model['symbolic_has_mask']} (output spec is the input KerasTensor)")
        elif exp_sym != model["symbolic_has_mask"]:
            problems.append(
                f"symbolic masks present={model['symbolic_has_mask']} but rule predicts {exp_sym}"
            )
    if "symbolic_has_mask" in model and "_masks" in model:
        rt = [m is not None for m in model["_masks"]]
        if rt != model["symbolic_has_mask"]:
            notes.append(f"{tag}: symbolic masks {model['symbolic_has_mask']} != Model-run masks {rt}")
    if "_masks" in eager and "_masks" in model and len(eager["_masks"]) == len(model["_masks"]):
        e = [m is not None for m in eager["_masks"]]
        rt = [m is not None for m in model["_masks"]]
        if e != rt:
            notes.append(f"{tag}: direct eager call masks {e} != Model-run masks {rt}")
    if eager.get("strips_input_masks"):
        notes.append(f"{tag}: direct eager call removes _keras_mask from its input tensors")
    if eager.get("inner_warnings") or model.get("inner_warnings"):
        inner_w = sorted(set(eager.get("inner_warnings", []) + model.get("inner_warnings", [])))
        notes.append(f"{tag}: sublayers warn: {', '.join(inner_w)}")
    return problems


def _classified(masks, vals, in_masks, ctor):
    return [None if m is None else classify(m, vals, in_masks, ctor) for m in masks]


def _public_obs(rec: dict) -> dict:
    obs = rec["obs"]
    out: dict[str, Any] = {"ctor": rec["ctor"], "input": rec["input"], "masked": rec["masked"]}
    if rec["call"]:
        out["call"] = rec["call"]
    if "error" in obs:
        out["error"] = obs["error"]
        return out
    vals, in_masks = obs["_vals"], obs["_in_masks"]
    for mode in ("model", "eager"):
        o = obs.get(mode, {})
        d = {k: v for k, v in o.items() if not k.startswith("_")}
        if "_masks" in o:
            d["output_masks"] = _classified(o["_masks"], vals, in_masks, rec["ctor"])
        out[mode] = d
    return out


def _consumes_observed(probes: list[dict]) -> bool | None:
    seen = None
    for rec in probes:
        e = rec["obs"].get("eager", {})
        if "mask_changes_values" in e:
            seen = bool(seen) or e["mask_changes_values"]
    return seen


def _reads_input_masks(cls, probes: list[dict]) -> bool:
    """Whether ``call()`` reads its inputs' masks off the tensors, whichever of them are masked.

    By experiment: its signature has no ``mask`` (nor ``<arg>_mask``) parameter, so
    ``Layer.__call__`` hands it none, yet every direct call on masked tensors -- some
    of them, or all -- gave other values than the same call without masks.
    """
    try:
        params = inspect.signature(cls.call).parameters
    except (TypeError, ValueError):
        return False
    if any(p == "mask" or p.endswith("_mask") for p in params):
        return False
    seen = [rec["obs"]["eager"]["mask_changes_values"] for rec in probes
            if any(rec["masked"]) and "mask_changes_values" in rec["obs"].get("eager", {})]
    return bool(seen) and all(seen)


def mask_rule(name: str, cls, st: dict, meaningful: bool) -> dict:
    """Build the JSON mask rule for a layer from curated data + study."""
    facts = st["static"]
    curated_rule = curated.CURATED.get(name) or curated.CURATED.get(cls.__name__)
    probes = st["probes"]
    good = [r for r in probes if "error" not in r["obs"]]
    default = good[0] if good and good[0] is probes[0] else None
    consumed = _consumes_observed(probes)
    if curated_rule is not None:
        rule = dict(curated_rule)
        source = "curated"
    else:
        sm = bool(facts.get("supports_masking", False))
        rule = {"supports_masking": sm}
        dobs = default["obs"] if default else None
        truth = None
        if dobs is not None:
            truth = dobs.get("model", {}).get("_masks", dobs.get("eager", {}).get("_masks"))
        if truth is not None:
            source = "experiment"
            first = truth[0] if truth else None
            if sm and first is not None:
                rule["output"] = classify(first, dobs["_vals"], dobs["_in_masks"], default["ctor"])[0]
            else:
                rule["output"] = "none"
            if len(truth) != 1:
                rule["n_outputs"] = len(truth)
            rule["consumes"] = bool(consumed) if consumed is not None else bool(
                facts.get("call_has_mask_arg") and sm
            )
            if not (sm or facts.get("call_has_mask_arg")):
                rule["consumes"] = False
        else:
            source = "static"
            overridden = facts.get("compute_mask_overridden", False)
            rule["output"] = "same" if sm and not overridden else ("custom" if sm else "none")
            rule["consumes"] = bool(facts.get("call_has_mask_arg") and sm)
    rule["meaningful"] = meaningful
    rule["source"] = source
    if "n_states" in facts and "n_states" not in rule:
        rule["n_states"] = facts["n_states"]
    rule_facts = {**(curated.RUNTIME_FACTS.get(name) or curated.RUNTIME_FACTS.get(cls.__name__, {})),
                  **dict(rule.get("facts", {}))}
    rule_facts.update(
        {
            "supports_masking_instance": facts.get("supports_masking"),
            "compute_mask_overridden": facts.get("compute_mask_overridden"),
            "call_has_mask_arg": facts.get("call_has_mask_arg"),
        }
    )
    if consumed is not None:
        rule_facts["mask_changes_values_observed"] = consumed
    if _reads_input_masks(cls, probes):
        rule_facts["reads_input_masks"] = True
    if not facts.get("instantiable", True):
        rule_facts["instantiable"] = False
    mr = MaskRule.from_json({**rule, "facts": rule_facts})
    problems: list[str] = []
    notes: list[str] = []
    for rec in probes:
        for p in verify_probe(mr, cls, rec, notes):
            problems.append(f"{name} ctor={rec['ctor']} call={rec['call']} input={rec['input']} masked={rec['masked']}: {p}")
    if consumed is not None and mr.supports_masking and consumed and not mr.consumes:
        problems.append(f"{name}: the mask changed output values but rule says consumes=False")
    if consumed is False and mr.consumes and not rule.get("consumes_untested"):
        problems.append(f"{name}: rule says consumes=True but no probe showed the mask changing values")
    MISMATCHES.extend(problems)
    if notes:
        rule_facts["observed_quirks"] = sorted(set(notes))
    rule["facts"] = rule_facts
    full = MaskRule.from_json(rule).to_json()
    full["verified"] = bool(good) and not problems
    full["observations"] = [_public_obs(r) for r in probes]
    return full
