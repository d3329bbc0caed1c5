"""graphmask's findings (GM204, GM207, GM401, GM402) on the real-model collection: exactly the known disagreements.

``known_findings.json`` lists them; regenerate with
``python -m tests.realworld.findings --write`` and review.  Ground truth:
``tests/realworld/findings.py``.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.keras


def test_findings_disagreements_are_the_known_ones(observed, saved_dir):
    from tests.realworld.findings import KNOWN, compare_collection

    rows, counts = compare_collection(observed, saved_dir)
    known = json.loads(KNOWN.read_text(encoding="utf-8"))
    key = lambda d: (d["model"], d["code"], d["node"], d["kind"])  # noqa: E731
    new = sorted(set(map(key, rows)) - set(map(key, known["disagreements"])))
    fixed = sorted(set(map(key, known["disagreements"])) - set(map(key, rows)))
    assert not new, f"new findings disagreements with Keras: {new}"
    assert not fixed, f"fixed: remove these from {KNOWN.name} (python -m tests.realworld.findings --write): {fixed}"
    assert {code: dict(sorted(c.items())) for code, c in counts.items()} == known["counts"]
    assert sum(c["tp"] + c["fn"] for c in counts.values()) > 0, "Keras showed none of these findings"
    unreviewed = [d for d in known["disagreements"] if d["reason"] == "not reviewed yet"]
    assert not unreviewed, f"say why graphmask and Keras disagree on these: {unreviewed}"
    for code, c in counts.items():
        print(f"real models {code}: due {c['tp'] + c['fn']}, reported {c['tp'] + c['fp']}, "
              f"FP {c['fp']}, FN {c['fn']}")
