"""The benchmark harness runs end to end (``python -m bench --quick``).

A smoke test only, so that the harness cannot rot: tiny sizes, no timing
assertions (speed targets are read off the full harness's output). It
does check that every section ran and produced numbers, and that the
comparisons were made between equal things (the compiled and hand-written
models give the same outputs; serial and parallel checks agree).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
SECTIONS = ("cold_cli", "many_files", "hostile", "lsp", "static_scaling", "compile_overhead", "runtime_parity",
            "fit_parity")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    pytest.importorskip("keras", reason="sections 4-5 build Keras models; install graphmask[tf]")
    out = tmp_path_factory.mktemp("bench")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(out)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    return done, out


def test_quick_run_succeeds_and_prints_every_section(quick_run):
    done, _ = quick_run
    assert done.returncode == 0, done.stderr[-3000:]
    for number in range(1, len(SECTIONS) + 1):
        assert f"\n### {number}. " in done.stdout
    assert "| nodes | YAML | check_text (median) |" in done.stdout
    assert "Mode: quick (tiny sizes, targets not evaluated)" in done.stdout


def test_json_has_every_section_with_numbers(quick_run):
    done, out = quick_run
    document = json.loads((out / "results.json").read_text())
    assert (out / "results.md").read_text().strip() in done.stdout
    assert document["quick"] is True
    assert document["machine"]["cores"] >= 1 and document["machine"]["python"]
    assert list(document["sections"]) == list(SECTIONS)
    for key, section in document["sections"].items():
        assert section["skipped"] is None, (key, section["skipped"])
        assert section["rows"], key
        # quick mode evaluates no speed target (only facts, e.g. what was imported)
        assert all(t["met"] is None for t in section["targets"] if "TensorFlow" not in t["name"]), key

    sizes = [e for e in document["sections"]["static_scaling"]["raw"].values() if isinstance(e, dict)]
    assert len(sizes) == 2
    for entry in sizes:
        assert entry["check_text"]["median_s"] > 0
        memory = entry["memory_bytes"]
        if Path("/proc/self/status").exists():  # Linux: the child's high-water mark around one check
            assert memory["peak"] >= memory["rss_before"] > 0, memory
        else:
            assert memory == {"skipped": "needs /proc/self/status (Linux)"}, memory
        assert {"parse", "validate", "graph", "structure", "masks", "suppressions"} <= set(entry["stages_median_s"])

    cold = document["sections"]["cold_cli"]["raw"]
    assert cold["forbidden_imported"] == [], "graphmask check imported TensorFlow/Keras"
    assert cold["keras_over_check"] > 1

    parity = document["sections"]["runtime_parity"]["raw"]["cpu"]
    assert parity["max_abs_output_difference"] < 1e-5, "compiled and hand-written models differ"
    assert parity["compiled_over_handwritten"] > 0

    fit = document["sections"]["fit_parity"]["raw"]
    assert fit["fit_over_handwritten"] > 0 and fit["checkpoint_s"]["median_s"] > 0
    # the same model from the same weights on the same data: the two arms train alike
    for baseline in ("arrays", "tf_data", "tf_data_run"):
        assert np.allclose(fit["final_loss"]["graphmask"], fit["final_loss"][baseline], rtol=0.2), fit["final_loss"]
