"""The serving formats of ``graphmask export``, as data the CLI reads without loading TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExportFormat:
    name: str
    keras_format: str  # `Model.export(format=...)`
    needs: tuple[str, ...]  # modules beyond TensorFlow
    suffix: str | None  # required file suffix, None for a directory
    extra: str | None = None  # the pip extra that installs `needs`


FORMATS: dict[str, ExportFormat] = {
    "saved_model": ExportFormat("saved_model", "tf_saved_model", (), None),
    "onnx": ExportFormat("onnx", "onnx", ("tf2onnx", "onnx"), ".onnx", "export"),
    "litert": ExportFormat("litert", "litert", (), ".tflite"),
}
