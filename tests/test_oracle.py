"""Differential oracle: graphmask's static mask flow against what Keras 3 really does.

For the example specs and for >= 500 seeded random valid graphs
(``tests/oracle/specgen.py``), the model is built with plain Keras
(``tests/oracle/keras_build.py``, independent of ``graphmask.compile``) and
run on a padded batch.  For every node, the static pass must agree with the
running model on: whether each output carries a mask, the mask's rank, the
known output dims, whether Keras warned that the layer destroys a mask (==
the ``unsupported`` role == GM201), and the order Keras calls the layers in.
A failure prints the spec and every disagreement.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import graphmask
from graphmask.diagnostics import RULES, Severity
from oracle.compare import Comparison, compare
from oracle.keras_build import observe
from oracle.specgen import random_spec
from spec_expectations import expected_codes

SPECS = Path(__file__).resolve().parent.parent / "specs"
N_GRAPHS = 520
CHUNK = 40
CHUNKS = [range(start, min(start + CHUNK, N_GRAPHS)) for start in range(0, N_GRAPHS, CHUNK)]

# Layer types the random graphs must have run with a mask on their input, so
# the pool cannot quietly shrink to graphs where nothing interesting happens.
MUST_SEE_MASKED = {
    "Dense", "Dropout", "LayerNormalization", "Activation", "Conv1D", "MaxPooling1D",
    "GlobalAveragePooling1D", "GlobalMaxPooling1D", "Flatten", "Reshape", "LSTM", "GRU", "SimpleRNN",
    "Bidirectional", "TimeDistributed", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
    "Concatenate", "Dot", "Attention", "AdditiveAttention", "MultiHeadAttention", "Masking", "Embedding",
}

totals: Counter = Counter()
masked_types: Counter = Counter()


def _example_specs() -> list[Path]:
    """Every spec under specs/ that Keras can build without user code."""
    paths = sorted(SPECS.rglob("*.yaml")) if SPECS.is_dir() else []
    return [p for p in paths if "custom_layers:" not in p.read_text(encoding="utf-8")]


EXAMPLES = _example_specs()


def _run(keras, text: str, seed: int, file: str) -> Comparison:
    spec = graphmask.loads(text, file=file)
    observed = observe(keras, spec, np.random.default_rng(seed))
    result = compare(spec, observed)
    if result.problems:
        pytest.fail(f"{file}: static mask flow disagrees with Keras\n"
                    + "\n".join(f"  - {p}" for p in result.problems)
                    + f"\n--- spec ---\n{text}", pytrace=False)
    totals["graphs"] += 1
    totals["nodes"] += result.nodes
    totals["tensors"] += result.tensors
    totals["warned"] += result.warned
    totals["symbolic_differs"] += len(result.symbolic_differs)
    masked_types.update({t: n for t, n in result.masked_types.items() if n})
    return result


# What Keras raises when it builds a model that an example expects a GM3xx error
# for (the example's `# expect:` lines): the exception type and part of its message.
KERAS_REJECTS = {
    "GM301": (ValueError, "is incompatible with the layer"),  # the layer's input_spec rejects the rank
}


@pytest.mark.skipif(not EXAMPLES, reason="no example specs without custom layers under specs/ yet")
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_spec_matches_keras(keras, path: Path):
    text = path.read_text(encoding="utf-8")
    spec = graphmask.loads(text)
    rejected = sorted(c for c in expected_codes(path) if c.startswith("GM3") and RULES[c].severity is Severity.ERROR)
    if rejected:
        # The example shows a model Keras rejects: the oracle's build must fail exactly so.
        unknown = [c for c in rejected if c not in KERAS_REJECTS]
        assert not unknown, f"{path.name} expects {unknown}: add how Keras rejects it to KERAS_REJECTS"
        errors = tuple({KERAS_REJECTS[c][0] for c in rejected})
        with pytest.raises(errors) as failure:
            observe(keras, spec, np.random.default_rng(0))
        assert any(KERAS_REJECTS[c][1] in str(failure.value) for c in rejected), (
            f"{path.name}: Keras failed otherwise than expected for {rejected}: {failure.value!r}")
        return
    result = _run(keras, text, 0, str(path.relative_to(SPECS.parent)))
    assert result.nodes > len(spec.inputs), "no layer of the example was compared"


@pytest.mark.parametrize("seeds", CHUNKS, ids=[f"seeds{c.start}-{c.stop - 1}" for c in CHUNKS])
def test_random_graphs_match_keras(keras, seeds: range):
    for seed in seeds:
        _run(keras, random_spec(seed), seed, f"<random spec, seed {seed}>")
        if seed % 20 == 19:
            keras.backend.clear_session()  # keep the graph registry small
    keras.backend.clear_session()


def test_the_random_graphs_covered_the_pool():
    """Runs after the chunks (file order): enough graphs, and masks reached every layer type."""
    if totals["graphs"] < N_GRAPHS:
        pytest.skip(f"only {totals['graphs']} graphs ran (a -k selection?): coverage needs all {N_GRAPHS}")
    missing = MUST_SEE_MASKED - set(masked_types)
    assert not missing, f"no random graph gave these layers a masked input: {sorted(missing)}"
    assert totals["warned"] > 0, "no graph made Keras warn that a layer destroys a mask"
    assert totals["symbolic_differs"] > 0, "no graph where the running model's masks differ from the symbolic ones"
    print(f"\noracle: {totals['graphs']} graphs, {totals['nodes']} nodes, {totals['tensors']} output tensors "
          f"compared; {totals['warned']} 'destroy the mask' warnings; "
          f"{totals['symbolic_differs']} nodes whose runtime masks differ from the symbolic graph")


# ---------------------------------------------------------------------------
# The Keras behaviours the oracle found, pinned down one by one.

RESIDUAL_ATTENTION = """
graphmask: 1
name: residual_attention
inputs:
  ids: {shape: [6], dtype: int32, pad_value: 0}
