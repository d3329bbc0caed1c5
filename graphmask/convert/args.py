"""Layer config -> spec ``args``: keep what differs from the Keras default, in spec form.

Defaults are Keras's own, recorded without TensorFlow in the catalog
(``graphmask.catalog.saved_config``): the config of a layer built from only
its required arguments; each config value equal to that default is dropped.
Keras objects are written short when that is exact (``kernel_initializer:
he_normal``, ``dtype: float64``), else kept as Keras's serialized dict,
which Keras constructors accept as-is. Nothing here imports Keras.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from graphmask.catalog import load_catalog
from graphmask.catalog.saved_config import default_config, short_name

# Keys that never become spec args: the name is the spec id.
_ALWAYS_DROPPED = ("name",)
# Serialized-object modules whose short names Keras resolves with `<module>.get(name)`.
_SHORT_FORM_MODULES = ("initializers", "regularizers", "constraints")


def plain(value: Any) -> Any:
    """JSON-normal form (tuples -> lists, no save-time object ids) so configs compare by value."""
    # `.keras` files tag objects with `shared_object_id`, which is bookkeeping, not configuration
    return _without_key(json.loads(json.dumps(value, default=repr)), "shared_object_id")


def _without_key(value: Any, key: str) -> Any:
    """``value`` with ``key`` removed from every mapping in it, at any depth."""
    if isinstance(value, Mapping):
        return {k: _without_key(v, key) for k, v in value.items() if k != key}
    if isinstance(value, list):
        return [_without_key(v, key) for v in value]
    return value


def snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


class ArgConverter:
    """Turns Keras layer configs into spec args; collects what it cannot express."""

    def __init__(self, problems: list[str]):
        self.catalog = load_catalog()
        self.problems = problems

    def layer(self, class_name: str, config: Mapping[str, Any], where: str) -> dict[str, Any]:
        """``{type, args}`` for a nested (wrapped) layer config."""
        args = self.args(class_name, config, where)
        return {"type": class_name, "args": args} if args else {"type": class_name}

    def args(self, class_name: str, config: Mapping[str, Any], where: str) -> dict[str, Any]:
        info = self.catalog.get(class_name)
        if info is None:
            return self.custom_args(config)
        default = default_config(info.alias_of or info.name) or default_config(class_name)
        accepted = self.catalog.valid_kwargs(class_name)
        wrapped = {info.mask.wraps, "backward_layer"} if info.mask.wraps else set()
        result: dict[str, Any] = {}
        for key, value in config.items():
            required = key in info.args and info.args[key].required
            if key in _ALWAYS_DROPPED or (not required and key in default and plain(default[key]) == plain(value)):
                continue
            if key == "trainable" and value is True:
                continue
            if key == "backward_layer" and _is_auto_backward(value, config.get(info.mask.wraps or "layer")):
                continue
            if key not in accepted:
                self.problems.append(f"{where}: `{class_name}` config key `{key}` is not a constructor argument; "
                                     f"dropped (value {value!r})")
                continue
            if key in wrapped and _is_serialized(value):
                inner = self.layer(value["class_name"], value.get("config", {}), f"{where}.{key}")
                if class_name == "Bidirectional":  # it forces zero_output_for_mask = return_sequences itself
                    inner.get("args", {}).pop("zero_output_for_mask", None)
                result[key] = inner
            else:
                result[key] = self.value(key, value)
        return result

    def custom_args(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """A class graphmask does not know: everything but the obvious defaults."""
        result = {}
        for key, value in config.items():
            if key in _ALWAYS_DROPPED or (key == "trainable" and value is True):
                continue
            if key == "dtype" and self.value(key, value) == "float32":
                continue
            result[key] = self.value(key, value)
        return result

    def value(self, key: str, value: Any) -> Any:
        if not _is_serialized(value):
            return plain(value)
        if value.get("class_name") in ("DTypePolicy", "FloatDTypePolicy") and "name" in value.get("config", {}):
            return value["config"]["name"]
        module = str(value.get("module", "")).rsplit(".", 1)[-1]
        if module in _SHORT_FORM_MODULES:
            short = short_name(module, plain(value))
            if short is not None:
                return short
        return plain(value)


def _is_serialized(value: Any) -> bool:
    return isinstance(value, Mapping) and "class_name" in value and "config" in value


def _is_auto_backward(backward: Any, forward: Any) -> bool:
    """Bidirectional always saves the backward layer; it is automatic when it mirrors the forward one."""
    if not (_is_serialized(backward) and _is_serialized(forward)):
        return False
    mirrored = plain(forward)
    mirrored["config"]["go_backwards"] = not mirrored["config"].get("go_backwards", False)
    return _without_key(plain(backward), "name") == _without_key(mirrored, "name")
