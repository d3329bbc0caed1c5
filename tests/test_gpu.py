"""cuDNN: graphmask's rules agree with Keras's own predicate; on a GPU, eligible RNNs really use the kernel.

The rule checks run anywhere. The kernel check needs a GPU and skips without one.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

import graphmask
from graphmask.catalog import load_catalog

SPECS = Path(__file__).parent / "data" / "specs"

VARIANTS = {  # argument -> values to try (the first is the default)
    "activation": ["tanh", "relu"],
    "recurrent_activation": ["sigmoid", "hard_sigmoid"],
    "recurrent_dropout": [0.0, 0.2],
    "unroll": [False, True],
    "use_bias": [True, False],
    # Keras tests `use_cudnn in ("auto", True)`, so 1 counts as True; `recurrent_dropout`
    # and `unroll` by truthiness, `use_bias` too.
    "use_cudnn": ["auto", False, True, 1, 0],
}


def _cudnn(layer_type: str):
    return load_catalog()[layer_type].cudnn


def test_rules_name_the_blocking_argument():
    assert _cudnn("LSTM").blockers({}) == [] and _cudnn("GRU").eligible({"units": 3})
    [blocker] = _cudnn("GRU").blockers({"reset_after": False})
    assert blocker.arg == "reset_after" and "reset_after=False" in str(blocker)
    assert load_catalog()["Dense"].cudnn is None
    assert _cudnn("LSTM").eligible({"use_cudnn": 1})  # Keras: `1 in ("auto", True)`
    assert not _cudnn("LSTM").eligible({"use_cudnn": 0})


@pytest.mark.keras
@pytest.mark.parametrize("layer_type", ["LSTM", "GRU"])
def test_rules_agree_with_keras(keras, layer_type):
    from graphmask.keras.cudnn import keras_says_eligible

    variants = dict(VARIANTS, **({"reset_after": [True, False]} if layer_type == "GRU" else {}))
    names = list(variants)
    # every argument alone, and a few combinations
    cases = [{}] + [{n: v} for n in names for v in variants[n][1:]]
    cases += [dict(zip(names[:3], values)) for values in itertools.product(*(variants[n] for n in names[:3]))]
    cases += [{"use_cudnn": on, "activation": "relu"} for on in (True, 1)]  # forced on, yet blocked
    for args in cases:
        layer = getattr(keras.layers, layer_type)(3, **args)
        assert _cudnn(layer_type).eligible(args) == keras_says_eligible(layer), args


@pytest.mark.keras
def test_compiled_rnns_stay_eligible(keras):
    """graphmask passes RNN arguments through untouched: nothing it adds disqualifies cuDNN."""
    from graphmask.keras.cudnn import rnn_status

    for name in ("text_classifier", "seq2seq_states", "masked_features"):
        statuses = rnn_status(graphmask.compile(SPECS / f"{name}.yaml"))
        assert statuses and all(s.eligible and s.keras_eligible for s in statuses), name


@pytest.fixture(scope="module")
def gpu(keras):
    import tensorflow as tf

    if not tf.config.list_physical_devices("GPU"):
        pytest.skip("no GPU visible")
    return tf.config.list_physical_devices("GPU")[0]


@pytest.mark.keras
@pytest.mark.parametrize("name", ["text_classifier", "seq2seq_states", "masked_features"])
def test_eligible_rnns_run_on_cudnn(keras, gpu, name):
    from graphmask.graph import build_graph
    from graphmask.keras.cudnn import cudnn_ops, rnn_status
    from graphmask.keras.inputs import check_inputs, demo_batch

    model = graphmask.compile(SPECS / f"{name}.yaml")
    spec = graphmask.load(SPECS / f"{name}.yaml")
    batch = check_inputs(spec, demo_batch(build_graph(spec)[0], 4))
    feed = batch[next(iter(batch))] if len(batch) == 1 else batch
    ops = cudnn_ops(model, feed)
    eligible = [s for s in rnn_status(model) if s.eligible]
    assert len(ops) >= len(eligible) > 0, (ops, eligible)
    # and the kernel computes what the model does eagerly
    eager = keras.tree.flatten(model(feed, training=False))
    predicted = keras.tree.flatten(model.predict(feed, verbose=0))
    for a, b in zip(eager, predicted):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a), b, atol=1e-4)
