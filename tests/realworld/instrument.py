"""Run a real Keras model with every layer instrumented: what masks each call really gets and gives.

``observe(model, real)`` wraps ``call`` and ``compute_mask`` on the
instances of every layer and op of the model -- layers inside nested models
and inside custom layers included -- runs the model eagerly on
``real.sample()``, and records per call:

- ``mask_args``: the mask arguments ``call()`` received (``mask=`` and any
  ``<arg>_mask``), each as a pattern (None when passed as None, absent when
  not passed at all);
- ``inputs_masked``: for each tensor argument (positional, then keyword; not
  the mask arguments), whether it carried ``_keras_mask``;
- ``compute_mask``: what ``compute_mask`` returned ("not called" when Keras
  skipped it);
- ``outputs_masked``: the mask on each output after the call;
- ``warned``: Keras's "does not support masking ... will therefore destroy the
  mask" warnings naming this layer;
- ``cudnn`` (LSTM/GRU): Keras's own cuDNN argument check
  (``keras.src.backend.tensorflow.rnn``) and its right-padding and
  fully-masked checks run on the mask the layer received.

Plus ``outputs``: the mask on each model output (symbolic and at run time)
and ``behaviour``: per padded input, whether appending pad steps changes each
output (compared at the valid positions), with the largest difference.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np

from tests.realworld.models import RealModel

EXTRA_PAD = 3  # pad steps the behaviour probe appends
TOLERANCE = 1e-5
_DESTROY = re.compile(r"Layer '([^']+)' \(of type (\w+)\) was passed an input with a mask attached to it")


def pattern(mask: Any) -> Any:
    """A mask as JSON: 2-D as one 0/1 string per sample, other ranks as shape and the count of True."""
    if mask is None:
        return None
    if isinstance(mask, (list, tuple)):
        return [pattern(m) for m in mask]
    array = np.asarray(mask).astype(bool)
    if array.ndim == 2:
        return ["".join("1" if v else "0" for v in row) for row in array]
    return {"shape": list(array.shape), "true": int(array.sum())}


def _mask_of(tensor: Any) -> Any:
    return getattr(tensor, "_keras_mask", None)


def _tensors(value: Any) -> list:
    from keras import tree

    return [t for t in tree.flatten(value) if hasattr(t, "shape") and hasattr(t, "dtype")]


def walk(model: Any) -> list[tuple[str, Any]]:
    """(path, operation) for every layer and op inside ``model``, nested ones included, parents first."""
    found: list[tuple[str, Any]] = []
    seen = {id(model)}

    def children(op: Any) -> list:
        inner = list(getattr(op, "operations", None) or [])  # a Functional's layers and keras.ops nodes
        if hasattr(op, "_flatten_layers"):
            inner += op._flatten_layers(include_self=False, recursive=False)
        return [c for c in inner if type(c).__name__ != "InputLayer"]

    def visit(op: Any, path: str) -> None:
        if hasattr(op, "cell"):
            return  # an RNN's cell runs once per step; the RNN's own call is what gets the mask
        for child in children(op):
            if id(child) not in seen:
                seen.add(id(child))
                found.append((f"{path}/{child.name}" if path else child.name, child))
                visit(child, found[-1][0])

    visit(model, "")
    return found


def _cudnn(op: Any, mask: Any) -> dict[str, Any] | None:
    """Keras's own cuDNN checks for an LSTM/GRU call, on the mask it received."""
    import importlib

    tf_rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")  # the package re-exports a function `rnn`

    cell = getattr(op, "cell", None)
    kind = type(op).__name__
    if kind not in ("LSTM", "GRU") or cell is None:
        return None
    common = dict(activation=cell.activation, recurrent_activation=cell.recurrent_activation, unroll=op.unroll,
                  use_bias=cell.use_bias)
    if kind == "GRU":
        args_ok = tf_rnn._do_gru_arguments_support_cudnn(reset_after=cell.reset_after, **common)
    else:
        args_ok = tf_rnn._do_lstm_arguments_support_cudnn(**common)
    eligible = bool(args_ok) and op.use_cudnn in ("auto", True) and not cell.recurrent_dropout
    facts: dict[str, Any] = {"arguments_support_cudnn": bool(args_ok), "use_cudnn": op.use_cudnn,
                             "recurrent_dropout": float(cell.recurrent_dropout), "eligible": eligible}
    if mask is not None:
        mask = mask[0] if isinstance(mask, (list, tuple)) else mask
        right = bool(tf_rnn._is_sequence_right_padded(mask))
        fully = bool(tf_rnn._has_fully_masked_sequence(mask))
        facts.update(mask_right_padded=right, mask_has_fully_masked_row=fully,
                     cudnn_rejects_mask=eligible and not (right and not fully))
    return facts


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.count: dict[str, int] = {}
        self.active = True  # off for the behaviour probe's runs
        self.pending: list[dict[str, Any]] = []  # returned calls whose output masks Keras sets after call()

    def flush(self) -> None:
        """Read the output masks of calls that have returned (later layers may strip them, e.g. MHA)."""
        for record in [r for r in self.pending if "_outputs" in r]:
            record["outputs_masked"] = [pattern(_mask_of(t)) for t in _tensors(record.pop("_outputs"))]
            self.pending.remove(record)

    def wrap(self, path: str, op: Any) -> None:
        import inspect

        original_call, original_mask = op.call, getattr(op, "compute_mask", None)
        mask_params = [p for p in inspect.signature(original_call).parameters if p == "mask" or p.endswith("_mask")]
        recorder = self

        def call(*args, **kwargs):
            if not recorder.active:
                return original_call(*args, **kwargs)
            record: dict[str, Any] = {"layer": path, "class": type(op).__name__,
                                      "kind": _kind(op), "call": recorder.count.get(path, 0)}
            recorder.flush()
            recorder.count[path] = record["call"] + 1
            record["mask_args"] = {k: pattern(kwargs[k]) for k in mask_params if k in kwargs}
            data = list(args) + [v for k, v in kwargs.items() if k not in mask_params]
            record["inputs_masked"] = [_mask_of(t) is not None for t in _tensors(data)]
            record["compute_mask"] = "not called"
            recorder.calls.append(record)
            recorder.pending.append(record)
            cudnn = _cudnn(op, kwargs.get("mask"))
            if cudnn is not None:
                record["cudnn"] = cudnn
            outputs = original_call(*args, **kwargs)
            record["_outputs"] = outputs
            return outputs

        op.call = call
        if original_mask is not None:
            def compute_mask(*args, **kwargs):
                result = original_mask(*args, **kwargs)
                if not recorder.active:
                    return result
                mine = [r for r in recorder.calls if r["layer"] == path]
                if mine:
                    mine[-1]["compute_mask"] = pattern(result)
                return result

            op.compute_mask = compute_mask


