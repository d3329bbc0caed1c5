"""Writing result files atomically: a temp file in the same directory, then ``os.replace``.

Keras's ``model.save`` and ``np.savez`` want a path, so the helper hands out
a temporary path (with the right suffix) and renames it into place only when
writing succeeded; a crash never leaves a half-written ``model.keras``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator


class OutputExists(FileExistsError):
    """The output file exists and overwriting was not asked for."""


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temp path next to ``path``; move it onto ``path`` on success."""
    target = Path(path)
    if target.exists() and not overwrite:
        raise OutputExists(f"{target} exists; pass --overwrite to replace it")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"no such directory: {target.parent}")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{''.join(target.suffixes[-1:])}",
                                    dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as Keras refuse or misbehave on an existing file
    try:
        yield tmp
        if target.exists() and not overwrite:  # appeared while we were writing
            raise OutputExists(f"{target} exists; pass --overwrite to replace it")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_model(model, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Save a Keras v3 ``.keras`` file atomically."""
    target = Path(path)
    if target.suffix != ".keras":
        raise ValueError(f"{target}: the output must end in .keras (the Keras v3 format)")
    with atomic_path(target, overwrite) as tmp:
        model.save(tmp)
    return target
