"""What ``graphmask.check`` / ``graphmask.explain`` accept: a spec, a path, or a live ``keras.Model``.

A live model is converted from its own config (``model.to_json()``) by the
same converter as a saved one; its custom layer classes are already imported,
so they are read directly (``graphmask.keras.inspect_custom``). Keras is never
imported here: a live model means the caller already did.
"""

from __future__ import annotations

import os
from typing import Any

from graphmask.checker import CheckResult, check_path, check_spec
from graphmask.spec import Spec

_MODEL_CLASSES = ("Model", "Functional", "Sequential")


def is_keras_model(value: Any) -> bool:
    return any(cls.__name__ in _MODEL_CLASSES and cls.__module__.startswith("keras")
               for cls in type(value).__mro__)


def check_any(value: Any, function: str) -> CheckResult:
    """Check a ``Spec``, a spec / ``.keras`` / JSON path, or a ``keras.Model``; ``TypeError`` for anything else."""
    if isinstance(value, Spec):
        return check_spec(value)
    if isinstance(value, (str, os.PathLike)):
        return check_path(value)
    if is_keras_model(value):
        return check_model(value)
    raise TypeError(f"graphmask.{function}() takes a Spec (graphmask.load), a path to a spec, .keras or JSON "
                    f"config file, or a keras.Model; got {type(value).__name__}")


def check_model(model: Any) -> CheckResult:
    from graphmask.convert.load import load_model_text
    from graphmask.keras.inspect_custom import InspectedCustomLayers

    file = f"<keras model {getattr(model, 'name', '?')}>"
    classes = {type(layer).__name__: type(layer) for layer in _all_layers(model)}
    loaded = load_model_text(model.to_json(), file, positioned=False, custom=InspectedCustomLayers(classes=classes))
    if loaded.spec is None:
        return CheckResult(file, None, None, loaded.diagnostics)
    return check_spec(loaded.spec, file, loaded.diagnostics)


def _all_layers(model: Any) -> list:
    found, todo = [], list(getattr(model, "layers", []))
    while todo:
        layer = todo.pop()
        found.append(layer)
        todo.extend(getattr(layer, "layers", []) if is_keras_model(layer) else [])
    return found
