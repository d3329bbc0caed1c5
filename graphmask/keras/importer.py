"""An existing Keras model -> a graphmask spec (``graphmask import``).

Reads the model's *config* (``config.json`` inside a ``.keras`` file, or
the text of ``model.to_json()``): no weights, and no code from the model
runs. Keras is used only to know each layer's defaults.

- ``InputLayer`` -> ``inputs:``; each call of a layer (an inbound node) ->
  a layer entry; the second and later calls of a shared layer ->
  ``share: <first id>`` entries named ``<layer>_call2``, ``_call3``...
- tensor refs keep their output index (``lstm[1]``) when the layer has
  several outputs; keyword tensors (MultiHeadAttention ``value=``, RNN
  ``initial_state=``) become ``inputs: {keyword: ref}``.
- The ``mask=`` and ``training=`` call arguments Keras records are dropped
  (graphmask infers masks; ``training`` is set at call time), and the
  ``keras.ops`` nodes that only computed those masks are skipped.
- What a spec cannot express (a Python ``lambda``, a nested model, a raw
  ``keras.ops`` call on the data path, a class defined in ``__main__``) is
  listed in ``problems``; nothing is dropped silently.
"""

from __future__ import annotations

import functools
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

import networkx as nx

from graphmask.catalog import load_catalog
from graphmask.keras.import_args import ArgConverter, plain
from graphmask.keras.imports import LAMBDA_CALLABLE_ARGS
from graphmask.spec.models import DType

MAX_CONFIG_BYTES = 64 * 1024 * 1024
_DTYPES = set(DType.__args__)
# Call arguments Keras records that a spec leaves out: masks are inferred, `training` is set at call time.
_RECORDED_ONLY = ("mask", "training")


@dataclass
class ImportResult:
    spec: dict[str, Any]  # YAML-ready spec data
    problems: list[str] = field(default_factory=list)  # could not be expressed
    notes: list[str] = field(default_factory=list)  # expressed, but worth a look


class ImportFailure(ValueError):
    """The file is not a model config graphmask can read."""


def read_model_config(path: str | os.PathLike) -> dict[str, Any]:
    """The ``{class_name, config}`` of a model from a ``.keras`` file or a JSON config file."""
    path = os.fspath(path)
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                try:
                    info = archive.getinfo("config.json")
                except KeyError:
                    raise ImportFailure(f"{path}: a .keras file must contain config.json") from None
                if info.file_size > MAX_CONFIG_BYTES:
                    raise ImportFailure(f"{path}: config.json is larger than {MAX_CONFIG_BYTES} bytes")
                text = archive.read(info).decode("utf-8")
        else:
            if os.path.getsize(path) > MAX_CONFIG_BYTES:
                raise ImportFailure(f"{path}: larger than {MAX_CONFIG_BYTES} bytes; not a model config")
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        data = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, zipfile.BadZipFile, RecursionError) as exc:
        raise ImportFailure(f"{path}: not a .keras file or a model JSON config ({exc})") from None
    if isinstance(data, dict) and "layers" in data and "class_name" not in data:
        data = {"class_name": "Functional", "config": data}  # model.get_config() written as JSON
    if not (isinstance(data, dict) and isinstance(data.get("config"), dict) and "layers" in data["config"]):
        raise ImportFailure(f"{path}: no model config found (expected a Functional or Sequential model)")
    return data


