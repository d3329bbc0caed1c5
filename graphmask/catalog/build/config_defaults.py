"""``python -m graphmask.catalog.build.config_defaults``: what Keras writes for an argument left at its default.

Converting a saved model's config into a spec keeps only the arguments that
differ from their defaults, and does it without TensorFlow.  A constructor
default (``kernel_initializer="glorot_uniform"``) is not what a config holds
(``{"module": "keras.initializers", "class_name": "GlorotUniform", ...}``),
so this records, from the installed Keras, per layer class the config of an
instance built from only its required arguments (those are left out: their
values were placeholders), and per serialized-object module the serialized
form of every short name (``he_normal``) so a converter can write the short
name exactly when it means the same object.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).resolve().parent.parent / "config_defaults.json"
SHORT_FORM_MODULES = ("initializers", "regularizers", "constraints")


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=repr))


def layer_defaults(keras: Any) -> dict[str, dict[str, Any]]:
    from graphmask.catalog import load_catalog
    from graphmask.catalog.build import probe

    found = {}
    for info in load_catalog().layers():
        cls = getattr(keras.layers, info.name, None)
        if cls is None or info.abstract:
            continue
        required = {name for name, arg in info.args.items() if arg.required}
        try:
            config, again = (probe.instantiate(info.name, cls, probe.probe_ctor(info.name, cls)).get_config()
                             for _ in range(2))
        except Exception:  # noqa: BLE001 - no default config: a converter then keeps every key, still correct
            continue
        # a default drawn per instance (RandomCrop's seed) is no default: left out, a converter keeps the value
        found[info.name] = {k: _plain(v) for k, v in sorted(config.items())
                            if k not in required and k != "name" and _plain(v) == _plain(again.get(k))}
    return found


def short_forms(keras: Any) -> dict[str, dict[str, Any]]:
    import inspect
    import re

    forms: dict[str, dict[str, Any]] = {}
    for module_name in SHORT_FORM_MODULES:
        module = getattr(keras, module_name)
        names = {re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", n).lower()
                 for n, obj in vars(module).items() if inspect.isclass(obj)}
        table = {}
        for name in sorted(names):
            try:
                table[name] = _plain(keras.saving.serialize_keras_object(module.get(name)))
            except (ValueError, TypeError, KeyError, NotImplementedError):
                continue  # a base class, or not a name `get` resolves
        forms[module_name] = table
    return forms


def build() -> dict[str, Any]:
    import keras

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {"keras_version": keras.__version__, "layers": layer_defaults(keras), "short_forms": short_forms(keras)}


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    DATA_FILE.write_text(dumps(build()), encoding="utf-8")
    print(f"wrote {DATA_FILE.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
