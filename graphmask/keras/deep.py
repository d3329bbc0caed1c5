"""``graphmask check --deep``: build each spec with Keras and hold the static mask inference to it.

Two walks over the same layer instances:

1. symbolic (``keras.Input``): Keras's build errors -- wrong ranks, shapes,
   arguments -- become GM303 at the failing node;
2. eager, on a small demo batch (``inputs.demo_batch``): each node's
   outputs either carry Keras's mask or not. The static inference
   (``analysis.masks.infer_masks``) describes the masks of a *running* model,
   so this is the walk it is compared with; a disagreement is GM304. Errors
   only raised when the model runs (e.g. a mask Softmax cannot broadcast)
   are GM303 too.

Custom layers are not imported by ``check`` (a spec never makes ``check``
run code): nodes that need them, and what depends on them, are skipped with
an info note.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable

from graphmask.diagnostics import Diagnostic, Severity
from graphmask.graph import SpecGraph, build_graph
from graphmask.spec import Spec

DEEP_SAMPLES = 2
# Static errors after which building with Keras only repeats them.
_BLOCKING_PREFIXES = ("GM10",)


def deep_verify(spec: Spec, allow_imports: Iterable[str] = ()) -> list[Diagnostic]:
    """GM303/GM304 findings for one spec (info notes for nodes it could not try)."""
    g, _ = build_graph(spec)
    return _verify_graph(g, allow_imports)


def _verify_graph(g: SpecGraph, allow_imports: Iterable[str] = ()) -> list[Diagnostic]:
    if not g.acyclic:
        return []
    import keras

    from graphmask.analysis.masks import infer_masks
    from graphmask.keras.build import LayerFactory, symbolic_inputs, trace
    from graphmask.keras.inputs import check_inputs, demo_batch

    factory = LayerFactory(g, keras, tuple(allow_imports))
    symbolic = trace(factory, symbolic_inputs(g, keras), collect=True)
    found = [_soften(d) for d in symbolic.failures]
    batch = check_inputs(g.spec, demo_batch(g, DEEP_SAMPLES))
    eager_inputs = {name: keras.ops.convert_to_tensor(value.astype(str) if value.dtype == object else value)
                    for name, value in batch.items()}
    eager = trace(factory, eager_inputs, collect=True, alias=_alias)
    failed = {d.node for d in symbolic.failures}
    found += [_at_run(d) for d in eager.failures if d.node not in failed]
    flow = infer_masks(g)
    for node_id, runtime in eager.masks.items():
        node_flow = flow.nodes.get(node_id)
        if node_flow is None or any(t.opaque for t in node_flow.outputs):
            continue
        mismatch = _compare(node_flow.mask_out, runtime)
        if mismatch:
            node = g.nodes[node_id]
            found.append(g.diagnostic(
                "GM304", f"`{node_id}` ({node.layer_type}): graphmask infers {mismatch[0]}, but in Keras "
                f"{keras.__version__} {mismatch[1]}", node.where + ("id",), node=node_id))
    return found


def _alias(value: Any) -> Any:
    """A new tensor object with the same values and mask (see ``LayerFactory.call_arguments``)."""
    import tensorflow as tf

    from graphmask.keras.masks import get_keras_mask, set_keras_mask

    if isinstance(value, (list, tuple)):
        return type(value)(_alias(v) for v in value)
    copy = tf.identity(value)
    mask = get_keras_mask(value)
    if mask is not None:
        set_keras_mask(copy, mask)
    return copy


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
    if d.code != "GM306":
        return d
    return dataclasses.replace(d, severity=Severity.INFO,
                               message=f"--deep skipped `{d.node}` and what depends on it: {d.message}")


def _at_run(d: Diagnostic) -> Diagnostic:
    if d.code != "GM303":
        return _soften(d)
    return dataclasses.replace(d, message=d.message.replace("Keras failed to call", "Keras failed when running", 1))


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