def import_config(model: Mapping[str, Any], keras: Any = None) -> ImportResult:
    """Convert a config from ``read_model_config``; Keras (imported here unless given) supplies layer defaults."""
    result = ImportResult({})
    kind = model.get("class_name")
    if kind == "Sequential":
        reader: type[_Base] = _Sequential
    elif kind in ("Functional", "Model"):
        reader = _Functional
    else:
        raise ImportFailure(f"cannot import a `{kind}` model: only Functional and Sequential models have a "
                            "graph graphmask can read (a subclassed model's call() is Python code)")
    if keras is None:
        from graphmask.keras.quiet import load_tensorflow

        load_tensorflow()
        import keras
    try:
        reader(model["config"], ArgConverter(keras, result.problems), result).convert()
    except (KeyError, IndexError, TypeError, AttributeError, RecursionError) as exc:
        # a config Keras did not write (hand-edited, truncated, another tool's): a message, not a traceback
        raise ImportFailure(f"the {kind} config is not in the form Keras writes it "
                            f"({type(exc).__name__}: {exc})") from None
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
    def __init__(self, config: Mapping[str, Any], converter: ArgConverter, result: ImportResult):
        self.config = config
        self.conv = converter
        self.result = result
        self.catalog = load_catalog()
        self.taken: set[str] = set()
        self.spec = result.spec
        self.spec.update({"graphmask": 1, "name": str(config.get("name") or "imported_model")})

    def add_input(self, name: str, layer_config: Mapping[str, Any]) -> str:
        ident = _ident(name, self.taken)
        shape = layer_config.get("batch_shape") or layer_config.get("batch_input_shape")
        dtype = self.conv.value("dtype", layer_config.get("dtype", "float32"))
        if not isinstance(shape, list) or len(shape) < 2:
            self.result.problems.append(f"input `{name}`: no per-sample shape in the config ({shape!r})")
            shape = [None, None]
        if dtype not in _DTYPES:
            self.result.problems.append(f"input `{name}`: dtype {dtype!r} is not one a spec can declare")
        self.spec.setdefault("inputs", {})[ident] = {"shape": list(shape[1:]), "dtype": dtype}
        return ident

    def layer_entry(self, ident: str, layer: Mapping[str, Any]) -> dict[str, Any]:
        """``{id, type, args}`` for a layer's first call (custom classes declared on the way)."""
        class_name, config = layer["class_name"], layer.get("config", {})
        where = f"layer `{layer.get('name', ident)}`"
        if self.catalog.get(class_name) is None:
            self._declare_custom(class_name, layer, where)
        elif class_name == "Lambda":
            config = self._lambda_config(config, where)
        args = self.conv.args(class_name, config, where)
        entry: dict[str, Any] = {"id": ident, "type": class_name}
        if args:
            entry["args"] = args
        return entry

    def _declare_custom(self, class_name: str, layer: Mapping[str, Any], where: str) -> None:
        module = layer.get("module") or ""
        if class_name in ("Functional", "Sequential", "Model") or module.startswith("keras"):
            self.result.problems.append(f"{where}: `{class_name}` ({module or 'keras'}) is not a layer a spec "
                                        "can express (nested models and raw keras.ops calls are not supported)")
            return
        if not module or module == "__main__":
            self.result.problems.append(f"{where}: custom class `{class_name}` has no importable module "
                                        f"({module or 'none'}); define it in a package to import it")
            return
        declared = self.spec.setdefault("custom_layers", {})
        if class_name not in declared:
            declared[class_name] = {"import": f"{module}:{class_name}", "mask": {"supports_masking": False}}
            self.result.notes.append(
                f"custom layer `{class_name}` ({module}): its mask behaviour is unknown to graphmask; edit "
                f"`custom_layers.{class_name}.mask` (compile with --allow-import {module.split('.')[0]} checks it)")

    def _lambda_config(self, config: Mapping[str, Any], where: str) -> dict[str, Any]:
        config = dict(config)
        for key in LAMBDA_CALLABLE_ARGS:
            value = config.get(key)
            if isinstance(value, Mapping) and value.get("class_name") == "function":
                config[key] = f"{value.get('module')}:{value.get('config')}"
            elif isinstance(value, Mapping) and value.get("class_name") == "__lambda__":
                self.result.problems.append(f"{where}: `Lambda({key}=<python lambda>)` cannot be written in a spec; "
                                            "move the function into a module and name it as `pkg.mod:function`")
        return config


class _Sequential(_Base):
    def convert(self) -> None:
        layers = list(self.config.get("layers", []))
        if layers and layers[0].get("class_name") == "InputLayer":
            first = layers.pop(0)
            self.add_input(first.get("config", {}).get("name", "input"), first.get("config", {}))
        elif self.config.get("build_input_shape"):
            self.add_input("input", {"batch_shape": self.config["build_input_shape"]})
        else:
            self.result.problems.append("the Sequential model has no input shape; build it (or give it a "
                                        "keras.Input) before saving")
            return
        entries = [self.layer_entry(_ident(layer.get("config", {}).get("name", "layer"), self.taken), layer)
                   for layer in layers]
        self.spec["layers"] = entries
        self.spec["outputs"] = [entries[-1]["id"]] if entries else []


