"""Build a spec with plain Keras and record, per node, what Keras does with masks.

Deliberately independent of ``graphmask.compile`` and of the catalog: layer
classes come from ``keras.layers`` by name, refs are resolved here, and how a
layer takes its inputs is read off its ``call`` signature.

Two observations are recorded for every node:

* ``symbolic``: the masks on the KerasTensors of the functional graph, and the
  warnings raised while the graph was built;
* ``runtime``: the masks on the eager tensors while the built model runs on a
  concrete padded batch.  The runtime walk replays exactly the node order of
  ``Functional._run_through_graph`` (what ``model(batch)`` does), so side
  effects between layers (e.g. ``MultiHeadAttention`` clearing the masks of
  the tensors it was given) happen as they do in a real call.  This is the
  truth the static pass is compared with; ``model(batch)`` itself is run too,
  and its output masks must agree with the replay.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphmask.spec.models import LayerSpec, Spec, parse_ref

DESTROY_WARNING = "does not support masking and will therefore destroy the mask information"
RUN_LENGTH = 6  # runtime length of a `null` time axis
BATCH = 2


@dataclass(frozen=True)
class TensorFacts:
    has_mask: bool
    mask_ndim: int | None
    shape: tuple  # batch axis included (None in symbolic shapes)


@dataclass
class NodeFacts:
    outputs: list[TensorFacts] = field(default_factory=list)
    warned: bool = False


@dataclass
class Observation:
    symbolic: dict[str, NodeFacts]
    runtime: dict[str, NodeFacts]
    model_output_masks: list[bool]  # from model(batch), in spec output order
    replay_output_masks: list[bool]  # the same outputs, from the replay
    order: list[str]  # spec layer ids in the order the model ran them
    replay_values: list = field(default_factory=list)  # the replay's output tensors, in spec output order


def _facts(tensor: Any) -> TensorFacts:
    # Not public API, but the exact function Layer.__call__ reads masks with.
    from keras.src.backend import get_keras_mask

    mask = get_keras_mask(tensor)
    shape = tuple(tensor.shape)
    return TensorFacts(mask is not None, None if mask is None else len(mask.shape), shape)


def _flatten(outputs: Any) -> list:
    from keras import tree

    return list(tree.flatten(outputs))


# ---------------------------------------------------------------- building
def make_layer(keras, type_name: str, args: dict[str, Any], name: str | None = None):
    """``keras.layers.<type_name>(**args)``; ``{type, args}`` values become nested layers."""
    built = {k: (make_layer(keras, v["type"], v.get("args", {}))
                 if isinstance(v, dict) and "type" in v else v)
             for k, v in args.items()}
    cls = getattr(keras.layers, type_name)
    return cls(**built, name=name) if name else cls(**built)


def _bindings(layer: LayerSpec, previous: str | None) -> tuple[str, Any]:
    """How the layer is called: ("single", ref) | ("list", [refs]) | ("keywords", {kw: ref})."""
    inputs = layer.inputs
    if inputs is None:
        return "single", previous
    if isinstance(inputs, str):
        return "single", inputs
    if isinstance(inputs, list):
        return "list", list(inputs)
    return "keywords", dict(inputs)


def _refs(how: str, what: Any) -> list[str]:
    if how == "single":
        return [what]
    if how == "list":
        return list(what)
    return [r for v in what.values() for r in ([v] if isinstance(v, str) else v)]


def _tensor_kwargs(layer: LayerSpec, known: set[str]) -> tuple[dict, dict]:
    """``call:`` split into tensor keywords (refs to spec nodes) and plain values."""
    tensors, plain = {}, {}
    for key, value in layer.call.items():
        refs = [value] if isinstance(value, str) else value if isinstance(value, list) else None
        if refs and all(isinstance(r, str) and parse_ref(r)[0] in known for r in refs):
            tensors[key] = value
        else:
            plain[key] = value
    return tensors, plain


def _takes_list(layer) -> bool:
    """Whether the layer's call takes one positional list (merges, Attention) or separate args."""
    params = list(inspect.signature(layer.call).parameters)
    return bool(params) and params[0] == "inputs"


