"""The import round trip on a real model: the imported spec, compiled, computes what the original computes.

``graphmask import`` writes the architecture, not the weights, so the
compiled model gets the original's weights layer by layer (same names: the
importer keeps them as node ids), then both run on the model's padded sample
batch. Outputs must agree to ``TOLERANCE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

TOLERANCE = 1e-6


def copy_weights(source: Any, target: Any) -> list[str]:
    """Give each layer of ``target`` the weights of the ``source`` layer of the same name; the names missed."""
    by_name = {layer.name: layer for layer in source.layers}
    missed = []
    for layer in target.layers:
        if not layer.weights:
            continue
        twin = by_name.get(layer.name)
        if twin is None or len(twin.weights) != len(layer.weights):
            missed.append(layer.name)
            continue
        layer.set_weights(twin.get_weights())
    return missed


def round_trip_difference(name: str, saved: Path) -> tuple[float, list[str]]:
    """(largest output difference, layers whose weights could not be copied) for a saved collection model."""
    import keras

    import graphmask
    from graphmask.spec.writer import to_yaml
    from tests.realworld.compare import CUSTOM_CODE, imported
    from tests.realworld.instrument import _outputs, feed
    from tests.realworld.models import MODELS

    result = imported(saved, name)
    spec = graphmask.loads(to_yaml(result.spec, result.comments), f"{name}.yaml")
    compiled = graphmask.compile(spec, allow_imports=CUSTOM_CODE, force=True)
    original = keras.saving.load_model(saved)
    missed = copy_weights(original, compiled)
    batch = MODELS[name].sample()
    mine = _outputs(compiled(feed(compiled, batch), training=False))
    theirs = _outputs(original(feed(original, batch), training=False))
    if len(mine) != len(theirs):
        return float("inf"), missed
    return max(_difference(np.asarray(a), np.asarray(b)) for a, b in zip(mine, theirs)), missed


def _difference(a: np.ndarray, b: np.ndarray) -> float:
    """The largest difference; NaN where both are NaN counts as equal (a 0/0 at a padded step in both)."""
    if a.shape != b.shape:
        return float("inf")
    both_nan = np.isnan(a) & np.isnan(b)
    return float(np.max(np.where(both_nan, 0.0, np.abs(a - b)), initial=0.0))
