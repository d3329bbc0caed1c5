"""Reproductions from GitHub issues about masks (keras-team/keras, keras-core, tensorflow)."""

from __future__ import annotations

import keras
from keras import layers

from tests.realworld.models import Seq, real_model
from tests.realworld.models.custom_layers import MySum

GH = "https://github.com/"


@real_model("issue_18416_ops_add_drops_mask", source=f"""
{GH}keras-team/keras/issues/18416 ("Operators and some Merge layers do not propagate masks"): the report trains
Dense on a masked sequence via `x`, `x * 1`, `x + x - x`, `x + x` and `Add()((x, x))` and shows the mask is gone
after the operators. Here: Input(None, 2) -> Masking -> `x + x` -> LSTM (reads a mask if one arrives), and a second
path Masking -> `x * 1` -> Dense whose output goes to the loss. Shrunk: sizes.
""", padding="float series, right-padded (post) with zero vectors; Masking(0.0) says so",
    inputs=(Seq("values", 2, dtype="float32"),), tags=("ops_add", "masking", "issue"))
def issue_18416_ops_add_drops_mask():
    inputs = keras.Input(shape=(None, 2), name="series")
    x = layers.Masking(0.0)(inputs)
    summed = layers.LSTM(3)(x + x)
    scaled = layers.Dense(1)(x * 1)
    return keras.Model(inputs, [summed, scaled])


@real_model("issue_18416_add_layer_vs_op", source=f"""
{GH}keras-team/keras/issues/18416: the `keras.layers.Add()((x, x))` case next to the `x + x` case, each feeding
its own LSTM, so the same mask goes through the merge layer on one path and the operator on the other.
""", padding="float series, right-padded (post) with zero vectors; Masking(0.0) says so",
    inputs=(Seq("values", 2, dtype="float32"),), tags=("ops_add", "merge", "masking", "issue"))
def issue_18416_add_layer_vs_op():
    inputs = keras.Input(shape=(None, 2), name="series")
    x = layers.Masking(0.0)(inputs)
    via_layer = layers.LSTM(3, name="after_add_layer")(layers.Add()([x, x]))
    via_op = layers.LSTM(3, name="after_add_op")(x + x)
    return keras.Model(inputs, [via_layer, via_op])


@real_model("issue_18417_nested_sequential_embedding", source=f"""
{GH}keras-team/keras/issues/18417 ("Models do not propagate symbolic masks when called with symbolic inputs"):
model = Sequential([InputLayer((3,)), Embedding(10, 100, mask_zero=True)]); out = model(keras.Input((3,))), then
(here) an LSTM that should read the mask. Shrunk: 100 -> 4 dims.
""", padding="token ids of fixed length 3, right-padded (post) with 0; the nested Embedding(mask_zero=True) says so",
    inputs=(Seq("ids", 10, length=3),), tags=("nested", "nested_sequential", "issue"))
def issue_18417_nested_sequential_embedding():
    model = keras.Sequential([layers.InputLayer((3,)), layers.Embedding(10, 4, mask_zero=True)], name="embedder")
    x = keras.Input((3,), name="tokens")
    return keras.Model(x, layers.LSTM(3)(model(x)))


@real_model("issue_767_nested_model_mysum", source=f"""
{GH}keras-team/keras-core/issues/767 (the minimal example in the thread; the same bug as keras-team/keras#18417):
embedding = Embedding(3, 5, mask_zero=True); embedding_model = Model(inp, embedding(inp)); MySum()((out,
embedding_model(inp))) where MySum ANDs the two masks in compute_mask. Kept: all; MySum tolerates a missing mask
(the thread's version raises on it).
""", padding="token ids of fixed length 3, right-padded (post) with 0; Embedding(mask_zero=True) says so",
    inputs=(Seq("ids", 3, length=3),), tags=("nested", "custom_layer", "compute_mask", "issue"))
def issue_767_nested_model_mysum():
    embedding = layers.Embedding(3, 5, mask_zero=True)
    inp = keras.Input((3,), name="tokens")
    embedding_model = keras.Model(inp, embedding(inp), name="embedding_model")
    out = embedding(inp)
    s = MySum()((out, embedding_model(inp)))
    return keras.Model(inp, layers.LSTM(2)(s))


@real_model("issue_6169_nested_base_model", source=f"""
{GH}keras-team/keras/issues/6169 ("Embedding layer w/ mask in a nested model"): base_model = Model(Input((10,)),
SimpleRNN(32)(Embedding(100, 16, mask_zero=True)(base_inputs))); outer Model(inputs, Dense(1)(base_model(inputs))).
Shrunk: 10 -> 6 steps, 100 -> 20 ids, 16/32 -> 4/3.
""", padding="token ids of fixed length 6, right-padded (post) with 0; the nested Embedding(mask_zero=True) says so",
    inputs=(Seq("ids", 20, length=6),), tags=("nested", "issue"))
