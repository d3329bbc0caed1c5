"""The real-model collection: every model builds, saves, reloads, and its recorded truth is what Keras does now.

``truth/<model>.json`` was written by ``python -m tests.realworld.record``;
here every model is built again, saved to ``.keras``, reloaded and observed,
and the result must equal the file (floats to 1e-4).  A Keras upgrade that
changes any mask fact or behaviour fails here; regenerate and review the diff.
"""

from __future__ import annotations

import json
import math

import pytest

from tests.realworld.record import TRUTH

pytestmark = pytest.mark.keras


def differences(expected, actual, where="") -> list[str]:
    if isinstance(expected, float) or isinstance(actual, float):
        ok = isinstance(expected, (int, float)) and isinstance(actual, (int, float)) and \
            math.isclose(expected, actual, rel_tol=1e-3, abs_tol=1e-4)
        return [] if ok else [f"{where}: {expected!r} != {actual!r}"]
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = [f"{where}.{k}: only in one" for k in set(expected) ^ set(actual)]
        for k in sorted(set(expected) & set(actual)):
            found += differences(expected[k], actual[k], f"{where}.{k}")
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(expected)} items != {len(actual)}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in differences(e, a, f"{where}[{i}]")]
    return [] if expected == actual else [f"{where}: {expected!r} != {actual!r}"]


def test_collection_is_big_enough_and_cited(collection):
    assert len(collection) >= 25
    for real in collection.values():
        assert "http" in real.source or "issue 12" in real.source, real.name
        assert real.padding and real.inputs, real.name


def test_truth_files_match_a_fresh_run(observed):
    stale = sorted(p.stem for p in TRUTH.glob("*.json") if p.stem not in observed)
    assert not stale, f"truth files for models no longer in the collection: {stale}"
    for name, fresh in observed.items():
        path = TRUTH / f"{name}.json"
        assert path.exists(), f"{name}: no truth file; run python -m tests.realworld.record {name}"
        found = differences(json.loads(path.read_text(encoding="utf-8")), fresh)
        assert not found, f"{name}: Keras no longer does what truth/{name}.json says:\n" + "\n".join(found[:20])


def test_the_instrumented_run_sees_masks(observed):
    """The harness is not blind: masks, compute_mask results, warnings and cuDNN checks all show up somewhere."""
    calls = [c for truth in observed.values() for c in truth["calls"]]
    assert any(c["mask_args"].get("mask") for c in calls)
    assert any(isinstance(c["compute_mask"], list) for c in calls)
    assert any(c["warned"] for c in calls)
    assert any(c.get("cudnn", {}).get("cudnn_rejects_mask") for c in calls)
    changed = [o["changed"] for t in observed.values() for b in t["behaviour"] for o in b.get("outputs", [])]
    assert True in changed and False in changed
