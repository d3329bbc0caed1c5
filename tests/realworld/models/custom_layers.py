"""Custom layers of the collection, as their sources write them (TensorFlow calls replaced by ``keras.ops``).

Registered under the package ``realworld`` so that a saved model reloads.
"""

from __future__ import annotations

import keras
from keras import layers, ops

register = keras.saving.register_keras_serializable(package="realworld")


@register
class TemporalSoftmax(layers.Layer):
    """guides/understanding_masking_and_padding.py: reads ``mask=`` but never sets supports_masking."""

    def call(self, inputs, mask=None):
        broadcast_float_mask = ops.expand_dims(ops.cast(mask, "float32"), -1)
        inputs_exp = ops.exp(inputs) * broadcast_float_mask
        inputs_sum = ops.sum(inputs_exp * broadcast_float_mask, axis=-1, keepdims=True)
        return inputs_exp / inputs_sum


@register
class CustomEmbedding(layers.Layer):
    """guides/understanding_masking_and_padding.py: an embedding that generates its mask in compute_mask."""

    def __init__(self, input_dim, output_dim, mask_zero=False, **kwargs):
        super().__init__(**kwargs)
        self.input_dim, self.output_dim, self.mask_zero = input_dim, output_dim, mask_zero

    def build(self, input_shape):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim), initializer="random_normal")

    def call(self, inputs):
        return ops.take(self.embeddings, ops.cast(inputs, "int32"), axis=0)

    def compute_mask(self, inputs, mask=None):
        return ops.not_equal(inputs, 0) if self.mask_zero else None

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "mask_zero": self.mask_zero}


@register
class TemporalSplit(layers.Layer):
    """guides/understanding_masking_and_padding.py: splits along time and splits the mask too (2 outputs)."""

    def call(self, inputs):
        return ops.split(inputs, 2, axis=1)

    def compute_mask(self, inputs, mask=None):
        return None if mask is None else ops.split(mask, 2, axis=1)


@register
class TokenAndPositionEmbedding(layers.Layer):
    """keras-io text_classification_with_transformer.py: no mask (mask_zero is not set)."""

    def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.maxlen, self.vocab_size, self.embed_dim = maxlen, vocab_size, embed_dim
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        positions = self.pos_emb(ops.arange(start=0, stop=ops.shape(x)[-1], step=1))
        return self.token_emb(x) + positions

    def get_config(self):
        return {**super().get_config(), "maxlen": self.maxlen, "vocab_size": self.vocab_size,
                "embed_dim": self.embed_dim}


@register
class TransformerBlock(layers.Layer):
    """keras-io text_classification_with_transformer.py: MHA + a Sequential feed-forward, ``x + y`` residuals."""

    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim, self.num_heads, self.ff_dim, self.rate = embed_dim, num_heads, ff_dim, rate
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs):
        attn_output = self.dropout1(self.att(inputs, inputs))
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.dropout2(self.ffn(out1))
        return self.layernorm2(out1 + ffn_output)

    def get_config(self):
        return {**super().get_config(), "embed_dim": self.embed_dim, "num_heads": self.num_heads,
                "ff_dim": self.ff_dim, "rate": self.rate}


