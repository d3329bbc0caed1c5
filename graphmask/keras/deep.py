"""``graphmask check --deep``: build each spec with Keras and hold the static mask inference to it.

Two steps over the same layer instances:

1. symbolic (``keras.Input``): Keras's build errors -- wrong ranks, shapes,
   arguments -- become GM303 at the failing node;
2. the functional model of that walk runs on a small demo batch
   (``inputs.demo_batch``), replayed node by node like ``model(batch)``
   (``replay``): the tensor objects are shared between consumers and the
   order is Keras's, so a layer that clears the masks of its inputs
   (MultiHeadAttention) does so for the layers that run after it, as in a
   real run. Each node's outputs either carry Keras's mask or not. The
   static inference (``analysis.masks.infer_masks``) describes the masks of
   a *running* model, so this run is what it is compared with; a
   disagreement is GM304. Errors only raised when the model runs (e.g. a
   mask Softmax cannot broadcast) are GM303 too. Nodes the model never runs
   (on no path to an output) are not compared. When an output could not be
   built, the model that would run does not exist: masks are not compared
   then (the partial model still runs, for run-time errors).

Custom layers are not imported by ``check`` (a spec never makes ``check``
run code): nodes that need them, and what depends on them, are skipped with
an info note.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable

from graphmask import codes
from graphmask.diagnostics import Diagnostic, Severity
from graphmask.graph import SpecGraph, build_graph
from graphmask.spec import Spec

DEEP_SAMPLES = 2
# `check` has no --allow-import (it never imports user code): say which commands do.
DEEP_IMPORT_ADVICE = ("`check` never imports user code; `graphmask compile SPEC -o MODEL.keras --allow-import {top}` "
                      "(or `graphmask run ... --allow-import {top}`) builds it with the layer")
# Static errors after which building with Keras only repeats them.
_BLOCKING_PREFIXES = ("GM10",)


def deep_verify(spec: Spec, allow_imports: Iterable[str] = ()) -> list[Diagnostic]:
    """GM303/GM304 findings for one spec (info notes for nodes it could not try)."""
    g, _ = build_graph(spec)
    return _verify_graph(g, allow_imports)


def _verify_graph(g: SpecGraph, allow_imports: Iterable[str] = ()) -> list[Diagnostic]:
    if not g.acyclic:
        return []
    from graphmask.keras.quiet import load_tensorflow

    load_tensorflow()
    import keras

    from graphmask.keras.build import (BuildFailure, LayerFactory, functional_model, output_value, symbolic_inputs,
                                       trace)
    from graphmask.keras.replay import replay

    factory = LayerFactory(g, keras, tuple(allow_imports), DEEP_IMPORT_ADVICE)
    symbolic = trace(factory, symbolic_inputs(g, keras), collect=True)
    found = [_soften(d) for d in symbolic.failures]
    outputs = [output_value(g, symbolic.tensors, b) for _, b in g.outputs if b.node in symbolic.tensors]
    if not outputs:
        return found
    try:
        model = functional_model(g, keras, [symbolic.tensors[name] for name in g.spec.inputs], outputs)
    except BuildFailure as failure:
        return found + [failure.diagnostic]
    layers = {node_id: value for node_id, value in symbolic.tensors.items() if node_id not in g.spec.inputs}
    ran = replay(model, _demo_inputs(g, keras), layers)
    found += [_run_failure(g, f.node_id, f.error, f.op_name) for f in ran.failures]
    if len(outputs) == len(g.outputs) and not ran.failures:
        found += _disagreements(g, ran.masks, keras.__version__)
    return found


def _demo_inputs(g: SpecGraph, keras: Any) -> list:
    """One tensor per spec input, in ``model.inputs`` order."""
    from graphmask.keras.inputs import check_inputs, demo_batch

    batch = check_inputs(g.spec, demo_batch(g, DEEP_SAMPLES))
    return [keras.ops.convert_to_tensor(value.astype(str) if value.dtype == object else value)
            for value in (batch[name] for name in g.spec.inputs)]


def _disagreements(g: SpecGraph, runtime_masks: dict[str, Any], version: str) -> list[Diagnostic]:
    """GM304 for each node whose masks in the run differ from the static (running-model) inference."""
    from graphmask.analysis.masks import infer_masks

    flow = infer_masks(g)
    found = []
    for node_id, runtime in runtime_masks.items():
        node_flow = flow.nodes.get(node_id)
        if node_flow is None or any(t.opaque for t in node_flow.outputs):
            continue
        mismatch = _compare(node_flow.mask_out, runtime)
        if mismatch:
            node = g.nodes[node_id]
            found.append(g.diagnostic(
                codes.GM304, f"`{node_id}` ({node.layer_type}): graphmask infers {mismatch[0]}, but in Keras "
                f"{version} {mismatch[1]}", node.where + ("id",), node=node_id))
    return found


def _run_failure(g: SpecGraph, node_id: str, error: BaseException, op_name: str | None) -> Diagnostic:
    """GM303 at the layer that failed in the run (or whose input mask op failed)."""
    from graphmask.keras.build import keras_message

    node = g.nodes[node_id]
    what = f"`{node_id}` ({node.layer_type})"
    what = f"the output mask of {what} (op `{op_name}`)" if op_name else what
    where = node.where + ("inputs",) if node.layer.inputs is not None else node.where + ("id",)
    return g.diagnostic(codes.GM303, f"Keras failed when running {what}: {keras_message(error)}", where, node=node_id)


def _compare(static: bool | list[bool], runtime: bool | list[bool]) -> tuple[str, str] | None:
    static_list = static if isinstance(static, list) else [static]
    runtime_list = runtime if isinstance(runtime, list) else [runtime]
    if static_list == runtime_list:
        return None
    if len(static_list) == 1 and len(runtime_list) == 1:
        return (f"{'a mask' if static_list[0] else 'no mask'} on its output",
                f"the output {'carries a mask' if runtime_list[0] else 'carries no mask'}")
    return (f"masks {static_list} on its outputs", f"the outputs carry masks {runtime_list}")


def _soften(d: Diagnostic) -> Diagnostic:
    """A custom import refused by `check` is a note, not an error: check never runs user code."""
    if d.code != codes.GM306:
        return d
    return dataclasses.replace(d, severity=Severity.INFO,
                               hint="to try this layer too, build the spec with `graphmask compile SPEC -o "
                                    "MODEL.keras --allow-import PKG` (check itself never imports user code)",
                               message=f"--deep skipped `{d.node}` and what depends on it: {d.message}")


def deepen(results: list, options: Any = None) -> list:
    """Add ``deep_verify`` findings to ``check`` results (files that load without structure errors).

    ``options``: the ``batch.CheckOptions`` the results were checked with. The
    results are lean (no spec or graph), so each file is loaded again here.
    """
    from graphmask.batch import CheckOptions
    from graphmask.checker import check_path

    options = options if options is not None else CheckOptions()
    deepened = []
    for result in results:
        if any(d.code.startswith(_BLOCKING_PREFIXES) and d.severity is Severity.ERROR for d in result.diagnostics):
            deepened.append(result)
            continue
        checked = check_path(result.file, options.limits, shared_custom_layers=options.shared_custom_layers)
        if checked.graph is None:
            deepened.append(result)
            continue
        extra = _verify_graph(checked.graph)
        diagnostics = sorted(result.diagnostics + extra, key=Diagnostic.sort_key)
        deepened.append(dataclasses.replace(result, diagnostics=diagnostics))
    return deepened