def issue_6169_nested_base_model():
    base_inputs = keras.Input(shape=(6,))
    embeddings = layers.Embedding(input_dim=20, output_dim=4, mask_zero=True)(base_inputs)
    base_model = keras.Model(base_inputs, layers.SimpleRNN(3)(embeddings), name="base_model")
    inputs = keras.Input(shape=(6,), name="tokens")
    return keras.Model(inputs, layers.Dense(1)(base_model(inputs)))


@real_model("issue_tf31638_nested_sequential_masking", source=f"""
{GH}tensorflow/tensorflow/issues/31638 ("Mask is not propagated into Sequential keras layers"): Sequential([
Masking(0, input_shape=...), Sequential([Lambda(check_mask)])]); here the inner Sequential holds an LSTM (a layer
that reads mask=) instead of the asserting Lambda, over a (None, 2) series.
""", padding="float series, right-padded (post) with zero vectors; Masking(0) says so",
    inputs=(Seq("values", 2, dtype="float32"),), tags=("nested", "nested_sequential", "sequential", "issue"))
def issue_tf31638_nested_sequential_masking():
    return keras.Sequential([
        keras.Input((None, 2)),
        layers.Masking(0.0),
        keras.Sequential([layers.LSTM(3)], name="inner"),
    ])


@real_model("issue_7695_masking_minus_one_bilstm", source=f"""
{GH}keras-team/keras/issues/7695 ("forward states of bidirectional lstm are not masked"): inp = Input((3,));
Masking(mask_value=-1.0)(inp); Embedding(3, 5)(x); Bidirectional(LSTM(10, return_sequences=True)). Masking on
rank-2 ids gives a per-sample mask, and Embedding(mask_zero=False) then drops it. Shrunk: LSTM(10) -> LSTM(3);
ids below 3 with -1 as the pad, as in the report.
""", padding="token ids of fixed length 3, right-padded (post) with -1; Masking(mask_value=-1) was meant to mask it",
    inputs=(Seq("ids", 3, pad=-1, length=3, dtype="float32"),), tags=("masking", "bidirectional", "issue"))
def issue_7695_masking_minus_one_bilstm():
    inp = keras.Input((3,), name="ids")
    x = layers.Masking(mask_value=-1.0)(inp)
    x = layers.Embedding(3, 5)(x)
    return keras.Model(inp, layers.Bidirectional(layers.LSTM(3, return_sequences=True))(x))


@real_model("issue_3086_masking_softmax", source=f"""
{GH}keras-team/keras/issues/3086 ("How does Masking work?"): inputs = Input(shape=(6,)); Masking(mask_value=0.0);
Activation('softmax') -- the reporter expected the padded zeros to be left out of the softmax. Kept: all.
""", padding="float vector of fixed length 6, right-padded (post) with 0.0",
    inputs=(Seq("ids", 9, length=6, dtype="float32"),), tags=("masking", "issue"))
def issue_3086_masking_softmax():
    inputs = keras.Input(shape=(6,), name="values")
    return keras.Model(inputs, layers.Activation("softmax")(layers.Masking(mask_value=0.0)(inputs)))


@real_model("issue12_concat_time_axis_lstm", source="""
graphmask issue 12, category 5 (a real pattern: two right-padded utterances joined on the time axis, e.g. a
dialogue turn pair): Embedding(mask_zero=True) on each of two id inputs, Concatenate(axis=1), LSTM. The joined
mask is [1,1,0,0,1,1,1,0]-like: masked steps in the middle, not strictly right-padded.
""", padding="two token-id inputs, each right-padded (post) with 0; Embedding(mask_zero=True) says so",
    inputs=(Seq("ids", 20), Seq("ids", 20)), tags=("concat_time", "lstm", "embedding_mask"))
def issue12_concat_time_axis_lstm():
    first = keras.Input(shape=(None,), name="first")
    second = keras.Input(shape=(None,), name="second")
    embed = layers.Embedding(20, 4, mask_zero=True)
    joined = layers.Concatenate(axis=1)([embed(first), embed(second)])
    return keras.Model([first, second], layers.LSTM(3)(joined))


@real_model("issue12_left_padded_masking_after_embedding", source="""
graphmask issue 12, category 5: left-padded ids -> Embedding (no mask_zero) -> Masking(0.0). The padded ids
embed to non-zero vectors, so Masking's mask is all True (nothing is masked, and cuDNN accepts it).
""", padding="token ids, left-padded (pre) with 0; Masking(0) after the Embedding was meant to mask it",
    inputs=(Seq("ids", 20, side="pre"),), tags=("masking", "lstm", "left_padded"))
def issue12_left_padded_masking_after_embedding():
    ids = keras.Input(shape=(None,), name="tokens")
    x = layers.Masking(0.0)(layers.Embedding(20, 4)(ids))
    return keras.Model(ids, layers.LSTM(3)(x))
