"""Models from the keras-io examples (``examples/nlp``, ``examples/timeseries``) and TensorFlow tutorials."""

from __future__ import annotations

import keras
from keras import layers, ops

from tests.realworld.models import Seq, real_model
from tests.realworld.models.custom_layers import (
    PositionalEmbedding,
    PositionEmbedding,
    TokenAndPositionEmbedding,
    TransformerBlock,
    TransformerDecoder,
    TransformerEncoder,
)

IO = "https://keras.io/examples/"
IDS_PRE = "token ids, left-padded (pre) with 0: keras.utils.pad_sequences' default, as the example uses it"


@real_model("io_bidirectional_lstm_imdb", source=f"""
{IO}nlp/bidirectional_lstm_imdb/ (keras-io examples/nlp/bidirectional_lstm_imdb.py): Input(shape=(None,),
dtype='int32'), Embedding(max_features, 128), Bidirectional(LSTM(64, return_sequences=True)),
Bidirectional(LSTM(64)), Dense(1, activation='sigmoid'). No mask. Shrunk: max_features 20000 -> 40, units -> 3.
""", padding=IDS_PRE, inputs=(Seq("ids", 40, side="pre"),), tags=("bidirectional", "lstm", "no_mask"))
def io_bidirectional_lstm_imdb():
    inputs = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = layers.Embedding(40, 4)(inputs)
    x = layers.Bidirectional(layers.LSTM(3, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(3))(x)
    return keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))


@real_model("io_bidirectional_lstm_imdb_masked", source=f"""
{IO}nlp/bidirectional_lstm_imdb/ as io_bidirectional_lstm_imdb, with Embedding(mask_zero=True): the common
edit that keeps pad_sequences' default left padding (the cuDNN right-padding case of issue 12, category 5).
""", padding=IDS_PRE + "; Embedding(mask_zero=True) masks it", inputs=(Seq("ids", 40, side="pre"),),
    tags=("bidirectional", "lstm", "left_padded_mask"))
def io_bidirectional_lstm_imdb_masked():
    inputs = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = layers.Embedding(40, 4, mask_zero=True)(inputs)
    x = layers.Bidirectional(layers.LSTM(3, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(3))(x)
    return keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))


@real_model("io_text_classification_transformer", source=f"""
{IO}nlp/text_classification_with_transformer/ (keras-io examples/nlp/text_classification_with_transformer.py):
TokenAndPositionEmbedding and TransformerBlock (MultiHeadAttention, a keras.Sequential feed-forward,
`inputs + attn_output` residuals) as custom layers, GlobalAveragePooling1D, Dropout, Dense(20, relu), Dropout,
Dense(2, softmax). Kept: the layers as written. Changed: Input(shape=(maxlen,)) -> (None,) so the probe can add
padding (positions still come from ops.shape). Shrunk: vocab 20000 -> 30, maxlen 200 -> 12, dims 32 -> 4.
""", padding=IDS_PRE, inputs=(Seq("ids", 30, side="pre"),), tags=("custom_layer", "transformer", "no_mask"))
def io_text_classification_transformer():
    inputs = keras.Input(shape=(None,), name="tokens")
    x = TokenAndPositionEmbedding(12, 30, 4)(inputs)
    x = TransformerBlock(4, 2, 4)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(5, activation="relu")(x)
    x = layers.Dropout(0.1)(x)
    return keras.Model(inputs, layers.Dense(2, activation="softmax")(x))


@real_model("io_text_transformer_functional", source=f"""
{IO}nlp/text_classification_with_transformer/ written as a functional graph, the way it is commonly inlined:
token Embedding(mask_zero=True) + a position embedding with `x + positions`, MultiHeadAttention(x, x),
Dropout, LayerNormalization(x + attn_output), the example's keras.Sequential([Dense(ff, relu), Dense(dim)])
feed-forward used as a layer, LayerNormalization(out1 + ffn_output), GlobalAveragePooling1D, Dense(2, softmax).
Shrunk as io_text_classification_transformer; right padding (post).
""", padding="token ids, right-padded (post) with 0; Embedding(mask_zero=True) says so", inputs=(Seq("ids", 30),),
    tags=("ops_add", "nested_sequential", "transformer", "embedding_mask"))
