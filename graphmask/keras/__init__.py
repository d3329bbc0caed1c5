"""The Keras backend: everything in graphmask that imports TensorFlow/Keras.

Modules here import Keras lazily (inside functions) where they can, so
that the numpy-only parts (``inputs``, the
allow-list in ``imports``) stay usable, and fast, without TensorFlow.

- ``compile``  spec -> ``keras.Model`` (``graphmask.compile``)
- ``build``    the graph walk that creates and calls the layers
- ``verify``   checks custom layers' ``mask:`` declarations against the classes
- ``run``      inference on files or a demo batch (``graphmask run``)
- ``inspect_custom`` reads custom layer classes for ``graphmask import --allow-import``
- ``deep``     runtime mask check for ``graphmask check --deep``
- ``replay``   runs a functional model node by node as ``model(batch)`` does, recording masks
- ``cudnn``    whether an LSTM/GRU runs on the fused cuDNN kernel
- ``callback`` ``MaskCheck``: a training callback that checks the model's masks
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # `graphmask.keras.MaskCheck` subclasses a Keras class: Keras loads only when it is asked for.
    if name in ("MaskCheck", "MaskProblem"):
        from graphmask.keras import callback

        return getattr(callback, name)
    raise AttributeError(f"module 'graphmask.keras' has no attribute {name!r}")
