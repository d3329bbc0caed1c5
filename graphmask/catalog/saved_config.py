"""What a saved Keras config holds for arguments left at their defaults (``config_defaults.json``).

Generated from the installed Keras by ``python -m graphmask.catalog.build.config_defaults``;
read here without TensorFlow, by the converter of saved models (``graphmask.convert``).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any, Mapping


@functools.lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    text = resources.files("graphmask.catalog").joinpath("config_defaults.json").read_text(encoding="utf-8")
    return json.loads(text)


def default_config(class_name: str) -> Mapping[str, Any]:
    """The config of ``class_name`` built from only its required arguments (those left out); {} if unknown."""
    return _data()["layers"].get(class_name, {})


def short_name(module: str, serialized: Mapping[str, Any]) -> str | None:
    """``he_normal`` when ``serialized`` is exactly what ``keras.<module>.get("he_normal")`` serializes to."""
    for name, form in _data()["short_forms"].get(module, {}).items():
        if form == serialized:
            return name
    return None