def io_text_transformer_functional():
    inputs = keras.Input(shape=(None,), dtype="int32", name="tokens")
    tokens = layers.Embedding(30, 4, mask_zero=True)(inputs)
    x = tokens + PositionEmbedding(12, 4)(tokens)
    attn_output = layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
    attn_output = layers.Dropout(0.1)(attn_output)
    out1 = layers.LayerNormalization(epsilon=1e-6)(x + attn_output)
    ffn = keras.Sequential([layers.Dense(4, activation="relu"), layers.Dense(4)], name="ffn")
    ffn_output = layers.Dropout(0.1)(ffn(out1))
    x = layers.LayerNormalization(epsilon=1e-6)(out1 + ffn_output)
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, layers.Dense(2, activation="softmax")(x))


@real_model("io_timeseries_transformer_masked", source=f"""
{IO}timeseries/timeseries_classification_transformer/ (keras-io examples/timeseries/
timeseries_classification_transformer.py): transformer_encoder as functional code -- LayerNormalization,
MultiHeadAttention(key_dim, num_heads, dropout)(x, x), Dropout, `res = x + inputs`, LayerNormalization,
Conv1D(ff_dim, 1, relu), Dropout, Conv1D(filters=inputs.shape[-1], 1), `return x + res`; then
GlobalAveragePooling1D(data_format='channels_last'), Dense(mlp, relu), Dropout, Dense(n_classes, softmax).
Changed: a Masking(0.0) in front and variable-length series (the example's FordA series are fixed-length).
Shrunk: head_size 256 -> 4, 4 blocks -> 1, mlp 128 -> 4.
""", padding="float series, right-padded (post) with zero vectors; Masking(0.0) says so",
    inputs=(Seq("values", 2, dtype="float32"),), tags=("ops_add", "masking", "timeseries", "transformer"))
def io_timeseries_transformer_masked():
    inputs = keras.Input(shape=(None, 2), name="series")
    masked = layers.Masking(mask_value=0.0)(inputs)
    x = layers.LayerNormalization(epsilon=1e-6)(masked)
    x = layers.MultiHeadAttention(key_dim=4, num_heads=2, dropout=0.25)(x, x)
    x = layers.Dropout(0.25)(x)
    res = x + masked
    x = layers.LayerNormalization(epsilon=1e-6)(res)
    x = layers.Conv1D(filters=4, kernel_size=1, activation="relu")(x)
    x = layers.Dropout(0.25)(x)
    x = layers.Conv1D(filters=masked.shape[-1], kernel_size=1)(x)
    x = x + res
    x = layers.GlobalAveragePooling1D(data_format="channels_last")(x)
    x = layers.Dense(4, activation="relu")(x)
    x = layers.Dropout(0.4)(x)
    return keras.Model(inputs, layers.Dense(2, activation="softmax")(x))


@real_model("io_nmt_transformer_nested", source=f"""
{IO}nlp/neural_machine_translation_with_transformer/ (keras-io examples/nlp/
neural_machine_translation_with_transformer.py): PositionalEmbedding (compute_mask = inputs != 0),
TransformerEncoder and TransformerDecoder (supports_masking, call(..., mask=None) building the attention
padding mask), an `encoder` Model and a `decoder` Model([decoder_inputs, encoded_seq_inputs]) called as
`decoder([decoder_inputs, encoder_outputs])` inside the `transformer` Model. Kept: all of that (tf.* calls
written as keras.ops). Shrunk: vocab 15000 -> 30, embed 256 -> 4, latent 2048 -> 4, heads 8 -> 2,
sequence_length 20 -> 12.
""", padding="encoder and decoder token ids, right-padded (post) with 0 (TextVectorization's "
             "output_sequence_length pads with 0); PositionalEmbedding masks id 0",
    inputs=(Seq("ids", 30, dtype="int64"), Seq("ids", 30, dtype="int64")),
    tags=("nested", "custom_layer", "compute_mask", "transformer"))
