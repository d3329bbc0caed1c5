"""Models from the Keras guides (keras-io ``guides/``) and the Keras blog."""

from __future__ import annotations

import keras
from keras import layers

from tests.realworld.models import Seq, real_model
from tests.realworld.models.custom_layers import CustomEmbedding, TemporalSoftmax, TemporalSplit

GUIDE_MASKING = "https://keras.io/guides/understanding_masking_and_padding/ (keras-io guides/understanding_masking_and_padding.py)"
IDS_POST = "token ids, right-padded (post) with 0 -- keras.utils.pad_sequences(..., padding='post') as the guide does"


@real_model("guide_masking_embedding_lstm", source=f"""
{GUIDE_MASKING}, section "Mask-generating layers: Embedding and Masking":
Input(shape=(None,)), Embedding(input_dim=5000, output_dim=16, mask_zero=True), LSTM(32).
Kept: structure and arguments. Shrunk: vocabulary 5000 -> 50, units 16/32 -> 4/5.
""", padding=IDS_POST, inputs=(Seq("ids", 50),), tags=("embedding_mask", "lstm"))
def guide_masking_embedding_lstm():
    inputs = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = layers.Embedding(input_dim=50, output_dim=4, mask_zero=True)(inputs)
    outputs = layers.LSTM(5)(x)
    return keras.Model(inputs, outputs)


@real_model("guide_masking_layer_lstm", source=f"""
{GUIDE_MASKING}, "Masking" layer on float sequences: Masking() in front of an LSTM ("the Masking layer
... for time series"); the guide's numbers are embedded sequences, here raw features as in
keras.layers.Masking's docstring. Kept: Masking(mask_value=0.0) -> LSTM. Shrunk: units 32 -> 5, 3 features.
""", padding="float time steps, right-padded (post) with all-zero feature vectors",
    inputs=(Seq("values", 3, dtype="float32"),), tags=("masking", "lstm", "timeseries"))
def guide_masking_layer_lstm():
    inputs = keras.Input(shape=(None, 3), name="series")
    x = layers.Masking(mask_value=0.0)(inputs)
    return keras.Model(inputs, layers.LSTM(5)(x))


@real_model("guide_masking_temporal_softmax", source=f"""
{GUIDE_MASKING}, "Writing layers that need mask information": inputs = Input(shape=(None,), dtype='int32');
Embedding(input_dim=10, output_dim=32, mask_zero=True); Dense(1); TemporalSoftmax() (a custom layer whose
call() takes mask= but which does not set supports_masking). Kept: all. Shrunk: output_dim 32 -> 4.
""", padding=IDS_POST, inputs=(Seq("ids", 10),), tags=("custom_layer", "embedding_mask"))
def guide_masking_temporal_softmax():
    inputs = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = layers.Embedding(input_dim=10, output_dim=4, mask_zero=True)(inputs)
    x = layers.Dense(1)(x)
    outputs = TemporalSoftmax()(x)
    return keras.Model(inputs, outputs)


@real_model("guide_masking_custom_embedding", source=f"""
{GUIDE_MASKING}, "Supporting masking in your custom layers": CustomEmbedding(10, 32, mask_zero=True) whose
compute_mask returns ops.not_equal(inputs, 0), followed (as the guide suggests) by an LSTM that reads the mask.
Kept: the layer (weights via add_weight, compute_mask). Shrunk: 32 -> 4 dims.
""", padding=IDS_POST, inputs=(Seq("ids", 10),), tags=("custom_layer", "compute_mask", "lstm"))
def guide_masking_custom_embedding():
    inputs = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = CustomEmbedding(10, 4, mask_zero=True)(inputs)
    return keras.Model(inputs, layers.LSTM(3, return_sequences=True)(x))


@real_model("guide_masking_temporal_split", source=f"""
{GUIDE_MASKING}, "Supporting masking in your custom layers": TemporalSplit, which splits a sequence in two
along time and splits its mask the same way in compute_mask; here fed by Embedding(mask_zero=True) and
each half read by its own LSTM. Kept: TemporalSplit as written. Shrunk: sizes.
""", padding=IDS_POST, inputs=(Seq("ids", 10, length=8),), tags=("custom_layer", "compute_mask", "multi_output"))
def guide_masking_temporal_split():
    inputs = keras.Input(shape=(8,), dtype="int32", name="tokens")
    x = layers.Embedding(10, 4, mask_zero=True)(inputs)
    first, second = TemporalSplit()(x)
    return keras.Model(inputs, [layers.LSTM(3)(first), layers.LSTM(3)(second)])


@real_model("guide_rnn_seq2seq_initial_state", source="""
https://keras.io/guides/working_with_rnns/ (keras-io guides/working_with_rnns.py), "RNN state reuse":
encoder_input = Input(shape=(None,)); Embedding(encoder_vocab, 64); LSTM(64, return_state=True) -> output,
state_h, state_c; decoder Embedding(decoder_vocab, 64); LSTM(64)(decoder_embedded, initial_state=encoder_state);
Dense(10). The guide sets no mask_zero. Kept: all. Shrunk: vocab 1000/2000 -> 20/30, units 64 -> 4.
""", padding="encoder and decoder token ids, right-padded (post) with 0; no layer declares it",
    inputs=(Seq("ids", 20), Seq("ids", 30)), tags=("seq2seq", "initial_state", "lstm"))
