"""The custom layers of the TensorFlow guide "Understanding masking & padding".

Source: /work/shared/seeds/002_* (sections "Passing mask tensors directly to
layers", "Supporting masking in your custom layers", "Opting-in to mask
propagation on compatible layers", "Writing layers that need mask
information"). Ported to Keras 3: ``keras.ops`` replaces ``tf.*``; the
behaviour is otherwise the guide's, mistakes included (see the specs and
docs/seed-errata.md): these classes are the ground truth the `custom_layers:`
declarations of specs/examples/guide_*.yaml describe.
"""

from __future__ import annotations

import keras
from keras import layers, ops


class MyLayer(layers.Layer):
    """Embedding + LSTM with the mask passed by hand (the guide's MyLayer).

    No ``compute_mask`` override and no ``supports_masking``: the layer makes
    and uses its mask internally, and its output carries none.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
        self.lstm = layers.LSTM(32)

    def call(self, inputs):
        x = self.embedding(inputs)
        mask = self.embedding.compute_mask(inputs)
        return self.lstm(x, mask=mask)  # the LSTM ignores the masked steps


class TemporalSplit(layers.Layer):
    """Split the input tensor into 2 tensors along the time dimension.

    Overrides ``compute_mask``, so Keras 3 sets ``supports_masking = True``
    on its own (Layer.__init__: ``not is_default(self.compute_mask)``).
    """

    def call(self, inputs):
        # Expect the input to be 3D and the mask 2D: split along time (axis 1).
        return ops.split(inputs, 2, axis=1)

    def compute_mask(self, inputs, mask=None):
        # Also split the mask into 2 if it is present.
        if mask is None:
            return None
        return ops.split(mask, 2, axis=1)


class CustomEmbedding(layers.Layer):
    """An embedding that generates a mask from the ids (like Embedding(mask_zero))."""

    def __init__(self, input_dim, output_dim, mask_zero=False, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.mask_zero = mask_zero

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            initializer="random_normal",
            dtype="float32",
        )

    def call(self, inputs):
        return ops.take(self.embeddings, inputs, axis=0)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)


@keras.saving.register_keras_serializable(package="graphmask_examples")
class MyActivation(layers.Layer):
    """ReLU that opts in to mask propagation."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Signal that the layer is safe for mask propagation
        self.supports_masking = True

    def call(self, inputs):
        return ops.relu(inputs)


@keras.saving.register_keras_serializable(package="graphmask_examples")
class TemporalSoftmax(layers.Layer):
    """The guide's "softmax over the time dimension", as written.

    Two mistakes kept on purpose (docs/seed-errata.md): it never sets
    ``supports_masking``, so Keras 3 passes it the mask but then warns that it
    "does not support masking" and drops the mask; and it sums over axis -1
    (features, size 1 after Dense(1)), not axis 1 (time), so every unmasked
    step comes out 1.0 and every masked step 0/0 = NaN.
    """

    def call(self, inputs, mask=None):
        broadcast_float_mask = ops.expand_dims(ops.cast(mask, "float32"), -1)
        inputs_exp = ops.exp(inputs) * broadcast_float_mask
        inputs_sum = ops.sum(inputs_exp * broadcast_float_mask, axis=-1, keepdims=True)
        return inputs_exp / inputs_sum
