"""The baseline a user has without graphmask: the same model written by hand.

``keras_source(data)`` turns spec data from ``bench/specgen.py`` into the
Python a person would write with the Keras functional API (one
``layers.X(...)`` line per layer, calls wired by hand, ``share:`` nodes
reusing the layer object). It is generated only so that both sides of every
comparison are the same model; nothing here uses graphmask.

The source defines ``build(keras) -> keras.Model``; run as a script it
imports Keras, builds the model and prints which tensors carry a mask (what
a user would do to "see the masks"), like ``graphmask check`` reports them.
"""

from __future__ import annotations

import re
from typing import Any

_REF = re.compile(r"^(?P<node>[A-Za-z_][A-Za-z0-9_]*)(\[(?P<index>[0-9]+)\])?$")

# Wrapper arguments holding a layer, and the suffix graphmask gives its name.
_WRAPPED = {"layer": "inner", "backward_layer": "backward"}


def _tensor(ref: str) -> str:
    match = _REF.match(ref)
    if match is None:
        raise ValueError(f"not a reference: {ref!r}")
    index = match.group("index")
    return f"t_{match.group('node')}" + (f"[{index}]" if index is not None else "")


def _value(value: Any) -> str:
    return repr(value)  # plain data: ints, floats, bools, strings, lists, None


def _layer(type_name: str, args: dict[str, Any], name: str) -> str:
    parts = []
    for key, value in args.items():
        if key in _WRAPPED and isinstance(value, dict) and "type" in value:
            parts.append(f"{key}={_layer(value['type'], value.get('args', {}), f'{name}_{_WRAPPED[key]}')}")
        else:
            parts.append(f"{key}={_value(value)}")
    parts.append(f"name={name!r}")
    return f"layers.{type_name}({', '.join(parts)})"


def _call(inputs: Any, previous: str) -> str:
    if inputs is None:
        return _tensor(previous)
    if isinstance(inputs, str):
        return _tensor(inputs)
    if isinstance(inputs, list):
        return "[" + ", ".join(_tensor(r) for r in inputs) + "]"
    return ", ".join(f"{k}={_tensor(v) if isinstance(v, str) else '[' + ', '.join(map(_tensor, v)) + ']'}"
                     for k, v in inputs.items())


def keras_source(data: dict[str, Any]) -> str:
    lines = ["def build(keras):", "    layers = keras.layers"]
    for name, spec in data["inputs"].items():
        shape = tuple(spec["shape"])
        lines.append(f"    t_{name} = keras.Input(shape={shape!r}, dtype={spec.get('dtype', 'float32')!r}, "
                     f"name={name!r})")
    previous = next(iter(data["inputs"])) if len(data["inputs"]) == 1 else None
    for layer in data["layers"]:
        layer_id = layer["id"]
        if "share" in layer:
            lines.append(f"    t_{layer_id} = L_{layer['share']}({_call(layer.get('inputs'), previous)})")
        else:
            lines.append(f"    L_{layer_id} = {_layer(layer['type'], layer.get('args', {}), layer_id)}")
            lines.append(f"    t_{layer_id} = L_{layer_id}({_call(layer.get('inputs'), previous)})")
        previous = layer_id
    model_inputs = ", ".join(f"t_{n}" for n in data["inputs"])
    if len(data["inputs"]) > 1:
        model_inputs = "{" + ", ".join(f"{n!r}: t_{n}" for n in data["inputs"]) + "}"
    outputs = data["outputs"]
    if isinstance(outputs, dict):
        model_outputs = "{" + ", ".join(f"{k!r}: {_tensor(v)}" for k, v in outputs.items()) + "}"
    elif len(outputs) == 1:
        model_outputs = _tensor(outputs[0])
    else:
        model_outputs = "[" + ", ".join(_tensor(r) for r in outputs) + "]"
    lines.append(f"    model = keras.Model({model_inputs}, {model_outputs}, name={data['name']!r})")
    lines.append("    scope = locals()")
    lines.append("    return model, {k[2:]: v for k, v in scope.items() if k.startswith('t_')}")
    lines += [
        "",
        "",
        'if __name__ == "__main__":',
        "    import os",
        "",
        '    os.environ.setdefault("KERAS_BACKEND", "tensorflow")',
        "    import keras",
        "",
        "    model, tensors = build(keras)",
        "    masked = [name for name, t in tensors.items()",
        "              if not isinstance(t, (list, tuple)) and getattr(t, '_keras_mask', None) is not None]",
        "    print(f'{model.name}: {len(model.layers)} layers, {len(masked)} tensors carry a mask')",
    ]
    return "\n".join(lines) + "\n"


def builder(data: dict[str, Any]):
    """``build(keras) -> (model, tensors)`` compiled from ``keras_source`` (for in-process timing)."""
    namespace: dict[str, Any] = {}
    exec(compile(keras_source(data), f"<handwritten {data['name']}>", "exec"), namespace)  # noqa: S102 - our own generated code
    return namespace["build"]