def guide_rnn_seq2seq_initial_state():
    encoder_input = keras.Input(shape=(None,), name="encoder_input")
    encoder_embedded = layers.Embedding(input_dim=20, output_dim=4)(encoder_input)
    output, state_h, state_c = layers.LSTM(4, return_state=True, name="encoder")(encoder_embedded)
    encoder_state = [state_h, state_c]
    decoder_input = keras.Input(shape=(None,), name="decoder_input")
    decoder_embedded = layers.Embedding(input_dim=30, output_dim=4)(decoder_input)
    decoder_output = layers.LSTM(4, name="decoder")(decoder_embedded, initial_state=encoder_state)
    output = layers.Dense(10)(decoder_output)
    return keras.Model([encoder_input, decoder_input], output)


@real_model("blog_seq2seq_word_level_masked", source="""
https://blog.keras.io/a-ten-minute-introduction-to-sequence-to-sequence-learning-in-keras.html, "What if I want
to use a word-level model with integer sequences?": Embedding -> LSTM(latent_dim, return_state=True) encoder,
Embedding -> LSTM(latent_dim, return_sequences=True)(x, initial_state=encoder_states) decoder,
Dense(num_decoder_tokens, activation='softmax'). Here with Embedding(mask_zero=True) on both sides, the usual
way readers make the word-level model ignore padding. Shrunk: latent_dim 256 -> 4, vocabularies -> 20/25.
""", padding="encoder and decoder token ids, right-padded (post) with 0; Embedding(mask_zero=True) says so",
    inputs=(Seq("ids", 20), Seq("ids", 25)), tags=("seq2seq", "initial_state", "lstm", "embedding_mask"))
def blog_seq2seq_word_level_masked():
    encoder_inputs = keras.Input(shape=(None,), name="encoder_inputs")
    x = layers.Embedding(20, 4, mask_zero=True)(encoder_inputs)
    x, state_h, state_c = layers.LSTM(4, return_state=True)(x)
    encoder_states = [state_h, state_c]
    decoder_inputs = keras.Input(shape=(None,), name="decoder_inputs")
    x = layers.Embedding(25, 4, mask_zero=True)(decoder_inputs)
    x = layers.LSTM(4, return_sequences=True)(x, initial_state=encoder_states)
    decoder_outputs = layers.Dense(25, activation="softmax")(x)
    return keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)


@real_model("guide_functional_multi_input", source="""
https://keras.io/guides/functional_api/ (keras-io guides/functional_api.py), "Models with multiple inputs and
outputs": title/body token inputs (Input(shape=(None,))), Embedding(num_words, 64) each, LSTM(128) / LSTM(32),
tags Input(shape=(num_tags,)), concatenate, Dense(1) priority head and Dense(num_departments) head. The guide
pads nothing and sets no mask. Shrunk: num_words 10000 -> 30, units -> 4/3, num_tags 12 -> 3.
""", padding="title and body token ids, right-padded (post) with 0 (pad_sequences); tags not padded",
    inputs=(Seq("ids", 30), Seq("ids", 30), Seq("values", 3, side="none", length=1, dtype="float32")),
    tags=("multi_input", "lstm"))
def guide_functional_multi_input():
    title_input = keras.Input(shape=(None,), name="title")
    body_input = keras.Input(shape=(None,), name="body")
    tags_input = keras.Input(shape=(1, 3), name="tags")
    title_features = layers.LSTM(4)(layers.Embedding(30, 4)(title_input))
    body_features = layers.LSTM(3)(layers.Embedding(30, 4)(body_input))
    x = layers.concatenate([title_features, body_features, layers.Flatten()(tags_input)])
    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(2, name="department")(x)
    return keras.Model([title_input, body_input, tags_input], [priority_pred, department_pred])


@real_model("guide_functional_nested_encoder", source="""
https://keras.io/guides/functional_api/ (keras-io guides/functional_api.py), "All models are callable, just
like layers": an encoder Model built once and called on a new Input inside an outer model (the guide's
autoencoder). Here the encoder is a text encoder (Embedding(mask_zero=True) -> Bidirectional(LSTM)) as in
keras-team/keras#6169's base_model, and the outer model adds a Dense head on the nested model's output.
Shrunk: sizes.
""", padding=IDS_POST, inputs=(Seq("ids", 20),), tags=("nested", "embedding_mask", "bidirectional"))
def guide_functional_nested_encoder():
    base_inputs = keras.Input(shape=(None,), name="encoder_tokens")
    x = layers.Embedding(20, 4, mask_zero=True)(base_inputs)
    x = layers.Bidirectional(layers.LSTM(3, return_sequences=True))(x)
    encoder = keras.Model(base_inputs, x, name="text_encoder")
    inputs = keras.Input(shape=(None,), name="tokens")
    features = encoder(inputs)
    x = layers.GlobalAveragePooling1D()(features)
    return keras.Model(inputs, layers.Dense(1)(x))
