"""Session fixtures of the real-model collection: built, saved and observed once for every test here."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def collection():
    from tests.realworld.models import load_all

    return load_all()


@pytest.fixture(scope="session")
def saved_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("realworld")


@pytest.fixture(scope="session")
def observed(keras, collection, saved_dir):
    """Every model's fresh observation (built, saved to saved_dir/<name>.keras, reloaded, run)."""
    from tests.realworld.record import truth_of

    return {name: truth_of(real, saved_dir) for name, real in collection.items()}
