"""Generates ``graphmask/catalog/training.json``: Keras's optimizers, losses and metrics.

``python -m graphmask.catalog.build.training [--check]``.  Each entry is a
class with its constructor arguments (defaults as in ``inspect.signature``)
and the names Keras accepts for it (its registry keys and, for losses and
metrics, the function aliases); losses also carry the curated facts of
``curated_training``.  Imports Keras; the check path only reads the JSON.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from pathlib import Path
from typing import Any

from graphmask.catalog.build import curated_training as curated
from graphmask.catalog.build.generate import _jsonable, dumps

DATA_FILE = Path(__file__).resolve().parent.parent / "training.json"
_SKIPPED_ARGS = {"self", "name", "dtype", "reduction", "kwargs"}


def _args(cls: type) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in inspect.signature(cls.__init__).parameters.values():
        if p.name in _SKIPPED_ARGS or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        required = p.default is inspect.Parameter.empty
        default, is_repr = (None, False) if required else _jsonable(p.default)
        out[p.name] = {"required": required, "default": None if is_repr else default}
    return out


def _group(registry: dict[str, Any], base: type) -> dict[str, list[str]]:
    """Class name -> the registry names that resolve to it (functions mapped to their wrapper class)."""
    classes = {name: obj for name, obj in registry.items()
               if inspect.isclass(obj) and issubclass(obj, base) and obj.__name__ not in curated.ABSTRACT}
    by_function = {}
    for cls in set(classes.values()):
        try:
            fn = getattr(cls(), "fn", None)
        except TypeError:  # needs constructor arguments: no function alias
            fn = None
        if fn is not None:
            by_function[fn] = cls
    groups: dict[str, set[str]] = {}
    for name, obj in registry.items():
        cls = classes.get(name) if inspect.isclass(obj) else by_function.get(obj)
        if cls is not None:
            groups.setdefault(cls.__name__, {cls.__name__}).add(name)
    return {cls: sorted(names) for cls, names in groups.items()}


def build_training_catalog() -> dict[str, Any]:
    import keras
    from keras.src import losses, metrics, optimizers

    registries = {
        "optimizers": (optimizers.ALL_OBJECTS_DICT, optimizers.Optimizer, keras.optimizers),
        "losses": (losses.ALL_OBJECTS_DICT, losses.Loss, keras.losses),
        "metrics": (metrics.ALL_OBJECTS_DICT, metrics.Metric, keras.metrics),
    }
    data: dict[str, Any] = {"keras_version": keras.__version__}
    for kind, (registry, base, public) in registries.items():
        entries = {}
        for cls_name, names in sorted(_group(registry, base).items()):
            cls = getattr(public, cls_name)
            entries[cls_name] = {"names": names, "args": _args(cls)}
        data[kind] = entries
    unknown = (set(curated.LOSS_LABELS) | curated.WHOLE_SAMPLE_LOSSES) - set(data["losses"])
    if unknown:
        raise SystemExit(f"curated_training names losses Keras {keras.__version__} lacks: {sorted(unknown)}")
    for cls_name, entry in data["losses"].items():
        labels = curated.LOSS_LABELS.get(cls_name, "values")
        entry["labels"] = labels
        entry["probabilities"] = curated.PROBABILITY_ACTIVATION.get(labels)
        entry["per_timestep"] = cls_name not in curated.WHOLE_SAMPLE_LOSSES
    data["resolved_metrics"] = list(curated.RESOLVED_METRICS)
    return data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m graphmask.catalog.build.training", description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if training.json is stale")
    ns = ap.parse_args(argv)
    text = dumps(build_training_catalog())
    if ns.check:
        fresh = DATA_FILE.exists() and DATA_FILE.read_text(encoding="utf-8") == text
        print(f"{DATA_FILE.name} is {'up to date' if fresh else 'stale; regenerate with python -m graphmask.catalog.build.training'}")
        return 0 if fresh else 1
    DATA_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {DATA_FILE} ({sum(len(json.loads(text)[k]) for k in ('optimizers', 'losses', 'metrics'))} entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
