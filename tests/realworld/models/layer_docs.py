"""Models from the examples in the Keras layer docstrings (keras.io/api/layers/...)."""

from __future__ import annotations

import keras
from keras import layers

from tests.realworld.models import Seq, real_model

API = "https://keras.io/api/layers/"


@real_model("doc_masking_missing_steps", source=f"""
{API}core_layers/masking/ (keras.layers.Masking docstring): inputs[:, 3, :] = 0.; inputs[:, 5, :] = 0.;
Sequential([Masking(mask_value=0., input_shape=(timesteps, features)), LSTM(32)]) -- "mask timesteps 3 and 5
because we lack data for these timesteps". Kept: all (as a Sequential). Shrunk: timesteps 10 -> 8, features 8 -> 3,
LSTM(32) -> LSTM(4).
""", padding="float series of fixed length 8 whose steps 3 and 5 are all-zero vectors (missing data in the middle, "
              "not padding at an end); the shorter samples are right-padded with zeros too",
    inputs=(Seq("values", 3, side="mid", length=8, dtype="float32"),), tags=("masking", "sequential", "lstm"))
def doc_masking_missing_steps():
    return keras.Sequential([keras.Input((8, 3)), layers.Masking(mask_value=0.0), layers.LSTM(4)])


@real_model("doc_attention_qv_cnn", source=f"""
{API}attention_layers/attention/ (keras.layers.Attention docstring, "a CNN+Attention network for DNN
classification"): query/value Input(shape=(None,), dtype='int32'), one shared Embedding(max_tokens, dimension),
one shared Conv1D(filters=100, kernel_size=4, padding='same'), Attention()([query_seq_encoding,
value_seq_encoding]), GlobalAveragePooling1D on both, Concatenate. Kept: the sharing of Embedding and Conv1D.
Shrunk: filters 100 -> 4, dimension -> 4.
""", padding="query and value token ids, right-padded (post) with 0; nothing masks them",
    inputs=(Seq("ids", 20), Seq("ids", 20)), tags=("attention", "shared_layer", "no_mask"))
def doc_attention_qv_cnn():
    query_input = keras.Input(shape=(None,), dtype="int32", name="query")
    value_input = keras.Input(shape=(None,), dtype="int32", name="value")
    token_embedding = layers.Embedding(input_dim=20, output_dim=4)
    query_embeddings = token_embedding(query_input)
    value_embeddings = token_embedding(value_input)
    cnn_layer = layers.Conv1D(filters=4, kernel_size=4, padding="same")
    query_seq_encoding = cnn_layer(query_embeddings)
    value_seq_encoding = cnn_layer(value_embeddings)
    query_value_attention_seq = layers.Attention()([query_seq_encoding, value_seq_encoding])
    query_encoding = layers.GlobalAveragePooling1D()(query_seq_encoding)
    query_value_attention = layers.GlobalAveragePooling1D()(query_value_attention_seq)
    return keras.Model([query_input, value_input], layers.Concatenate()([query_encoding, query_value_attention]))


@real_model("doc_attention_qv_masked", source=f"""
{API}attention_layers/attention/ as doc_attention_qv_cnn with Embedding(mask_zero=True) and without the Conv1D
(which does not support masking): the shared embedding's masks reach Attention as query_mask/value_mask
(Attention's call takes mask=[query_mask, value_mask]), and GlobalAveragePooling1D on both paths.
""", padding="query and value token ids, right-padded (post) with 0; the shared Embedding(mask_zero=True) masks them",
    inputs=(Seq("ids", 20), Seq("ids", 20)), tags=("attention", "shared_layer", "embedding_mask"))
