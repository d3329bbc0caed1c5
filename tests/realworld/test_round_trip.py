"""Issue 12's round trip, per collection model: the imported spec, compiled, computes what the original does.

Each model is saved (session fixture ``observed``), imported as its author
would (``compare.imported``), compiled, given the original's weights by
layer name, and run on the model's padded sample batch (``round_trip.py``).
"""

from __future__ import annotations

import pytest

from tests.realworld.round_trip import TOLERANCE, round_trip_difference

pytestmark = pytest.mark.keras


def test_every_imported_model_computes_what_the_original_does(observed, saved_dir):
    failures = []
    for name in observed:
        difference, missed = round_trip_difference(name, saved_dir / f"{name}.keras")
        if missed or not difference <= TOLERANCE:
            failures.append(f"{name}: max |difference| {difference:.3g}, weights not copied to {missed}")
    assert not failures, "\n".join(failures)
