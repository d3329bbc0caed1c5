"""TensorFlow's start-up logging is silenced unless --verbose (issue 14, item 11)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from graphmask.keras.quiet import is_noise

REPO = Path(__file__).resolve().parent.parent
SPEC = Path(__file__).parent / "data" / "specs" / "text_classifier.yaml"
NOISE = re.compile(r"cuInit|E0000|I0000|W0000|absl::InitializeLog|cpu_feature_guard")


def test_the_noise_filter_keeps_what_is_not_start_up_noise():
    assert is_noise("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n")
    assert is_noise("E0000 00:00:1796116003.122545   14132 cuda_platform.cc:52] failed call to cuInit: INTERNAL\n")
    assert is_noise("I0000 00:00:1796115998.308217   14132 cudart_stub.cc:31] Could not find cuda drivers\n")
    assert is_noise("To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow "
                    "with the appropriate compiler flags.\n")
    assert not is_noise("Traceback (most recent call last):\n")
    assert not is_noise("graphmask compile: error: something real\n")


def _compile(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as a user's shell has it
    return subprocess.run([sys.executable, "-m", "graphmask", "compile", str(SPEC), "-o", str(tmp_path / "m.keras"),
                           *extra], capture_output=True, text=True, timeout=300,
                          env={**env, "PYTHONPATH": str(REPO)})


@pytest.mark.keras
def test_compile_stderr_has_no_tensorflow_start_up_lines(keras, tmp_path):
    done = _compile(tmp_path)
    assert done.returncode == 0, done.stderr
    assert not NOISE.search(done.stderr), done.stderr
    assert done.stderr == ""


@pytest.mark.keras
def test_verbose_lets_tensorflow_log(keras, tmp_path):
    done = _compile(tmp_path, "--verbose")
    assert done.returncode == 0, done.stderr
    if not NOISE.search(done.stderr):
        pytest.skip("this TensorFlow build logs nothing at start-up here, so there is nothing to let through")
