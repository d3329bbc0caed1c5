"""Differential oracle: graphmask's static mask flow against what Keras 3 really does.

For the example specs and for >= 500 seeded random valid graphs
(``tests/oracle/specgen.py``), the model is built with plain Keras
(``tests/oracle/keras_build.py``, independent of ``graphmask.compile``) and
run on a padded batch.  For every node, the static pass must agree with the
running model on: whether each output carries a mask, the mask's rank, the
known output dims, whether Keras warned that the layer destroys a mask (==
the ``unsupported`` role == GM201), and the order Keras calls the layers in.
On the same build, the findings oracle (``tests/oracle/findings.py``) derives
from the running model where GM202, GM204-GM208, GM401 and GM402 are due; the
disagreements with graphmask must be exactly ``tests/oracle/known_findings.json``.
A failure prints the spec and every disagreement.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import graphmask
from graphmask.diagnostics import RULES, Severity
from oracle.compare import Comparison, compare, compare_findings, static_flow
from oracle.findings import CODES, truth
from oracle.keras_build import observe
from oracle.specgen import random_spec
from spec_expectations import expected_codes

SPECS = Path(__file__).resolve().parent.parent / "specs"
# More with GRAPHMASK_ORACLE_GRAPHS=N; seeds past the checked-in known list then fail on any disagreement.
N_GRAPHS = int(os.environ.get("GRAPHMASK_ORACLE_GRAPHS", "500"))
CHUNK = 40
KNOWN_FINDINGS = Path(__file__).resolve().parent / "oracle" / "known_findings.json"

# What the random graphs must exercise for the findings oracle (tests/oracle/findings.py
# names each feature where it sees it), and every code must be due at least once.
MUST_SEE_FEATURES = {
    "declared padded input", "undeclared padded input", "post padding", "pre padding",
    "mask reaches an output", "dead-end mask", "mixed merge", "a call reads a mask", "op node",
    "op node on a masked tensor", "tensors in call (initial_state)", "masked cuDNN-eligible RNN",
    "mask value differs from pad value", "multi-hop masked path (Dense, Dropout, RNN)",
    "time-axis Concatenate before an RNN",
}
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
finding_counts: dict[str, Counter] = {code: Counter() for code in CODES}  # code -> tp / fp / fn / undecided
features: Counter = Counter()


def _known() -> dict[tuple, str]:
    """(case, code, node, fp|fn) -> why graphmask and Keras disagree there (tests/oracle/known_findings.json)."""
    data = json.loads(KNOWN_FINDINGS.read_text(encoding="utf-8"))
    return {(d["case"], d["code"], d["node"], d["kind"]): d["reason"] for d in data["disagreements"]}


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
    _count(result)
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


def findings_disagreements(keras, text: str, seed: int, case: str) -> set[tuple]:
    """The mask comparison and the findings oracle on one build: (case, code, node, fp|fn) for each disagreement."""
    spec = graphmask.loads(text, file=case)
    facts = truth(keras, spec, np.random.default_rng(seed))
    result = compare(spec, facts.observed)
    if result.problems:
        pytest.fail(f"{case}: static mask flow disagrees with Keras\n"
                    + "\n".join(f"  - {p}" for p in result.problems) + f"\n--- spec ---\n{text}", pytrace=False)
    _count(result)
    _, diagnostics = static_flow(spec)
    score = compare_findings(diagnostics, facts.nodes, facts.undecided)
    features.update(facts.features)
    found = set()
    for code in CODES:
        counts = finding_counts[code]
        counts["tp"] += len(score.agree[code])
        counts["fp"] += len(score.false_positive[code])
        counts["fn"] += len(score.false_negative[code])
        counts["undecided"] += len(facts.undecided.get(code, ()))
        found |= {(case, code, n, "fp") for n in score.false_positive[code]}
        found |= {(case, code, n, "fn") for n in score.false_negative[code]}
    return found


def _count(result: Comparison) -> None:
    totals["graphs"] += 1
    totals["nodes"] += result.nodes
    totals["tensors"] += result.tensors
    totals["warned"] += result.warned
    totals["symbolic_differs"] += len(result.symbolic_differs)
    masked_types.update({t: n for t, n in result.masked_types.items() if n})


def _assert_known(found: set[tuple], cases: set[str], texts: dict[str, str]) -> None:
    known = {k for k in _known() if k[0] in cases}
    new, fixed = sorted(found - known), sorted(known - found)
    lines = [f"  - {case}: {code} {kind.upper()} on `{node}`" for case, code, node, kind in new]
    assert not new, ("graphmask's findings disagree with what Keras does (FP: reported, Keras shows no such "
                     "thing; FN: Keras shows it, not reported):\n" + "\n".join(lines) + "\n--- specs ---\n"
                     + "\n".join(texts[c] for c in sorted({k[0] for k in new})))
    assert not fixed, f"these known disagreements are gone: remove them from {KNOWN_FINDINGS.name}: {fixed}"


@pytest.mark.parametrize("seeds", CHUNKS, ids=[f"seeds{c.start}-{c.stop - 1}" for c in CHUNKS])
def test_random_graphs_match_keras(keras, seeds: range):
    """Masks (presence, rank, shapes, call order, GM201) and findings (GM202-GM208, GM401/402), one build per graph."""
    found, texts = set(), {}
    for seed in seeds:
        case = f"seed {seed}"
        texts[case] = f"# {case}\n{random_spec(seed)}"
        found |= findings_disagreements(keras, random_spec(seed), seed, case)
        totals["random graphs"] += 1
        if seed % 20 == 19:
            keras.backend.clear_session()  # keep the graph registry small
    keras.backend.clear_session()
    _assert_known(found, set(texts), texts)


@pytest.mark.skipif(not EXAMPLES, reason="no example specs without custom layers under specs/ yet")
def test_example_findings_match_keras(keras):
    """The findings oracle on the example specs Keras builds."""
    found, texts = set(), {}
    for path in EXAMPLES:
        case = str(path.relative_to(SPECS.parent))
        if any(c.startswith("GM3") for c in expected_codes(path)):
            continue  # Keras rejects it (test_example_spec_matches_keras)
        texts[case] = path.read_text(encoding="utf-8")
        found |= findings_disagreements(keras, texts[case], 0, case)
    keras.backend.clear_session()
    _assert_known(found, set(texts), texts)


def test_the_random_graphs_covered_the_pool():
    """Runs after the chunks (file order): enough graphs, and masks reached every layer type."""
    if totals["random graphs"] < N_GRAPHS:
        pytest.skip(f"only {totals['random graphs']} random graphs ran (a -k selection?): coverage needs all {N_GRAPHS}")
    missing = MUST_SEE_MASKED - set(masked_types)
    assert not missing, f"no random graph gave these layers a masked input: {sorted(missing)}"
    assert totals["warned"] > 0, "no graph made Keras warn that a layer destroys a mask"
    assert totals["symbolic_differs"] > 0, "no graph where the running model's masks differ from the symbolic ones"
    print(f"\noracle: {totals['graphs']} graphs ({totals['random graphs']} random), {totals['nodes']} nodes, {totals['tensors']} output tensors "
          f"compared; {totals['warned']} 'destroy the mask' warnings; "
          f"{totals['symbolic_differs']} nodes whose runtime masks differ from the symbolic graph")


def test_the_findings_oracle_covered_the_pool():
    """Runs after the chunks: every feature seen, every code due somewhere; prints precision and recall per code."""
    if totals["random graphs"] < N_GRAPHS:
        pytest.skip(f"only {totals['random graphs']} random graphs ran (a -k selection?): coverage needs all {N_GRAPHS}")
    missing = MUST_SEE_FEATURES - set(features)
    assert not missing, f"no random graph exercised: {sorted(missing)}"
    never = [code for code in CODES if not finding_counts[code]["tp"] + finding_counts[code]["fn"]]
    assert not never, f"Keras never showed these findings in the pool, so their recall means nothing: {never}"
    print(f"\nfindings oracle over {totals['random graphs']} random graphs and the examples "
          "(known disagreements included):")
    print(precision_recall_table(finding_counts))


def precision_recall_table(counts: dict[str, Counter]) -> str:
    rows = ["code    due  reported  agree  FP  FN  undecided  precision  recall"]
    for code, c in counts.items():
        due, reported = c["tp"] + c["fn"], c["tp"] + c["fp"]
        precision = f"{c['tp'] / reported:.3f}" if reported else "-"
        recall = f"{c['tp'] / due:.3f}" if due else "-"
        rows.append(f"{code}  {due:5d}  {reported:8d}  {c['tp']:5d}  {c['fp']:2d}  {c['fn']:2d}  "
                    f"{c['undecided']:9d}  {precision:>9}  {recall:>6}")
    return "\n".join(rows)


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


# ---------------------------------------------------------------------------
# The findings oracle on cases written by hand: one per code it must catch
# (each fails if its rule, or the padding/mask facts it rests on, regress),
# and the case the runs cannot decide.

PADDED_THROUGH_DENSE = """
graphmask: 1
name: padded_through_dense
inputs:
  tokens: {shape: [null], dtype: int32, pad_value: 0}
