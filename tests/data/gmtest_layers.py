"""Custom layers for the compile tests; imported only via allow_imports=["gmtest_layers"].

Each class does what its name says about masks, so the tests can hold
`custom_layers:` declarations (true and false ones) against real classes.
"""

from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="gmtest")
class ScaleKeepsMask(layers.Layer):
    """Multiplies by `scale`; opts in to mask propagation (output mask = input mask)."""

    def __init__(self, scale=2.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.supports_masking = True

    def call(self, inputs):
        return inputs * self.scale

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


class PlusOneDropsMask(layers.Layer):
    """A plain layer: supports_masking is False, so Keras drops an incoming mask."""

    def call(self, inputs):
        return inputs + 1.0


class SplitInTwo(layers.Layer):
    """Two outputs (x, -x), each with the input's mask."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return [inputs, -inputs]

    def compute_mask(self, inputs, mask=None):
        return [mask, mask]


def double(x):
    """For `Lambda(function: gmtest_layers:double)`."""
    return x * 2.0


def keep_mask(inputs, mask=None):
    """For `Lambda(mask: gmtest_layers:keep_mask)`."""
    return mask
