"""A module that must never be imported by graphmask unless allowed: importing it fails loudly."""

raise RuntimeError("gmtest_untrusted was imported")
