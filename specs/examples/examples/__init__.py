"""Python modules for the custom layers of the seed examples.

Imported only by ``graphmask compile``/``run`` (with ``--allow-import examples``),
never by ``graphmask check``: a spec is data.
"""
