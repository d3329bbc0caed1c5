"""Ground truth for graphmask's mask findings, from running the spec's model in Keras.

``truth(keras, spec, rng)`` builds the model with the oracle's own builder
(``keras_build``), every mask generator keyed (below), runs it on padded
batches with every layer's ``call`` instrumented, and derives, per code, the
set of nodes the finding must be reported on:

GM202  a generator whose mask no mask-reading call and no model output
       depends on.  Each generator's ``compute_mask`` result is ANDed with a
       boolean ``keras.Variable`` key, so the masks Keras recomputes from the
       built graph and the ones it reads off tensors both follow it.  With
       every key False, then only generator g's key True, a call's mask
       arguments (or an output's mask) that differ between the two runs
       derive from g.  A call *reads* its mask when re-running it with its
       mask arguments inverted changes its output.
GM204  a ``Merge`` layer whose list argument holds masked and unmasked
       tensors when the model runs.
GM205  a layer that would read a mask for its first argument (re-running its
       call with a mask there changes the output) gets that argument with no
       mask, and the argument carries the time axis of a declared padded
       input: when that input is made longer, Keras's shape inference makes
       the argument's time axis longer too (appended padding reaches it as
       time steps).
GM206  a generator on a tensor that carries a declared padded input's time
       axis, whose own ``compute_mask``, fed that input's pad value, leaves a
       step unmasked.
GM207  a ``keras.ops`` call with a masked input and no masked output.
GM208  a layer that would read a mask for its first argument gets it masked,
       yet its call receives no mask for it. Where the mask it carries is
       right-padded, "would read" is asked with a right-padded mask and the
       outputs compared at its valid steps: a mask that changes only padded
       steps (a forward RNN returning its sequence) is not a finding.
GM401  an LSTM/GRU (or the one a wrapper runs) that
       ``graphmask.keras.cudnn.keras_says_eligible`` says Keras would not put
       on cuDNN.
GM402  a cuDNN-eligible LSTM/GRU whose call receives a mask that Keras's own
       ``_is_sequence_right_padded`` rejects.
"""

from __future__ import annotations

import importlib
import inspect
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphmask.spec.models import Spec, parse_ref

from .keras_build import Built, Observation, _call, _refs, build, padded_batch, run

CODES = ("GM202", "GM204", "GM205", "GM206", "GM207", "GM208", "GM401", "GM402")
GENERATORS = ("Embedding", "Masking")  # the layers whose compute_mask makes a mask from values
LONGER = 5  # extra steps of the time-axis probe
ATOL = 1e-6


def _is_tensor(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype")


def _mask_of(value: Any) -> Any:
    return getattr(value, "_keras_mask", None) if _is_tensor(value) else None


def _array(mask: Any) -> Any:
    if mask is None:
        return None
    if isinstance(mask, (list, tuple)):
        return tuple(_array(m) for m in mask)
    return np.asarray(mask).astype(bool)


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, tuple) or isinstance(b, tuple):
        return isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) and all(map(_same, a, b))
    return a.shape == b.shape and bool((a == b).all())


def _outputs_equal(a: Any, b: Any, valid: np.ndarray | None = None) -> bool:
    """Equal outputs; with ``valid`` (batch, time), outputs with that time axis only at the valid steps."""
    from keras import tree

    fa, fb = tree.flatten(a), tree.flatten(b)

    def at_valid(x: np.ndarray) -> np.ndarray:
        if valid is None or x.ndim < 2 or x.shape[:2] != valid.shape:
            return x
        return x[valid]

    return len(fa) == len(fb) and all(
        np.shape(x) == np.shape(y) and np.allclose(at_valid(np.asarray(x)), at_valid(np.asarray(y)), atol=ATOL,
                                                   equal_nan=True)
        for x, y in zip(fa, fb))


def _is_right_padded(mask: Any) -> bool:
    """Every row is valid steps then padded ones (all valid included)."""
    if mask is None:
        return False
    rows = np.asarray(mask).astype(bool)
    return rows.ndim == 2 and bool(np.all(rows[:, 1:] <= rows[:, :-1]))


