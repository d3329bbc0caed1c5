"""graphmask against Keras on the real-model collection: the disagreements are exactly the known ones.

``known_disagreements.json`` lists every disagreement with its issue-12
category.  When the checker gets a case right, the test fails until the entry
is removed (the list may only shrink); a new disagreement fails it too.
Regenerate with ``python -m tests.realworld.compare_all --write`` and review.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.keras

KNOWN = Path(__file__).resolve().parent / "known_disagreements.json"


def test_disagreements_are_the_known_ones(observed, saved_dir):
    from tests.realworld.compare_all import compare_collection

    report = compare_collection(observed, saved_dir)
    known = json.loads(KNOWN.read_text(encoding="utf-8"))
    key = lambda d: (d["model"], d["node"] or "", d["what"])  # noqa: E731
    new = sorted(set(map(key, report["disagreements"])) - set(map(key, known["disagreements"])))
    fixed = sorted(set(map(key, known["disagreements"])) - set(map(key, report["disagreements"])))
    assert not new, f"new disagreements with Keras (graphmask got worse, or the collection grew): {new}"
    assert not fixed, f"fixed: remove these from {KNOWN.name} (python -m tests.realworld.compare_all --write): {fixed}"
    assert report["disagreements"] == known["disagreements"]
    assert report["counts"] == known["counts"]
