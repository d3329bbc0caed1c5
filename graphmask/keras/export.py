"""Exporting a model for serving through Keras's ``Model.export``: SavedModel, ONNX, LiteRT.

The formats and what each needs beyond TensorFlow are data here; a missing
exporter is reported before TensorFlow loads. Every artifact is written
atomically next to its final path (a SavedModel is a directory: it must not
exist yet).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from graphmask.atomic import atomic_path
from graphmask.export_formats import FORMATS, ExportFormat  # noqa: F401 - the table the CLI also reads




class ExporterMissing(RuntimeError):
    pass


def require_exporter(fmt: ExportFormat) -> None:
    """``ExporterMissing`` naming what to install when a format's exporter is absent."""
    missing = [name for name in fmt.needs if importlib.util.find_spec(name) is None]
    if missing:
        raise ExporterMissing(f"--format {fmt.name} needs {', '.join(missing)}, which is not installed; "
                              f"install it with: pip install 'graphmask[{fmt.extra}]'")


def output_problem(fmt: ExportFormat, path: Path) -> str | None:
    if fmt.suffix is None:
        return f"{path} exists; a SavedModel is a directory that must not exist yet" if path.exists() else None
    return None if path.suffix == fmt.suffix else f"{path}: a {fmt.name} export must end in {fmt.suffix}"


def export_model(model: Any, fmt: ExportFormat, path: str | os.PathLike, overwrite: bool = False) -> Path:
    require_exporter(fmt)
    call_once(model)
    target = Path(path)
    with atomic_path(target, overwrite) as tmp:
        model.export(str(tmp), format=fmt.keras_format, verbose=False)
    return target


def call_once(model: Any) -> None:
    """Run the model on a tiny zero batch: Keras's ONNX exporter refuses a model that was never called."""
    import numpy as np

    def zeros(tensor: Any) -> Any:
        shape = [1 if dim is None else dim for dim in tensor.shape]
        return np.zeros(shape, dtype=str(tensor.dtype).removeprefix("<dtype: '").rstrip("'>"))

    inputs = model.inputs
    if isinstance(model.input, dict):
        model({name: zeros(tensor) for name, tensor in model.input.items()})
    else:
        model(zeros(inputs[0]) if len(inputs) == 1 else [zeros(t) for t in inputs])
