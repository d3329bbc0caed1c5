"""``python -m tests.realworld.record [NAME...]``: regenerate ``tests/realworld/truth/<model>.json``.

Each truth file is what ``instrument.observe`` sees when the model, built
fresh (names and weights seeded), is saved to ``.keras``, reloaded and run.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

TRUTH = Path(__file__).resolve().parent / "truth"


def build_saved(real: Any, directory: str | os.PathLike) -> tuple[Path, Any]:
    """Build ``real`` with reset names and seeded weights, save it, and return (path, reloaded model)."""
    import warnings

    import keras

    keras.utils.clear_session()
    keras.utils.set_random_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the symbolic build warns too; observe() records the run's warnings
        model = real.build()
        path = Path(directory) / f"{real.name}.keras"
        model.save(path)
        return path, keras.saving.load_model(path)


def truth_of(real: Any, directory: str | os.PathLike) -> dict[str, Any]:
    from tests.realworld.instrument import observe

    _, model = build_saved(real, directory)
    return observe(model, real)


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    from tests.realworld.models import load_all

    models = load_all()
    names = argv or list(models)
    TRUTH.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as directory:
        for name in names:
            (TRUTH / f"{name}.json").write_text(dump(truth_of(models[name], directory)), encoding="utf-8")
            print("wrote", name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
