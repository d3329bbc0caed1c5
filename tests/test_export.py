"""`graphmask export`: each format's artifact computes what the Keras model does, masks included.

One model (Embedding with mask_zero -> masked average pooling -> softmax, fixed seed; an RNN would
need TensorFlow's Flex ops in LiteRT, which the Python interpreter lacks) is saved
once per session; each format is exported from that .keras file by the CLI and
run by its own runtime (TensorFlow for SavedModel, onnxruntime, the TFLite
interpreter). Padding invariance: the same batch with more padding appended
must give the same outputs, in Keras and in every artifact.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from graphmask.cli import main

SPEC = Path(__file__).resolve().parent / "data" / "training" / "classifier.yaml"
SUFFIX = {"saved_model": "", "onnx": ".onnx", "litert": ".tflite"}


def _batch(extra_padding: int = 0) -> np.ndarray:
    x = np.zeros((4, 6 + extra_padding), "int32")
    for i, length in enumerate([2, 6, 4, 3]):
        x[i, :length] = np.arange(1, length + 1) * (i + 3) % 49 + 1
    return x


@pytest.fixture(scope="session")
def saved(keras, tmp_path_factory) -> tuple[Path, np.ndarray]:
    from graphmask.keras.compile import compile_spec

    keras.utils.set_random_seed(3)
    model = compile_spec(SPEC).model
    path = tmp_path_factory.mktemp("export") / "model.keras"
    model.save(path)
    expected = np.asarray(model.predict(_batch(), verbose=0))
    assert np.allclose(expected, np.asarray(model.predict(_batch(4), verbose=0)), atol=1e-6)  # Keras's own masks
    return path, expected


def _run(fmt: str, path: Path, x: np.ndarray) -> np.ndarray:
    if fmt == "saved_model":
        import tensorflow as tf

        loaded = tf.saved_model.load(str(path))  # held: `serve` needs the object's variables alive
        return np.asarray(loaded.serve(x))
    if fmt == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(path))
        return session.run(None, {session.get_inputs()[0].name: x})[0]
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_path=str(path))
    index = interpreter.get_input_details()[0]["index"]
    interpreter.resize_tensor_input(index, x.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(index, x)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


@pytest.mark.keras
@pytest.mark.parametrize("fmt", ["saved_model", "onnx", "litert"])
def test_export_matches_keras_and_keeps_masks(saved, tmp_path, fmt, capsys):
    model, expected = saved
    out = tmp_path / f"served{SUFFIX[fmt]}"
    assert main(["export", str(model), "--format", fmt, "-o", str(out)]) == 0, capsys.readouterr().err
    got = _run(fmt, out, _batch())
    np.testing.assert_allclose(got, expected, atol=1e-5)
    np.testing.assert_allclose(_run(fmt, out, _batch(4)), got, atol=1e-5)  # more padding, same outputs


def test_a_missing_exporter_is_a_clear_usage_error(tmp_path, monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tf2onnx" else real(name, *a))
    out = tmp_path / "m.onnx"
    assert main(["export", str(SPEC), "--format", "onnx", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--format onnx needs tf2onnx, which is not installed" in err and "graphmask[export]" in err
    assert not out.exists()


def test_wrong_suffix_and_existing_saved_model_are_refused(tmp_path, capsys):
    assert main(["export", str(SPEC), "--format", "litert", "-o", str(tmp_path / "m.onnx")]) == 2
    assert "must end in .tflite" in capsys.readouterr().err
    (tmp_path / "sm").mkdir()
    assert main(["export", str(SPEC), "--format", "saved_model", "-o", str(tmp_path / "sm")]) == 2
    assert "must not exist yet" in capsys.readouterr().err
