"""Padding a converted model states itself, and padding the user states (``--pad``).

A saved model does not say how its inputs are padded, but two layers do:
``Embedding(mask_zero=True)`` fed straight from an input means id 0 is that
input's padding, and ``Masking(mask_value=v)`` fed straight from an input
means ``v`` is, also where the layer is the first of a sub-model called on
that input. Those become the input's ``pad_value`` (the side is Keras's
usual ``post``), so the checker's padding rules (GM205, GM402) apply to an
imported model. Each assumption is recorded (a spec comment, a line on
stderr); ``--pad NAME=VALUE[:post|pre|gaps]`` states or overrides it. VALUE
is a number, or comma-separated numbers for the feature vector of a padded
step (``chars=1,0,0,0`` for one-hot inputs padded with symbol 0); ``gaps``
says the pad value marks missing steps anywhere in a sequence.
"""

from __future__ import annotations

from typing import Any, Mapping

SIDES = ("post", "pre", "gaps")
_USAGE = "expected INPUT=VALUE[:post|pre|gaps], VALUE a number or comma-separated numbers (e.g. tokens=0:post)"


class PadError(ValueError):
    """A ``--pad`` value that cannot be read."""


def parse_pad(text: str) -> tuple[str, tuple[Any, str]]:
    """``tokens=0:post`` -> ``("tokens", (0, "post"))``; ``chars=1,0,0`` -> ``("chars", ([1, 0, 0], "post"))``;
    the side defaults to post."""
    name, eq, rest = text.partition("=")
    value_text, _, side = rest.partition(":")
    side = side or "post"
    if not eq or not name or not value_text or side not in SIDES:
        raise PadError(f"--pad {text!r}: {_USAGE}")
    numbers = [_number(part, text) for part in value_text.split(",")]
    return name, (numbers if "," in value_text else numbers[0], side)


def _number(text: str, whole: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise PadError(f"--pad {whole!r}: the pad value must be a number or comma-separated numbers") from None


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
               f"state it otherwise with --pad {feeder}=VALUE:post|pre|gaps"
        result.comments[("inputs", feeder)] = note
        result.assumptions.append(note)
    for name, (value, side) in pads.items():
        if name not in inputs:
            raise PadError(f"--pad {name}=...: the model has no input `{name}` (inputs: {', '.join(inputs)})")
        inputs[name]["pad_value"] = value
        if side != "post":
            inputs[name]["padding"] = side
        shown = ",".join(map(str, value)) if isinstance(value, list) else value
        result.comments[("inputs", name)] = f"stated: --pad {name}={shown}:{side}"

