"""Pausing Python's cyclic garbage collector where it would only re-traverse live objects.

A check allocates many objects that live until it ends (YAML node tree,
spec models, graph, mask flow) and almost no reference cycles; every
collection of the oldest generation re-traverses all of them, which made
checking a big spec 2-3x slower and super-linear in its size.  Importing the
checker (pydantic, the spec models, the catalog) is the same: many objects,
no garbage.  Reference counting frees memory as usual; cycles wait for the
next collection.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from typing import Callable, Iterator, TypeVar

_F = TypeVar("_F", bound=Callable)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    if not gc.isenabled():  # nested, or the caller paused it
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def gc_paused(fn: _F) -> _F:
    """``fn`` run inside ``paused_gc()``."""

    @functools.wraps(fn)
    def paused(*args, **kwargs):
        with paused_gc():
            return fn(*args, **kwargs)

    return paused  # type: ignore[return-value]
