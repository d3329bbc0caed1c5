"""The `training:` section: validation with positions and did-you-mean, the schema, the catalog."""

from __future__ import annotations

import pytest

from graphmask.catalog.training import load_training_catalog
from graphmask.checker import check_text
from graphmask.spec import ObjectSpec, json_schema, load_text

BASE = """graphmask: 1
name: m
inputs:
  x: {shape: [null], dtype: int32, pad_value: 0}
layers:
  - {id: e, type: Embedding, args: {input_dim: 10, output_dim: 4, mask_zero: true}, inputs: x}
  - {id: out, type: Dense, args: {units: 3, activation: softmax}}
outputs: [out]
training:
"""


def _load(section: str):
    return load_text(BASE + section)


def test_the_issue_format_reads_as_written():
    spec = _load("  optimizer: {type: Adam, args: {learning_rate: 0.001}}\n"
                 "  loss: sparse_categorical_crossentropy\n  loss_weights: {out: 1.0}\n  metrics: [accuracy]\n"
                 "  batch_size: 32\n  epochs: 10\n  early_stopping: {monitor: val_loss, patience: 2}\n").spec
    t = spec.training
    assert t.optimizer == ObjectSpec(type="Adam", args={"learning_rate": 0.001})
    assert t.loss == "sparse_categorical_crossentropy" and t.metrics == ["accuracy"]
    assert (t.batch_size, t.epochs, t.early_stopping.patience) == (32, 10, 2)
    assert _load("  loss: {out: {type: mse}}\n").spec.training.loss == {"out": ObjectSpec(type="mse")}


@pytest.mark.parametrize("section, message, line, column", [
    ("  loss: mse\n  epoch: 3\n", "`training`: unknown field `epoch` (did you mean `epochs`?)", 11, 3),
    ("  loss: {type: mse, arg: 1}\n", "`training.loss`: unknown field `arg` (did you mean `args`?)", 10, 21),
    ("  loss: mse\n  early_stopping: {monitr: x}\n",
     "`training.early_stopping`: unknown field `monitr` (did you mean `monitor`?)", 11, 20),
    ("  loss: mse\n  batch_size: 0\n", "`training.batch_size`: Input should be greater than or equal to 1", 11, 15),
    ("  epochs: 2\n", "`training`: missing required field `loss`", 9, 1),
])
def test_schema_errors_are_located_and_suggest(section, message, line, column):
    (d,) = _load(section).diagnostics
    assert (d.code, d.message, d.line, d.column) == ("GM102", message, line, column)


def test_a_bad_training_section_still_checks_the_graph():
    result = check_text(BASE.replace("units: 3", "unit: 3") + "  loss: mse\n  epoch: 3\n")
    assert {d.code for d in result.diagnostics} == {"GM102", "GM104"}
    assert result.spec is not None and result.spec.training is None


def test_training_is_in_the_json_schema():
    schema = json_schema()
    assert "training" in schema["properties"] and "TrainingSpec" in schema["$defs"]
    assert schema["$defs"]["TrainingSpec"]["required"] == ["loss"]


def test_catalog_names_resolve_like_keras():
    cat = load_training_catalog()
    assert cat.get("optimizers", "adam").class_name == "Adam" == cat.get("optimizers", "ADAM").class_name
    sparse = cat.get("losses", "sparse_categorical_crossentropy")
    assert sparse.class_name == "SparseCategoricalCrossentropy" and sparse.labels == "class_ids"
    assert sparse.defaults()["from_logits"] is False and sparse.per_timestep
    assert cat.get("losses", "mse").class_name == "MeanSquaredError"
    assert "accuracy" in cat.names("metrics") and cat.get("losses", "Loss") is None  # a base class is no loss


@pytest.mark.keras
def test_training_json_matches_installed_keras(keras):
    """Regenerate in-process; any difference means training.json is stale."""
    from graphmask.catalog.build import training

    new = training.dumps(training.build_training_catalog())
    assert new == training.DATA_FILE.read_text(encoding="utf-8"), \
        "training.json is stale; run `python -m graphmask.catalog.build.training`"