layers:
  - {id: embed, type: Embedding, args: {input_dim: 20, output_dim: 4}, inputs: tokens}
  - {id: dense, type: Dense, args: {units: 4}, inputs: embed}
  - {id: rnn, type: LSTM, args: {units: 3}, inputs: dense}
outputs: [rnn]
"""


def test_padding_through_dense_reaches_the_lstm(keras):
    """tokens -> Embedding (no mask) -> Dense -> LSTM: Keras shows the padding reaching the LSTM unmasked."""
    found = findings_disagreements(keras, PADDED_THROUGH_DENSE, 0, "<padded through dense>")
    assert not found, f"graphmask and Keras disagree: {sorted(found)}"
    spec = graphmask.loads(PADDED_THROUGH_DENSE)
    assert truth(keras, spec, np.random.default_rng(0)).nodes["GM205"] == {"rnn"}


SHARED_GENERATOR = """
graphmask: 1
name: shared_generator
inputs:
  left: {shape: [null], dtype: int32, pad_value: 0}
  right: {shape: [null], dtype: int32, pad_value: 0}
layers:
  - {id: embed, type: Embedding, args: {input_dim: 20, output_dim: 4, mask_zero: true}, inputs: left}
  - {id: rnn, type: LSTM, args: {units: 3}, inputs: embed}
  - {id: embed_right, share: embed, inputs: right}
  - {id: conv, type: Conv1D, args: {filters: 3, kernel_size: 1}, inputs: embed_right}
  - {id: pool, type: GlobalMaxPooling1D, inputs: conv}