def io_nmt_transformer_nested():
    encoder_inputs = keras.Input(shape=(None,), dtype="int64", name="encoder_inputs")
    x = PositionalEmbedding(12, 30, 4)(encoder_inputs)
    encoder_outputs = TransformerEncoder(4, 4, 2)(x)
    encoder = keras.Model(encoder_inputs, encoder_outputs, name="encoder")
    decoder_inputs = keras.Input(shape=(None,), dtype="int64", name="decoder_inputs")
    encoded_seq_inputs = keras.Input(shape=(None, 4), name="decoder_state_inputs")
    x = PositionalEmbedding(12, 30, 4)(decoder_inputs)
    x = TransformerDecoder(4, 4, 2)(x, encoded_seq_inputs)
    x = layers.Dropout(0.5)(x)
    decoder_outputs = layers.Dense(30, activation="softmax")(x)
    decoder = keras.Model([decoder_inputs, encoded_seq_inputs], decoder_outputs, name="decoder")
    decoder_outputs = decoder([decoder_inputs, encoder(encoder_inputs)])
    return keras.Model([encoder_inputs, decoder_inputs], decoder_outputs, name="transformer")


@real_model("io_lstm_seq2seq_char", source=f"""
{IO}nlp/lstm_seq2seq/ (keras-io examples/nlp/lstm_seq2seq.py): one-hot character inputs
Input(shape=(None, num_encoder_tokens)), LSTM(latent_dim, return_state=True) encoder, decoder
LSTM(latent_dim, return_sequences=True, return_state=True)(decoder_inputs, initial_state=encoder_states),
Dense(num_decoder_tokens, softmax). No mask: padding is the one-hot of ' '. Shrunk: latent_dim 256 -> 4,
71/93 tokens -> 6/7.
""", padding="one-hot characters, right-padded (post) with the one-hot of the space character (index 0)",
    inputs=(Seq("onehot", 6), Seq("onehot", 7)), tags=("seq2seq", "initial_state", "no_mask"))
def io_lstm_seq2seq_char():
    encoder_inputs = keras.Input(shape=(None, 6), name="encoder_inputs")
    encoder_outputs, state_h, state_c = layers.LSTM(4, return_state=True)(encoder_inputs)
    encoder_states = [state_h, state_c]
    decoder_inputs = keras.Input(shape=(None, 7), name="decoder_inputs")
    decoder_lstm = layers.LSTM(4, return_sequences=True, return_state=True)
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
    decoder_outputs = layers.Dense(7, activation="softmax")(decoder_outputs)
    return keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)


@real_model("io_addition_rnn_sequential", source=f"""
{IO}nlp/addition_rnn/ (keras-io examples/nlp/addition_rnn.py): keras.Sequential([Input((MAXLEN, len(chars))),
LSTM(128), RepeatVector(DIGITS + 1), LSTM(128, return_sequences=True), Dense(len(chars), softmax)]).
Queries are padded with spaces and then reversed (REVERSE = True), so the padding ends up in front.
Shrunk: 128 units -> 4, 12 chars -> 5, MAXLEN 7.
""", padding="one-hot characters of fixed length 7, left-padded (the reversed right padding) with the one-hot of ' '",
    inputs=(Seq("onehot", 5, side="pre", length=7),), tags=("sequential", "no_mask"))
def io_addition_rnn_sequential():
    return keras.Sequential([
        keras.Input((7, 5)),
        layers.LSTM(4),
        layers.RepeatVector(4),
        layers.LSTM(4, return_sequences=True),
        layers.Dense(5, activation="softmax"),
    ])


@real_model("web_bilstm_ner_tagger", source="""
https://www.depends-on-the-definition.com/guide-sequence-tagging-neural-networks-python/ ("Guide to sequence
tagging with neural networks", the widely copied Keras NER tagger): Embedding(n_words, 50), Dropout(0.1),
Bidirectional(LSTM(100, return_sequences=True, recurrent_dropout=0.1)), TimeDistributed(Dense(n_tags,
softmax)). Sentences are padded with the id n_words - 1 (not 0), no mask. Shrunk: 50/100 -> 4/3, n_words -> 20.
""", padding="word ids, right-padded (post) with n_words - 1 = 19; nothing masks it",
    inputs=(Seq("ids", 20, pad=19),), tags=("bidirectional", "tagger", "no_mask"))
def web_bilstm_ner_tagger():
    inputs = keras.Input(shape=(None,), name="words")
    x = layers.Embedding(input_dim=20, output_dim=4)(inputs)
    x = layers.Dropout(0.1)(x)
    x = layers.Bidirectional(layers.LSTM(3, return_sequences=True, recurrent_dropout=0.1))(x)
    return keras.Model(inputs, layers.TimeDistributed(layers.Dense(5, activation="softmax"))(x))


