"""Saving a compiled model as a Keras v3 ``.keras`` file, atomically (``graphmask.atomic``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from graphmask.atomic import atomic_path


def save_model(model: Any, path: str | os.PathLike, overwrite: bool = False,
               protect: Iterable[str | os.PathLike] = ()) -> Path:
    """Write ``model`` to ``path`` (must end in ``.keras``); a crash never leaves half a file."""
    target = Path(path)
    if target.suffix != ".keras":
        raise ValueError(f"{target}: the output must end in .keras (the Keras v3 format)")
    with atomic_path(target, overwrite, protect) as tmp:
        model.save(tmp)
    return target