class _Functional(_Base):
    def convert(self) -> None:
        layers = {layer["name"]: layer for layer in self.config.get("layers", [])}
        ids: dict[tuple[str, int], str] = {}
        calls: list[tuple[str, Mapping[str, Any], int, Mapping[str, Any]]] = []
        for name, layer in layers.items():
            if layer.get("class_name") == "InputLayer":
                ids[(name, 0)] = self.add_input(name, layer.get("config", {}))
                continue
            for k, node in enumerate(layer.get("inbound_nodes", [])):
                ident = _ident(name if k == 0 else f"{name}_call{k + 1}", self.taken)
                ids[(name, k)] = ident
                calls.append((ident, layer, k, node))
        self.ids = ids
        self._order_inputs_like_the_model()
        outputs = self.config.get("output_layers", [])
        needed = self._needed(calls, outputs)
        entries: dict[str, dict[str, Any]] = {}
        for ident, layer, k, node in calls:
            if ident not in needed:
                continue  # e.g. the keras.ops nodes that computed masks
            entry = self.layer_entry(ident, layer) if k == 0 else {"id": ident, "share": ids[(layer["name"], 0)]}
            entry.update(self._inputs(ident, layer, node))
            entries[ident] = entry
        self.spec["layers"] = _ordered(entries, self.spec.get("inputs", {}))
        self.spec["outputs"] = self._outputs(outputs)

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
        graph = nx.DiGraph()
        for ident, _, _, node in calls:
            graph.add_node(ident)
            for history in self._data_refs(node):
                graph.add_edge(self.ids[(history[0], history[1])], ident)
        needed: set[str] = set()
        for history in _histories(outputs):
            target = self.ids[(history[0], history[1])]
            needed |= {target} | (nx.ancestors(graph, target) if target in graph else set())
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

    def _inputs(self, ident: str, layer: Mapping[str, Any], node: Mapping[str, Any]) -> dict[str, Any]:
        info = self.catalog.get(layer["class_name"])
        call_args = [a for a in (info.call_args if info else ()) if a not in _RECORDED_ONLY]
        positional, keywords, call = [], {}, {}
        for i, value in enumerate(node.get("args", [])):
            histories = _tensors(value)
            if histories is None:
                self.result.problems.append(f"`{ident}`: positional call argument {i} is a constant ({value!r}), "
                                            "which a spec cannot pass")
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


def _returns_list(layer: Mapping[str, Any]) -> bool:
    config = layer.get("config", {})
    inner = config.get("layer", {}).get("config", {}) if isinstance(config.get("layer"), Mapping) else {}
    return bool(config.get("return_state") or inner.get("return_state")
                or (layer.get("class_name") == "Bidirectional" and config.get("merge_mode", "concat") is None))


def _ordered(entries: dict[str, dict[str, Any]], inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Dependency order (ties: Keras's order); `inputs` omitted where it is the previous node."""
    graph = nx.DiGraph()
    position = {ident: i for i, ident in enumerate(entries)}
    for ident, entry in entries.items():
        graph.add_node(ident)
        for ref in _refs_of(entry.get("inputs")):
            node = ref.split("[", 1)[0]
            if node in entries:
                graph.add_edge(node, ident)
    order = list(nx.lexicographical_topological_sort(graph, key=position.__getitem__))
    previous = next(iter(inputs)) if len(inputs) == 1 else None
    result = []
    for ident in order:
        entry = entries[ident]
        if previous is not None and entry.get("inputs") == previous:
            entry = {k: v for k, v in entry.items() if k != "inputs"}
        result.append(entry)
        previous = ident
    return result


def _refs_of(inputs: Any) -> Iterator[str]:
    if isinstance(inputs, str):
        yield inputs
    elif isinstance(inputs, list):
        for value in inputs:
            yield from _refs_of(value)
    elif isinstance(inputs, Mapping):
        for value in inputs.values():
            yield from _refs_of(value)
