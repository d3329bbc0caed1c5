"""Spec -> ``keras.Model`` (functional API, TensorFlow backend).

``compile`` refuses a spec with error diagnostics (unless ``force``),
builds the model (inside a ``tf.distribute`` strategy's scope when given),
then checks custom layers' mask declarations against their classes.

Model structure: one input -> the model takes a tensor; several -> a list
in the spec's order (``model.inputs`` follows the spec: Keras would sort the
keys of a dict; a dict keyed by input id is accepted all the same).
Outputs: a mapping under ``outputs:`` -> a dict keyed by output name; a list
of one -> a tensor; a longer list -> a list.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from graphmask import codes
from graphmask.checker import check_spec
from graphmask.diagnostics import Diagnostic, Severity
from graphmask.graph import SpecGraph
from graphmask.keras.build import (BuildFailure, LayerFactory, Trace, functional_model, output_value,
                                   symbolic_inputs, trace)
from graphmask.keras.errors import CompileError
from graphmask.spec import Spec
from graphmask.spec.loader import load


@dataclass
class Compiled:
    """A built model with what was found on the way (warnings, forced errors)."""

    model: Any
    graph: SpecGraph
    factory: LayerFactory
    trace: Trace
    diagnostics: list[Diagnostic] = field(default_factory=list)
    strategy: Any = None


def load_spec(spec_or_path: Spec | str | os.PathLike) -> Spec:
    if isinstance(spec_or_path, Spec):
        return spec_or_path
    return load(spec_or_path)


def compile_spec(spec_or_path: Spec | str | os.PathLike, *, allow_imports: Iterable[str] = (),
                 force: bool = False, strategy: Any = None) -> Compiled:
    """Build the model; raise ``CompileError`` (with diagnostics) when it cannot or should not."""
    spec = load_spec(spec_or_path)
    checked = check_spec(spec)
    diagnostics = list(checked.diagnostics)
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    graph = checked.graph
    if errors and (not force or not graph.acyclic):
        raise CompileError(errors, "the spec has errors (compile with --force to try anyway)"
                           if graph.acyclic else "the graph has a cycle")

    from graphmask.keras.quiet import load_tensorflow

    load_tensorflow()
    import keras

    from graphmask.keras.distribute import get_strategy
    from graphmask.keras.verify import verify_custom_layers

    resolved = get_strategy(strategy) if strategy is not None else None
    factory = LayerFactory(graph, keras, tuple(allow_imports))
    with resolved.scope() if resolved is not None else contextlib.nullcontext():
        try:
            inputs = symbolic_inputs(graph, keras)
            traced = trace(factory, inputs)
            model = functional_model(graph, keras, model_inputs(spec, inputs), _model_outputs(graph, traced),
                                     name=_model_name(spec))
        except BuildFailure as failure:
            refused = failure.diagnostic.code == codes.GM306  # graphmask's allow-list, not Keras, said no
            raise CompileError([failure.diagnostic], "an import was refused" if refused
                               else "Keras could not build the model") from None
    found = verify_custom_layers(factory, traced)
    if any(d.severity is Severity.ERROR for d in found) and not force:
        raise CompileError(found, "a custom layer's mask declaration does not match its class")
    return Compiled(model, graph, factory, traced, diagnostics + found, resolved)


def compile(spec_or_path: Spec | str | os.PathLike, *, allow_imports: Iterable[str] = (), force: bool = False,
            strategy: Any = None) -> Any:
    """The ``keras.Model`` for a spec (object or path); see ``compile_spec``.

    ``allow_imports``: packages whose custom layers / Lambda functions may be
    imported. ``strategy``: ``"default"``, ``"mirrored"``, ``"multi-worker"``
    or a ``tf.distribute.Strategy``; the model is built in its scope.
    """
    return compile_spec(spec_or_path, allow_imports=allow_imports, force=force, strategy=strategy).model


def model_inputs(spec: Spec, values: Mapping[str, Any]) -> Any:
    """What the model takes, from one value per spec input: the value itself for one input, else a list in
    the spec's order (a dict would be sorted by Keras, reordering ``model.inputs``).

    The same structure serves the symbolic inputs, the arrays fed to ``predict`` and a side model's inputs.
    """
    names = list(spec.inputs)
    return values[names[0]] if len(names) == 1 else [values[name] for name in names]


def _model_outputs(g: SpecGraph, traced: Trace) -> Any:
    values = {name: output_value(g, traced.tensors, binding) for name, binding in g.outputs}
    if isinstance(g.spec.outputs, dict):
        return values
    listed = list(values.values())
    return listed[0] if len(listed) == 1 else listed


def _model_name(spec: Spec) -> str:
    """Keras model names may not contain '/' and read best as identifiers."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", spec.name).strip("_") or "model"


def predictions_by_name(g: SpecGraph, predictions: Any) -> dict[str, Any]:
    """Model outputs (tensor, list or dict, as built above) keyed by spec output name."""
    names = [name for name, _ in g.outputs]
    if isinstance(predictions, dict):
        return {name: predictions[name] for name in names}
    if isinstance(predictions, (list, tuple)) and len(names) > 1:
        return dict(zip(names, predictions))
    return {names[0]: predictions}
