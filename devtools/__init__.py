"""Development tools for a graphmask checkout; not part of the installed package.

``python -m devtools.docs`` regenerates the generated docs (``--check`` to
verify them). The catalog builder, which needs Keras, is
``python -m graphmask.catalog.build``.
"""