def _right_padded_like(tensor: Any) -> np.ndarray:
    """A right-padded mask for a (batch, time, ...) tensor: the first half of the steps valid (at least one)."""
    batch, time = tensor.shape[0], tensor.shape[1]
    return np.broadcast_to(np.arange(time) < max(1, time // 2), (batch, time)).copy()


def _inverted(mask: Any) -> Any:
    """A different mask of the same shape: the inverse, with step 0 kept valid (no fully masked row) if there are more."""
    if mask is None:
        return None
    if isinstance(mask, (list, tuple)):
        return [_inverted(m) for m in mask]
    flipped = np.logical_not(np.asarray(mask).astype(bool))
    if flipped.ndim >= 2 and flipped.shape[1] > 1:
        flipped[:, 0] = True
    return flipped


def _made_up(tensor: Any) -> np.ndarray:
    """A mask for a (batch, time, ...) tensor: valid, padded, valid... (a single step: padded)."""
    batch, time = tensor.shape[0], tensor.shape[1]
    pattern = np.arange(time) % 2 == 0 if time > 1 else np.zeros(1, bool)  # one step: mask it
    return np.broadcast_to(pattern, (batch, time)).copy()


# ---------------------------------------------------------------- instrumented calls
@dataclass
class ArgFacts:
    """One tensor of a call (a parameter's tensor, or one item of a list parameter)."""

    param: str
    item: int  # index in a list parameter (0 otherwise)
    channel: str  # "param": Keras hands its mask to a `mask`/`<param>_mask` argument; "tensor": read off the tensor
    masked: bool = False  # it carried a mask
    given: Any = None  # the mask the call got for it (the argument's, or the one on the tensor)
    reads: bool = False  # changing the mask it got changes the call's output
    would_read: bool = False  # giving it a mask, when it got none, changes the call's output


@dataclass
class CallFacts:
    node: str
    args: list[ArgFacts] = field(default_factory=list)
    rnn_masks: list = field(default_factory=list)  # masks the LSTM/GRU calls (a wrapper's halves) received

    def arg(self, param: str, item: int = 0) -> ArgFacts | None:
        return next((a for a in self.args if a.param == param and a.item == item), None)


def _mask_params(call) -> list[str]:
    return [p for p in inspect.signature(call).parameters if p == "mask" or p.endswith("_mask")]


def _tensor_params(call, args, kwargs, mask_params) -> list[tuple[str, Any]]:
    """(parameter, value) for the call's tensor arguments, in signature order."""
    try:
        bound = inspect.signature(call).bind(*args, **kwargs)
    except TypeError:
        return []
    found = []
    for name, value in bound.arguments.items():
        if name in mask_params:
            continue
        if _is_tensor(value) or (isinstance(value, (list, tuple)) and value and all(map(_is_tensor, value))):
            found.append((name, value))
    return found


def _with_mask(tensor, mask):
    """A copy of ``tensor`` carrying ``mask`` (None: no mask)."""
    import tensorflow as tf
    from keras.src.backend import set_keras_mask

    copy = tf.identity(tensor)
    if mask is not None:
        set_keras_mask(copy, tf.convert_to_tensor(mask))
    return copy


class Recorder:
    """Wraps ``call`` on the model's layer instances; ``run``'s hook says which node is calling."""

    def __init__(self, built: Built):
        self.node: str | None = None
        self.probe = True  # re-run calls to see whether they read masks (the base run only)
        self.calls: dict[str, CallFacts] = {}
        self.op_facts: dict[str, tuple[bool, bool]] = {}  # op node -> (an input masked, an output masked)
        self._op_inputs: bool = False
        for node_id, layer in built.instances.items():
            if not hasattr(layer, "_graphmask_oracle_wrapped"):
                self._wrap(layer)
                for inner in _rnns(layer):
                    if inner is not layer:
                        self._wrap_rnn(inner)
        self.op_nodes = {c[0] for c in built.calls if c[0] not in built.instances}

    # the hook run() calls
    def before(self, node_id, args, kwargs) -> None:
        self.node = node_id
        if node_id in self.op_nodes:
            self._op_inputs = any(_mask_of(t) is not None for t in _flat(args) + _flat(kwargs))

    def after(self, node_id, outputs) -> None:
        if node_id in self.op_nodes:
            self.op_facts[node_id] = (self._op_inputs, any(_mask_of(t) is not None for t in outputs))
        self.node = None

    def _wrap(self, layer) -> None:
        original = layer.call
        mask_params = _mask_params(original)
        recorder = self

        def call(*args, **kwargs):
            node = recorder.node
            if node is None or node in recorder.calls:
                return original(*args, **kwargs)
            facts = recorder.calls[node] = CallFacts(node)
            params = _tensor_params(original, args, kwargs, mask_params)
            for k, (name, value) in enumerate(params):
                mask_param = f"{name}_mask" if f"{name}_mask" in mask_params else (
                    "mask" if k == 0 and "mask" in mask_params else None)
                items = list(value) if isinstance(value, (list, tuple)) else [value]
                for i, tensor in enumerate(items):
                    arg = ArgFacts(name, i, "param" if mask_param else "tensor", _mask_of(tensor) is not None)
                    if mask_param:
                        given = kwargs.get(mask_param)
                        if isinstance(value, (list, tuple)) and isinstance(given, (list, tuple)):
                            given = given[i] if i < len(given) else None
                        elif isinstance(value, (list, tuple)) and i > 0:
                            given = None
                        arg.given = _array(given)
                    else:
                        arg.given = _array(_mask_of(tensor))
                    facts.args.append(arg)
            outputs = original(*args, **kwargs)
            if recorder.probe:
                _probe_cached(layer, original, args, kwargs, mask_params, facts)
            return outputs

        call.__wrapped__ = original  # inspect.signature(layer.call) still shows the layer's own
        layer.call = call
        layer._graphmask_oracle_wrapped = True

    def _wrap_rnn(self, layer) -> None:
        """The LSTM/GRU a wrapper calls: record the mask it receives."""
        original = layer.call
        recorder = self

        def call(*args, **kwargs):
            node = recorder.node
            if node is not None and node in recorder.calls:
                recorder.calls[node].rnn_masks.append(_array(kwargs.get("mask")))
            return original(*args, **kwargs)

        call.__wrapped__ = original
        layer.call = call
        layer._graphmask_oracle_wrapped = True


_PROBED: dict[str, list[tuple[bool, bool]]] = {}  # what a layer configuration reads, per argument shape


def _probe_cached(layer, call, args, kwargs, mask_params, facts: CallFacts) -> None:
    """``_probe``, once per layer configuration, call keywords and argument shapes (a property of those)."""
    import json

    config = {k: v for k, v in layer.get_config().items() if k != "name"}
    plain = {k: v for k, v in kwargs.items() if not _flat(v) and k not in mask_params}
    arguments = inspect.signature(call).bind(*args, **kwargs).arguments
    shapes = [(a.param, a.item, a.channel, a.given is None, a.masked, _is_right_padded(_mask_of(_item(arguments, a))),
               tuple(_item(arguments, a).shape)) for a in facts.args]
    key = json.dumps([type(layer).__name__, config, plain, shapes], sort_keys=True, default=str)
    if key not in _PROBED:
        _probe(call, args, kwargs, mask_params, facts)
        _PROBED[key] = [(a.reads, a.would_read) for a in facts.args]
    for arg, (reads, would_read) in zip(facts.args, _PROBED[key]):
        arg.reads, arg.would_read = reads, would_read


def _probe(call, args, kwargs, mask_params, facts: CallFacts) -> None:
    """Whether the call reads each argument's mask: on fresh random data, change only that mask.

    Random data, so that no coincidence of the batch (a merge of a tensor with
    itself, an all-True mask) hides a mask the layer reads.
    """
    bound = inspect.signature(call).bind(*args, **kwargs)
    rng = np.random.default_rng(0)
    arguments = dict(bound.arguments)
    tensor_params = {a.param for a in facts.args}
    for name in tensor_params:
        value = arguments[name]
        items = list(value) if isinstance(value, (list, tuple)) else [value]
        fresh = [_with_mask(_random_like(t, rng), _mask_of(t)) for t in items]
        arguments[name] = fresh if isinstance(value, (list, tuple)) else fresh[0]
    baseline = _call_bound(call, bound, arguments)
    for arg in facts.args:
        tensor = _item(arguments, arg)
        if arg.given is None and len(tensor.shape) < 3:
            continue  # a (batch, features) tensor has no time steps to mask
        right_padded = arg.given is None and arg.masked and _is_right_padded(_mask_of(tensor))
        if arg.given is not None:
            other = _inverted(arg.given)
        else:
            other = _right_padded_like(tensor) if right_padded else _made_up(tensor)
        changed = _call_bound(call, bound, _with_arg_mask(arguments, mask_params, arg, other))
        if arg.given is not None:
            arg.reads = not _outputs_equal(baseline, changed)
        else:
            arg.would_read = not _outputs_equal(baseline, changed, valid=other if right_padded else None)


def _random_like(tensor, rng):
    if "float" not in str(tensor.dtype):
        return tensor
    return rng.normal(size=tuple(tensor.shape)).astype(getattr(tensor.dtype, "name", str(tensor.dtype)))


def _item(arguments: dict, arg: ArgFacts):
    value = arguments[arg.param]
    return value[arg.item] if isinstance(value, (list, tuple)) else value


def _call_bound(call, bound, arguments: dict):
    bound.arguments.clear()
    bound.arguments.update(arguments)
    return call(*bound.args, **bound.kwargs)


def _with_arg_mask(arguments: dict, mask_params, arg: ArgFacts, mask) -> dict:
    """``arguments`` with ``arg``'s mask replaced by ``mask``: on the tensor, and in its mask argument if it has one.

    In a model both change together (``Layer.__call__`` fills the mask argument
    from the tensor's mask), and a layer may read either: MultiHeadAttention
    takes the query's mask off the tensor and ignores ``query_mask=``.
    """
    arguments = dict(arguments)
    value = arguments[arg.param]
    if isinstance(value, (list, tuple)):
        value = list(value)
        value[arg.item] = _with_mask(value[arg.item], mask)
    else:
        value = _with_mask(value, mask)
    arguments[arg.param] = value
    if arg.channel == "tensor":
        return arguments
    mask_param = f"{arg.param}_mask" if f"{arg.param}_mask" in mask_params else "mask"
    if isinstance(value, (list, tuple)):
        current = arguments.get(mask_param)
        masks = list(current) if isinstance(current, (list, tuple)) else [current] + [None] * (len(value) - 1)
        masks[arg.item] = mask
        arguments[mask_param] = masks
    else:
        arguments[mask_param] = mask
    return arguments


def _flat(value: Any) -> list:
    from keras import tree

    return [t for t in tree.flatten(value) if _is_tensor(t)]


# ---------------------------------------------------------------- keyed generators
class Keys:
    """One boolean ``keras.Variable`` per mask generator, ANDed into what its ``compute_mask`` returns."""

    def __init__(self, keras):
        self.keras = keras
        self.variables: dict[str, Any] = {}

    def patch(self, layer_spec, instance) -> None:
        if not _generates(instance):
            return
        ops = self.keras.ops
        key = self.keras.Variable(True, dtype="bool", trainable=False, name=f"key_{layer_spec.id}")
        self.variables[layer_spec.id] = key
        original = instance.compute_mask

        def compute_mask(inputs, mask=None):
            made = original(inputs, mask)
            return None if made is None else ops.logical_and(made, key)

        instance.compute_mask = compute_mask
        if type(instance).__name__ == "Masking":  # its call attaches the mask itself when the model runs
            from keras.src.backend import get_keras_mask, set_keras_mask

            call = instance.call

            def keyed_call(inputs):
                outputs = call(inputs)
                made = get_keras_mask(outputs)
                if made is not None:
                    set_keras_mask(outputs, ops.logical_and(made, key))
                return outputs

            keyed_call.__wrapped__ = call
            instance.call = keyed_call

    def set(self, on: set[str] | None) -> None:
        """All keys True (``None``), or only the keys of ``on``."""
        for name, variable in self.variables.items():
            variable.assign(on is None or name in on)


# ---------------------------------------------------------------- the time-axis probe
def _carries(keras, spec: Spec, built: Built, observed: Observation) -> dict[str, set[str]]:
    """Declared padded input -> the refs whose time axis grows with it (Keras's shape inference)."""
    base = {f"{n}[{i}]" if len(f.outputs) > 1 else n: f.outputs[i].shape
            for n, f in observed.runtime.items() for i in range(len(f.outputs))}
    found: dict[str, set[str]] = {}
    for name, inp in spec.inputs.items():
        if inp.pad_value is None or not inp.shape:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # layers that drop the symbolic masks say so; not what is probed
            found[name] = _carried(keras, spec, built, base, name)
    return found


def _carried(keras, spec: Spec, built: Built, base: dict, name: str) -> set[str]:
    """The refs whose time axis is longer when input ``name`` is (its padding reaches them as time steps)."""
    shapes = dict(base)
    shapes[name] = (base[name][0], base[name][1] + LONGER) + tuple(base[name][2:])
    tensors = {ref: keras.KerasTensor(shape, dtype=_dtype(built, ref)) for ref, shape in shapes.items()}
    carried = {name}
    for node_id, how, what, tensor_kwargs in built.calls:
        refs = _refs(how, what) + _refs("keywords", tensor_kwargs)
        outputs = [r for r in base if parse_ref(r)[0] == node_id]
        made = None
        # first as they are; then with only axis 1 longer, for a layer built for the other axes
        # (a Dense after a Dot, whose last axis is the padded time axis too)
        for given in (tensors, _time_axis_only(keras, tensors, base, built)):
            try:
                made = _symbolic_call(keras, spec, built, node_id, how, what, tensor_kwargs, given)
            except Exception:  # noqa: BLE001 - a layer that cannot take the longer input: see below
                made = None
            if made is not None and len(made) == len(outputs):
                break
        if made is None or len(made) != len(outputs):
            # The layer rejects the longer axis (Flatten -> Dense, Add of unequal lengths): an
            # element-wise result keeps the time steps of its inputs, anything else has lost them.
            keeps = any(_ref_key(r) in carried for r in refs) and all(len(base[o]) >= 3 for o in outputs)
            # the steps it keeps are as many more as its inputs' (so the layers after it see them too)
            grown = max((tensors[_ref_key(r)].shape[1] - base[_ref_key(r)][1] for r in refs
                         if _ref_key(r) in carried and len(base[_ref_key(r)]) >= 2), default=0) if keeps else 0
            made = [keras.KerasTensor((base[o][0], base[o][1] + grown) + tuple(base[o][2:]), dtype=_dtype(built, o))
                    for o in outputs]
            carried |= set(outputs) if keeps else set()
        for ref, tensor in zip(outputs, made):
            tensors[ref] = tensor
            if len(tensor.shape) >= 2 and _longer_time(len(tensor.shape), tensor.shape[1] - base[ref][1]):
                carried.add(ref)
    return carried


def _time_axis_only(keras, tensors: dict, base: dict, built: Built) -> dict:
    """``tensors`` with every axis but axis 1 back to its length in the batch that ran."""
    out = {}
    for ref, tensor in tensors.items():
        shape, was = tuple(tensor.shape), base[ref]
        if len(shape) >= 2 and len(shape) == len(was) and shape != was:
            tensor = keras.KerasTensor((was[0], shape[1]) + tuple(was[2:]), dtype=_dtype(built, ref))
        out[ref] = tensor
    return out


def _ref_key(ref: str) -> str:
    node, index = parse_ref(ref)
    return ref if index is not None else node


def _longer_time(rank: int, grown: int | None) -> bool:
    """Whether an axis 1 that grew by ``grown`` is the padded input's time axis.

    (batch, time, features...) data: any growth (a valid convolution, a pooling,
    a concatenation along time keep the steps).  (batch, n): only token ids
    passed on unchanged grow by exactly the appended steps; a flattened
    sequence grows by a multiple and has no time axis left.
    """
    if grown is None or grown == 0:
        return False
    return rank >= 3 or grown == LONGER


def _dtype(built: Built, ref: str) -> str:
    node, index = parse_ref(ref)
    return built.tensors[node][index or 0].dtype


def _symbolic_call(keras, spec: Spec, built: Built, node_id, how, what, tensor_kwargs, tensors) -> list | None:
    resolve = lambda r: tensors[_ref_key(r)]  # noqa: E731
    layer = next(l for l in spec.layers if l.id == node_id)
    kwargs = {k: v for k, v in layer.call.items() if k not in tensor_kwargs}
    kwargs.update({k: (resolve(v) if isinstance(v, str) else [resolve(r) for r in v])
                   for k, v in tensor_kwargs.items()})
    if layer.op is not None:
        out = getattr(keras.ops, layer.op)(*[resolve(r) for r in _refs(how, what)], **dict(layer.args))
    else:
        out = _call(built.instances[node_id], how, what, resolve, kwargs)
    return _flat(out)


# ---------------------------------------------------------------- putting it together
@dataclass
class Truth:
    nodes: dict[str, set[str]]  # code -> nodes the finding must be on
    features: set[str]  # what the graph exercised (for the pool's coverage guard)
    observed: Observation  # the base run (every key True), for the mask comparison
    undecided: dict[str, set[str]] = field(default_factory=dict)  # code -> nodes the runs cannot decide


def _param_refs(built: Built, node_id: str, how: str, what: Any, tensor_kwargs: dict) -> dict[tuple[str, int], str]:
    """(call parameter, list item) -> the ref the spec binds there."""
    from .keras_build import _takes_list

    layer = built.instances[node_id]
    params = [p for p in inspect.signature(layer.call).parameters if p not in ("args", "kwargs")]
    found: dict[tuple[str, int], str] = {}
    if how == "single":
        found[(params[0], 0)] = what
    elif how == "list" and _takes_list(layer):
        found.update({(params[0], i): r for i, r in enumerate(what)})
    elif how == "list":
        found.update({(p, 0): r for p, r in zip(params, what)})
    for key, value in {**(what if how == "keywords" else {}), **tensor_kwargs}.items():
        refs = [value] if isinstance(value, str) else list(value)
        found.update({(key, i): r for i, r in enumerate(refs)})
    return {k: _ref_key(r) for k, r in found.items()}


def _pad_probe(instance, tensor_shape, dtype, pad_value) -> bool:
    """Whether the generator masks every step of an input made of the pad value."""
    data = np.full(tensor_shape, pad_value, dtype=dtype)
    mask = instance.compute_mask(data, None)  # the key is ANDed in; it is True here
    return mask is not None and not bool(np.asarray(mask).any())


def truth(keras, spec: Spec, rng: np.random.Generator) -> Truth:
    from graphmask.keras.cudnn import keras_says_eligible

    tf_rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")
    merge_base = importlib.import_module("keras.src.layers.merging.base_merge").Merge

    keys = Keys(keras)
    built = build(keras, spec, patch=keys.patch)
    batch = padded_batch(spec, rng)
    recorder = Recorder(built)
    observed = run(keras, built, spec, batch, hook=recorder)
    base_calls = recorder.calls
    found: dict[str, set[str]] = {code: set() for code in CODES}
    features: set[str] = set()

    # GM202: which generator the masks that calls read, and the outputs' masks, derive from
    readers = {(n, a.param, a.item) for n, f in base_calls.items() for a in f.args if a.reads}
    if readers:
        features.add("a call reads a mask")
    output_masks = [_array(_mask_of(t)) for t in observed.replay_values]
    if keys.variables and not readers and all(m is None for m in output_masks):
        found["GM202"] |= set(keys.variables)  # nothing reads any mask: no run can tell generators apart
        features.add("dead-end mask")
    elif keys.variables:
        # g's mask reaches a reader (or an output) if switching g's key alone changes what it gets,
        # with the other keys off (an OR with their masks cannot hide g's) or on (a generator
        # after g computes its mask from values that g's mask shaped).
        recorder.probe = False
        everything = frozenset(keys.variables)
        runs = {everything: (base_calls, output_masks)}

        def masks_with(on: frozenset):
            if on not in runs:
                keys.set(set(on))
                runs[on] = _masks_only(keras, built, spec, batch, recorder)
            return runs[on]

        for generator in keys.variables:
            pairs = [(frozenset({generator}), frozenset()), (everything, everything - {generator})]
            read = reaches_output = False
            for on, off in pairs:
                (on_calls, on_outputs), (off_calls, off_outputs) = masks_with(on), masks_with(off)
                read |= any(not _same(on_calls[n].arg(p, i).given, off_calls[n].arg(p, i).given)
                            for n, p, i in readers)
                reaches_output |= any(not _same(a, b) for a, b in zip(on_outputs, off_outputs))
            if reaches_output:
                features.add("mask reaches an output")
            if not read and not reaches_output:
                found["GM202"].add(generator)
                features.add("dead-end mask")
        keys.set(None)

    carries = _carries(keras, spec, built, observed)
    for node_id, how, what, tensor_kwargs in built.calls:
        layer = built.instances.get(node_id)
        facts = base_calls.get(node_id)
        if layer is None:  # a keras.ops call
            features.add("op node")
            masked_in, masked_out = recorder.op_facts.get(node_id, (False, False))
            if masked_in:
                features.add("op node on a masked tensor")
            if masked_in and not masked_out:
                found["GM207"].add(node_id)
            continue
        if tensor_kwargs or (how == "keywords" and "initial_state" in what):
            features.add("tensors in call (initial_state)")
        if facts is None:
            continue
        refs = _param_refs(built, node_id, how, what, tensor_kwargs)
        if _rnns(layer) or type(layer).__name__ == "SimpleRNN":
            features |= _rnn_features(spec, refs.get((facts.args[0].param, 0)) if facts.args else None,
                                      facts.args[0].given is not None if facts.args else False)
        if isinstance(layer, merge_base) and how == "list" and len(what) >= 2:
            masked = [a.masked for a in facts.args if a.param == facts.args[0].param]
            if any(masked) and not all(masked):
                found["GM204"].add(node_id)
                features.add("mixed merge")
        for arg in facts.args:
            ref = refs.get((arg.param, arg.item))
            padded = [x for x, carried in carries.items() if ref in carried]
            if arg.masked and arg.given is None and arg.would_read:
                found["GM208"].add(node_id)
            if not arg.masked and arg.given is None and arg.would_read and padded:
                found["GM205"].add(node_id)
        rnns = _rnns(layer)
        if rnns:  # a Bidirectional's halves may differ (backward_layer): on cuDNN only if both are
            eligible = all(keras_says_eligible(rnn) for rnn in rnns)
            if not eligible:
                found["GM401"].add(node_id)
            first = facts.args[0] if facts.args else None
            mask = facts.rnn_masks[0] if facts.rnn_masks else (first.given if first else None)
            if mask is not None and eligible:
                features.add("masked cuDNN-eligible RNN")
                if not bool(tf_rnn._is_sequence_right_padded(mask)):
                    found["GM402"].add(node_id)
        if _generates(layer) and facts.args:
            first = refs.get((facts.args[0].param, 0))
            node, index = parse_ref(first)
            shape = observed.runtime[node].outputs[index or 0].shape
            for x in (x for x, carried in carries.items() if first in carried):
                if not _pad_probe(layer, shape, _dtype(built, first), spec.inputs[x].pad_value):
                    found["GM206"].add(node_id)
                    features.add("mask value differs from pad value")

    for name, inp in spec.inputs.items():
        if len(inp.shape) >= 2 or (inp.dtype.startswith("int") and inp.shape):
            features.add("declared padded input" if inp.pad_value is not None else "undeclared padded input")
            if inp.pad_value is not None:
                features.add(f"{inp.padding} padding")
    # A shared generator is one instance, so one key: its calls cannot be told apart.
    shared = {n for layer in spec.layers if layer.share and layer.share in keys.variables
              for n in (layer.id, layer.share)}
    found["GM202"] -= shared
    return Truth(found, features, observed, {"GM202": shared})


def _rnn_features(spec: Spec, first: str | None, masked: bool) -> set[str]:
    """What feeds an RNN: a time-axis Concatenate, or a mask over Dense -> Dropout."""
    layers = {layer.id: layer for layer in spec.layers}
    producer = layers.get(parse_ref(first)[0]) if first else None
    if producer is None:
        return set()
    if producer.type == "Concatenate" and producer.args.get("axis") == 1:
        return {"time-axis Concatenate before an RNN"}
    before = layers.get(producer.inputs) if isinstance(producer.inputs, str) else None
    if masked and producer.type == "Dropout" and before is not None and before.type == "Dense":
        return {"multi-hop masked path (Dense, Dropout, RNN)"}
    return set()


def _generates(layer) -> bool:
    return type(layer).__name__ in GENERATORS and getattr(layer, "mask_zero", True)


def _rnns(layer) -> list:
    """The LSTM/GRU a node runs: the layer itself, a Bidirectional's halves, a wrapper's layer."""
    if hasattr(layer, "forward_layer"):
        candidates = [layer.forward_layer, layer.backward_layer]
    else:
        candidates = [layer, getattr(layer, "layer", None)]
    return [c for c in candidates if c is not None and type(c).__name__ in ("LSTM", "GRU")]


def _masks_only(keras, built: Built, spec: Spec, batch, recorder: Recorder) -> tuple[dict, list]:
    """Run again (keys as set): every call's received masks, and the model outputs' masks."""
    recorder.calls = {}
    observed = run(keras, built, spec, batch, hook=recorder, call_model=False)
    calls, recorder.calls = recorder.calls, {}
    return calls, [_array(_mask_of(t)) for t in observed.replay_values]