def _call(layer, how: str, what: Any, resolve, call_kwargs: dict):
    if how == "single":
        return layer(resolve(what), **call_kwargs)
    if how == "list":
        tensors = [resolve(r) for r in what]
        return layer(tensors, **call_kwargs) if _takes_list(layer) else layer(*tensors, **call_kwargs)
    kwargs = {k: (resolve(v) if isinstance(v, str) else [resolve(r) for r in v]) for k, v in what.items()}
    return layer(**kwargs, **call_kwargs)


@dataclass
class Built:
    model: Any
    tensors: dict[str, list]  # node id -> its flat symbolic outputs
    symbolic: dict[str, NodeFacts]
    instances: dict[str, Any] = field(default_factory=dict)  # layer node id -> its Keras layer (op nodes: none)
    calls: list[tuple] = field(default_factory=list)  # (node id, how, what, tensor kwargs), in build order


def build(keras, spec: Spec, patch=None) -> Built:
    """The functional model of ``spec``; every node's symbolic facts recorded on the way.

    ``patch(layer_spec, instance)`` is called on every new layer instance before it is called.
    """
    tensors: dict[str, list] = {}
    symbolic: dict[str, NodeFacts] = {}
    for name, inp in spec.inputs.items():
        shape = tuple(inp.shape)
        tensors[name] = [keras.Input(shape=shape, dtype=inp.dtype, name=name)]
        symbolic[name] = NodeFacts([_facts(tensors[name][0])])

    def resolve(ref: str):
        node, index = parse_ref(ref)
        return tensors[node][index or 0]

    previous = next(iter(spec.inputs)) if len(spec.inputs) == 1 else None
    plan = []
    for layer in spec.layers:
        plan.append((layer, *_bindings(layer, previous)))
        previous = layer.id
    instances: dict[str, Any] = {}
    calls: list[tuple] = []
    names = set(spec.inputs) | {layer.id for layer in spec.layers}
    pending = plan
    while pending:  # spec order need not be topological
        waiting = []
        for layer, how, what in pending:
            tensor_kwargs, plain = _tensor_kwargs(layer, names)
            if any(parse_ref(r)[0] not in tensors for r in _refs(how, what) + _refs("keywords", tensor_kwargs)):
                waiting.append((layer, how, what))
                continue
            call_kwargs = {**plain, **{k: (resolve(v) if isinstance(v, str) else [resolve(r) for r in v])
                                       for k, v in tensor_kwargs.items()}}
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                if layer.op is not None:  # a keras.ops function: its tensors in order, then its arguments
                    function = getattr(keras.ops, layer.op)
                    outputs = _flatten(function(*[resolve(r) for r in _refs(how, what)], **dict(layer.args)))
                else:
                    if layer.share:
                        instance = instances[layer.share]
                    else:
                        instance = make_layer(keras, layer.type, dict(layer.args), name=layer.id)
                        if patch is not None:
                            patch(layer, instance)
                    instances[layer.id] = instance
                    outputs = _flatten(_call(instance, how, what, resolve, call_kwargs))
            calls.append((layer.id, how, what, tensor_kwargs))
            tensors[layer.id] = outputs
            symbolic[layer.id] = NodeFacts([_facts(t) for t in outputs], _destroy_warned(caught))
        if len(waiting) == len(pending):
            raise ValueError(f"unresolvable inputs: {[w[0].id for w in waiting]}")
        pending = waiting

    outputs = [resolve(ref) for _, ref in spec.output_refs()]
    model = keras.Model(inputs=[tensors[n][0] for n in spec.inputs], outputs=outputs)
    return Built(model, tensors, symbolic, instances, calls)


def _destroy_warned(caught) -> bool:
    return any(DESTROY_WARNING in str(w.message) for w in caught)


