"""Compare graphmask's static mask flow with what Keras did (an ``Observation``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from graphmask.analysis.built_graph import build_keras_graph
from graphmask.analysis.keras_schedule import execution_order
from graphmask.analysis.flow import MaskFlow
from graphmask.analysis.masks import infer_masks
from graphmask.checker import check_spec
from graphmask.diagnostics import Severity
from graphmask.spec import Spec

from .keras_build import NodeFacts, Observation


@dataclass
class Comparison:
    nodes: int = 0  # nodes compared
    tensors: int = 0  # output tensors compared
    problems: list[str] = field(default_factory=list)  # static pass vs runtime
    symbolic_differs: list[str] = field(default_factory=list)  # symbolic graph vs runtime (Keras itself)
    types: Counter = field(default_factory=Counter)  # layer types compared
    masked_types: Counter = field(default_factory=Counter)  # ... that got a mask when the model ran
    warned: int = 0  # nodes that emitted Keras' "destroy the mask" warning


def static_flow(spec: Spec) -> tuple[MaskFlow, list]:
    result = check_spec(spec)
    assert result.graph is not None and result.graph.acyclic, "a generated spec must give an acyclic graph"
    return infer_masks(result.graph), result.diagnostics


def compare(spec: Spec, observed: Observation) -> Comparison:
    flow, diagnostics = static_flow(spec)
    out = Comparison()
    problems = out.problems

    if observed.model_output_masks != observed.replay_output_masks:
        problems.append(f"oracle replay disagrees with model(batch) on output masks: "
                        f"replay {observed.replay_output_masks}, model {observed.model_output_masks}")

    kg, outputs = build_keras_graph(flow.graph, flow.symbolic or flow.nodes)
    emulated = [n for n in execution_order(kg, outputs) if n in flow.graph.nodes]
    if emulated != observed.order:
        problems.append(f"Keras ran the layers in the order {observed.order}, keras_schedule says {emulated}")

    for node_id, node in flow.nodes.items():
        runtime = observed.runtime.get(node_id)
        if runtime is None:
            continue  # not on a path to an output: Keras never runs it
        out.nodes += 1
        out.types[node.type] += 1
        out.masked_types[node.type] += any(node.mask_in)
        out.warned += runtime.warned
        if len(node.outputs) != len(runtime.outputs):
            problems.append(f"{node_id} ({node.type}): static pass has {len(node.outputs)} outputs, "
                            f"Keras {len(runtime.outputs)}")
            continue
        for i, (state, facts) in enumerate(zip(node.outputs, runtime.outputs)):
            out.tensors += 1
            where = f"{node_id}[{i}] ({node.type})"
            if state.opaque:
                problems.append(f"{where}: static pass gave up (opaque) on a graph Keras runs")
                continue
            if (state.mask is not None) != facts.has_mask:
                problems.append(f"{where}: static mask_out={state.mask is not None}, Keras: {facts.has_mask}")
            elif state.mask is not None and state.mask.rank is not None and state.mask.rank != facts.mask_ndim:
                problems.append(f"{where}: static mask rank {state.mask.rank}, Keras mask ndim {facts.mask_ndim}")
            if state.shape is not None:
                if len(state.shape) != len(facts.shape):
                    problems.append(f"{where}: static shape {state.shape}, Keras {facts.shape}")
                elif any(s is not None and s != r for s, r in zip(state.shape[1:], facts.shape[1:])):
                    problems.append(f"{where}: static shape {state.shape}, Keras {facts.shape}")
        unsupported = "unsupported" in node.roles
        if unsupported != runtime.warned:
            problems.append(f"{node_id} ({node.type}): static 'unsupported' role={unsupported}, "
                            f"Keras warned 'destroy the mask'={runtime.warned}")
        _symbolic_vs_runtime(node_id, node.type, observed.symbolic.get(node_id), runtime, out.symbolic_differs)

    gm201 = {d.node for d in diagnostics if d.code == "GM201"}
    unsupported_nodes = {n for n, f in flow.nodes.items() if "unsupported" in f.roles}
    if gm201 != unsupported_nodes:
        problems.append(f"GM201 nodes {sorted(gm201)} != nodes with the 'unsupported' role {sorted(unsupported_nodes)}")
    # Keras builds and runs this graph, so a structure/shape error is a false positive.
    false_errors = [f"{d.code} {d.node}: {d.message}" for d in diagnostics
                    if d.severity is Severity.ERROR and d.code != "GM201"]
    problems.extend(f"false positive: {e}" for e in false_errors)
    return out


def _symbolic_vs_runtime(node_id: str, type_name: str | None, symbolic: NodeFacts | None,
                         runtime: NodeFacts, sink: list[str]) -> None:
    if symbolic is None:
        return
    masks_s = [t.has_mask for t in symbolic.outputs]
    masks_r = [t.has_mask for t in runtime.outputs]
    if masks_s != masks_r or symbolic.warned != runtime.warned:
        sink.append(f"{node_id} ({type_name}): symbolic masks {masks_s} warned={symbolic.warned}; "
                    f"runtime masks {masks_r} warned={runtime.warned}")


# ---------------------------------------------------------------- findings
@dataclass
class FindingScore:
    """Per code: the nodes both report, only graphmask reports, only Keras shows."""

    agree: dict[str, set[str]] = field(default_factory=dict)
    false_positive: dict[str, set[str]] = field(default_factory=dict)
    false_negative: dict[str, set[str]] = field(default_factory=dict)


def compare_findings(diagnostics: list, truth: dict[str, set[str]],
                     undecided: dict[str, set[str]] | None = None) -> FindingScore:
    score = FindingScore()
    for code, expected in truth.items():
        reported = {d.node for d in diagnostics if d.code == code} - (undecided or {}).get(code, set())
        score.agree[code] = reported & expected
        score.false_positive[code] = reported - expected
        score.false_negative[code] = expected - reported
    return score
