"""The models of the parity specs, written by hand in Keras (the way their authors would).

``HAND_MODELS[spec stem](keras)`` builds the same architecture as the spec,
with the same layer names, so weights can be copied layer by layer.
Specs live in tests/data/specs/ and specs/examples/.
"""

from __future__ import annotations


def text_classifier(keras):
    L = keras.layers
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    x = L.Embedding(100, 8, mask_zero=True, name="embed")(tokens)
    x = L.Bidirectional(L.LSTM(6, return_sequences=True), name="encoder")(x)
    x = L.GlobalAveragePooling1D(name="pool")(x)
    return keras.Model(tokens, L.Dense(3, activation="softmax", name="classes")(x))


def seq2seq_states(keras):
    L = keras.layers
    source = keras.Input((None,), dtype="int32", name="source")
    target = keras.Input((None,), dtype="int32", name="target")
    encoded, h, c = L.LSTM(8, return_state=True, name="encoder")(
        L.Embedding(50, 8, mask_zero=True, name="src_embed")(source))
    decoded = L.LSTM(8, return_sequences=True, name="decoder")(
        L.Embedding(60, 8, mask_zero=True, name="tgt_embed")(target), initial_state=[h, c])
    logits = L.TimeDistributed(L.Dense(60), name="logits")(decoded)
    summary = L.Dense(2, name="summary")(encoded)
    return keras.Model({"source": source, "target": target}, {"tokens": logits, "summary": summary})


def attention_shared(keras):
    L = keras.layers
    query_ids = keras.Input((None,), dtype="int32", name="query_ids")
    doc_ids = keras.Input((None,), dtype="int32", name="doc_ids")
    q = L.Embedding(40, 8, mask_zero=True, name="q_embed")(query_ids)
    d = L.Embedding(40, 8, mask_zero=True, name="d_embed")(doc_ids)
    project = L.Dense(8, activation="tanh", name="project")
    q, d = project(q), project(d)
    cross = L.MultiHeadAttention(num_heads=2, key_dim=4, name="cross")(q, d)
    dot = L.Attention(name="dot_att")([q, d])
    pooled = L.GlobalAveragePooling1D(name="pooled")(L.Concatenate(name="merged")([cross, dot]))
    score = L.Dense(1, activation="sigmoid", name="score")(pooled)
    return keras.Model({"query_ids": query_ids, "doc_ids": doc_ids}, score)


def masked_features(keras):
    L = keras.layers
    frames = keras.Input((None, 5), name="frames")
    x = L.Masking(mask_value=-1.0, name="mask")(frames)
    x = L.GRU(7, return_sequences=True, name="gru")(x)
    x = L.Dropout(0.5, name="drop")(x, training=False)
    x = L.GRU(4, name="last")(x)
    return keras.Model(frames, L.Dense(2, name="out")(x))


def _embedding_lstm(keras, sequential):
    L = keras.layers
    if sequential:
        return keras.Sequential([keras.Input((None,), dtype="int32", name="tokens"),
                                 L.Embedding(5000, 16, mask_zero=True, name="embedding"), L.LSTM(32, name="lstm")])
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    x = L.Embedding(input_dim=5000, output_dim=16, mask_zero=True, name="embedding")(tokens)
    return keras.Model(tokens, L.LSTM(32, name="lstm")(x))


def guide_mask_generating_layers(keras):
    L = keras.layers
    ids = keras.Input((6,), dtype="int32", name="padded_inputs")
    floats = keras.Input((6, 10), name="unmasked_embedding")
    embedded = L.Embedding(5000, 16, mask_zero=True, name="embedding")(ids)
    masked = L.Masking(name="masking_layer")(floats)
    return keras.Model({"padded_inputs": ids, "unmasked_embedding": floats},
                       {"masked_output": embedded, "masked_embedding": masked})


def masking_api_lstm(keras):
    L = keras.layers
    x = keras.Input((10, 8), name="x")
    return keras.Model(x, L.LSTM(32, name="lstm")(L.Masking(mask_value=0.0, name="masking")(x)))


def blog_embedding_then_masking(keras):
    L = keras.layers
    data = keras.Input((5,), dtype="int64", name="data")
    x = L.Embedding(10, 5, name="embedding")(data)
    x = L.LSTM(32, name="lstm")(L.Masking(mask_value=0, name="masking")(x))
    return keras.Model(data, L.Dense(1, activation="sigmoid", name="dense")(x))


def guide_custom_layers_custom_embedding(keras):
    from examples.guide_layers import CustomEmbedding

    x = keras.Input((10,), dtype="int32", name="x")
    return keras.Model(x, CustomEmbedding(10, 32, mask_zero=True, name="custom_embedding")(x))


def guide_custom_layers_my_activation(keras):
    from examples.guide_layers import MyActivation

    L = keras.layers
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    x = MyActivation(name="my_activation")(L.Embedding(5000, 16, mask_zero=True, name="embedding")(tokens))
    return keras.Model(tokens, L.LSTM(32, name="lstm")(x))


def guide_custom_layers_my_layer(keras):
    from examples.guide_layers import MyLayer

    x = keras.Input((10,), dtype="int32", name="x")
    return keras.Model(x, MyLayer(name="my_layer")(x))


def guide_custom_layers_temporal_split(keras):
    from examples.guide_layers import TemporalSplit

    x = keras.Input((6, 10), name="unmasked_embedding")
    first, second = TemporalSplit(name="temporal_split")(keras.layers.Masking(name="masking_layer")(x))
    return keras.Model(x, {"first_half": first, "second_half": second})


HAND_MODELS = {
    "text_classifier": text_classifier,
    "seq2seq_states": seq2seq_states,
    "attention_shared": attention_shared,
    "masked_features": masked_features,
    "guide_embedding_lstm_sequential": lambda keras: _embedding_lstm(keras, sequential=True),
    "guide_functional_embedding_lstm": lambda keras: _embedding_lstm(keras, sequential=False),
    "guide_mask_generating_layers": guide_mask_generating_layers,
    "masking_api_lstm": masking_api_lstm,
    "blog_embedding_then_masking": blog_embedding_then_masking,
    "guide_custom_layers_custom_embedding": guide_custom_layers_custom_embedding,
    "guide_custom_layers_my_activation": guide_custom_layers_my_activation,
    "guide_custom_layers_my_layer": guide_custom_layers_my_layer,
    "guide_custom_layers_temporal_split": guide_custom_layers_temporal_split,
}

# Examples that compile but whose (seed) code fails when the model runs: no outputs to compare.
RUN_FAILURES = {
    "blog_custom_threshold_masking": "call() applies a flattened (batch*steps,) mask to the batch axis",
}

# Examples whose own notes say building them fails in Keras (the seed code is broken).
KNOWN_BUILD_FAILURES = {
    "blog_custom_boolean_masking": "GM303",  # call() cannot run on a symbolic input
    "blog_custom_external_data_masking": "GM303",
}


def refused_for(path) -> list[str]:
    """The codes compile must refuse an example for, from its own `# expect:` lines and the notes above."""
    from spec_expectations import expected_errors

    codes = sorted(expected_errors(path))
    if path.stem in KNOWN_BUILD_FAILURES:
        codes.append(KNOWN_BUILD_FAILURES[path.stem])
    return codes