# ---------------------------------------------------------------- running
def padded_batch(spec: Spec, rng: np.random.Generator) -> list[np.ndarray]:
    """A concrete batch: sample 0 full length, sample 1 padded with the pad value."""
    vocab = _smallest_vocabulary(spec)
    batch = []
    for inp in spec.inputs.values():
        shape = tuple(RUN_LENGTH if d is None else d for d in inp.shape)
        pad = inp.pad_value if inp.pad_value is not None else 0
        if inp.dtype.startswith(("int", "uint")):
            data = rng.integers(1, vocab, size=(BATCH,) + shape)
            data[data == pad] = 2 if pad == 1 else 1  # no accidental pad values
        else:
            data = rng.normal(size=(BATCH,) + shape)
            data[np.abs(data - pad) < 1e-3] += 0.5  # no accidental pad values
        is_sequence = len(shape) >= 2 or inp.dtype.startswith(("int", "uint"))
        if is_sequence and shape[0] >= 2:
            pad_len = max(1, shape[0] // 2)
            steps = slice(0, pad_len) if inp.padding == "pre" else slice(shape[0] - pad_len, shape[0])
            data[1, steps] = pad
        batch.append(data.astype(inp.dtype))
    return batch


def _smallest_vocabulary(spec: Spec) -> int:
    sizes = []

    def visit(type_name, args):
        if type_name == "Embedding" and isinstance(args.get("input_dim"), int):
            sizes.append(args["input_dim"])
        for v in args.values():
            if isinstance(v, dict) and "type" in v:
                visit(v["type"], v.get("args", {}))

    for layer in spec.layers:
        visit(layer.type, dict(layer.args))
    return min(sizes, default=50)


def run(keras, built: Built, spec: Spec, batch: list[np.ndarray], hook=None, call_model: bool = True) -> Observation:
    """Run the model on ``batch`` the way ``Functional.call`` does, recording every node.

    ``hook.before(node_id, args, kwargs)`` and ``hook.after(node_id, outputs)``
    see each spec node's call (node_id None for Keras' own ops).
    """
    model = built.model
    origin = {id(t): (node_id, i) for node_id, outs in built.tensors.items() for i, t in enumerate(outs)}
    runtime: dict[str, NodeFacts] = {}
    order: list[str] = []
    inputs = model._standardize_inputs([keras.ops.convert_to_tensor(x) for x in batch])
    values = {}
    for x, y in zip(model.inputs, inputs):
        values[id(x)] = y
        node_id, _ = origin[id(x)]
        runtime[node_id] = NodeFacts([_facts(y)])
    # Replay of Functional._run_through_graph (keras/src/ops/function.py).
    for depth in sorted(model._nodes_by_depth, reverse=True):
        for node in model._nodes_by_depth[depth]:
            if not node.operation or node.is_input:
                continue
            args, kwargs = node.arguments.fill_in(values)
            # Nodes that are not spec layers are Keras ops recorded while the
            # graph was built (e.g. a mask computed for a layer's `mask=` arg).
            node_id, _ = origin.get(id(node.outputs[0]), (None, None))
            if hook is not None:
                hook.before(node_id, args, kwargs)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                outputs = _flatten(node.operation(*args, **kwargs))
            if hook is not None:
                hook.after(node_id, outputs)
            if node_id is not None:
                order.append(node_id)
                runtime[node_id] = NodeFacts([_facts(y) for y in outputs], _destroy_warned(caught))
            for x, y in zip(node.outputs, outputs):
                values[id(x)] = y
    replay = [values[id(t)] for t in model.outputs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        called = _flatten(model(batch)) if call_model else replay
    return Observation(
        symbolic=built.symbolic,
        runtime=runtime,
        model_output_masks=[_facts(t).has_mask for t in called],
        replay_output_masks=[_facts(t).has_mask for t in replay],
        order=order,
        replay_values=replay,
    )


def observe(keras, spec: Spec, rng: np.random.Generator) -> Observation:
    built = build(keras, spec)
    return run(keras, built, spec, padded_batch(spec, rng))
