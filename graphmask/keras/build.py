"""Walk a ``SpecGraph`` in dependency order, creating and calling Keras layers.

The same walk serves three callers: ``compile`` (symbolic ``keras.Input``
tensors -> a functional model), ``deep`` (symbolic, collecting failures
instead of stopping) and the custom-layer probes in ``verify``.

Naming: a layer's Keras name is its spec id. A wrapped layer
(``Bidirectional``/``TimeDistributed`` ``layer: {type, args}``) is named
``<id>_inner`` (``backward_layer``: ``<id>_backward``) unless its args give
a ``name``; Bidirectional then prefixes ``forward_``/``backward_`` itself.
A ``share: other`` node has no layer of its own: it calls ``other``'s
instance again (one weight set, one Keras layer named ``other``).
The ops Keras adds to the graph itself get automatic names that skip the
spec's ids (``reserve_names``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from graphmask import codes
from graphmask.analysis.layers import layer_info, nested_layer, node_info
from graphmask.catalog import load_catalog
from graphmask.diagnostics import Diagnostic
from graphmask.graph import Binding, Node, SpecGraph
from graphmask.keras.imports import ALLOW_ADVICE, ImportRefused, import_object, is_import_path


class BuildFailure(Exception):
    """Creating or calling one layer failed; ``diagnostic`` is located in the spec."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def keras_message(exc: BaseException) -> str:
    """Keras's error message, without the long 'Arguments received' appendix."""
    text = str(exc).split("\n\nArguments received", 1)[0]
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)  # Keras bolds parts of its messages with ANSI codes
    text = re.sub(r"\s+", " ", text).strip() or type(exc).__name__
    return text if len(text) <= 400 else text[:397] + "..."


@dataclass
class Trace:
    """Outputs of every node that could be built, and what failed."""

    tensors: dict[str, Any] = field(default_factory=dict)
    failures: list[Diagnostic] = field(default_factory=list)


