"""Analyses over a ``SpecGraph``: one module per pass, each returning diagnostics."""
