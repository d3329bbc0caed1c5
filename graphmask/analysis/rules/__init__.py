"""The rules that read the mask flow, one module per code, grouped by family as ruff does.

``masks/`` (GM2xx), ``shapes/`` (GM3xx), ``gpu/`` (GM4xx) and ``training/``
(GM5xx, the ``training:`` section).  Each rule
module names its code (``CODE``, a ``graphmask.codes`` constant) and has a
``check(g, flow)`` that yields diagnostics.  Every rule reads ``MaskFlow``
facts and catalog data; none re-derives what a layer does, and none names a
Keras class.  Where a fact is unknown (opaque tensors, unknown shapes) rules
stay silent.
"""

from __future__ import annotations

from types import ModuleType

from graphmask.analysis.masks import infer_masks
from graphmask.analysis.rules import gpu, masks, shapes, training
from graphmask.diagnostics import Diagnostic
from graphmask.graph import SpecGraph

FAMILIES: tuple[ModuleType, ...] = (masks, shapes, gpu, training)
RULES: tuple[ModuleType, ...] = tuple(rule for family in FAMILIES for rule in family.RULES)


def check_masks(g: SpecGraph) -> list[Diagnostic]:
    """Every mask, shape and GPU rule over an acyclic graph, in code order."""
    flow = infer_masks(g)
    diagnostics: list[Diagnostic] = []
    for rule in RULES:
        diagnostics.extend(rule.check(g, flow))
    return diagnostics


def emitted_codes() -> dict[str, ModuleType]:
    """Code -> the rule module that emits it."""
    return {rule.CODE.code: rule for rule in RULES}