@real_model("web_bilstm_tagger_masked", source="""
https://www.depends-on-the-definition.com/guide-sequence-tagging-neural-networks-python/ as
web_bilstm_ner_tagger, in the variant with Embedding(mask_zero=True) and 0 as the pad id that the post's
follow-ups (and keras-team/keras#7695) use, with Bidirectional(LSTM(..., return_sequences=True)) and a
TimeDistributed(Dense) head: a mask-aware BiLSTM tagger whose output mask reaches the loss.
""", padding="word ids, right-padded (post) with 0; Embedding(mask_zero=True) says so",
    inputs=(Seq("ids", 20),), tags=("bidirectional", "tagger", "embedding_mask"))
def web_bilstm_tagger_masked():
    inputs = keras.Input(shape=(None,), name="words")
    x = layers.Embedding(input_dim=20, output_dim=4, mask_zero=True)(inputs)
    x = layers.Bidirectional(layers.LSTM(3, return_sequences=True), merge_mode="concat")(x)
    return keras.Model(inputs, layers.TimeDistributed(layers.Dense(5, activation="softmax"))(x))


@real_model("tf_nmt_attention_gru", source="""
https://www.tensorflow.org/text/tutorials/nmt_with_attention ("Neural machine translation with attention"):
Encoder = Embedding(vocab, units, mask_zero=True) -> Bidirectional(GRU(units, return_sequences=True),
merge_mode='sum'); CrossAttention = MultiHeadAttention(key_dim=units, num_heads=1)(query=x, value=context),
Add()([x, attn_output]), LayerNormalization; Decoder = Embedding(mask_zero=True) -> GRU(units,
return_sequences=True, return_state=True) -> CrossAttention -> Dense(vocab). The tutorial subclasses Layer;
here the same calls as one functional graph. Shrunk: units 256 -> 4, vocab 5000 -> 25.
""", padding="context and target token ids, right-padded (post) with 0 (TextVectorization ragged -> to_tensor)",
    inputs=(Seq("ids", 25), Seq("ids", 25)), tags=("gru", "attention", "bidirectional", "embedding_mask"))
def tf_nmt_attention_gru():
    context_tokens = keras.Input(shape=(None,), name="context")
    target_tokens = keras.Input(shape=(None,), name="target")
    context = layers.Embedding(25, 4, mask_zero=True)(context_tokens)
    context = layers.Bidirectional(layers.GRU(4, return_sequences=True), merge_mode="sum")(context)
    x = layers.Embedding(25, 4, mask_zero=True)(target_tokens)
    x, state = layers.GRU(4, return_sequences=True, return_state=True)(x)
    attn_output = layers.MultiHeadAttention(key_dim=4, num_heads=1)(query=x, value=context)
    x = layers.LayerNormalization()(layers.Add()([x, attn_output]))
    return keras.Model([context_tokens, target_tokens], layers.Dense(25)(x))


@real_model("pattern_masked_mean_pooling_ops", source="""
Not one published model but a pattern written in many Keras 3 code bases: mean pooling over valid tokens with
keras.ops on the raw ids -- mask = ops.cast(ops.not_equal(ids, 0), 'float32'), ops.sum(x * ops.expand_dims(mask,
-1), axis=1) / ops.maximum(ops.sum(mask, axis=1, keepdims=True), 1) -- as the masking guide
(https://keras.io/guides/understanding_masking_and_padding/, TemporalSoftmax) does inside a layer, here inlined in
a functional graph after Embedding(mask_zero=True) -> GRU(return_sequences=True). Sizes are small.
""", padding="token ids, right-padded (post) with 0; Embedding(mask_zero=True) and the ops mask both say so",
    inputs=(Seq("ids", 20),), tags=("ops", "gru", "embedding_mask"))
def pattern_masked_mean_pooling_ops():
    ids = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = layers.Embedding(20, 4, mask_zero=True)(ids)
    x = layers.GRU(4, return_sequences=True)(x)
    mask = ops.cast(ops.not_equal(ids, 0), "float32")
    summed = ops.sum(x * ops.expand_dims(mask, -1), axis=1)
    pooled = summed / ops.maximum(ops.sum(mask, axis=1, keepdims=True), 1.0)
    return keras.Model(ids, layers.Dense(2)(pooled))
