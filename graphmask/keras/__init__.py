"""The Keras backend: everything in graphmask that imports TensorFlow/Keras.

Modules here import Keras lazily (inside functions) where they can, so
that the numpy-only parts (``inputs``, ``importer``'s JSON reading, the
allow-list in ``imports``) stay usable, and fast, without TensorFlow.

- ``compile``  spec -> ``keras.Model`` (``graphmask.compile``)
- ``build``    the graph walk that creates and calls the layers
- ``verify``   checks custom layers' ``mask:`` declarations against the classes
- ``run``      inference on files or a demo batch (``graphmask run``)
- ``importer`` an existing Keras model -> spec (``graphmask import``)
- ``deep``     runtime mask check for ``graphmask check --deep``
- ``replay``   runs a functional model node by node as ``model(batch)`` does, recording masks
- ``cudnn``    whether an LSTM/GRU runs on the fused cuDNN kernel
"""
