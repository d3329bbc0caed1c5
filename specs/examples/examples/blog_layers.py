"""The custom "masking" layers of the blog post "How can I create a custom
masking layer in Keras?" (/work/shared/seeds/004_*), copied as written.

They use TensorFlow ops that have no ``keras.ops`` equivalent
(``tf.boolean_mask``), so they only run on the TensorFlow backend; the
blog imports ``from tensorflow import keras``, which in TensorFlow >= 2.16
is Keras 3, so ``import keras`` below is the same module. Every one of
them fails on the blog's own example usage; see specs/examples/blog_*.yaml
and docs/seed-errata.md.
"""

from __future__ import annotations

import keras
import tensorflow as tf


class BooleanMasking(keras.layers.Layer):
    """Drops elements with a constant boolean vector; "propagates" that vector as the Keras mask.

    compute_mask returns the constructor's constant mask (shape (5,) in the
    blog), not a (batch, timesteps) mask derived from the input. Keras 3
    sets supports_masking = True because compute_mask is overridden.
    """

    def __init__(self, mask, **kwargs):
        super(BooleanMasking, self).__init__(**kwargs)
        self.mask = tf.convert_to_tensor(mask, dtype=tf.bool)

    def call(self, inputs):
        if tf.rank(inputs) != tf.rank(self.mask):
            raise ValueError("Input and mask ranks must match")
        return tf.boolean_mask(inputs, self.mask)

    def compute_mask(self, inputs, mask=None):
        return self.mask  # Propagate the mask for subsequent layers


class ThresholdMasking(keras.layers.Layer):
    """Drops the values <= threshold. No compute_mask: no Keras mask at all."""

    def __init__(self, threshold, **kwargs):
        super(ThresholdMasking, self).__init__(**kwargs)
        self.threshold = threshold

    def call(self, inputs):
        mask = tf.cast(inputs > self.threshold, tf.bool)
        return tf.boolean_mask(inputs, tf.reshape(mask, [-1]))


class ExternalDataMasking(keras.layers.Layer):
    """Multiplies the input by a constant 0/1 vector. No compute_mask: no Keras mask."""

    def __init__(self, mask_data, **kwargs):
        super(ExternalDataMasking, self).__init__(**kwargs)
        self.mask_data = tf.convert_to_tensor(mask_data, dtype=tf.bool)

    def call(self, inputs):
        if tf.shape(inputs)[0] != tf.shape(self.mask_data)[0]:
            raise ValueError("Batch size mismatch between inputs and mask data")
        mask = tf.reshape(self.mask_data, (tf.shape(inputs)[0], -1))  # Assumes mask data is 1D array
        return inputs * tf.cast(mask, inputs.dtype)  # Element-wise multiplication for masking
