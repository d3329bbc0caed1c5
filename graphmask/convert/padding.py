"""Padding a converted model states itself, and padding the user states (``--pad``).

A saved model does not say how its inputs are padded, but two layers do:
``Embedding(mask_zero=True)`` fed straight from an input means id 0 is that
input's padding, and ``Masking(mask_value=v)`` fed straight from an input
means ``v`` is, also where the layer is the first of a sub-model called on
that input. Those become the input's ``pad_value`` (the side is Keras's
usual ``post``), so the checker's padding rules (GM205, GM402) apply to an
imported model. Each assumption is recorded (a spec comment, a line on
stderr); ``--pad NAME=VALUE[:post|pre]`` states or overrides it.
"""

from __future__ import annotations

from typing import Any, Mapping

SIDES = ("post", "pre")


class PadError(ValueError):
    """A ``--pad`` value that cannot be read."""


def parse_pad(text: str) -> tuple[str, tuple[Any, str]]:
    """``tokens=0:post`` -> ``("tokens", (0, "post"))``; the side defaults to post."""
    name, eq, rest = text.partition("=")
    value_text, _, side = rest.partition(":")
    side = side or "post"
    if not eq or not name or not value_text or side not in SIDES:
        raise PadError(f"--pad {text!r}: expected INPUT=VALUE or INPUT=VALUE:post|pre (e.g. tokens=0:post)")
    try:
        value: Any = int(value_text)
    except ValueError:
        try:
            value = float(value_text)
        except ValueError:
            raise PadError(f"--pad {text!r}: the pad value must be a number") from None
    return name, (value, side)


def _stated_pad(layer: Mapping[str, Any]) -> tuple[Any, str] | None:
    """(pad value, why) when this layer says what the padding of its input is."""
    args = layer.get("args", {})
    if layer.get("type") == "Embedding" and args.get("mask_zero") is True:
        return 0, f"Embedding `{layer['id']}` has mask_zero=True"
    if layer.get("type") == "Masking":
        value = args.get("mask_value", 0.0)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value, f"Masking `{layer['id']}` has mask_value={value}"
    return None


def stated_pads(graph: Mapping[str, Any], models: Mapping[str, Any], seen: tuple = ()) -> dict[str, tuple[Any, str]]:
    """Input name -> (pad value, why) for each input of ``graph`` (the spec, or a sub-model) that a layer
    fed straight from it states the padding of; through a ``model:`` call, the sub-model's first layers."""
    inputs = graph.get("inputs", {})
    previous = next(iter(inputs)) if len(inputs) == 1 else None
    found: dict[str, tuple[Any, str]] = {}
    for layer in graph.get("layers", []):
        feeder = layer.get("inputs", previous if "share" not in layer else None)
        previous = layer["id"]
        sub = models.get(layer.get("model")) if layer.get("model") not in seen else None
        if sub is not None:  # the sub-model's inputs, in call order, are fed by the call's refs
            refs = list(feeder.values()) if isinstance(feeder, Mapping) else feeder if isinstance(feeder, list) \
                else [feeder]
            inner = stated_pads(sub, models, seen + (layer["model"],))
            for ref, name in zip(refs, sub.get("inputs", {})):
                if isinstance(ref, str) and ref in inputs and name in inner:
                    value, why = inner[name]
                    found.setdefault(ref, (value, f"{why} in model `{layer['model']}`, called by `{layer['id']}`"))
        elif isinstance(feeder, str) and feeder in inputs and (stated := _stated_pad(layer)) is not None:
            found.setdefault(feeder, stated)
    return found


def apply_padding(result: Any, pads: Mapping[str, tuple[Any, str]]) -> None:
    """Write inferred, then stated, padding into ``result.spec["inputs"]`` (a ConvertResult)."""
    inputs = result.spec.get("inputs", {})
    for feeder, (value, why) in stated_pads(result.spec, result.spec.get("models", {})).items():
        if "pad_value" in inputs[feeder]:
            continue
        inputs[feeder]["pad_value"] = value
        note = f"inferred: `{feeder}` is padded with {value!r} at the end (post), because {why}; " \
               f"state it otherwise with --pad {feeder}=VALUE:post|pre"
        result.comments[("inputs", feeder)] = note
        result.assumptions.append(note)
    for name, (value, side) in pads.items():
        if name not in inputs:
            raise PadError(f"--pad {name}=...: the model has no input `{name}` (inputs: {', '.join(inputs)})")
        inputs[name]["pad_value"] = value
        if side != "post":
            inputs[name]["padding"] = side
        result.comments[("inputs", name)] = f"stated: --pad {name}={value}:{side}"

