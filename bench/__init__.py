"""Benchmarks for graphmask: ``python -m bench`` (see ``bench/run.py``).

Every comparison is a ratio against a baseline measured in the same run,
because the machines these run on are shared and noisy. Inputs are
generated (``bench/specgen.py``), never checked in.
"""
