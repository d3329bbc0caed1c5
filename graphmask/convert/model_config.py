"""A Keras model config (``{class_name, config}``) -> spec data, without TensorFlow.

The same conversion serves ``graphmask import`` (which writes the spec) and
``graphmask check model.keras`` (which checks it in memory, pointing
diagnostics back into ``config.json``):

- ``InputLayer`` -> ``inputs:``; each call of a layer (an inbound node) ->
  a layer entry; the second and later calls of a shared layer ->
  ``share: <first id>`` entries named ``<layer>_call2``, ``_call3``...
- tensor refs keep their output index (``lstm[1]``) when the layer has
  several outputs; keyword tensors (MultiHeadAttention ``value=``, RNN
  ``initial_state=``) become ``inputs: {keyword: ref}``.
- The ``mask=`` and ``training=`` call arguments Keras records are dropped
  (graphmask infers masks; ``training`` is set at call time), and the
  ``keras.ops`` nodes that only computed those masks are skipped.
- A ``keras.ops`` call on the data path (``x + y`` is ``keras.src.ops.numpy``
  ``Add``) -> an ``op:`` node, named by the catalog (``op_for_class``); its
  constructor config and constant call arguments (the ``1`` of ``x * 1``)
  become ``args:``, its tensors ``inputs:``.
- A nested ``Functional`` or ``Sequential`` model -> a ``models:`` entry
  (its own inputs, layers and outputs; a Sequential's layers chained), and
  each call of it -> a ``model: <name>`` node. Sub-models nested deeper are
  entries of the same top-level ``models:``.
- A class outside the catalog gets a ``custom_layers:`` declaration
  (``graphmask.convert.custom``); padding the model itself states is
  inferred (``graphmask.convert.padding``).
- What a spec cannot express (a Python ``lambda``, a ``keras.ops`` call the
  catalog does not know) is a ``Problem`` at the layer; nothing is dropped
  silently.

``origins`` records, for every input and layer id (``<model>/<id>`` inside a
sub-model), the path of its entry in the config, so a diagnostic on the spec
can point at the config's text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping


from graphmask.dag import ancestors, kahn_order
from graphmask.catalog import load_catalog
from graphmask.convert.args import ArgConverter, plain, snake_case
from graphmask.convert.custom import CustomLayers
from graphmask.spec.models import DType

_DTYPES = set(DType.__args__)
# Call arguments Keras records that a spec leaves out: masks are inferred, `training` is set at call time.
_RECORDED_ONLY = ("mask", "training")
_MODEL_CLASSES = ("Functional", "Sequential", "Model")


@dataclass(frozen=True)
class Problem:
    """Something in the config a spec cannot express, and where (a config path, () = the model)."""

    message: str
    where: tuple = ()

    def __str__(self) -> str:
        return self.message


@dataclass
class ConvertResult:
    spec: dict[str, Any]  # YAML-ready spec data
    problems: list[Problem] = field(default_factory=list)  # could not be expressed
    notes: list[str] = field(default_factory=list)  # expressed, but worth a look
    assumptions: list[str] = field(default_factory=list)  # what was assumed (inferred padding, unverified layers)
    origins: dict[str, tuple] = field(default_factory=dict)  # input / layer id -> path of its config entry
    comments: dict[tuple, str] = field(default_factory=dict)  # spec path -> a comment written above it
    sub_models: dict[str, str] = field(default_factory=dict)  # nested model layer (scope + name) -> models: name

    def problem(self, message: str, where: tuple = ()) -> None:
        self.problems.append(Problem(message, where))


class ConvertError(ValueError):
    """The data is not a model config graphmask can read; ``where`` is its config path."""

    def __init__(self, message: str, where: tuple = ()):
        super().__init__(message)
        self.where = where


def model_of(data: Any) -> tuple[Mapping[str, Any], tuple]:
    """The ``{class_name, config}`` of a model in parsed JSON, and the path of its ``config`` there.

    Accepts a ``.keras`` ``config.json`` or ``model.to_json()`` text, and a bare
    ``model.get_config()`` dict (a keras-hub preset's ``config.json`` nests it under ``config``).
    """
    if isinstance(data, Mapping) and "layers" in data and "class_name" not in data:
        return {"class_name": "Functional", "config": data}, ()
    if not isinstance(data, Mapping):
        raise ConvertError("not a Keras model config (expected a JSON object)")
    kind = data.get("class_name")
    if isinstance(data.get("config"), Mapping) and "layers" in data["config"]:
        return data, ("config",)
    if kind is not None and isinstance(data.get("config"), Mapping):
        raise ConvertError(
            f"`{kind}` has no functional config (no `layers`): a subclassed model's graph is Python code in its "
            "call(), which graphmask cannot read statically; check it with `graphmask check --deep` on a spec, or "
            "call `graphmask.check(model)` on the built model in Python", ("class_name",))
    raise ConvertError("no model config found (expected a Functional or Sequential model's config)")


def convert_config(data: Any, *, custom: CustomLayers | None = None,
                   pads: Mapping[str, tuple[Any, str]] | None = None) -> ConvertResult:
    """Convert parsed config JSON (see ``model_of``). ``custom`` reads custom classes (default: unverified
    declarations, nothing imported); ``pads`` states padding: input name -> (pad value, "post"|"pre")."""
    from graphmask.convert.padding import apply_padding

    model, base = model_of(data)
    result = ConvertResult({})
    kind = model.get("class_name")
    if kind == "Sequential":
        reader: type[_Base] = _Sequential
    elif kind in ("Functional", "Model"):
        reader = _Functional
    else:
        raise ConvertError(f"cannot convert a `{kind}` model: only Functional and Sequential models have a "
                           "graph graphmask can read (a subclassed model's call() is Python code)", ("class_name",))
    try:
        reader(model["config"], base, result, custom or CustomLayers()).convert()
    except (KeyError, IndexError, TypeError, AttributeError, RecursionError) as exc:
        # a config Keras did not write (hand-edited, truncated, another tool's): a message, not a traceback
        raise ConvertError(f"the {kind} config is not in the form Keras writes it "
                           f"({type(exc).__name__}: {exc})") from None
    apply_padding(result, pads or {})
    return result


def _ident(name: str, taken: set[str]) -> str:
    base = re.sub(r"\W", "_", str(name)) or "node"
    if not re.match(r"[A-Za-z_]", base):
        base = "_" + base
    ident, n = base, 2
    while ident in taken:
        ident, n = f"{base}_{n}", n + 1
    taken.add(ident)
    return ident


def _is_tensor(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("class_name") == "__keras_tensor__"


def _tensors(value: Any) -> list | None:
    """A tensor or a list of tensors as a list of histories; None for constants."""
    if _is_tensor(value):
        return [value["config"]["keras_history"]]
    if isinstance(value, list) and value and all(_is_tensor(v) for v in value):
        return [v["config"]["keras_history"] for v in value]
    return None


class _Base:
    """Reads one model config into ``spec``: the whole spec, or (``scope`` = ``"<name>/"``) one sub-model's."""

    def __init__(self, config: Mapping[str, Any], base: tuple, result: ConvertResult, custom: CustomLayers,
                 spec: dict[str, Any] | None = None, scope: str = ""):
        self.config = config
        self.base = base  # path of `config` in the file
        self.result = result
        self.conv = ArgConverter(_ProblemSink(result))
        self.custom = custom
        self.catalog = load_catalog()
        self.taken: set[str] = set()
        self.scope = scope
        self.spec = result.spec if spec is None else spec
        if not scope:
            self.spec.update({"graphmask": 1, "name": str(config.get("name") or "imported_model")})

    def add_input(self, name: str, layer_config: Mapping[str, Any], where: tuple) -> str:
        ident = _ident(name, self.taken)
        shape = layer_config.get("batch_shape") or layer_config.get("batch_input_shape")
        dtype = self.conv.value("dtype", layer_config.get("dtype", "float32"))
        if not isinstance(shape, list) or len(shape) < 2:
            self.result.problem(f"input `{name}`: no per-sample shape in the config ({shape!r})", where)
            shape = [None, None]
        if dtype not in _DTYPES:
            self.result.problem(f"input `{name}`: dtype {dtype!r} is not one a spec can declare", where)
        self.spec.setdefault("inputs", {})[ident] = {"shape": list(shape[1:]), "dtype": dtype}
        self.result.origins[self.scope + ident] = where
        return ident

    def layer_entry(self, ident: str, layer: Mapping[str, Any], where: tuple) -> dict[str, Any]:
        """``{id, type, args}`` for a layer's first call (custom classes declared on the way)."""
        class_name, config = layer["class_name"], layer.get("config", {})
        self.result.origins[self.scope + ident] = where
        label = f"layer `{layer.get('name', ident)}`"
        self.conv.problems.where = where
        if _is_model(layer):
            return {"id": ident, "model": self.sub_model(layer, where)}
        if _is_op(layer):
            return self.op_entry(ident, layer, label, where)
        if class_name in _MODEL_CLASSES:
            self.result.problem(f"{label}: a nested `{class_name}` without a functional config (a subclassed "
                                "model) cannot be expressed in a spec", where)
        elif self.catalog.get(class_name) is None:
            self.custom.declare(class_name, layer, self.result, where)
        elif self.catalog[class_name].callable_args:  # Lambda: Python functions, as `module:name`
            config = self._callables(config, self.catalog[class_name].callable_args, label, where)
        args = self.conv.args(class_name, config, label)
        if self.catalog.get(class_name) is None:
            self.custom.declare_args(class_name, args, self.result)
        entry: dict[str, Any] = {"id": ident, "type": class_name}
        if args:
            entry["args"] = args
        return entry

    def sub_model(self, layer: Mapping[str, Any], where: tuple) -> str:
        """The ``models:`` name of a nested model, converted on its first call."""
        # a Sequential's layers carry their name in the config only
        given = layer.get("name") or layer.get("config", {}).get("name") or "model"
        key = self.scope + str(given)
        if key in self.result.sub_models:
            return self.result.sub_models[key]
        models = self.result.spec.setdefault("models", {})
        name = _ident(given, set(models))
        self.result.sub_models[key] = name
        models[name] = {}  # reserved before its own sub-models are read
        reader = _Sequential if layer["class_name"] == "Sequential" else _Functional
        reader(layer.get("config", {}), where + ("config",), self.result, self.custom, models[name],
               name + "/").convert()
        return name

    def op_entry(self, ident: str, layer: Mapping[str, Any], label: str, where: tuple) -> dict[str, Any]:
        """``{id, op, args}`` for a keras.ops call: its constructor config (``axis``...) as args."""
        class_name, module = layer["class_name"], str(layer.get("module"))
        info = self.catalog.op_for_class(module, class_name)
        if info is None:
            self.result.problem(f"{label}: the keras.ops call `{class_name}` ({module}) is not one graphmask's "
                                "catalog knows (it has no spec `op:`)", where)
            return {"id": ident, "op": snake_case(class_name)}
        args = {}
        for key, value in layer.get("config", {}).items():
            if key != "name":
                args[key] = self.op_arg(info, key, value, label, where + ("config", key))
        entry: dict[str, Any] = {"id": ident, "op": info.name}
        if args:
            entry["args"] = args
        return entry

    def op_arg(self, info: Any, key: str, value: Any, label: str, where: tuple) -> Any:
        if key not in self.catalog.valid_kwargs(info):
            self.result.problem(f"{label}: `keras.ops.{info.name}` takes no argument `{key}` "
                                f"(value {value!r})", where)
        return self.conv.value(key, value)

    def _callables(self, config: Mapping[str, Any], names: tuple[str, ...], label: str,
                   where: tuple) -> dict[str, Any]:
        config = dict(config)
        for key in names:
            value = config.get(key)
            if isinstance(value, Mapping) and value.get("class_name") == "function":
                config[key] = f"{value.get('module')}:{value.get('config')}"
            elif isinstance(value, Mapping) and value.get("class_name") == "__lambda__":
                self.result.problem(f"{label}: `Lambda({key}=<python lambda>)` cannot be written in a spec; "
                                    "move the function into a module and name it as `pkg.mod:function`",
                                    where + ("config", key))
        return config


class _ProblemSink(list):
    """What ``ArgConverter`` appends lands in the result as a located ``Problem``."""

    def __init__(self, result: ConvertResult):
        super().__init__()
        self.result = result

    def append(self, message: str) -> None:  # type: ignore[override]
        self.result.problem(message, getattr(self, "where", ()))


class _Sequential(_Base):
    def convert(self) -> None:
        layers = list(self.config.get("layers", []))
        where = self.base + ("layers",)
        offset = 0
        if layers and layers[0].get("class_name") == "InputLayer":
            first = layers.pop(0)
            offset = 1
            self.add_input(first.get("config", {}).get("name", "input"), first.get("config", {}), where + (0,))
        elif self.config.get("build_input_shape"):
            self.add_input("input", {"batch_shape": self.config["build_input_shape"]},
                           self.base + ("build_input_shape",))
        else:
            self.result.problem("the Sequential model has no input shape; build it (or give it a "
                                "keras.Input) before saving", self.base)
            return
        entries = [self.layer_entry(_ident(layer.get("config", {}).get("name", "layer"), self.taken), layer,
                                    where + (i + offset,))
                   for i, layer in enumerate(layers)]
        self.spec["layers"] = entries
        self.spec["outputs"] = [entries[-1]["id"]] if entries else []


class _Functional(_Base):
    def convert(self) -> None:
        layers = {layer["name"]: (i, layer) for i, layer in enumerate(self.config.get("layers", []))}
        ids: dict[tuple[str, int], str] = {}
        calls: list[tuple[str, Mapping[str, Any], int, Mapping[str, Any], tuple]] = []
        for name, (i, layer) in layers.items():
            where = self.base + ("layers", i)
            if layer.get("class_name") == "InputLayer":
                ids[(name, 0)] = self.add_input(name, layer.get("config", {}), where)
                continue
            for k, node in enumerate(layer.get("inbound_nodes", [])):
                ident = _ident(name if k == 0 else f"{name}_call{k + 1}", self.taken)
                ids[(name, k)] = ident
                calls.append((ident, layer, k, node, where))
        self.ids = ids
        self._renumber(calls)
        self._order_inputs_like_the_model()
        outputs = self.config.get("output_layers", [])
        needed = self._needed(calls, outputs)
        entries: dict[str, dict[str, Any]] = {}
        for ident, layer, k, node, where in calls:
            if ident not in needed:
                continue  # e.g. the keras.ops nodes that computed masks
            if k == 0 or _is_model(layer):  # each call of a sub-model is a `model:` node
                entry = self.layer_entry(ident, layer, where)
            else:
                entry = {"id": ident, "share": ids[(layer["name"], 0)]}
                self.result.origins[self.scope + ident] = where + ("inbound_nodes", k)
            inputs = self._inputs(ident, layer, node, where + ("inbound_nodes", k))
            if "args" in inputs:  # an op's constant call arguments
                entry["args"] = {**entry.get("args", {}), **inputs.pop("args")}
            entry.update(inputs)
            entries[ident] = entry
        self.spec["layers"] = _ordered(entries, self.spec.get("inputs", {}))
        self.spec["outputs"] = self._outputs(outputs)

    def _renumber(self, calls: list) -> None:
        """Map node indices Keras did not renumber onto the calls the config lists.

        A nested model's histories count its own construction as node 0, so its first call in the
        outer config is referred to as node 1: referenced indices are mapped in order onto the calls."""
        counts: dict[str, int] = {}
        for _, layer, _, _, _ in calls:
            counts[layer["name"]] = counts.get(layer["name"], 0) + 1
        referenced: dict[str, set[int]] = {}
        histories = [h for _, _, _, node, _ in calls for h in self._data_refs(node)]
        for history in histories + _histories(self.config.get("output_layers", [])):
            referenced.setdefault(history[0], set()).add(history[1])
        remapped = {}
        for name, indices in referenced.items():
            if name in counts and not indices <= set(range(counts[name])) and len(indices) <= counts[name]:
                for k, index in enumerate(sorted(indices)):
                    remapped[(name, index)] = self.ids[(name, k)]
        self.ids.update(remapped)  # at once: node 1 may be both a config index and a referenced one

    def _order_inputs_like_the_model(self) -> None:
        """The spec's inputs in ``model.inputs`` order (``input_layers``), which ``compile`` keeps;
        the layer list can name the InputLayers in another order."""
        inputs = self.spec.get("inputs", {})
        order = [self.ids.get((h[0], 0)) for h in _histories(self.config.get("input_layers", []))]
        if order and all(name in inputs for name in order):
            self.spec["inputs"] = {**{name: inputs[name] for name in order}, **inputs}

    def _data_refs(self, node: Mapping[str, Any]) -> Iterator[list]:
        for value in node.get("args", []):
            yield from _tensors(value) or []
        for key, value in node.get("kwargs", {}).items():
            if key not in _RECORDED_ONLY:
                yield from _tensors(value) or []

    def _needed(self, calls: list, outputs: Any) -> set[str]:
        producers: dict[str, dict[str, None]] = {}
        for ident, _, _, node, _ in calls:
            producers.setdefault(ident, {})
            for history in self._data_refs(node):
                source = self.ids[(history[0], history[1])]
                producers.setdefault(source, {})
                producers[ident][source] = None
        needed: set[str] = set()
        for history in _histories(outputs):
            target = self.ids[(history[0], history[1])]
            needed |= {target} | (ancestors(producers, target) if target in producers else set())
        return needed

    def ref(self, history: list) -> str:
        ident = self.ids[(history[0], history[1])]
        return ident if history[0] not in self._multi_output else f"{ident}[{history[2]}]"

    @functools.cached_property
    def _multi_output(self) -> set[str]:
        """Layers with several outputs: any ref uses index > 0, or Keras returns a list for these args."""
        layers = self.config.get("layers", [])
        multi = {h[0] for layer in layers for node in layer.get("inbound_nodes", [])
                 for h in self._data_refs(node) if h[2] > 0}
        multi |= {h[0] for h in _histories(self.config.get("output_layers", [])) if h[2] > 0}
        return multi | {layer["name"] for layer in layers if _returns_list(layer)}

    def _op_inputs(self, ident: str, info: Any, node: Mapping[str, Any], where: tuple) -> dict[str, Any]:
        """An op's call: tensors -> ``inputs`` (by parameter name once a constant comes first: ``1 - x``),
        constants -> ``args`` by parameter name (``x * 1``: ``args: {x2: 1}``)."""
        names = info.call_args
        tensors: list[tuple[str | None, Any]] = []
        constants: dict[str, Any] = {}
        leading_constant = False  # a constant before a tensor: the tensors must be passed by name
        for i, value in enumerate(node.get("args", [])):
            name = names[i] if i < len(names) else None
            histories = _tensors(value)
            if histories is not None:
                refs = [self.ref(h) for h in histories]
                tensors.append((name, refs if isinstance(value, list) else refs[0]))
                leading_constant = leading_constant or len(tensors) <= i
            elif name is None:
                self.result.problem(f"`{ident}`: `keras.ops.{info.name}` takes no positional argument {i} "
                                    f"({value!r})", where + ("args", i))
            else:
                constants[name] = self.op_arg(info, name, value, f"`{ident}`", where + ("args", i))
        keywords = {}
        for key, value in node.get("kwargs", {}).items():
            histories = _tensors(value)
            if histories is None:
                constants[key] = self.op_arg(info, key, value, f"`{ident}`", where + ("kwargs", key))
            else:
                refs = [self.ref(h) for h in histories]
                keywords[key] = refs if isinstance(value, list) else refs[0]
        result: dict[str, Any] = {}
        if keywords or leading_constant:
            if any(name is None for name, _ in tensors):
                self.result.problem(f"`{ident}`: more tensors than `keras.ops.{info.name}` has parameters", where)
            result["inputs"] = {**{name: ref for name, ref in tensors if name is not None}, **keywords}
        elif len(tensors) == 1:
            result["inputs"] = tensors[0][1]
        elif tensors:
            result["inputs"] = [ref for _, ref in tensors]
        if constants:
            result["args"] = constants
        return result

    def _inputs(self, ident: str, layer: Mapping[str, Any], node: Mapping[str, Any],
                where: tuple) -> dict[str, Any]:
        if _is_op(layer):
            op = self.catalog.op_for_class(str(layer.get("module")), layer["class_name"])
            if op is not None:
                return self._op_inputs(ident, op, node, where)
        info = None if _is_model(layer) else self.catalog.get(layer["class_name"])
        declared = self.result.spec.get("custom_layers", {}).get(layer["class_name"], {}) if info is None else {}
        call_args = [a for a in (info.call_args if info else declared.get("call_args") or ())
                     if a not in _RECORDED_ONLY]
        positional, keywords, call = [], {}, {}
        for i, value in enumerate(node.get("args", [])):
            histories = _tensors(value)
            if histories is None:
                self.result.problem(f"`{ident}`: positional call argument {i} is a constant ({value!r}), "
                                    "which a spec cannot pass", where + ("args", i))
                continue
            refs = [self.ref(h) for h in histories]
            positional.append(refs if isinstance(value, list) else refs[0])
        for key, value in node.get("kwargs", {}).items():
            if key in _RECORDED_ONLY:
                continue
            histories = _tensors(value)
            if histories is None:
                default = info.call_defaults.get(key, object()) if info else object()
                if plain(value) != plain(default):
                    call[key] = plain(value)
                continue
            refs = [self.ref(h) for h in histories]
            keywords[key] = refs if isinstance(value, list) else refs[0]
        mode = info.input_mode if info else "single"
        result: dict[str, Any] = {}
        if keywords or (mode == "single" and len(positional) > 1 and call_args):
            named = {call_args[i] if i < len(call_args) else f"arg{i}": v for i, v in enumerate(positional)}
            result["inputs"] = {**named, **keywords}
        elif len(positional) == 1:
            result["inputs"] = positional[0]
        elif positional:
            result["inputs"] = positional
        if call:
            result["call"] = call
        return result

    def _outputs(self, outputs: Any) -> Any:
        if isinstance(outputs, Mapping):
            return {_ident(name, set()): self.ref(h) for name, h in outputs.items()}
        return [self.ref(h) for h in _histories(outputs)]


def _histories(value: Any) -> list[list]:
    """`input_layers`/`output_layers`: one [name, node, index] triple, a list of them, or a dict."""
    if isinstance(value, Mapping):
        return [h for v in value.values() for h in _histories(v)]
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        return [value]
    if isinstance(value, list):
        return [h for v in value for h in _histories(v)]
    return []


def _is_model(layer: Mapping[str, Any]) -> bool:
    return layer.get("class_name") in _MODEL_CLASSES and isinstance(layer.get("config"), Mapping) \
        and "layers" in layer["config"]


def _is_op(layer: Mapping[str, Any]) -> bool:
    return str(layer.get("module") or "").startswith("keras.src.ops")


def _returns_list(layer: Mapping[str, Any]) -> bool:
    config = layer.get("config", {})
    if _is_model(layer):  # a sub-model with several outputs returns a list
        return len(_histories(config.get("output_layers", []))) > 1
    inner = config.get("layer", {}).get("config", {}) if isinstance(config.get("layer"), Mapping) else {}
    return bool(config.get("return_state") or inner.get("return_state")
                or (layer.get("class_name") == "Bidirectional" and config.get("merge_mode", "concat") is None))


def _ordered(entries: dict[str, dict[str, Any]], inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Dependency order (ties: Keras's order); `inputs` omitted where it is the previous node."""
    producers: dict[str, dict[str, None]] = {ident: {} for ident in entries}
    consumers: dict[str, dict[str, None]] = {ident: {} for ident in entries}
    for ident, entry in entries.items():
        for ref in refs_of(entry.get("inputs")):
            node = ref.split("[", 1)[0]
            if node in entries and node not in producers[ident]:
                producers[ident][node] = None
                consumers[node][ident] = None
    order = kahn_order(list(entries), consumers, producers)
    if len(order) != len(entries):
        raise ValueError("the model's layers call each other in a cycle")
    previous = next(iter(inputs)) if len(inputs) == 1 else None
    result = []
    for ident in order:
        entry = entries[ident]
        if previous is not None and entry.get("inputs") == previous:
            entry = {k: v for k, v in entry.items() if k != "inputs"}
        result.append(entry)
        previous = ident
    return result


def refs_of(inputs: Any) -> Iterator[str]:
    if isinstance(inputs, str):
        yield inputs
    elif isinstance(inputs, list):
        for value in inputs:
            yield from refs_of(value)
    elif isinstance(inputs, Mapping):
        for value in inputs.values():
            yield from refs_of(value)
