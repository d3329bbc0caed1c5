"""Where graphmask's findings and Keras disagree on the oracle's graphs, and why (``known_findings.json``).

``python -m oracle.known --write`` (run from ``tests/``) reruns the findings
oracle over the pool and the examples and writes every disagreement with the
reason it falls under.  A disagreement that fits no reason below is written
as ``unclassified``, which ``test_known_disagreements_have_reasons`` rejects:
look at it, then fix graphmask, fix the oracle, or name the reason here.
Each reason is a checker imprecision for the lead to fix; docs/keras-mask-facts.md
has the figures.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

KNOWN = Path(__file__).resolve().parent / "known_findings.json"

REASONS = {
    "feature_concat_all_valid": (
        "a Concatenate along features with an unmasked tensor makes the mask all valid whatever the generator "
        "gave: the mask that reaches the outputs or readers no longer depends on the generator; graphmask "
        "counts it as read."),
    "merge_reads_masks": (
        "Maximum, Minimum and Multiply read their inputs' masks off the tensors (Merge._apply_merge_op_and_or_mask, "
        "Multiply._merge_function), also when only some inputs are masked: no `mask=` argument is needed (GM208 "
        "does not apply) and the mask is read (GM202 does not apply)."),
    "reads_other_arguments_masks": (
        "the layer reads the masks of arguments after its first (an attention layer's value and key, every input "
        "of Maximum/Minimum/Multiply); GM205 looks at the first argument only, so a padded later argument "
        "without a mask goes unreported, and a padded query whose mask MultiHeadAttention would not use alone "
        "is reported."),
    "attention_output_time_axis": (
        "an attention output has the query's time axis; graphmask carries the value's padding onto it, so a "
        "reader of that output is reported for padding that is not on its time axis."),
    "return_state_drops_padding": (
        "graphmask forgets the padding of an RNN's sequence output when return_state adds state outputs "
        "(masks.py keeps `padded` only when every output has a time axis): readers after it are not reported."),
    "padding_lost_in_shape_inference": (
        "graphmask has no output shape for a layer on the path (Dot, Reshape of unknown lengths), so it stops "
        "following the padding that Keras's shape inference shows reaching the reader."),
    "unclassified": "no reason found yet: look at the case",
}


def classify(spec, flow, diagnostics, code: str, node: str, kind: str) -> str:
    """The reason a disagreement falls under, from the spec's structure and graphmask's own facts."""
    types = {layer.id: _type_of(spec, layer) for layer in spec.layers}
    up = _ancestors(flow, node)
    feature_concat = {d.node for d in diagnostics if d.code == "GM204" and "feature axis" in d.message}
    readers_off_tensors = ("Maximum", "Minimum", "Multiply")
    if code == "GM208" and kind == "fp" and types.get(node) in readers_off_tensors:
        return "merge_reads_masks"
    if code == "GM202":
        down = _descendants(flow, node)
        if kind == "fp" and any(types.get(n) in readers_off_tensors for n in down):
            return "merge_reads_masks"
        if kind == "fn" and any(n in feature_concat for n in down):
            return "feature_concat_all_valid"
    if code == "GM205":
        attention = ("MultiHeadAttention", "Attention", "AdditiveAttention")
        if types.get(node) in attention + readers_off_tensors:
            return "reads_other_arguments_masks"
        if kind == "fp" and any(types.get(n) in attention for n in up - {node}):
            return "attention_output_time_axis"
        if kind == "fn" and any(_returns_state(spec, n) for n in up - {node}):
            return "return_state_drops_padding"
    if code in ("GM205", "GM206") and kind == "fn" and any(types.get(n) in ("Dot", "Reshape") for n in up - {node}):
        return "padding_lost_in_shape_inference"
    return "unclassified"


def _type_of(spec, layer) -> str | None:
    if layer.share:
        return _type_of(spec, next(x for x in spec.layers if x.id == layer.share))
    return layer.type


def _returns_state(spec, node: str) -> bool:
    layer = next((x for x in spec.layers if x.id == node), None)
    if layer is None or layer.type is None:
        return False
    inner = layer.args.get("layer") if isinstance(layer.args.get("layer"), dict) else {}
    return bool(layer.args.get("return_state") or inner.get("args", {}).get("return_state"))


def _ancestors(flow, node: str) -> set[str]:
    found, todo = set(), [node]
    while todo:
        current = todo.pop()
        if current in found or current not in flow.graph.nodes:
            continue
        found.add(current)
        todo.extend(b.node for b in flow.graph.nodes[current].bindings)
    return found


def _descendants(flow, node: str) -> set[str]:
    found, todo = set(), [node]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        todo.extend(n for n, g in flow.graph.nodes.items() if any(b.node == current for b in g.bindings))
    return found


def main(argv: list[str]) -> int:
    import numpy as np

    import graphmask
    import keras
    from oracle.compare import compare_findings, static_flow
    from oracle.findings import CODES, truth
    from oracle.specgen import random_spec

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from test_oracle import EXAMPLES, N_GRAPHS, SPECS
    from spec_expectations import expected_codes

    cases = [(f"seed {s}", random_spec(s), s) for s in range(N_GRAPHS)]
    cases += [(str(p.relative_to(SPECS.parent)), p.read_text(encoding="utf-8"), 0) for p in EXAMPLES
              if not any(c.startswith("GM3") for c in expected_codes(p))]
    rows = []
    for k, (case, text, seed) in enumerate(cases):
        spec = graphmask.loads(text, file=case)
        facts = truth(keras, spec, np.random.default_rng(seed))
        flow, diagnostics = static_flow(spec)
        score = compare_findings(diagnostics, facts.nodes, facts.undecided)
        for code in CODES:
            for kind, nodes in (("fp", score.false_positive[code]), ("fn", score.false_negative[code])):
                for node in sorted(nodes):
                    reason = classify(spec, flow, diagnostics, code, node, kind)
                    rows.append({"case": case, "code": code, "node": node, "kind": kind, "reason": reason})
        if k % 20 == 19:
            keras.backend.clear_session()
    rows.sort(key=lambda r: (r["case"], r["code"], r["node"], r["kind"]))
    data = {"reasons": {k: v for k, v in REASONS.items() if any(r["reason"] == k for r in rows)},
            "disagreements": rows}
    text = json.dumps(data, indent=1, sort_keys=True) + "\n"
    if "--write" in argv:
        KNOWN.write_text(text, encoding="utf-8")
    print(f"{len(rows)} disagreements; unclassified: "
          f"{[r for r in rows if r['reason'] == 'unclassified']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
