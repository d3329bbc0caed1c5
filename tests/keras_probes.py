"""Instrumenting real Keras layers: what a layer's ``call()`` is actually handed."""

from __future__ import annotations

from typing import Any


def record_mask_arguments(layer: Any) -> list:
    """Make ``layer.call`` record the ``mask=`` it is handed (None when none); returns the list it fills."""
    received: list = []
    original = layer.call

    def recording_call(*args: Any, mask: Any = None, **kwargs: Any) -> Any:
        received.append(mask)
        return original(*args, mask=mask, **kwargs)

    layer.call = recording_call
    return received
