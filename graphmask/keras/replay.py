"""Run a functional model node by node, as ``model(batch)`` does, and record each spec node's masks.

Why not call the layers one by one: in a model run every consumer of a node
gets the *same* tensor objects, in Keras's order, so a layer that changes
the masks on its inputs changes what the layers after it see
(``MultiHeadAttention`` clears the masks of its query/value/key: the
transformer residual ``Add([x, MultiHeadAttention(x, x)])`` runs without a
mask). This loop is ``Functional._run_through_graph`` (keras/src/ops/
function.py): nodes by decreasing depth, each called with
``node.arguments.fill_in`` -- the recorded symbolic masks where the call
bound them, else the tensor objects as they are now -- plus a record of the
masks right after each spec layer's call and, instead of stopping at the
first error, the failures (dependents of a failed node are skipped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from graphmask.keras.masks import has_mask


@dataclass
class RunFailure:
    node_id: str  # the spec layer that failed, or whose output mask could not be computed
    error: BaseException
    op_name: str | None = None  # the Keras mask op (e.g. `not_equal`) that failed, when not the layer itself


@dataclass
class Replay:
    masks: dict[str, Any] = field(default_factory=dict)  # node id -> has_mask of its outputs after its call
    order: list[str] = field(default_factory=list)  # spec layers in the order the model ran them
    failures: list[RunFailure] = field(default_factory=list)  # at most one per spec layer


def replay(model: Any, inputs: Sequence[Any], outputs_by_node: Mapping[str, Any]) -> Replay:
    """Run ``model`` on ``inputs`` (one tensor per ``model.inputs``).

    ``outputs_by_node``: spec node id -> the symbolic value its call returned
    (tensor or list); it names the graph's nodes. Other nodes are ops Keras
    recorded while building: the masks ``compute_mask`` made for a layer's
    output (docs/keras-mask-facts.md O4). A failed mask op is reported at
    that layer; layers that cannot run because an input failed are not.
    """
    from keras import tree

    from graphmask.keras.masks import get_keras_mask

    origin: dict[int, str] = {}
    mask_of: dict[int, str] = {}  # symbolic mask tensor -> the layer whose output it masks
    for node_id, value in outputs_by_node.items():
        flat = tree.flatten(value)
        origin[id(flat[0])] = node_id
        for mask in (get_keras_mask(t) for t in flat):
            if mask is not None:  # the first layer (topological order) made it; later ones pass it on
                mask_of.setdefault(id(mask), node_id)
    values = {id(x): y for x, y in zip(model.inputs, inputs)}
    pending: dict[int, RunFailure] = {}  # tensor -> a mask-op failure not yet reported (chained ops)
    result = Replay()
    reported: set[str] = set()

    def fail(node: Any, node_id: str | None, failure: RunFailure | None) -> None:
        owner = node_id or mask_of.get(id(node.outputs[0]))
        if failure is not None and owner is None:
            pending.update({id(x): failure for x in node.outputs})  # an intermediate mask op
        elif failure is not None and owner not in reported:
            reported.add(owner)
            result.failures.append(RunFailure(owner, failure.error, failure.op_name))

    for depth in sorted(model._nodes_by_depth, reverse=True):
        for node in model._nodes_by_depth[depth]:
            if not node.operation or node.is_input:
                continue
            node_id = origin.get(id(node.outputs[0]))
            if any(id(x) not in values for x in node.input_tensors):
                # Silent after a reported failure; a mask-op failure still on its way is carried on.
                fail(node, node_id, next((pending[id(x)] for x in node.input_tensors if id(x) in pending), None))
                continue
            args, kwargs = node.arguments.fill_in(values)
            try:
                outputs = node.operation(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - any run-time error is reported at its node
                fail(node, node_id, RunFailure(node_id or "", exc, None if node_id else node.operation.name))
                continue
            if node_id is not None:
                result.order.append(node_id)
                result.masks[node_id] = has_mask(outputs)
            values.update({id(x): y for x, y in zip(node.outputs, tree.flatten(outputs))})
    return result