outputs: [rnn, pool]
"""


def test_gm202_on_a_shared_generator_by_hand(keras):
    """GM202 on a shared generator, which the runs cannot decide: one instance, one key for both calls.

    Hand-derived: ``Layer.__call__`` computes each call's mask from that call's
    input (``compute_mask(inputs, previous_mask)``), so `embed_right`'s mask is
    its own.  It reaches only `conv`, which does not support masking and drops
    it (Keras warns: checked below), and no output carries it: never read.
    `embed`'s mask is read by the LSTM.
    """
    spec = graphmask.loads(SHARED_GENERATOR)
    facts = truth(keras, spec, np.random.default_rng(0))
    assert facts.undecided["GM202"] == {"embed", "embed_right"}
    assert facts.observed.runtime["conv"].warned, "Keras is expected to warn that conv drops the mask"
    reported = {d.node for d in graphmask.check(spec) if d.code == "GM202"}
    assert reported == {"embed_right"}


def test_known_disagreements_have_reasons():
    """Every known findings disagreement names a reason (tests/oracle/known.py), none unclassified."""
    from oracle.known import REASONS

    data = json.loads(KNOWN_FINDINGS.read_text(encoding="utf-8"))
    reasons = [d["reason"] for d in data["disagreements"]]
    assert set(reasons) <= set(REASONS) - {"unclassified"}, sorted(set(reasons) - set(REASONS) | {"unclassified"}
                                                                    & set(reasons))
    assert data["reasons"] == {r: REASONS[r] for r in sorted(set(reasons))}
