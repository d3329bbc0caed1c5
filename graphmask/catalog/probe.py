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
import re
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
    "functional_run": (
        "In a functional Model run, a layer whose call() has a `mask` parameter "
        "receives the symbolic mask that was bound into its node's call kwargs at "
        "graph-construction time (recomputed by Keras ops), if the symbolic tensor "
        "had one; other layers read the run-time `_keras_mask` attribute, which "
        "MultiHeadAttention clears on its query/value/key tensors.  Nodes run by "
        "decreasing depth."
    ),
}


class ProbeError(Exception):
    pass


# ---------------------------------------------------------------- fixtures
# Attached masks differ from the "values" masks (any(x != 0), ids != 0) so
# that same/generated can be told apart.
M_IN = np.array([[1, 1, 1, 1, 0], [1, 1, 0, 0, 0]], dtype=bool)
M_IN2 = np.array([[1, 0, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=bool)
M_IN3 = np.array([[1, 1, 0, 1, 1], [1, 0, 0, 0, 0]], dtype=bool)

# input kind -> (structure, number of tensors)
#   structure "single": layer(x); "list": layer([a, b, ...]); "args": layer(a, b)
INPUT_KINDS: dict[str, tuple[str, int]] = {
    "seq": ("single", 1),
    "mat": ("single", 1),
    "ids": ("single", 1),
    "vec": ("single", 1),
    "img": ("single", 1),
    "vol": ("single", 1),
    "strs": ("single", 1),
    "pair": ("list", 2),
    "pair_t3": ("list", 2),
    "pair_ids": ("list", 2),
    "triple": ("list", 3),
    "qv": ("args", 2),
}


def _seq(seed: int = 0, t: int = 5, f: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, t, f)).astype("float32") + 0.5
    x[0, 3:] = 0.0
    x[1, 4:] = 0.0
    return x


def _ids() -> np.ndarray:
    return np.array([[1, 2, 3, 0, 0], [4, 5, 6, 7, 0]], dtype="int32")


def make_data(kind: str, masked=(True, True, True)):
    """(values, masks) for an input kind; masks[i] is None if not masked."""
    masked = tuple(masked) + (False,) * 3
    base = [M_IN, M_IN2, M_IN3]

    def m(i, t=5):
        return base[i][:, :t] if masked[i] else None

    if kind == "seq":
        return [_seq()], [m(0)]
    if kind == "mat":
        return [_seq()[:, :, 0]], [m(0)]
    if kind == "ids":
        return [_ids()], [m(0)]
    if kind == "vec":
        return [_seq()[:, 0, :]], [np.array([True, False]) if masked[0] else None]
    if kind == "img":
        return [np.random.default_rng(1).normal(size=(2, 5, 4, 3)).astype("float32")], [m(0)]
    if kind == "vol":
        return [np.random.default_rng(2).normal(size=(2, 5, 4, 4, 3)).astype("float32")], [m(0)]
    if kind == "strs":
        return [np.array([["a", "b", "", "c", ""], ["d", "", "", "", ""]])], [m(0)]
    if kind in ("pair", "qv"):
        return [_seq(0), _seq(1)], [m(0), m(1)]
    if kind == "pair_t3":
        return [_seq(0), _seq(1, t=3)], [m(0), m(1, 3)]
    if kind == "pair_ids":
        return [_ids(), _ids()[::-1].copy()], [m(0), m(1)]
    if kind == "triple":
        return [_seq(0), _seq(1), _seq(2)], [m(0), m(1), m(2)]
    raise ProbeError(f"unknown input kind {kind}")


def _pack(kind: str, tensors: list) -> list:
    structure = INPUT_KINDS[kind][0]
    if structure == "list":
        return [list(tensors)]
    return list(tensors)


def _tensor(x, mask=None):
    from keras import ops
    from keras.src import backend

    t = ops.convert_to_tensor(x)
    if mask is not None:
        backend.set_keras_mask(t, ops.convert_to_tensor(mask))
    return t


# ------------------------------------------------------------ construction
def _special(value: Any):
    import keras

    if isinstance(value, dict) and "@layer" in value:
        return getattr(keras.layers, value["@layer"])(**value.get("args", {}))
    if not isinstance(value, str) or not value.startswith("@"):
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
        return lambda x: x * 2.0
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
    ctor.update(R.PROBE_CTOR.get(name, R.PROBE_CTOR.get(cls.__name__, {})))
    ctor.update(extra or {})
    return ctor


def instantiate(name: str, cls, ctor: dict):
    kwargs = {k: _special(v) for k, v in ctor.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(**kwargs)


def _n_states(layer) -> int:
    cell = getattr(layer, "cell", None)
    if cell is None and hasattr(layer, "state_size"):
        cell = layer  # an RNN cell
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
def _to_np(t):
    from keras import ops

    return np.asarray(ops.convert_to_numpy(t))


def _mask_of(t):
    from keras.src import backend

    try:
        m = backend.get_keras_mask(t)
    except Exception:  # noqa: BLE001
        m = getattr(t, "_keras_mask", None)
    return m


def _flatten(outputs) -> list:
    if isinstance(outputs, (list, tuple)):
        out = []
        for o in outputs:
            out.extend(_flatten(o))
        return out
    if isinstance(outputs, dict):
        return [v for _, v in sorted(outputs.items())]
    return [outputs]


def _err(exc: BaseException) -> str:
    lines = [ln for ln in str(exc).splitlines() if ln.strip()]
    # Keras wraps call errors; keep the informative line.
    msg = next((ln for ln in lines if "mask" in ln.lower()), lines[0] if lines else "")
    msg = re.sub(r"\x1b\[[0-9;]*m", "", msg).strip()
    msg = re.sub(r"'[a-z_]+_\d+'", "'<name>'", msg)
    # Keras numbers tensors per process: the number depends on what ran before (a test session), not on the layer
    msg = re.sub(r"\bkeras_tensor_\d+\b", "keras_tensor_<n>", msg)
    return f"{type(exc).__name__}: {msg[:200]}"


def _recorded_call(fn, cls_name: str, *args, **kwargs) -> tuple[Any, bool, list[str]]:
    """``fn(*args, **kwargs)`` with Keras's "destroy the mask" warnings recorded:
    (result, whether ``cls_name`` itself warned, the inner layers that warned)."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = fn(*args, **kwargs)
    return (out, *_warnings(rec, cls_name))


def _warnings(rec, cls_name: str) -> tuple[bool, list[str]]:
    own, inner = False, []
    for w in rec:
        text = str(w.message)
        if WARN_TEXT not in text:
            continue
        mt = re.search(r"\(of type (\w+)\)", text)
        typ = mt.group(1) if mt else "?"
        if typ == cls_name and not inner:
            own = True
        else:
            inner.append(typ)
    return own, sorted(set(inner))


def observe_eager(layer, kind: str, masked, call_kwargs: dict) -> dict:
    """Direct (imperative) call on tensors carrying `_keras_mask`."""
    vals, masks = make_data(kind, masked)
    args = _pack(kind, [_tensor(v, m) for v, m in zip(vals, masks)])
    try:
        out, own, inner = _recorded_call(layer, type(layer).__name__, *args, **call_kwargs)
    except Exception as exc:  # noqa: BLE001
        return {"error": _err(exc)}
    flat = _flatten(out)
    in_flat = _flatten(args)
    res: dict[str, Any] = {
        "warned": own,
        "n_outputs": len(flat),
        "_masks": [None if _mask_of(o) is None else _to_np(_mask_of(o)).astype(bool) for o in flat],
        "passthrough": any(o is i for o in flat for i in in_flat),
    }
    if inner:
        res["inner_warnings"] = inner
    # did the call strip masks from its input tensors (MultiHeadAttention)?
    stripped = [m is not None and _mask_of(t) is None for t, m in zip(in_flat, masks)]
    if any(stripped):
        res["strips_input_masks"] = True
    # consumption: same instance/weights, same values, no masks.  Called
    # twice to rule out layers whose output is random at inference.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outs2 = [
                _flatten(layer(*_pack(kind, [_tensor(v) for v in vals]), **call_kwargs))
                for _ in range(2)
            ]
        if _differs(outs2[0], outs2[1]) is False:
            res["mask_changes_values"] = bool(_differs(flat, outs2[0]))
    except Exception:  # noqa: BLE001
        pass
    return res


def _differs(a_list, b_list) -> bool | None:
    if len(a_list) != len(b_list):
        return None
    diffs = []
    for a, b in zip(a_list, b_list):
        a, b = _to_np(a), _to_np(b)
        if a.shape != b.shape:
            return True
        if a.dtype.kind in "fiub":
            diffs.append(not np.allclose(a, b, atol=1e-6, equal_nan=True))
        else:
            diffs.append(not np.array_equal(a, b))
    return any(diffs)


def _helper_layers():
    """SetMask (attach an explicit boolean mask) and Spy (record runtime mask)."""
    global _HELPERS
    if _HELPERS is not None:
        return _HELPERS
    import keras
    from keras import ops

    class SetMask(keras.layers.Layer):
        def call(self, inputs):
            return ops.copy(inputs[0])

        def compute_mask(self, inputs, mask=None):
            return ops.cast(inputs[1], "bool")

        def compute_output_spec(self, inputs):
            return keras.KerasTensor(inputs[0].shape, dtype=inputs[0].dtype)

    class Spy(keras.layers.Layer):
        """Records the mask *attribute* of the tensor it receives at run time.

        No ``mask`` parameter on purpose: a layer whose call() has one gets,
        in a functional Model run, the symbolic mask bound into its node's
        arguments (recomputed by Keras ops) whenever the symbolic tensor had
        one -- not the tensor's run-time attribute.  ``ConsumerSpy`` records
        that view.
        """

        def __init__(self, box, idx, **kw):
            super().__init__(**kw)
            self.supports_masking = True
            self._box, self._idx = box, idx

        def call(self, x):
            m = _mask_of(x)
            self._box.masks[self._idx] = None if m is None else _to_np(m).astype(bool)
            return ops.copy(x) if hasattr(x, "shape") else x

        def compute_output_spec(self, x):
            return keras.KerasTensor(x.shape, dtype=x.dtype)

    class ConsumerSpy(keras.layers.Layer):
        def __init__(self, box, idx, **kw):
            super().__init__(**kw)
            self.supports_masking = True
            self._box, self._idx = box, idx

        def call(self, x, mask=None):
            self._box.consumer[self._idx] = None if mask is None else _to_np(mask).astype(bool)
            return ops.copy(x) if hasattr(x, "shape") else x

        def compute_output_spec(self, x, mask=None):
            return keras.KerasTensor(x.shape, dtype=x.dtype)

    _HELPERS = (SetMask, Spy, ConsumerSpy)
    return _HELPERS


_HELPERS = None


class _Box:
    """Plain holder (Keras would wrap a dict attribute into a tracked copy)."""

    def __init__(self):
        self.masks: dict[int, Any] = {}
        self.consumer: dict[int, Any] = {}


def observe_model(layer, kind: str, masked, call_kwargs: dict) -> dict:
    """Functional API: masked keras.Input tensors -> layer -> Model run eagerly.

    Records the symbolic masks (KerasTensor._keras_mask), the warning at
    graph-construction time, and the masks the outputs carry when the Model
    is executed (seen by Spy layers) or the runtime error.
    """
    import keras

    if kind == "strs":
        return {"skipped": "string input"}
    SetMask, Spy, ConsumerSpy = _helper_layers()
    vals, masks = make_data(kind, masked)
    inputs, feeds, tensors = [], [], []
    for v, m in zip(vals, masks):
        xi = keras.Input(shape=v.shape[1:], dtype=str(v.dtype))
        inputs.append(xi)
        feeds.append(v)
        if m is not None:
            mi = keras.Input(shape=m.shape[1:], dtype="bool")
            inputs.append(mi)
            feeds.append(m)
            tensors.append(SetMask()([xi, mi]))
        else:
            tensors.append(xi)
    args = _pack(kind, tensors)
    cls_name = type(layer).__name__
    try:
        out, own, inner = _recorded_call(layer, cls_name, *args, **call_kwargs)
    except Exception as exc:  # noqa: BLE001
        return {"build_error": _err(exc)}
    flat = _flatten(out)
    res: dict[str, Any] = {
        "warned": own,
        "n_outputs": len(flat),
        "symbolic_has_mask": [_mask_of(o) is not None for o in flat],
    }
    if inner:
        res["inner_warnings"] = inner
    box = _Box()
    try:
        spied = [Spy(box, i)(o) for i, o in enumerate(flat)]
        spied += [ConsumerSpy(box, i)(o) for i, o in enumerate(flat)]
        model = keras.Model(inputs, spied)
    except Exception as exc:  # noqa: BLE001
        res["model_error"] = _err(exc)
        return res
    try:
        _, res["runtime_warned"], _ = _recorded_call(model, cls_name, feeds)
    except Exception as exc:  # noqa: BLE001
        res["runtime_error"] = _err(exc)
        return res
    if len(box.masks) != len(flat):
        res["runtime_error"] = "probe: Spy layers did not run"
        return res
    res["_masks"] = [box.masks[i] for i in range(len(flat))]
    consumer = [box.consumer.get(i) for i in range(len(flat))]
    res["consumer_sees_mask"] = [m is not None for m in consumer]
    return res


def observe(name: str, cls, ctor: dict, kind: str, call_kwargs=None, masked=(True, True, True)) -> dict:
    import keras

    call_kwargs = dict(call_kwargs or {})
    vals, masks = make_data(kind, masked)
    out: dict[str, Any] = {"_vals": vals, "_in_masks": masks}
    keras.utils.set_random_seed(1234)
    try:
        layer = instantiate(name, cls, ctor)
    except Exception as exc:  # noqa: BLE001
        out["error"] = "init " + _err(exc)
        return out
    out["eager"] = observe_eager(layer, kind, masked, call_kwargs)
    keras.utils.set_random_seed(1234)
    try:
        layer2 = instantiate(name, cls, ctor)
        out["model"] = observe_model(layer2, kind, masked, call_kwargs)
    except Exception as exc:  # noqa: BLE001
        out["model"] = {"build_error": _err(exc)}
    return out


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


# ------------------------------------------------------------------- study
def default_input_kind(name: str, canon: str, category: str | None = None) -> str:
    if name in R.PROBE_INPUT:
        return R.PROBE_INPUT[name]
    if canon in R.PROBE_INPUT:
        return R.PROBE_INPUT[canon]
    if "2D" in canon or category == "image_augmentation":
        return "img"
    if "3D" in canon:
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
    """Static facts + observations for one layer class."""
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
    for var in variants:
        ctor = probe_ctor(name, cls, var.get("ctor"))
        ik = var.get("input", kind)
        n = INPUT_KINDS[ik][1]
        masked = tuple(var.get("masked", (True,) * n))[:n]
        obs = observe(name, cls, ctor, ik, var.get("call"), masked)
        result["probes"].append(
            {
                "ctor": _json_ctor(ctor),
                "call": dict(var.get("call", {})),
                "input": ik,
                "masked": list(masked),
                "obs": obs,
                "expect_error": bool(var.get("expect_error", False)),
            }
        )
    return result


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
    cur = R.CURATED.get(inner_name)
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


MISMATCHES: list[str] = []


def _consumes_observed(probes: list[dict]) -> bool | None:
    seen = None
    for rec in probes:
        e = rec["obs"].get("eager", {})
        if "mask_changes_values" in e:
            seen = bool(seen) or e["mask_changes_values"]
    return seen


def mask_rule(name: str, cls, st: dict, meaningful: bool) -> dict:
    """Build the JSON mask rule for a layer from curated data + study."""
    facts = st["static"]
    curated = R.CURATED.get(name) or R.CURATED.get(cls.__name__)
    probes = st["probes"]
    good = [r for r in probes if "error" not in r["obs"]]
    default = good[0] if good and good[0] is probes[0] else None
    consumed = _consumes_observed(probes)
    if curated is not None:
        rule = dict(curated)
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
    rule_facts = {**(R.RUNTIME_FACTS.get(name) or R.RUNTIME_FACTS.get(cls.__name__, {})),
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


def verify_input_counts(name: str, cls, mn: int, mx: int | None, mode: str) -> list[str]:
    """Call with n tensors around [mn, mx]; success must match the range."""
    if mode == "single" or name in R.SKIP_EXPERIMENT or cls.__name__ in R.SKIP_EXPERIMENT:
        return []
    problems = []
    top = (mx if mx is not None else 3) + 1
    if mode == "args":
        top = mx  # a further positional arg binds to query_mask, not a tensor role
    for n in range(max(1, mn - 1), top + 1):
        tensors = [_tensor(_seq(i)) for i in range(n)]
        args = [tensors] if mode == "list" else tensors
        try:
            layer = instantiate(name, cls, probe_ctor(name, cls))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                layer(*args)
            ok = True
        except Exception:  # noqa: BLE001
            ok = False
        expected = n >= mn and (mx is None or n <= mx)
        if ok != expected:
            problems.append(f"{name}: called with {n} inputs: {'ok' if ok else 'error'}, catalog says {mn}..{mx}")
    return problems
