"""Experiment harness: call real Keras layers on masked inputs.

Imported by ``generate`` and ``tests/test_catalog.py`` only (imports
Keras/TensorFlow lazily).  For each layer class:

* static facts: ``supports_masking`` of an instance built with minimal args,
  ``compute_mask`` overridden?, ``call`` has a ``mask`` parameter?,
  number of RNN states;
* eager experiments (``observe``): the layer is called on inputs carrying a
  ``_keras_mask``; we record whether Keras warned "does not support masking",
  which mask each output carries, and whether the mask changed the output
  values (=> the layer *consumes* the mask);
* a symbolic (functional API) experiment on ``keras.Input`` to compare.

``judge`` turns the observations into rules: it classifies each observed
mask against the vocabulary's kinds, resolves the curated rules
(curated.py) for each probe and compares them with what Keras did. Every
disagreement goes to ``MISMATCHES``, and generate then writes nothing.
"""

from __future__ import annotations

import functools
import inspect
import re
import warnings
from typing import Any

import numpy as np

from graphmask.catalog.build import probe_plan as plan
from graphmask.catalog.build import categories

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
        if p.default is inspect.Parameter.empty and p.name in plan.REQUIRED_ARG_VALUES:
            ctor[p.name] = plan.REQUIRED_ARG_VALUES[p.name]
    ctor.update(plan.PROBE_CTOR.get(name, plan.PROBE_CTOR.get(cls.__name__, {})))
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


@functools.cache
def _helper_layers():
    """SetMask (attach an explicit boolean mask) and Spy (record runtime mask), defined once."""
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

    return SetMask, Spy, ConsumerSpy


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


# ------------------------------------------------------------------- study
def default_input_kind(name: str, canon: str, category: str | None = None) -> str:
    if name in plan.PROBE_INPUT:
        return plan.PROBE_INPUT[name]
    if canon in plan.PROBE_INPUT:
        return plan.PROBE_INPUT[canon]
    if "2D" in canon or category == "image_augmentation":
        return "img"
    if "3D" in canon:
        return "vol"
    return "seq"


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
    canon = cls.__name__
    facts = static_facts(name, cls)
    result: dict[str, Any] = {"static": facts, "probes": []}
    if not run_experiments or name in plan.SKIP_EXPERIMENT or canon in plan.SKIP_EXPERIMENT:
        return result
    kind = default_input_kind(name, canon, categories.category(name, cls))
    if kind in ("skip", "cell"):
        return result
    variants = [{}] + list(plan.VARIANTS.get(name, plan.VARIANTS.get(canon, [])))
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


MISMATCHES: list[str] = []


def verify_input_counts(name: str, cls, mn: int, mx: int | None, mode: str) -> list[str]:
    """Call with n tensors around [mn, mx]; success must match the range."""
    if mode == "single" or name in plan.SKIP_EXPERIMENT or cls.__name__ in plan.SKIP_EXPERIMENT:
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