@register
class PositionalEmbedding(layers.Layer):
    """keras-io neural_machine_translation_with_transformer.py: compute_mask returns ``inputs != 0``."""

    def __init__(self, sequence_length, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.sequence_length, self.vocab_size, self.embed_dim = sequence_length, vocab_size, embed_dim
        self.token_embeddings = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.position_embeddings = layers.Embedding(input_dim=sequence_length, output_dim=embed_dim)

    def call(self, inputs):
        positions = ops.arange(start=0, stop=ops.shape(inputs)[-1], step=1)
        return self.token_embeddings(inputs) + self.position_embeddings(positions)

    def compute_mask(self, inputs, mask=None):
        return ops.not_equal(inputs, 0)

    def get_config(self):
        return {**super().get_config(), "sequence_length": self.sequence_length, "vocab_size": self.vocab_size,
                "embed_dim": self.embed_dim}


@register
class TransformerEncoder(layers.Layer):
    """keras-io neural_machine_translation_with_transformer.py: reads ``mask=`` as the attention padding mask."""

    def __init__(self, embed_dim, dense_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim, self.dense_dim, self.num_heads = embed_dim, dense_dim, num_heads
        self.attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.dense_proj = keras.Sequential([layers.Dense(dense_dim, activation="relu"), layers.Dense(embed_dim)])
        self.layernorm_1 = layers.LayerNormalization()
        self.layernorm_2 = layers.LayerNormalization()
        self.supports_masking = True

    def call(self, inputs, mask=None):
        padding_mask = None
        if mask is not None:
            padding_mask = ops.cast(mask[:, None, :], dtype="int32")
        attention_output = self.attention(query=inputs, value=inputs, key=inputs, attention_mask=padding_mask)
        proj_input = self.layernorm_1(inputs + attention_output)
        return self.layernorm_2(proj_input + self.dense_proj(proj_input))

    def get_config(self):
        return {**super().get_config(), "embed_dim": self.embed_dim, "dense_dim": self.dense_dim,
                "num_heads": self.num_heads}


@register
class TransformerDecoder(layers.Layer):
    """keras-io neural_machine_translation_with_transformer.py: call(inputs, encoder_outputs, mask=None)."""

    def __init__(self, embed_dim, latent_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim, self.latent_dim, self.num_heads = embed_dim, latent_dim, num_heads
        self.attention_1 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.attention_2 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.dense_proj = keras.Sequential([layers.Dense(latent_dim, activation="relu"), layers.Dense(embed_dim)])
        self.layernorm_1 = layers.LayerNormalization()
        self.layernorm_2 = layers.LayerNormalization()
        self.layernorm_3 = layers.LayerNormalization()
        self.supports_masking = True

    def call(self, inputs, encoder_outputs, mask=None):
        length = ops.shape(inputs)[1]
        causal_mask = ops.cast(ops.arange(length)[:, None] >= ops.arange(length), "int32")[None, :, :]
        padding_mask = None
        if mask is not None:
            padding_mask = ops.minimum(ops.cast(mask[:, None, :], dtype="int32"), causal_mask)
        attention_output_1 = self.attention_1(query=inputs, value=inputs, key=inputs, attention_mask=causal_mask)
        out_1 = self.layernorm_1(inputs + attention_output_1)
        attention_output_2 = self.attention_2(query=out_1, value=encoder_outputs, key=encoder_outputs,
                                              attention_mask=padding_mask)
        out_2 = self.layernorm_2(out_1 + attention_output_2)
        return self.layernorm_3(out_2 + self.dense_proj(out_2))

    def get_config(self):
        return {**super().get_config(), "embed_dim": self.embed_dim, "latent_dim": self.latent_dim,
                "num_heads": self.num_heads}


@register
class PositionEmbedding(layers.Layer):
    """Learned position embeddings of shape (1, time, dim), added to token embeddings with ``x + p``."""

    def __init__(self, maxlen, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.maxlen, self.embed_dim = maxlen, embed_dim
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        return self.pos_emb(ops.arange(ops.shape(x)[1]))[None, :, :]

    def get_config(self):
        return {**super().get_config(), "maxlen": self.maxlen, "embed_dim": self.embed_dim}


@register
class MySum(layers.Layer):
    """keras-core#767 / keras#18417: a two-input sum that ANDs the masks in compute_mask."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        a, b = inputs
        return a + b

    def compute_mask(self, inputs, previous_mask=None):
        if previous_mask is None:
            return None
        a, b = previous_mask
        if a is None or b is None:  # the thread's version raises here; a nested model's output may carry none
            return b if a is None else a
        return ops.logical_and(a, b)
