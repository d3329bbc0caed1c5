"""Development tools for a graphmask checkout; not part of the installed package.

``python -m devtools.docs`` regenerates the generated docs (``--check`` to
verify them). ``python -m devtools.check_outputs OUT`` records what
``graphmask check`` prints for every spec of the checkout, to show that a
speed change leaves it byte-identical. The catalog builder, which needs Keras, is
``python -m graphmask.catalog.build``.
"""