def _kind(op: Any) -> str:
    from keras import Layer

    if hasattr(op, "operations"):
        return "model"
    return "layer" if isinstance(op, Layer) else "op"


def feed(model: Any, arrays: list[np.ndarray]) -> Any:
    return arrays[0] if len(model.inputs) == 1 else arrays


def _outputs(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def observe(model: Any, real: RealModel) -> dict[str, Any]:
    """Everything the instrumented run and the behaviour probes show (JSON-ready)."""
    recorder = _Recorder()
    for path, op in walk(model):
        recorder.wrap(path, op)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = model(feed(model, real.sample()), training=False)
    warned: dict[str, int] = {}
    for w in caught:
        match = _DESTROY.search(str(w.message))
        if match:
            warned[match.group(1)] = warned.get(match.group(1), 0) + 1
    recorder.flush()
    recorder.active = False
    for record in recorder.calls:
        record["warned"] = warned.get(record["layer"].rsplit("/", 1)[-1], 0) > 0
    return {
        "model": real.name,
        "calls": recorder.calls,
        "outputs": [{"symbolic_mask": _mask_of(t) is not None, "runtime_mask": pattern(_mask_of(r))}
                    for t, r in zip(model.outputs, _outputs(result))],
        "behaviour": probe(model, real),
    }


def _valid_difference(a: np.ndarray, b: np.ndarray, axes: list[int], valid: int, pre: bool) -> float:
    """The largest difference of one sample's outputs at its ``valid`` steps along ``axes`` (the last ones, for
    left padding); ``b`` is the same sample with extra padding."""
    def steps(x: np.ndarray) -> np.ndarray:
        for ax in axes:
            x = np.take(x, range(x.shape[ax] - valid, x.shape[ax]) if pre else range(valid), axis=ax)
        return x
    return float(np.abs(steps(a) - steps(b)).max(initial=0.0))


def probe(model: Any, real: RealModel) -> list[dict[str, Any]]:
    """Per padded input: does appending ``EXTRA_PAD`` pad steps change each output at its valid positions?"""
    base = [np.asarray(o) for o in _outputs(model(feed(model, real.sample()), training=False))]
    found = []
    for k, seq in enumerate(real.inputs):
        if not seq.padded:
            continue
        if seq.length is not None:
            found.append({"input": k, "probe": "not run: fixed-length input"})
            continue
        longer = [np.asarray(o) for o in _outputs(model(feed(model, real.sample(extra=EXTRA_PAD, only=k)),
                                                        training=False))]
        time = real.sample()[k].shape[1]
        per_output = []
        for a, b in zip(base, longer):
            # the axes that grew with the input's time axis (attention scores have two time axes, and only
            # the padded input's grows): compared at that input's valid steps, every other axis whole
            grown = [ax for ax in range(1, a.ndim) if a.shape[ax] == time and b.shape[ax] == time + EXTRA_PAD]
            if a.ndim != b.ndim or any(a.shape[ax] != b.shape[ax] for ax in range(a.ndim) if ax not in grown):
                per_output.append({"changed": True, "max_abs_diff": None, "note": "shape changed"})
                continue
            diff = max(_valid_difference(a[i], b[i], [ax - 1 for ax in grown], n, seq.side == "pre")
                       for i, n in enumerate(real.lengths(k)))
            per_output.append({"changed": diff > TOLERANCE, "max_abs_diff": diff})
        found.append({"input": k, "probe": f"append {EXTRA_PAD} pad steps ({seq.side})", "outputs": per_output})
    return found
