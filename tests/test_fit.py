"""`graphmask fit`: bad data refused before TensorFlow, outputs, checkpoints, resume, shards, mirrored.

The bad-data tests need no TensorFlow (the checks run first, and the command
exits 2 having written nothing). The training tests share one small tagger
spec and data set, a few epochs on CPU.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from graphmask.cli import main

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "tests" / "data" / "training" / "tagger.yaml"


def _tagger_data(n: int, steps: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.zeros((n, steps), "int32")
    y = np.zeros((n, steps), "int32")
    for i in range(n):
        length = rng.integers(2, steps + 1)
        x[i, :length] = rng.integers(1, 50, length)
        y[i, :length] = x[i, :length] % 5
    return {"tokens": x, "tags": y}


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fit_data")
    np.savez(folder / "train.npz", **_tagger_data(32, 7))
    np.savez(folder / "val.npz", **_tagger_data(8, 7, seed=1))
    shards = folder / "shards"
    shards.mkdir()
    np.savez(shards / "part-0.npz", **_tagger_data(12, 5, seed=2))  # shards may differ in length
    np.savez(shards / "part-1.npz", **_tagger_data(20, 9, seed=3))
    return folder


# ------------------------------------------------------------ bad data, no TF
def _bad(case: str) -> dict[str, np.ndarray] | None:
    good = _tagger_data(8, 6)
    if case == "missing":
        return {"tokens": good["tokens"]}
    if case == "extra":
        return {**good, "weights": good["tags"]}
    if case == "shape":
        return {**good, "tags": good["tags"][:, :, None].repeat(5, axis=2)}
    if case == "dtype":
        return {**good, "tokens": good["tokens"].astype("float32")}
    if case == "range":
        return {**good, "tags": good["tags"] + 5}
    if case == "nan":
        return {"tokens": good["tokens"], "tags": np.where(good["tags"] == 1, np.nan, good["tags"])}
    if case == "samples":
        return {**good, "tags": good["tags"][:4]}
    return None  # empty file


@pytest.mark.parametrize("case, message", [
    ("missing", "array `tags` is missing (needed for the output)"),
    ("extra", "array `weights` is neither an input nor an output"),
    ("shape", "labels `tags`: shape (8, 6, 5) does not fit the output's (batch, any) (class ids"),
    ("dtype", "input `tokens`: dtype float32 given, the spec declares int32"),
    ("range", "labels `tags`: class ids 5..9 are outside 0..4 (the output has 5 units)"),
    ("nan", "array `tags` has NaN or infinite values"),
    ("samples", "arrays have different numbers of samples: tokens=8, tags=4"),
    ("empty", "the file is empty"),
])
def test_bad_data_exits_2_before_training_and_writes_nothing(tmp_path, capsys, case, message):
    data = tmp_path / "bad.npz"
    arrays = _bad(case)
    if arrays is None:
        data.write_bytes(b"")
    else:
        np.savez(data, **arrays)
    model = tmp_path / "model.keras"
    model.write_bytes(b"an earlier model")
    code = main(["fit", str(SPEC), "--data", str(data), "-o", str(model), "--overwrite"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "nothing was trained or written" in err
    assert model.read_bytes() == b"an earlier model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.npz", "model.keras"]


def test_bad_data_check_does_not_import_tensorflow(tmp_path):
    np.savez(tmp_path / "bad.npz", tokens=np.zeros((2, 3), "float32"))
    code = ("import sys; from graphmask.cli import main; "
            f"rc = main(['fit', {str(SPEC)!r}, '--data', {str(tmp_path / 'bad.npz')!r}, '-o', "
            f"{str(tmp_path / 'm.keras')!r}]); print(rc, 'tensorflow' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert done.stdout.split() == ["2", "False"], done.stderr[-2000:]


def test_existing_outputs_are_refused_without_overwrite(tmp_path, data_dir, capsys):
    (tmp_path / "model.history.csv").write_text("mine")
    code = main(["fit", str(SPEC), "--data", str(data_dir / "train.npz"), "-o", str(tmp_path / "model.keras")])
    assert code == 2 and "model.history.csv" in capsys.readouterr().err
    assert (tmp_path / "model.history.csv").read_text() == "mine"


def test_resume_without_a_checkpoint_is_a_usage_error(tmp_path, data_dir, capsys):
    code = main(["fit", str(SPEC), "--data", str(data_dir / "train.npz"), "-o", str(tmp_path / "m.keras"),
                 "--resume"])
    assert code == 2 and "no checkpoint" in capsys.readouterr().err


def test_resume_from_an_unreadable_checkpoint_is_a_usage_error(tmp_path, data_dir, capsys):
    folder = tmp_path / "m.checkpoints"
    folder.mkdir()
    (folder / "state.json").write_text('{"epochs_done": 1, "history": {}, "weights": "epoch-0001.npz"}')
    code = main(["fit", str(SPEC), "--data", str(data_dir / "train.npz"), "-o", str(tmp_path / "m.keras"),
                 "--resume"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot read the checkpoint" in err and "epoch-0001.npz" in err
    assert sorted(p.name for p in folder.iterdir()) == ["state.json"]


def test_a_spec_without_training_is_a_usage_error(tmp_path, data_dir, capsys):
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC.read_text().split("training:")[0])
    assert main(["fit", str(spec), "--data", str(data_dir / "train.npz"), "-o", str(tmp_path / "m.keras")]) == 2
    assert "no `training:` section" in capsys.readouterr().err


# ------------------------------------------------------------ training (TF)
def _weights(path: Path) -> list[np.ndarray]:
    import keras

    return [np.asarray(w) for w in keras.models.load_model(path).get_weights()]


@pytest.mark.keras
def test_fit_writes_model_history_and_checkpoint(keras, tmp_path, data_dir, capsys):
    model = tmp_path / "model.keras"
    code = main(["fit", str(SPEC), "--data", str(data_dir / "train.npz"), "--validation", str(data_dir / "val.npz"),
                 "-o", str(model), "--epochs", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
    history = json.loads((tmp_path / "model.history.json").read_text())
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 2 for v in history.values())
    rows = (tmp_path / "model.history.csv").read_text().splitlines()
    header = rows[0].split(",")
    assert header == ["epoch", *history] and len(rows) == 3  # columns in Keras's log order
    assert float(rows[2].split(",")[header.index("loss")]) == history["loss"][1]
    png = tmp_path / "model.history.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    state = json.loads((tmp_path / "model.checkpoints" / "state.json").read_text())
    assert state["epochs_done"] == 2 and state["history"] == history
    assert sorted(p.name for p in (tmp_path / "model.checkpoints").iterdir()) == ["epoch-0002.npz", "state.json"]
    from graphmask.checker import check_path
    from graphmask.keras.checkpoint import load_checkpoint, restore
    from graphmask.keras.compile import compile_spec
    from graphmask.keras.train import compile_for_training

    saved = load_checkpoint(tmp_path / "model.checkpoints")
    fresh = compile_for_training(compile_spec(check_path(SPEC).spec).model, check_path(SPEC).spec)
    restore(fresh, saved)
    assert int(fresh.optimizer.iterations.numpy()) == 2 * 4  # Adam's state travels with the weights: 2 x 4 steps
    for a, b in zip(_weights(model), fresh.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not [p for p in tmp_path.rglob(".*tmp*")], "no temporary files left behind"


@pytest.mark.keras
def test_interrupted_and_resumed_equals_uninterrupted(keras, tmp_path, data_dir):
    """Fixed seed, op determinism on: 1 epoch + resume to 3 ends with the weights of 3 epochs straight."""
    data = str(data_dir / "train.npz")
    straight, split = tmp_path / "straight.keras", tmp_path / "split.keras"
    assert main(["fit", str(SPEC), "--data", data, "-o", str(straight), "--epochs", "3", "--quiet"]) == 0
    assert main(["fit", str(SPEC), "--data", data, "-o", str(split), "--epochs", "1", "--quiet"]) == 0
    assert main(["fit", str(SPEC), "--data", data, "-o", str(split), "--epochs", "3", "--quiet", "--resume"]) == 0
    for a, b in zip(_weights(straight), _weights(split)):
        np.testing.assert_array_equal(a, b)
    history = json.loads((tmp_path / "split.history.json").read_text())
    assert history == json.loads((tmp_path / "straight.history.json").read_text())


@pytest.mark.keras
def test_a_resumed_run_stops_early_at_the_epoch_an_uninterrupted_one_does(keras, tmp_path, data_dir):
    """EarlyStopping's counters travel with the checkpoint: interrupted one epoch before the straight run
    stopped (patience half used up), the resumed run stops after one more epoch, with the same weights.
    Had they reset, the first resumed epoch would count as an improvement and training would go on."""
    spec = tmp_path / "tagger.yaml"
    spec.write_text(SPEC.read_text() + "  early_stopping: {monitor: loss, patience: 2, min_delta: 0.2}\n")
    data = str(data_dir / "train.npz")
    straight, split = tmp_path / "straight.keras", tmp_path / "split.keras"
    assert main(["fit", str(spec), "--data", data, "-o", str(straight), "--epochs", "12", "--quiet"]) == 0
    stopped_after = len(json.loads((tmp_path / "straight.history.json").read_text())["loss"])
    assert 2 <= stopped_after < 12, "the straight run stops early"
    assert main(["fit", str(spec), "--data", data, "-o", str(split), "--epochs", str(stopped_after - 1),
                 "--quiet"]) == 0
    state = json.loads((tmp_path / "split.checkpoints" / "state.json").read_text())
    assert state["early_stopping"]["wait"] >= 1 and not state["stopped"]  # the interruption is mid-patience
    assert main(["fit", str(spec), "--data", data, "-o", str(split), "--epochs", "12", "--quiet", "--resume"]) == 0
    history = json.loads((tmp_path / "split.history.json").read_text())
    assert history == json.loads((tmp_path / "straight.history.json").read_text())
    assert json.loads((tmp_path / "split.checkpoints" / "state.json").read_text())["stopped"]
    for a, b in zip(_weights(straight), _weights(split), strict=True):
        np.testing.assert_array_equal(a, b)
    # Resuming a run that stopped early trains no more: it only rewrites the outputs.
    assert main(["fit", str(spec), "--data", data, "-o", str(split), "--epochs", "12", "--quiet", "--resume"]) == 0
    assert json.loads((tmp_path / "split.history.json").read_text()) == history


@pytest.mark.keras
def test_fit_streams_a_directory_of_shards(keras, tmp_path, data_dir, capsys):
    model = tmp_path / "model.keras"
    assert main(["fit", str(SPEC), "--data", str(data_dir / "shards"), "-o", str(model), "--epochs", "1",
                 "--batch-size", "8", "--quiet"]) == 0
    history = json.loads((tmp_path / "model.history.json").read_text())
    assert len(history["loss"]) == 1 and np.isfinite(history["loss"][0])


@pytest.mark.keras
def test_the_stream_shuffles_each_epoch_alike_whether_or_not_it_starts_there(keras, data_dir):
    """Every sample once per epoch, shuffled differently per epoch; epoch 1 of a stream started at epoch 1
    (a resumed run) is epoch 1 of a stream started at 0; a batch never spans two shards."""
    from graphmask.analysis.masks import infer_masks
    from graphmask.checker import check_path
    from graphmask.keras.fit_data import steps_per_epoch, training_stream
    from graphmask.keras.training_data import check_data_set

    checked = check_path(SPEC)
    data = check_data_set(checked.graph, infer_masks(checked.graph), data_dir / "shards", "--data")
    assert data.samples == (12, 20) and data.shapes["tokens"] == (None,)
    steps = steps_per_epoch(data, 8)
    assert steps == 2 + 3
    batches = [x.numpy() for x, _ in training_stream(checked.graph, data, 8, 0, 0, 2)]
    epochs = [batches[:steps], batches[steps:]]
    stored = sorted(tuple(row) for shard in data.shards for row in np.load(shard)["tokens"])
    for epoch in epochs:
        assert {b.shape[1] for b in epoch} == {5, 9}  # each batch from one shard (their lengths differ)
        assert sorted(tuple(row) for b in epoch for row in b) == stored
    assert [b.tolist() for b in epochs[0]] != [b.tolist() for b in epochs[1]]
    resumed = [x.numpy() for x, _ in training_stream(checked.graph, data, 8, 0, 1, 2)]
    assert [b.tolist() for b in resumed] == [b.tolist() for b in epochs[1]]
