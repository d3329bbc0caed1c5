"""GM204: a merge combines masked and unmasked tensors; what Keras then does depends on the merge."""

from __future__ import annotations

from typing import Iterator

from graphmask import codes
from graphmask.analysis.flow import MaskFlow, NodeFlow, state_of
from graphmask.analysis.rules.common import at_node, names
from graphmask.diagnostics import Diagnostic
from graphmask.graph import SpecGraph

CODE = codes.GM204


def check(g: SpecGraph, flow: MaskFlow) -> Iterator[Diagnostic]:
    clearers = _mask_clearers(flow)
    for node in flow.layers():
        if node.info.category != "merge" or len(node.first_arg) < 2:
            continue
        flags = [node.inputs[i].mask is not None for i in node.first_arg]
        if all(flags) or not any(flags):
            continue
        bindings = node.node.bindings
        masked = [bindings[i].ref for i in node.first_arg if node.inputs[i].mask is not None]
        unmasked = [bindings[i].ref for i in node.first_arg if node.inputs[i].mask is None]
        kind = node.resolved.output
        if kind == "merge_or":
            effect = "Keras drops the mask: the output has none"
        elif kind == "concat":
            effect = "the unmasked side counts as all valid"
            if _concat_on_last_axis(node):
                effect += ("; along the feature axis that makes every timestep valid, "
                           "so the mask no longer hides any padding")
        else:
            effect = "only the masked side's mask is considered"
        cleared = _cleared_at_runtime(flow, node, clearers)
        if cleared:
            effect += f" ({cleared}){_who_still_gets_it(g, flow, node)}"
        yield at_node(g, CODE, f"`{node.id}` merges masked {names(masked)} with unmasked {names(unmasked)}: "
                      f"{effect}", node.id)


def _mask_clearers(flow: MaskFlow) -> dict[str, list[str]]:
    """Node id -> the layers (in spec order) that take it as an input and clear their inputs' masks.

    Built once per check: searching every layer for each GM204 was O(findings x nodes).
    """
    clearers: dict[str, list[str]] = {}
    for layer in flow.layers():
        if layer.info.mask.facts.get("clears_input_masks"):
            for producer in dict.fromkeys(b.node for b in layer.node.bindings):
                clearers.setdefault(producer, []).append(layer.id)
    return clearers


def _cleared_at_runtime(flow: MaskFlow, node: NodeFlow, clearers: dict[str, list[str]]) -> str:
    """Why an input that is masked in the built graph arrives unmasked when the model runs."""
    if flow.symbolic is None or node.id not in flow.symbolic:
        return ""
    built = flow.symbolic[node.id].inputs
    reasons = []
    for i in node.first_arg:
        if node.inputs[i].mask is not None or i >= len(built) or built[i].mask is None:
            continue
        producer = node.node.bindings[i].node
        if clearers.get(producer):
            reasons.append(f"`{producer}` loses its mask when the model runs: "
                           f"{names(clearers[producer])} clears the masks of its inputs")
    return "; ".join(reasons)


def _who_still_gets_it(g: SpecGraph, flow: MaskFlow, node: NodeFlow) -> str:
    """After the merge, when the model runs: who still gets a mask (bound at build time) and who gets none.

    Walks forward only through the region where the built graph has a mask and the running model
    has none, so a check with many such merges stays linear in practice.
    """
    built = flow.symbolic or {}
    region, still, frontier = {node.id}, [], [node.id]
    while frontier:
        for consumer in g.consumers(frontier.pop()):
            current, was = flow.nodes.get(consumer), built.get(consumer)
            if consumer in region or current is None or was is None:
                continue
            region.add(consumer)
            if current.gets_mask and was.gets_mask:
                still.append(consumer)
            if any(t.mask is None for t in current.outputs) and any(t.mask is not None for t in was.outputs):
                frontier.append(consumer)
    lost = [name for name, b in g.outputs if b.node in region and flow.output_state(b).mask is None
            and b.node in built and state_of(built, b).mask is not None]
    parts = []
    if still:
        parts.append(f"{names(still)} still get{'s' if len(still) == 1 else ''} the mask Keras bound into "
                     f"{'its' if len(still) == 1 else 'their'} call when the model was built")
    if lost:
        parts.append(f"the loss on output{'s' if len(lost) > 1 else ''} {names(lost)} gets none")
    return "; when the model runs, " + ", but ".join(parts) if parts else ""


def _concat_on_last_axis(node: NodeFlow) -> bool:
    axis = node.args.get("axis", -1)
    rank = node.outputs[0].rank
    return axis == -1 or (rank is not None and isinstance(axis, int) and axis % rank == rank - 1)
