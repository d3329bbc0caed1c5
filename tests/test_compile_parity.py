"""Numerical parity: a compiled spec computes exactly what the hand-written Keras model does.

For every parity spec (tests/data/specs and the examples that build), the
compiled model and ``keras_hand_models`` get the same weights (copied layer
by layer) and the same padded demo batch: outputs agree within 1e-6. For
masked models, appending padding steps leaves the outputs unchanged (1e-5).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from keras_hand_models import HAND_MODELS, RUN_FAILURES, refused_for
from spec_expectations import expected_codes

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).resolve().parent.parent / "specs" / "examples"
SPEC_PATHS = sorted(DATA.glob("specs/*.yaml")) + sorted(EXAMPLES.glob("*.yaml"))
EXTRA_PAD_STEPS = 3
# Expected findings that mean some layer processes padding as data (or loses the
# mask that hides it): extra padding may then change the outputs.
PADDING_LEAKS = {"GM201", "GM202", "GM204", "GM205", "GM206"}

pytestmark = pytest.mark.keras


@pytest.fixture(scope="module")
def buildable(keras):
    """Stem -> Compiled for every spec that compiles (the examples' layers allowed)."""
    import sys

    from graphmask.keras.compile import compile_spec
    from graphmask.keras.errors import CompileError

    sys.path[:0] = [str(EXAMPLES)]
    try:
        built = {}
        for path in SPEC_PATHS:
            try:
                built[path.stem] = compile_spec(path, allow_imports=["examples"])
            except CompileError:
                continue  # refused: test_compile checks that this matches the spec's own errors
        yield built
    finally:
        sys.path.remove(str(EXAMPLES))


def flat(keras, predictions):
    return [np.asarray(p) for p in keras.tree.flatten(predictions)]


def compiled_or_skip(buildable, path):
    """The compiled spec; whether it should build is the spec's own expectation, not compile's answer."""
    refused = refused_for(path)
    if refused:
        assert path.stem not in buildable, f"{path.name} expects {refused}, yet it compiled"
        pytest.skip(f"the spec expects {refused}: compile refuses it (test_compile checks that)")
    assert path.stem in buildable, f"{path.name} expects no error, yet compile refused it"
    return buildable[path.stem]


def feed(compiled, arrays):
    names = list(compiled.graph.spec.inputs)
    return arrays[names[0]] if len(names) == 1 else {n: arrays[n] for n in names}


@pytest.mark.parametrize("path", SPEC_PATHS, ids=lambda p: p.stem)
def test_compiled_equals_hand_written(keras, buildable, path):
    from graphmask.keras.inputs import check_inputs, demo_batch

    compiled = compiled_or_skip(buildable, path)
    if path.stem in RUN_FAILURES:
        pytest.skip(f"the seed code fails when run: {RUN_FAILURES[path.stem]}")
    if path.stem not in HAND_MODELS:
        pytest.fail(f"no hand-written model for {path.name}: add one to tests/keras_hand_models.py")
    import sys

    sys.path[:0] = [str(EXAMPLES)]
    try:
        hand = HAND_MODELS[path.stem](keras)
    finally:
        sys.path.remove(str(EXAMPLES))
    for layer in compiled.model.layers:
        if layer.weights:
            hand.get_layer(layer.name).set_weights(layer.get_weights())
    batch = check_inputs(compiled.graph.spec, demo_batch(compiled.graph, 6))
    ours = flat(keras, compiled.model.predict(feed(compiled, batch), verbose=0))
    theirs = flat(keras, hand.predict(feed(compiled, batch), verbose=0))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        assert np.max(np.abs(a - b), initial=0.0) <= 1e-6


def padded_inputs(spec):
    return [name for name, s in spec.inputs.items() if s.pad_value is not None and s.shape and s.shape[0] is None]


@pytest.mark.parametrize("path", SPEC_PATHS, ids=lambda p: p.stem)
def test_extra_padding_does_not_change_masked_outputs(keras, buildable, path):
    from graphmask.keras.inputs import check_inputs, demo_batch

    compiled = compiled_or_skip(buildable, path)
    if path.stem in RUN_FAILURES:
        pytest.skip(f"the seed code fails when run: {RUN_FAILURES[path.stem]}")
    spec = compiled.graph.spec
    if not padded_inputs(spec) or len(padded_inputs(spec)) != len(spec.inputs):
        pytest.skip("not every input is padded along a variable-length first axis")
    leaks = expected_codes(path) & PADDING_LEAKS
    if leaks:
        pytest.skip(f"the spec expects {sorted(leaks)}: padding reaches some layer as data")
    batch = check_inputs(spec, demo_batch(compiled.graph, 6))
    longer = {}
    for name, array in batch.items():
        declared = spec.inputs[name]
        pad = np.full((array.shape[0], EXTRA_PAD_STEPS) + array.shape[2:], declared.pad_value, array.dtype)
        longer[name] = np.concatenate([pad, array] if declared.padding == "pre" else [array, pad], axis=1)
    # Eager calls: in Keras 3.15.1 a second `predict` with a new sequence length retraces, and
    # TimeDistributed then returns a time axis as long as the batch (seen with seq2seq_states).
    before = flat(keras, compiled.model(feed(compiled, batch), training=False))
    after = flat(keras, compiled.model(feed(compiled, longer), training=False))
    pre = next(iter(spec.inputs.values())).padding == "pre"
    for a, b in zip(before, after):
        if b.ndim >= 2 and b.shape[1] == a.shape[1] + EXTRA_PAD_STEPS:  # a per-step output: compare real steps
            b = b[:, EXTRA_PAD_STEPS:] if pre else b[:, : a.shape[1]]
        assert np.max(np.abs(a - b)) <= 1e-5