class LayerFactory:
    """Creates (once per layer, shared by `share:` nodes) and calls Keras layers."""

    def __init__(self, g: SpecGraph, keras: Any, allow_imports: tuple[str, ...] = (),
                 import_advice: str = ALLOW_ADVICE):
        self.g = g
        self.keras = keras
        self.allow_imports = tuple(allow_imports)
        self.import_advice = import_advice  # what an allow-list refusal says to do
        self.instances: dict[str, Any] = {}  # owner node id -> layer instance
        self.models: dict[str, Any] = {}  # sub-model name -> its keras.Model (every call shares it)

    # -- creating layers ---------------------------------------------------------
    def layer(self, node: Node) -> Any:
        owner = node.shares or node.id
        if owner not in self.instances:
            self.instances[owner] = self.create(self.g.nodes[owner])
        return self.instances[owner]

    def create(self, node: Node, name: str | None = None) -> Any:
        """A new layer instance for ``node`` (``name`` defaults to its id)."""
        where = node.where
        local = self.g.local_id(node.id)
        if node.args.get("name", local) != local:
            raise BuildFailure(self.g.diagnostic(
                codes.GM104, f"`{node.id}` sets `name: {node.args['name']}`; a layer's Keras name is its spec id, "
                "so drop `name` (or rename the id)", where + ("args", "name"), node=node.id))
        return self._instantiate(node.layer_type, node.args, where, node.id, name or local)

    def _instantiate(self, type_name: str | None, args: Mapping[str, Any], where: tuple, node_id: str,
                     name: str) -> Any:
        cls = self.layer_class(type_name, where + ("type",), node_id)
        kwargs = self._constructor_args(type_name, args, where + ("args",), node_id, name)
        try:
            return cls(**kwargs)
        except Exception as exc:  # noqa: BLE001 - any Keras constructor error becomes GM303
            raise BuildFailure(self.g.diagnostic(
                codes.GM303, f"Keras could not create `{type_name}` for `{node_id}`: {keras_message(exc)}",
                where + ("args",) if args else where + ("type",), node=node_id)) from exc

    def layer_class(self, type_name: str | None, where: tuple, node_id: str) -> type:
        custom = self.g.spec.custom_layers.get(type_name or "")
        if custom is not None:
            decl_where = ("custom_layers", type_name, "import")
            try:
                cls = import_object(custom.import_, self.allow_imports, self.import_advice)
            except ImportRefused as exc:
                raise BuildFailure(self.g.diagnostic(codes.GM306, f"custom layer `{type_name}`: {exc}", decl_where,
                                                     node=node_id)) from None
            if not (isinstance(cls, type) and issubclass(cls, self.keras.layers.Layer)):
                raise BuildFailure(self.g.diagnostic(
                    codes.GM306, f"custom layer `{type_name}`: `{custom.import_}` is not a keras.layers.Layer subclass",
                    decl_where, node=node_id))
            return cls
        info = load_catalog().get(type_name or "")
        cls = getattr(self.keras.layers, info.name, None) if info is not None else None
        if cls is None:
            raise BuildFailure(self.g.diagnostic(
                codes.GM103, f"unknown layer type `{type_name}` (not in keras.layers {self.keras.__version__})",
                where, node=node_id))
        return cls

    def _constructor_args(self, type_name: str | None, args: Mapping[str, Any], where: tuple, node_id: str,
                          name: str) -> dict[str, Any]:
        info = layer_info(self.g.spec, type_name)
        wrapped = {info.mask.wraps: "inner", "backward_layer": "backward"} if info and info.mask.wraps else {}
        kwargs: dict[str, Any] = {}
        for key, value in args.items():
            if key == "name":
                continue  # the caller decided the name
            if key in wrapped and (nested := nested_layer(value)) is not None:
                inner_type, inner_args = nested
                inner_name = inner_args.get("name") or f"{name}_{wrapped[key]}"
                kwargs[key] = self._instantiate(inner_type, inner_args, where + (key,), node_id, inner_name)
            elif info is not None and key in info.callable_args:
                kwargs[key] = self._lambda_callable(key, value, where + (key,), node_id)
            else:
                kwargs[key] = value
        if info is not None and info.callable_args and info.callable_args[0] not in args:
            raise BuildFailure(self.g.diagnostic(
                codes.GM104, f"`{info.name}` needs `{info.callable_args[0]}: package.module:function_name` "
                "(imported via --allow-import)",
                where, node=node_id))
        kwargs["name"] = name
        return kwargs

    def _lambda_callable(self, key: str, value: Any, where: tuple, node_id: str) -> Any:
        if not is_import_path(value):
            if key == "function":
                raise BuildFailure(self.g.diagnostic(
                    codes.GM306, f"`Lambda(function=...)` must name a function as `package.module:function_name` "
                    f"(code in strings is never evaluated), got {value!r}", where, node=node_id))
            return value  # e.g. output_shape given as a list
        try:
            return import_object(value, self.allow_imports, self.import_advice)
        except ImportRefused as exc:
            raise BuildFailure(self.g.diagnostic(codes.GM306, f"`{node_id}`: {exc}", where, node=node_id)) from None

    # -- calling layers ----------------------------------------------------------
    def call(self, node: Node, tensors: Mapping[str, Any]) -> Any:
        if node.kind == "model":
            return self.call_model(node, tensors)
        if node.layer.op is not None:
            return self.call_op(node, tensors)
        layer = self.layer(node)
        args, kwargs = self.call_arguments(node, tensors)
        try:
            return layer(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - shape/rank errors from Keras become GM303
            where = node.where + ("inputs",) if node.layer.inputs is not None else node.where + ("id",)
            raise BuildFailure(self.g.diagnostic(
                codes.GM303, f"Keras failed to call `{node.id}` ({node.layer_type}): {keras_message(exc)}",
                where, node=node.id)) from exc

    def call_model(self, node: Node, tensors: Mapping[str, Any]) -> Any:
        """A ``model:`` node: the sub-model (a real nested ``keras.Model``, built once) called on its inputs."""
        name = node.layer.model
        boundaries = [self.g.nodes[f"{node.id}/{input_name}"] for input_name in self.g.spec.models[name].inputs]
        if name not in self.models:
            inner = {b.id: self.keras.Input(shape=tuple(b.input_spec.shape), dtype=b.input_spec.dtype,
                                            name=self.g.local_id(b.id)) for b in boundaries}
            traced = trace(self, inner, scope=f"{node.id}/")
            outputs = [output_value(self.g, traced.tensors, b) for b in node.bindings]
            self.models[name] = functional_model(self.g, self.keras, list(inner.values()),
                                                 outputs[0] if len(outputs) == 1 else outputs, name=name)
        values = [self._resolve(b.bindings[0], tensors, node) for b in boundaries]
        try:
            return self.models[name](values[0] if len(values) == 1 else values)
        except Exception as exc:  # noqa: BLE001 - as for layers: Keras's refusal becomes GM303
            raise BuildFailure(self.g.diagnostic(
                codes.GM303, f"Keras failed to call `{node.id}` (model `{name}`): {keras_message(exc)}",
                node.where + ("id",), node=node.id)) from exc

    def call_op(self, node: Node, tensors: Mapping[str, Any]) -> Any:
        """An ``op:`` node: ``keras.ops.<op>(*tensors, **args)`` (the catalog says it exists)."""
        import keras

        args, kwargs = self.call_arguments(node, tensors)
        constants = {name: _python_value(value) for name, value in node.args.items()}
        try:
            return getattr(keras.ops, node.layer.op)(*args, **{**constants, **kwargs})
        except Exception as exc:  # noqa: BLE001 - as for layers: Keras's refusal becomes GM303
            raise BuildFailure(self.g.diagnostic(
                codes.GM303, f"Keras failed to call `{node.id}` (keras.ops.{node.layer.op}): {keras_message(exc)}",
                node.where + ("id",), node=node.id)) from exc

    def call_arguments(self, node: Node, tensors: Mapping[str, Any]) -> tuple[list, dict]:
        """Positional and keyword call arguments, following the layer's input mode."""
        positional: list[Any] = []
        keywords: dict[str, Any] = {}
        for binding in node.bindings:
            value = self._resolve(binding, tensors, node)
            if isinstance(binding.slot, int):
                positional.append(value)
                continue
            keyword, bracket, _ = binding.slot.partition("[")
            if bracket:  # `keyword: [a, b]` -> a list argument
                keywords.setdefault(keyword, []).append(value)
            else:
                keywords[keyword] = value
        info = node_info(self.g.spec, node)
        mode = info.input_mode if info is not None else "single"
        if mode == "args":
            args = positional
        elif mode == "list" or len(positional) > 1:
            args = [positional] if positional else []
        else:
            args = positional
        return args, {**node.call_kwargs, **keywords}

    def _resolve(self, binding: Binding, tensors: Mapping[str, Any], node: Node) -> Any:
        return _indexed(self.g, tensors[binding.node], binding, node.id)


def symbolic_inputs(g: SpecGraph, keras: Any) -> dict[str, Any]:
    """One ``keras.Input`` per spec input, named by its id; starts a functional graph."""
    reserve_names(keras, g.nodes)
    return {name: keras.Input(shape=tuple(s.shape), dtype=s.dtype, name=name) for name, s in g.spec.inputs.items()}


def functional_model(g: SpecGraph, keras: Any, inputs: Any, outputs: Any, **kwargs: Any) -> Any:
    """``keras.Model(inputs, outputs)``; what Keras refuses is a ``BuildFailure`` (GM303 at ``outputs:``)."""
    try:
        return keras.Model(inputs, outputs, **kwargs)
    except Exception as exc:  # noqa: BLE001 - a spec must never make compile or check --deep crash
        raise BuildFailure(g.diagnostic(
            codes.GM303, f"Keras could not make a model of the graph: {keras_message(exc)}", ("outputs",))) from exc


_NUMBERED_NAME = re.compile(r"(.+)_(\d+)")


def reserve_names(keras: Any, names: Iterable[str]) -> None:
    """Make the names Keras generates from now on differ from every one of ``names``.

    The masks ``compute_mask`` builds are ops in the functional graph, named
    automatically: ``not_equal``, ``any``, ``logical_or``, ``concatenate``,
    ``ones_like``, ``zeros_like``, ``expand_dims``, ``convert_to_tensor``, then
    ``<name>_1``, ``<name>_2``... (docs/keras-mask-facts.md O6). Keras numbers
    them with a per-prefix counter (the one ``keras.backend.get_uid`` reads)
    that explicitly named layers do not advance, so a layer whose id is
    ``concatenate`` made ``keras.Model`` fail: 'The name "concatenate" is used
    2 times'. Advancing the counter of each id's prefix past the id's number
    means an automatic name is never an id (advancing only skips numbers).
    """
    import collections

    from keras.src.backend.common import global_state

    # The table keras.src.utils.naming.uniquify numbers automatic names with (per thread).
    counters = global_state.get_global_attribute("object_name_uids", default=collections.defaultdict(int),
                                                 set_to_default=True)
    for name in names:
        reserved = [(name, 0)]  # `concatenate`: the next automatic one is `concatenate_1`
        numbered = _NUMBERED_NAME.fullmatch(name)
        if numbered:  # `concatenate_3`: the next automatic one is at least `concatenate_4`
            reserved.append((numbered[1], int(numbered[2])))
        for prefix, number in reserved:
            counters[prefix] = max(counters.get(prefix, 0), number + 1)


def trace(factory: LayerFactory, inputs: Mapping[str, Any], collect: bool = False, scope: str = "") -> Trace:
    """Call every layer of ``scope`` (the top level, or one sub-model call's) in dependency order on ``inputs``.

    ``inputs``: input (or sub-model input) id -> tensor.

    With ``collect`` a failing node is recorded and its dependents skipped;
    otherwise the first failure raises ``BuildFailure``.
    """
    result = Trace()
    for node_id in factory.g.topological_order():
        node = factory.g.nodes[node_id]
        if node.kind in ("input", "model_input"):
            if node_id in inputs:
                result.tensors[node_id] = inputs[node_id]
            continue
        if node.scope != scope:  # a sub-model's layers are traced when its model is built
            continue
        if any(b.node not in result.tensors for b in _call_bindings(factory.g, node)):
            continue  # an upstream node failed (already reported)
        try:
            result.tensors[node_id] = factory.call(node, result.tensors)
        except BuildFailure as failure:
            if not collect:
                raise
            result.failures.append(failure.diagnostic)
    return result


def _call_bindings(g: SpecGraph, node: Node) -> list[Binding]:
    """The tensors a node is called on: its bindings, or for a sub-model call its inputs' bindings."""
    if node.kind != "model":
        return node.bindings
    return [b for n in g.nodes.values() if n.kind == "model_input" and n.scope == f"{node.id}/" for b in n.bindings]


def output_value(g: SpecGraph, tensors: Mapping[str, Any], binding: Binding) -> Any:
    """The tensor an ``outputs:`` ref names (``BuildFailure`` GM105 when its index is past Keras's outputs)."""
    return _indexed(g, tensors[binding.node], binding, None)


def _indexed(g: SpecGraph, value: Any, binding: Binding, node_id: str | None) -> Any:
    """``value`` or, for an ``id[k]`` ref, its k-th output (reachable with --force past the checker's GM105)."""
    if binding.index is None:
        return value
    if isinstance(value, (list, tuple)) and binding.index < len(value):
        return value[binding.index]
    count = len(value) if isinstance(value, (list, tuple)) else 1
    raise BuildFailure(g.diagnostic(
        codes.GM105, f"`{binding.ref}`: `{binding.node}` has {count} output{'s' if count != 1 else ''} in Keras",
        binding.where, node=node_id))


def _python_value(value: Any) -> Any:
    """An op argument as Python: slices, written as Keras saves them (``x[:, :4]`` is ``get_item`` with
    ``{class_name: __slice__, config: {start, stop, step}}``), become ``slice`` objects; nothing else changes."""
    if isinstance(value, list):
        return [_python_value(v) for v in value]
    if isinstance(value, dict) and value.get("class_name") == "__slice__" and isinstance(value.get("config"), dict):
        config = value["config"]
        return slice(config.get("start"), config.get("stop"), config.get("step"))
    return value
