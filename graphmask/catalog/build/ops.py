"""The ``ops`` part of the catalog: every ``keras.ops`` function, and what it does to a mask, by experiment.

Each public function of ``keras.ops`` is applied to a masked KerasTensor
(``Masking`` output, shape (batch, 5, 4)), trying the argument lists of
``_ATTEMPTS`` in turn; the first that builds says the op applies to
KerasTensors and how many tensors it takes.  Then:

* the symbolic output's ``_keras_mask`` (Keras ops have no ``compute_mask``:
  keras-team/keras#18416 -- ``x + y`` drops the mask),
* the output's mask when a ``keras.Model`` of it runs (an op that returns
  its input tensor object, such as ``convert_to_tensor`` on a tensor of the
  right dtype, keeps the run-time mask that object carries),
* the Operation class the call records (what a saved config names: ``x + y``
  is ``{"module": "keras.src.ops.numpy", "class_name": "Add"}``), and
* whether the output shape is the input's (``same``), or the broadcast of
  the inputs' (``elementwise``), on two probe shapes; otherwise no shape rule.

The entries use the layer entries' vocabulary (``graphmask.catalog``):
category ``op``, ``input_mode`` ``args``, a mask rule whose kinds are the
observed ones.  Ops never warn about a dropped mask, so their rule says
``supports_masking`` (Keras does not complain) with output ``none``.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

# Argument lists tried, in order; "x" is the masked tensor.
_ATTEMPTS: tuple[tuple[Any, ...], ...] = (("x",), ("x", "x"), ("x", "float32"), ("x", 1.0), ("x", -1), ("x", 0),
                                          ("x", [0]))
_SHAPES = ((5, 4), (3, 6))


def _observe(keras, fn, shape: tuple[int, ...]) -> dict[str, Any] | None:
    import numpy as np
    from keras.src import backend

    inputs = keras.Input(shape)
    masked = keras.layers.Masking(0.0)(inputs)
    for attempt in _ATTEMPTS:
        args = [masked if a == "x" else a for a in attempt]
        try:
            result = fn(*args)
        except Exception:  # noqa: BLE001 - an argument list the op does not take: try the next
            continue
        outputs = list(result) if isinstance(result, (list, tuple)) else [result]
        if not outputs or not all(isinstance(o, keras.KerasTensor) for o in outputs):
            return None
        operation = outputs[0]._keras_history.operation
        observed = {
            "attempt": ["<masked tensor>" if a == "x" else a for a in attempt],
            "tensors": sum(a == "x" for a in attempt),
            "symbolic_masks": [getattr(o, "_keras_mask", None) is not None for o in outputs],
            "class_name": type(operation).__name__,
            "module": type(operation).__module__,
            "same_shape": all(tuple(o.shape) == (None,) + shape for o in outputs),
        }
        batch = np.random.RandomState(0).rand(2, *shape).astype("float32")
        batch[0, 3:] = 0.0  # padded steps, so the run-time mask is not all True
        try:
            ran = keras.Model(inputs, outputs)(batch)
            ran = list(ran) if isinstance(ran, (list, tuple)) else [ran]
            observed["runtime_masks"] = [backend.get_keras_mask(t) is not None for t in ran]
        except Exception as exc:  # noqa: BLE001 - e.g. an integer-only op on float data
            observed["runtime_error"] = f"{type(exc).__name__}"
        return observed
    return None


def _entry(name: str, fn, observations: list[dict[str, Any]]) -> dict[str, Any]:
    first = observations[0]
    params = [p for p in inspect.signature(fn).parameters.values()
              if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    tensors = first["tensors"]
    n_outputs = len(first["symbolic_masks"])
    runtime = first.get("runtime_masks")
    kinds = ["same" if m else "none" for m in runtime] if runtime is not None else ["none"] * n_outputs
    same_shape = all(o["same_shape"] for o in observations)
    rule = ("same" if tensors == 1 else "elementwise") if same_shape and tensors <= 2 else None
    # Every parameter may be given under `args:`: Keras ops take Python numbers where tensors go
    # (`not_equal(ids, 0)`, `1 - x`: `args: {x1: 1}`, `inputs: {x2: x}`), so only one tensor must
    # come from the graph.
    args = {p.name: {"required": p.default is inspect.Parameter.empty and i >= tensors,
                     "default": _json(None if p.default is inspect.Parameter.empty else p.default)}
            for i, p in enumerate(params)}
    return {
        "category": "op",
        "module": first["module"],
        "class_name": first["class_name"],
        "args": args,
        "accepts_var_kwargs": False,
        "call_args": [p.name for p in params],
        "min_inputs": 1,
        "max_inputs": tensors,
        "input_mode": "args",
        "shape": {"rule": rule},
        "mask": {
            "meaningful": True,
            "supports_masking": True,  # an op never warns: a mask it gets is dropped silently
            "consumes": False,
            "output": kinds[0],
            "n_outputs": n_outputs,
            "output_masks": kinds if n_outputs > 1 else None,
            "symbolic_output_masks": ["none"] * n_outputs if any(k != "none" for k in kinds) else None,
            "source": "experiment",
            "facts": {"returns_input": True} if kinds[0] == "same" else {},
            "notes": "",
        },
        "observations": observations,
    }


def _json(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, (bool, int, float, str)) for v in value):
        return list(value)
    return repr(value)


def build_ops() -> dict[str, dict[str, Any]]:
    """Name -> catalog entry, for every ``keras.ops`` function that applies to a KerasTensor."""
    import keras

    entries = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in sorted(n for n in dir(keras.ops) if not n.startswith("_")):
            fn = getattr(keras.ops, name)
            if not inspect.isfunction(fn):
                continue
            observations = [_observe(keras, fn, shape) for shape in _SHAPES]
            if observations[0] is None:
                continue
            entries[name] = _entry(name, fn, [o for o in observations if o is not None])
    return entries