def doc_attention_qv_masked():
    query_input = keras.Input(shape=(None,), dtype="int32", name="query")
    value_input = keras.Input(shape=(None,), dtype="int32", name="value")
    token_embedding = layers.Embedding(input_dim=20, output_dim=4, mask_zero=True)
    query_embeddings = token_embedding(query_input)
    value_embeddings = token_embedding(value_input)
    attention_seq = layers.Attention()([query_embeddings, value_embeddings])
    query_encoding = layers.GlobalAveragePooling1D()(query_embeddings)
    attention_encoding = layers.GlobalAveragePooling1D()(attention_seq)
    return keras.Model([query_input, value_input], layers.Concatenate()([query_encoding, attention_encoding]))


@real_model("doc_mha_target_source", source=f"""
{API}attention_layers/multi_head_attention/ (keras.layers.MultiHeadAttention docstring): layer =
MultiHeadAttention(num_heads=2, key_dim=2); target = Input(shape=[8, 16]); source = Input(shape=[4, 16]);
output_tensor, weights = layer(target, source, return_attention_scores=True). Changed: Masking(0) on both
(variable-length target and source) so the call has a query_mask and a value_mask. Shrunk: 16 -> 3 features.
""", padding="target and source float sequences, right-padded (post) with zero vectors; Masking(0) says so",
    inputs=(Seq("values", 3, dtype="float32"), Seq("values", 3, dtype="float32")),
    tags=("attention", "multi_tensor_call", "masking"))
def doc_mha_target_source():
    target = keras.Input(shape=[None, 3], name="target")
    source = keras.Input(shape=[None, 3], name="source")
    query = layers.Masking(0.0)(target)
    value = layers.Masking(0.0)(source)
    output_tensor, weights = layers.MultiHeadAttention(num_heads=2, key_dim=2)(query, value,
                                                                               return_attention_scores=True)
    return keras.Model([target, source], [output_tensor, weights])


@real_model("doc_bidirectional_sequential", source=f"""
{API}recurrent_layers/bidirectional/ (keras.layers.Bidirectional docstring): Sequential([Input(shape=(5, 10)),
Bidirectional(LSTM(10, return_sequences=True)), Bidirectional(LSTM(10)), Dense(5), Activation('softmax')]), here
with a Masking() first as the RNN guide pairs them, and go_backwards=True on a backward_layer as the docstring's
second example does. Shrunk: 10 -> 3 features/units.
""", padding="float series of fixed length 5, right-padded (post) with zero vectors; Masking() says so",
    inputs=(Seq("values", 3, length=5, dtype="float32"),), tags=("bidirectional", "sequential", "masking"))
def doc_bidirectional_sequential():
    forward_layer = layers.LSTM(3, return_sequences=True)
    backward_layer = layers.LSTM(3, activation="relu", return_sequences=True, go_backwards=True)
    return keras.Sequential([
        keras.Input(shape=(5, 3)),
        layers.Masking(),
        layers.Bidirectional(forward_layer, backward_layer=backward_layer),
        layers.Bidirectional(layers.LSTM(3)),
        layers.Dense(5),
        layers.Activation("softmax"),
    ])


@real_model("doc_gru_timeseries_masked", source=f"""
{API}recurrent_layers/gru/ (keras.layers.GRU docstring: GRU(4, return_sequences=True, return_state=True) returns
whole_sequence_output, final_state) on a Masking(0.0) input, with a TimeDistributed(Dense(1)) per-step head on the
sequence and a Dense head on the state: a padded multi-output time-series model.
""", padding="float series, right-padded (post) with zero vectors; Masking(0.0) says so",
    inputs=(Seq("values", 3, dtype="float32"),), tags=("gru", "masking", "timeseries", "multi_output"))
def doc_gru_timeseries_masked():
    inputs = keras.Input(shape=(None, 3), name="series")
    x = layers.Masking(mask_value=0.0)(inputs)
    whole_sequence_output, final_state = layers.GRU(4, return_sequences=True, return_state=True)(x)
    per_step = layers.TimeDistributed(layers.Dense(1))(whole_sequence_output)
    return keras.Model(inputs, [per_step, layers.Dense(1)(final_state)])
