"""Shared test fixtures.

TensorFlow is slow to import, so tests that need real Keras share the
session-scoped ``keras`` fixture (it skips, with the reason, when TensorFlow
is not installed: the lint-only install).
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

REPO = Path(__file__).resolve().parent.parent
SPECS = REPO / "specs"
EXAMPLES = SPECS / "examples"


@pytest.fixture(scope="session")
def keras():
    """The real Keras (TensorFlow backend): the oracle."""
    try:
        import keras as keras_module
    except ImportError as exc:  # pragma: no cover - depends on the install
        pytest.skip(f"Keras/TensorFlow not installed ({exc}); install graphmask[tf]")
    return keras_module


@pytest.fixture(autouse=True)
def _own_result_cache(tmp_path_factory, monkeypatch):
    """Each test gets an empty result cache of its own, outside the repository and
    outside its tmp_path (tests list and check that directory)."""
    monkeypatch.setenv("GRAPHMASK_CACHE_DIR", str(tmp_path_factory.mktemp("graphmask_cache")))


@pytest.fixture
def write_spec(tmp_path):
    """Write YAML text (dedented) to a file and return its path."""

    def write(text: str, name: str = "spec.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process: returns (exit code, stdout, stderr)."""
    from graphmask.cli import main

    def run(*args: str):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err

    return run
