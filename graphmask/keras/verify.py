"""Check each custom layer's ``mask:`` declaration against the real class (GM305).

The static checker trusts the declaration, so a declaration that lies makes
every later mask finding wrong. After building we look at what Keras does:

- ``supports_masking`` of the instance;
- ``consumes: true`` needs a ``mask`` parameter on ``call`` (else Keras
  never hands the layer a mask);
- the number of output tensors;
- whether the output carries a mask: called (on a fresh instance with the
  same arguments) with masked inputs, ``same``/``generated``/``custom`` must
  give a mask and ``none`` must not; ``generated`` must also mask an
  unmasked input, and ``same`` must not.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any, Iterator

from graphmask import codes
from graphmask.diagnostics import Diagnostic
from graphmask.graph import Node
from graphmask.keras.build import LayerFactory, Trace
from graphmask.keras.masks import has_mask, set_keras_mask


def verify_custom_layers(factory: LayerFactory, traced: Trace) -> list[Diagnostic]:
    checked: set[str] = set()
    found: list[Diagnostic] = []
    for node in factory.g.layers():
        type_name = node.layer_type
        if node.shares or type_name in checked or type_name not in factory.g.spec.custom_layers:
            continue
        if node.id not in traced.tensors or node.id not in factory.instances:
            continue  # failed to build: already reported
        checked.add(type_name)
        found.extend(_verify(factory, node, traced))
    return found


def _verify(factory: LayerFactory, node: Node, traced: Trace) -> Iterator[Diagnostic]:
    g = factory.g
    type_name = node.layer_type
    declared = g.spec.custom_layers[type_name].mask
    layer = factory.instances[node.id]
    cls = type(layer).__name__
    where = ("custom_layers", type_name, "mask")

    def lie(field: str, message: str) -> Diagnostic:
        return g.diagnostic(codes.GM305, f"custom layer `{type_name}` ({cls}): {message}", where + (field,), node=node.id)

    actual = bool(getattr(layer, "supports_masking", False))
    if actual != declared.supports_masking:
        yield lie("supports_masking", f"declared `supports_masking: {str(declared.supports_masking).lower()}` "
                  f"but instances have supports_masking={actual}")
    if declared.consumes and "mask" not in inspect.signature(layer.call).parameters:
        yield lie("consumes", "declared `consumes: true` but its call() has no `mask` parameter, "
                  "so Keras never passes it the mask")
    outputs = traced.tensors[node.id]
    count = len(outputs) if isinstance(outputs, (list, tuple)) else 1
    if count != declared.outputs:
        yield lie("outputs", f"declared `outputs: {declared.outputs}` but a call returns {count} tensor(s)")
        return
    output = declared.output or ("same" if declared.supports_masking else "none")
    masked = _probe(factory, node, traced, masked=True)
    if masked is not None and masked != (output != "none"):
        saw = "carries a mask" if masked else "carries no mask"
        yield lie("output", f"declared `output: {output}` but with a masked input its output {saw}")
        return
    if output in ("same", "generated"):
        unmasked = _probe(factory, node, traced, masked=False)
        if unmasked is not None and unmasked != (output == "generated"):
            saw = "carries a mask" if unmasked else "carries no mask"
            yield lie("output", f"declared `output: {output}` but with an unmasked input its output {saw}")


def _probe(factory: LayerFactory, node: Node, traced: Trace, masked: bool) -> bool | None:
    """Does a fresh instance's output carry a mask? None when it cannot be probed."""
    keras = factory.keras

    def fresh_input(t: Any) -> Any:
        if not isinstance(t, keras.KerasTensor):
            return t
        x = keras.Input(batch_shape=t.shape, dtype=t.dtype)
        if masked and len(t.shape) >= 2:
            set_keras_mask(x, keras.Input(batch_shape=t.shape[:2], dtype="bool"))
        return x

    try:
        probe = factory.create(node, name=f"{node.id}_probe")
        args, kwargs = factory.call_arguments(node, traced.tensors)
        args = keras.tree.map_structure(fresh_input, args)
        kwargs = {k: keras.tree.map_structure(fresh_input, v) for k, v in kwargs.items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the "will destroy the mask" warning is the expected behaviour
            out = probe(*args, **kwargs)
    except Exception:  # noqa: BLE001 - a layer that cannot be probed (BuildFailure included) is not judged
        return None
    present = has_mask(out)
    return any(present) if isinstance(present, list) else present
