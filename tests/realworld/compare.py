"""graphmask's view of a real model against what Keras did (``truth``): the disagreements, by category.

graphmask's view: ``graphmask import`` of the saved ``.keras`` file, loaded
as a spec, ``graphmask.explain`` (per node ``mask_in``, ``mask_out``, roles)
and ``graphmask.check`` (findings).  Compared, per top-level call that the
spec has a node for (a layer's k-th call is node ``name`` / ``name_call<k+1>``,
as the importer names them):

- ``mask_in``: which tensor arguments carried a mask (when graphmask and Keras
  count the same number of tensors; otherwise whether any did);
- ``mask_out``: which outputs carry a mask when the model runs;
- ``role``: the roles the run decides -- ``consumer`` (``call()`` received a
  mask argument that was not None) and ``unsupported`` (Keras warned that the
  layer destroys the mask);
- ``cudnn``: GM402 on the node vs Keras's own check rejecting the mask the RNN
  received (``cudnn_rejects_mask``);
- ``behaviour`` (per model): graphmask predicts that padding changes the
  outputs exactly when it reports a mask lost or never made on a padded path
  (``LEAK_CODES``); Keras's probe says whether appending padding changed any
  output.

Each model is imported the way a user who knows the data would: padding the
model states itself is inferred, and the padding the collection declares for
an input that states none is given as ``--pad`` would give it.

A model ``import`` refuses is one ``import_refused`` disagreement.  Each
disagreement also names the issue-12 category it belongs to.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ISSUE12 = {
    1: "1 nested models", 2: "2 keras.ops arithmetic", 3: "3 which call argument gets the mask",
    4: "4 tensors in call:", 5: "5 GM402 follows the real mask", 6: "6 imported specs know no padding",
    7: "7 custom layers on import",
}


@dataclass(frozen=True)
class Disagreement:
    model: str
    node: str | None
    what: str  # import_refused | mask_in | mask_out | role | cudnn | behaviour
    graphmask: Any
    keras: Any
    issue12: str

    def key(self) -> tuple:
        return (self.model, self.node or "", self.what)


@dataclass
class Comparison:
    disagreements: list[Disagreement]
    nodes_compared: int


# Findings that say padding reaches a computation: a layer that cannot take the mask computes on
# padded steps (GM201), a layer that reads masks is not handed it (GM208), or a padded input reaches one
# with none (GM205). GM207 (an op drops the mask) says only that the mask is gone: code after it may
# handle padding itself (pattern_masked_mean_pooling_ops multiplies by the mask), and where it does not,
# the layer that then reads padding is GM205.
LEAK_CODES = frozenset({"GM201", "GM205", "GM208"})


def declared_pads(name: str, input_names: list[str]) -> dict[str, tuple[Any, str]]:
    """What ``--pad`` states for a collection model: its declared padded inputs (ends-padded, numeric pad)."""
    from tests.realworld.models import MODELS

    real = MODELS[name]
    return {input_name: (seq.pad, seq.side) for input_name, seq in zip(input_names, real.inputs)
            if seq.padded and seq.side in ("post", "pre") and seq.kind != "onehot"}


def graphmask_view(path: Path, name: str | None = None) -> tuple[Any, list, list[str], dict]:
    """(MaskFlow, diagnostics, import problems, spec data) for a saved model; no flow when import refuses it.

    With a collection ``name``, its declared padding is stated where the model states none (``--pad``).
    """
    import graphmask
    from graphmask.explainer import ExplainError
    from graphmask.convert import ConvertError
    from graphmask.convert.load import convert_file
    from graphmask.spec.writer import to_yaml

    try:
        result = convert_file(path)
        if name is not None and not result.problems:
            inputs = result.spec.get("inputs", {})
            # what the model does not state itself, or a side other than the inferred `post` (`--pad x=0:pre`)
            stated = {k: v for k, v in declared_pads(name, list(inputs)).items()
                      if inputs[k].get("pad_value") is None or v[1] != inputs[k].get("padding", "post")}
            if stated:
                result = convert_file(path, pads=stated)
    except ConvertError as exc:  # what `graphmask import` reports as a usage error
        return None, [], [f"ConvertError: {exc}"], {}
    if result.problems:
        return None, [], [str(p) for p in result.problems], result.spec
    try:
        spec = graphmask.loads(to_yaml(result.spec, result.comments), f"{path.stem}.yaml")
        return graphmask.explain(spec), graphmask.check(spec), [], result.spec
    except (graphmask.SpecError, ExplainError) as exc:  # the importer wrote a spec that does not load
        return None, [], [f"{type(exc).__name__}: {exc}"], result.spec


def _refusal_category(problems: list[str], truth: dict[str, Any]) -> str:
    text = " ".join(problems)
    if "keras.src.ops" in text or "is a constant" in text:
        return ISSUE12[2]
    if "`Functional`" in text or "`Sequential`" in text or any(c["kind"] == "model" for c in truth["calls"]):
        return ISSUE12[1]
    return ISSUE12[7] if "custom" in text.lower() else "unclassified"


def _refs(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value.split("[", 1)[0]]
    if isinstance(value, dict):
        return [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def _upstream(spec: dict[str, Any]) -> dict[str, set[str]]:
    """Node id -> itself and every node before it (from the imported spec's input refs)."""
    direct, previous = {}, None
    for layer in spec.get("layers", []):  # no `inputs:` means the layer before (a chain)
        direct[layer["id"]] = set(_refs(layer["inputs"])) if "inputs" in layer else {previous} - {None}
        previous = layer["id"]
    found: dict[str, set[str]] = {}
    for node in direct:  # spec order is topological
        found[node] = {node}.union(*(found.get(p, {p}) for p in direct[node]))
    return found


def _node_id(layer: str, call: int) -> str:
    name = re.sub(r"\W", "_", layer)
    return name if call == 0 else f"{name}_call{call + 1}"


def _roles(call: dict[str, Any]) -> list[str]:
    roles = []
    if any(v is not None for v in call["mask_args"].values()):
        roles.append("consumer")
    if call["warned"]:
        roles.append("unsupported")
    return roles


def _category(call: dict[str, Any], what: str, before: set[str], kinds: dict[str, str]) -> str:
    """The issue-12 category of a node disagreement, from what the node is and what lies upstream of it."""
    if call["kind"] == "op":
        return ISSUE12[2]
    if what == "cudnn":
        return ISSUE12[5]
    if any(kinds.get(n) == "custom" for n in before):
        return ISSUE12[7]
    if any(kinds.get(n) == "op" for n in before):
        return ISSUE12[2]
    if call["kind"] == "model" or call["class"] in ("Functional", "Sequential"):
        return ISSUE12[1]
    if len(call["inputs_masked"]) > 1 and what in ("role", "mask_in"):
        return ISSUE12[3]
    return "outside issue 12's categories"


def _kinds(truth: dict[str, Any]) -> dict[str, str]:
    """Top-level node id -> op | custom (a layer class keras.layers does not have, or a sub-model holding one)
    | model | layer."""
    import keras

    kinds, holds_custom = {}, set()
    for call in truth["calls"]:
        # a sub-model; Keras records a nested Sequential as kind "layer"
        model = call["kind"] == "model" or call["class"] in ("Functional", "Sequential")
        custom = call["kind"] == "layer" and not model and not hasattr(keras.layers, call["class"])
        if "/" not in call["layer"]:
            kinds[_node_id(call["layer"], call["call"])] = "custom" if custom else "model" if model else call["kind"]
        elif custom:  # inside a sub-model (or a custom layer's own sublayers)
            holds_custom.add(_node_id(call["layer"].split("/", 1)[0], 0))
    for node in holds_custom:
        if kinds.get(node) == "model":  # a sub-model with a custom layer in it counts as custom
            kinds[node] = "custom"
    return kinds


def _mask_in(flow: Any, node: Any) -> list[bool]:
    """Which tensors the call got masked; a sub-model call (``model:``) gets them at its inputs' boundary
    nodes (``<call>/<input>``, in call order): the node's own inputs are the sub-model's outputs."""
    if node.node.kind != "model":
        return node.mask_in
    return [m for n in flow.nodes.values() if n.node.kind == "model_input" and n.node.id.startswith(node.id + "/")
            and "/" not in n.node.id[len(node.id) + 1:] for m in n.mask_in]


def compare(name: str, path: Path, truth: dict[str, Any]) -> Comparison:
    flow, diagnostics, problems, spec = graphmask_view(path, name)
    if flow is None:
        return Comparison([Disagreement(name, None, "import_refused", problems[0], "Keras runs it",
                                        _refusal_category(problems, truth))], 0)
    upstream, kinds = _upstream(spec), _kinds(truth)
    found: list[Disagreement] = []
    gm402 = {d.node for d in diagnostics if d.code == "GM402"}
    compared = 0
    for call in truth["calls"]:
        node = flow.nodes.get(_node_id(call["layer"], call["call"])) if "/" not in call["layer"] else None
        if node is None:
            continue  # nested, or a mask-computing op the importer leaves out
        compared += 1

        def differ(what: str, mine: Any, theirs: Any) -> None:
            if mine != theirs:
                found.append(Disagreement(name, node.id, what, mine, theirs,
                                          _category(call, what, upstream.get(node.id, set()), kinds)))

        keras_in, mask_in = call["inputs_masked"], _mask_in(flow, node)
        if len(mask_in) == len(keras_in):
            differ("mask_in", mask_in, keras_in)
        else:
            differ("mask_in", any(mask_in), any(keras_in))
        mask_out = node.mask_out if isinstance(node.mask_out, list) else [node.mask_out]
        differ("mask_out", mask_out, [m is not None for m in call["outputs_masked"]][: len(mask_out)])
        differ("role", [r for r in node.roles if r in ("consumer", "unsupported")], _roles(call))
        if "cudnn" in call:
            differ("cudnn", node.id in gm402, bool(call["cudnn"].get("cudnn_rejects_mask")))
    probed = [o["changed"] for b in truth["behaviour"] for o in b.get("outputs", [])]
    if probed:
        leaks = sorted({d.code for d in diagnostics if d.code in LEAK_CODES})
        predicted = bool(leaks)
        if predicted != any(probed):
            found.append(Disagreement(name, None, "behaviour",
                                      f"padding changes outputs ({', '.join(leaks)})" if predicted
                                      else "no padding leak reported",
                                      "appending padding changes an output" if any(probed) else "outputs invariant",
                                      ISSUE12[6]))
    return Comparison(found, compared)


def as_json(disagreements: list[Disagreement]) -> list[dict[str, Any]]:
    return [asdict(d) for d in sorted(disagreements, key=Disagreement.key)]
