"""GM501: a per-timestep loss on an output that has no mask when the model runs, so padding is counted."""

from __future__ import annotations

from typing import Iterator

from graphmask import codes
from graphmask.analysis.flow import MaskFlow, state_of
from graphmask.analysis.rules.common import names
from graphmask.analysis.rules.training.assign import OutputLoss, output_losses
from graphmask.diagnostics import Diagnostic
from graphmask.graph import SpecGraph

CODE = codes.GM501


def check(g: SpecGraph, flow: MaskFlow) -> Iterator[Diagnostic]:
    for item in output_losses(g):
        entry = item.loss.entry
        state = flow.output_state(item.binding)
        if entry is None or not entry.per_timestep or state.opaque or state.mask is not None:
            continue
        if state.rank is None or state.rank < 3:  # (batch, features): one loss per sample, no timesteps
            continue
        built = state_of(flow.symbolic, item.binding) if flow.symbolic else state
        if built.mask is not None:
            yield _lost_at_runtime(g, flow, item)
        elif state.padded:
            yield _never_masked(g, flow, item, sorted(state.padded))


def _ancestry(g: SpecGraph, node_id: str) -> list[str]:
    """The node and everything it depends on, in the graph's dependency order."""
    wanted = _upstream(g, node_id)
    return [n for n in g.topological_order() if n in wanted]


def _upstream(g: SpecGraph, node_id: str) -> set[str]:
    seen, stack = {node_id}, [node_id]
    while stack:
        for parent in g.graph.predecessors(stack.pop()):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def _lost_at_runtime(g: SpecGraph, flow: MaskFlow, item: OutputLoss) -> Diagnostic:
    lost = next(n for n in _ancestry(g, item.binding.node)
                if any(t.mask is not None for t in flow.symbolic[n].outputs)
                and not any(t.mask is not None for t in flow.nodes[n].outputs))
    layer = flow.nodes[lost]
    return g.diagnostic(
        CODE, f"output `{item.output}` is trained with `{item.loss.entry.class_name}` per timestep, but its mask "
        f"is lost at `{lost}` ({layer.type}) when the model runs (the built graph has it): the loss counts "
        "padded steps", item.loss.where, node=item.binding.node,
        hint=f"make the mask survive `{lost}` at run time (`graphmask explain` shows why it is dropped; for a "
        "merge, give every input a mask), or weight the loss by the padding with sample weights")


def _never_masked(g: SpecGraph, flow: MaskFlow, item: OutputLoss, padded: list[str]) -> Diagnostic:
    dropped = [n for n in _ancestry(g, item.binding.node)
               if flow.nodes[n].received and not any(t.mask is not None for t in flow.nodes[n].outputs)]
    if dropped:
        where = f"its mask is dropped at `{dropped[-1]}` ({flow.nodes[dropped[-1]].type})"
        hint = f"keep the mask through `{dropped[-1]}` (`graphmask explain` shows the route)"
    else:
        where = "no layer makes a mask for it"
        hint = "generate the mask from the padding: `mask_zero: true` on the Embedding, or a Masking layer"
    return g.diagnostic(
        CODE, f"output `{item.output}` is trained with `{item.loss.entry.class_name}` per timestep and still has "
        f"the time axis of padded input {names(padded)}, but {where}: the loss counts padded steps",
        item.loss.where, node=item.binding.node, hint=hint)
