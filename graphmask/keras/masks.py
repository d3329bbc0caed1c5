"""Reading Keras's own mask off a tensor (symbolic KerasTensor or eager)."""

from __future__ import annotations

from typing import Any

try:  # Keras 3 keeps masks as a tensor attribute (or a side table for tensors that refuse attributes)
    from keras.src.backend.common.masking import get_keras_mask, set_keras_mask
except ImportError:  # pragma: no cover - older/newer layouts

    def get_keras_mask(x: Any) -> Any:
        return getattr(x, "_keras_mask", None)

    def set_keras_mask(x: Any, mask: Any) -> None:
        x._keras_mask = mask


def mask_of(value: Any) -> Any:
    """The mask of a tensor, or a list of masks for a list of tensors."""
    if isinstance(value, (list, tuple)):
        return [get_keras_mask(v) for v in value]
    return get_keras_mask(value)


def has_mask(value: Any) -> bool | list[bool]:
    masks = mask_of(value)
    if isinstance(masks, list):
        return [m is not None for m in masks]
    return masks is not None


__all__ = ["get_keras_mask", "set_keras_mask", "mask_of", "has_mask"]