layers:
  - {id: embed, type: Embedding, args: {input_dim: 20, output_dim: 4, mask_zero: true}, inputs: ids}
  - {id: attend, type: MultiHeadAttention, args: {num_heads: 2, key_dim: 2}, inputs: {query: embed, value: embed}}
  - {id: residual, type: Add, inputs: [embed, attend]}
  - {id: rnn, type: LSTM, args: {units: 3, return_sequences: true}, inputs: embed}
outputs: [residual, rnn]
"""


def test_attention_residual_loses_the_mask_when_the_model_runs(keras):
    """MultiHeadAttention removes the mask from `embed`; the Add after it sees it unmasked.

    The symbolic graph still shows a mask on `residual`; the running model has
    none.  The LSTM binds its mask when the model is built, so it keeps it.
    """
    spec = graphmask.loads(RESIDUAL_ATTENTION)
    result = _run(keras, RESIDUAL_ATTENTION, 0, "<residual attention>")
    assert result.symbolic_differs, "Keras' symbolic graph is expected to disagree with the running model here"
    flow = graphmask.explain(spec)
    assert flow.nodes["residual"].mask_out is False
    assert flow.symbolic["residual"].mask_out is True
    assert flow.nodes["rnn"].mask_out is True


def test_dropout_shares_its_input_tensor_so_attention_clears_both(keras):
    text = """
graphmask: 1
name: dropout_alias
inputs:
  ids: {shape: [5], dtype: int32}
layers:
  - {id: embed, type: Embedding, args: {input_dim: 9, output_dim: 4, mask_zero: true}, inputs: ids}
  - {id: drop, type: Dropout, args: {rate: 0.5}, inputs: embed}
  - {id: attend, type: MultiHeadAttention, args: {num_heads: 1, key_dim: 2}, inputs: {query: drop, value: drop}}
  - {id: dense, type: Dense, args: {units: 4}, inputs: attend}
  - {id: late, type: Dense, args: {units: 4}, inputs: embed}
  - {id: merged, type: Add, inputs: [late, dense]}
outputs: [merged]
"""
    _run(keras, text, 0, "<dropout alias>")
    flow = graphmask.explain(graphmask.loads(text))
    # `late` runs after `attend` (Keras runs the deeper branch first) and
    # reads `embed`, the very object `attend` stripped through `drop`.
    order = flow.execution_order
    assert order.index("attend") < order.index("late")
    assert flow.nodes["late"].mask_out is False
