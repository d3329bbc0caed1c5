"""Keras layer knowledge, as data.

This package never imports TensorFlow or Keras.  ``layers.json`` is generated
from the installed Keras by ``python -m graphmask.catalog.build`` (which
does import Keras) and is checked in; this module only reads it.

Public API::

    from graphmask.catalog import load_catalog, Catalog, LayerInfo, ArgInfo
    cat = load_catalog()
    cat.keras_version            # "3.15.1"
    info = cat.get("LSTM")       # LayerInfo | None
    rm = info.mask_for({"units": 4, "return_sequences": True}, {})
    rm.supports_masking, rm.consumes, rm.output, rm.n_outputs, rm.output_masks

A layer's mask behaviour (``LayerInfo.mask``) is a ``MaskRule``; its
vocabulary and how a rule resolves for concrete arguments are documented in
``graphmask.catalog.mask``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from graphmask.catalog.cudnn import CudnnRule
from graphmask.catalog.mask import (
    DECLARATION_OUTPUT_KINDS,
    OUTPUT_KINDS,
    MaskRule,
    ResolvedMask,
    _freeze,
    matches,
)
from graphmask.catalog.shapes import ShapeRule

__all__ = [
    "ArgInfo",
    "Catalog",
    "CudnnRule",
    "ShapeRule",
    "LayerInfo",
    "MaskRule",
    "OUTPUT_KINDS",
    "DECLARATION_OUTPUT_KINDS",
    "CATEGORIES",
    "ResolvedMask",
    "load_catalog",
    "matches",
]


CATEGORIES: tuple[str, ...] = (
    "core",
    "embedding",
    "masking",
    "rnn",
    "rnn_cell",
    "wrapper",
    "merge",
    "attention",
    "conv",
    "pooling",
    "reshaping",
    "normalization",
    "regularization",
    "activation",
    "preprocessing",
    "image_augmentation",
    "other",
)


@dataclass(frozen=True)
class ArgInfo:
    name: str
    required: bool
    default: object = None  # JSON value, or a repr string when default_is_repr
    default_is_repr: bool = False
    positional: bool = True  # may be passed positionally
    inherited: bool = False  # accepted via **kwargs by an intermediate base class
    via_kwargs: bool = False  # legacy name popped from **kwargs by __init__ (often deprecated)

    @classmethod
    def from_json(cls, name: str, d: Mapping[str, Any]) -> "ArgInfo":
        return cls(
            name=name,
            required=bool(d.get("required", False)),
            default=_freeze(d.get("default")),
            default_is_repr=bool(d.get("default_is_repr", False)),
            positional=bool(d.get("positional", True)),
            inherited=bool(d.get("inherited", False)),
            via_kwargs=bool(d.get("via_kwargs", False)),
        )


@dataclass(frozen=True)
class LayerInfo:
    name: str
    alias_of: str | None
    category: str
    args: Mapping[str, ArgInfo]
    accepts_var_kwargs: bool
    call_args: tuple[str, ...]
    min_inputs: int
    max_inputs: int | None
    mask: MaskRule
    module: str = ""
    input_mode: str = "single"  # "single" | "list" | "args"
    call_defaults: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    abstract: bool = False  # base classes (Layer, Wrapper, RNN needs a cell...)
    notes: str = ""
    shape: ShapeRule = field(default_factory=ShapeRule)  # compute_output_shape, as a named rule
    cudnn: CudnnRule | None = None  # when Keras may run it on the fused cuDNN kernel (LSTM, GRU)
    callable_args: tuple[str, ...] = ()  # args naming Python callables (`pkg.mod:name`; the first is required)
    wrapped_needs: tuple[str, ...] = ()  # constructor args the wrapped layer must take (Bidirectional: an RNN)

    @classmethod
    def from_json(cls, name: str, d: Mapping[str, Any]) -> "LayerInfo":
        return cls(
            name=name,
            alias_of=d.get("alias_of"),
            category=d["category"],
            args=MappingProxyType(
                {k: ArgInfo.from_json(k, v) for k, v in d.get("args", {}).items()}
            ),
            accepts_var_kwargs=bool(d.get("accepts_var_kwargs", False)),
            call_args=tuple(d.get("call_args", ())),
            min_inputs=int(d.get("min_inputs", 1)),
            max_inputs=d.get("max_inputs", 1),
            mask=MaskRule.from_json(d.get("mask", {})),
            module=d.get("module", ""),
            input_mode=d.get("input_mode", "single"),
            call_defaults=_freeze(dict(d.get("call_defaults", {}))),
            abstract=bool(d.get("abstract", False)),
            notes=d.get("notes", ""),
            shape=ShapeRule.from_json(d.get("shape")),
            cudnn=CudnnRule.from_json(d.get("cudnn")),
            callable_args=tuple(d.get("callable_args", ())),
            wrapped_needs=tuple(d.get("wrapped_needs", ())),
        )

    def arg_default(self, name: str) -> object:
        """Default of constructor arg ``name`` (KeyError if unknown or required)."""
        a = self.args.get(name)
        if a is None:
            raise KeyError(f"{self.name} has no constructor argument {name!r}")
        if a.required:
            raise KeyError(f"{self.name} argument {name!r} is required (no default)")
        return a.default

    @functools.cached_property
    def _defaults(self) -> Mapping[str, Any]:
        """The optional args' defaults, computed once: each pass merges them into every node's args."""
        return MappingProxyType({k: a.default for k, a in self.args.items() if not a.required})

    def effective_args(self, args: Mapping[str, Any] | None = None) -> dict[str, Any]:
        eff = dict(self._defaults)
        eff.update(args or {})
        return eff

    def effective_call_kwargs(self, call_kwargs: Mapping[str, Any] | None = None) -> dict[str, Any]:
        eff = dict(self.call_defaults)
        eff.update(call_kwargs or {})
        return eff

    def mask_for(
        self,
        args: Mapping[str, Any] | None = None,
        call_kwargs: Mapping[str, Any] | None = None,
        inner_args: Mapping[str, Any] | None = None,
        inner: "LayerInfo | ResolvedMask | MaskRule | None" = None,
    ) -> ResolvedMask:
        """Resolve the mask rule for user ``args`` and ``call_kwargs``.

        Defaults are merged in here.  For wrappers pass the wrapped layer's
        user args as ``inner_args`` and its LayerInfo (or resolved rule) as
        ``inner``.  A wrapper with the fact ``passes_step_mask_to_inner``
        (TimeDistributed) hands the per-step mask to the wrapped layer's call
        when that has a ``mask`` parameter, so whether it consumes, and the
        mask constraint, are the wrapped layer's.
        """
        inner_eff: Mapping[str, Any] = inner_args or {}
        inner_rule: ResolvedMask | MaskRule | None = None
        if isinstance(inner, LayerInfo):
            inner_eff = inner.effective_args(inner_args)
            inner_rule = inner.mask
        elif inner is not None:
            inner_rule = inner
        rm = self.mask.resolve(
            self.effective_args(args),
            self.effective_call_kwargs(call_kwargs),
            inner_eff,
            inner_rule,
        )
        if self.mask.facts.get("passes_step_mask_to_inner") and isinstance(inner, LayerInfo):
            # mask[:, t] (shape (batch,)) goes to the inner call(); the inner
            # layer's constraint then applies to that per-step mask.
            ir = inner.mask_for(inner_args)
            has_mask = "mask" in inner.call_args
            rm = dataclasses.replace(
                rm,
                consumes=has_mask and ir.consumes,
                mask_constraint=ir.mask_constraint if has_mask else None,
            )
        return rm

    @property
    def canonical(self) -> str:
        return self.alias_of or self.name


class _Entries:
    """Name -> ``LayerInfo``, each built from its JSON on first use and kept (the same object
    every time): a check looks up a handful of the catalog's hundreds of entries, and building
    them all took longer than checking a 50-node spec."""

    def __init__(self, raw: Mapping[str, Any]):
        self._raw = raw
        self._built: dict[str, LayerInfo] = {}

    def get(self, name: str, default: LayerInfo | None = None) -> LayerInfo | None:
        info = self._built.get(name)
        if info is None:
            data = self._raw.get(name)
            if data is None:
                return default
            info = self._built[name] = LayerInfo.from_json(name, data)
        return info

    def __getitem__(self, name: str) -> LayerInfo:
        info = self.get(name)
        if info is None:
            raise KeyError(name)
        return info

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def __iter__(self):
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


class Catalog:
    """Read-only view of ``layers.json``."""

    def __init__(self, data: Mapping[str, Any]):
        self.keras_version: str = data["keras_version"]
        self.format: int = int(data.get("format", 1))
        self.base_kwargs: frozenset[str] = frozenset(data.get("base_kwargs", ()))
        # call parameters that are not tensor inputs of the graph (besides every `<arg>_mask`)
        self.auxiliary_call_args: frozenset[str] = frozenset(data.get("auxiliary_call_args", ()))
        self.semantics: Mapping[str, Any] = _freeze(dict(data.get("semantics", {})))
        # a model called as a layer: {"call_has_mask_arg", "supports_masking"} per model class (a spec's
        # sub-models compile to Functional models)
        self.sub_models: Mapping[str, Any] = _freeze(dict(data.get("sub_models", {})))
        # valid_kwargs by id(info): (info, names); the structure pass asks for every layer it checks
        self._valid_kwargs: dict[int, tuple[LayerInfo, frozenset[str]]] = {}
        self._layers = _Entries(data["layers"])
        # keras.ops functions that apply to KerasTensors, in the layers' vocabulary (category "op")
        self._ops = _Entries(data.get("ops", {}))
        self._ops_by_class: dict[tuple[str, str], str] = {
            (d["module"], d["class_name"]): name for name, d in data.get("ops", {}).items()
        }

    def get(self, name: str) -> LayerInfo | None:
        return self._layers.get(name)

    def op(self, name: str) -> LayerInfo | None:
        """The entry of ``keras.ops.<name>``, if it applies to KerasTensors."""
        return self._ops.get(name)

    def op_names(self) -> list[str]:
        return sorted(self._ops)

    def op_for_class(self, module: str, class_name: str) -> LayerInfo | None:
        """The op a saved config's ``{"module": ..., "class_name": ...}`` records (``x + y``: numpy Add)."""
        name = self._ops_by_class.get((module, class_name))
        return self._ops.get(name) if name is not None else None

    def __getitem__(self, name: str) -> LayerInfo:
        return self._layers[name]

    def __contains__(self, name: object) -> bool:
        return name in self._layers

    def __iter__(self):
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._layers)

    def names(self) -> list[str]:
        return sorted(self._layers)

    def layers(self) -> Iterable[LayerInfo]:
        return (self._layers[n] for n in self.names())

    def by_category(self, category: str) -> list[LayerInfo]:
        return [i for i in self.layers() if i.category == category]

    def is_input_param(self, name: str) -> bool:
        """Whether a call parameter takes one of the layer's tensor inputs (not a mask, flag or state)."""
        return name not in self.auxiliary_call_args and not name.endswith("_mask")

    def valid_kwargs(self, layer: str | LayerInfo) -> frozenset[str]:
        """All constructor kwargs accepted by a layer (a catalog name, or any ``LayerInfo``)."""
        info = self._layers[layer] if isinstance(layer, str) else layer
        known = self._valid_kwargs.get(id(info))
        if known is not None and known[0] is info:  # the entry keeps info alive: its id is not reused
            return known[1]
        names = set(info.args)
        if info.accepts_var_kwargs:
            names |= self.base_kwargs
        if len(self._valid_kwargs) >= 4096:  # custom layers' entries come and go
            self._valid_kwargs.clear()
        valid = self._valid_kwargs[id(info)] = (info, frozenset(names))
        return valid[1]


def _read_json() -> dict[str, Any]:
    # Read beside this module (importlib.resources costs more to import than the file takes to read).
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers.json"), encoding="utf-8") as handle:
        return json.loads(handle.read())


@functools.lru_cache(maxsize=None)
def load_catalog() -> Catalog:
    return Catalog(_read_json())
