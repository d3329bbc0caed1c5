"""`graphmask fit` on TFRecord files: the convention, the checks of the first records, the stream, training.

Files are written with ``graphmask.keras.tfrecord.write_tfrecord`` (one
``tf.train.Example`` per sample, one serialized tensor per spec input and
output); samples of one file differ in length, as real sequence data does.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from graphmask.cli import main

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "tests" / "data" / "training" / "tagger.yaml"

pytestmark = pytest.mark.keras


def _samples(n: int, seed: int) -> list[dict[str, np.ndarray]]:
    """Unpadded sequences of 2..8 tokens and their tags, one dict per sample."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        tokens = rng.integers(1, 50, rng.integers(2, 9)).astype("int32")
        out.append({"tokens": tokens, "tags": (tokens % 5).astype("int32")})
    return out


@pytest.fixture(scope="session")
def records(keras, tmp_path_factory) -> Path:
    from graphmask.keras.tfrecord import write_tfrecord

    folder = tmp_path_factory.mktemp("tfrecord_data")
    (folder / "train").mkdir()
    write_tfrecord(folder / "train" / "part-0.tfrecord", _samples(12, 0))
    write_tfrecord(folder / "train" / "part-1.tfrecord", _samples(20, 1))
    write_tfrecord(folder / "val.tfrecord", _samples(8, 2))
    return folder


def _checked(path: Path):
    from graphmask.analysis.masks import infer_masks
    from graphmask.checker import check_path
    from graphmask.keras.training_data import check_data_set

    checked = check_path(SPEC)
    return checked.graph, check_data_set(checked.graph, infer_masks(checked.graph), path, "--data")


def test_records_are_counted_and_typed_from_the_files(records):
    _, data = _checked(records / "train")
    assert data.kind == "tfrecord" and data.samples == (12, 20)
    assert data.stored["tokens"] == np.int32 and data.shapes == {"tokens": (None,), "tags": (None,)}


def test_the_stream_pads_each_batch_and_shuffles_each_epoch_alike_when_resumed(records):
    from graphmask.keras.fit_data import steps_per_epoch, training_stream

    g, data = _checked(records / "train")
    steps = steps_per_epoch(data, 8)
    assert steps == 2 + 3
    batches = [(x.numpy(), y.numpy()) for x, y in training_stream(g, data, 8, 0, 0, 2)]
    stored = sorted(tuple(s["tokens"]) for seed, n in ((0, 12), (1, 20)) for s in _samples(n, seed))
    epochs = [batches[:steps], batches[steps:]]
    for epoch in epochs:
        rows = [tuple(row[row != 0]) for x, _ in epoch for row in x]  # padding (the pad_value, 0) stripped
        assert sorted(rows) == stored
        for x, y in epoch:
            np.testing.assert_array_equal(y, np.where(x != 0, x % 5, 0))  # labels padded alike, with 0
    assert [x.tolist() for x, _ in epochs[0]] != [x.tolist() for x, _ in epochs[1]]
    resumed = [x.numpy().tolist() for x, _ in training_stream(g, data, 8, 0, 1, 2)]
    assert resumed == [x.tolist() for x, _ in epochs[1]]


def test_fit_trains_on_tfrecord_files(records, tmp_path):
    model = tmp_path / "model.keras"
    assert main(["fit", str(SPEC), "--data", str(records / "train"), "--validation", str(records / "val.tfrecord"),
                 "-o", str(model), "--epochs", "2", "--quiet"]) == 0
    history = json.loads((tmp_path / "model.history.json").read_text())
    assert len(history["loss"]) == len(history["val_loss"]) == 2
    assert all(np.isfinite(v) for values in history.values() for v in values)
    assert history["loss"][1] < history["loss"][0]


def _bad(case: str, path: Path) -> None:
    import tensorflow as tf

    from graphmask.keras.tfrecord import write_tfrecord

    good = _samples(6, 3)
    if case == "empty":
        path.write_bytes(b"")
    elif case == "truncated":
        write_tfrecord(path, good)
        path.write_bytes(path.read_bytes()[:-7])
    elif case == "not_example":
        with tf.io.TFRecordWriter(str(path)) as writer:
            writer.write(b"\xff\xff not a protocol buffer")
    elif case == "int64_list":
        feature = {"tokens": tf.train.Feature(int64_list=tf.train.Int64List(value=[1, 2, 3])),
                   "tags": tf.train.Feature(int64_list=tf.train.Int64List(value=[1, 2, 3]))}
        with tf.io.TFRecordWriter(str(path)) as writer:
            writer.write(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())
    else:
        change = {
            "missing": lambda s: {"tokens": s["tokens"]},
            "extra": lambda s: {**s, "weights": s["tags"]},
            "dtype": lambda s: {**s, "tokens": s["tokens"].astype("float32")},
            "range": lambda s: {**s, "tags": s["tags"] + 5},
            "nan": lambda s: {**s, "tags": np.where(s["tags"] == 1, np.nan, s["tags"])},
            "rank": lambda s: {**s, "tags": s["tags"][:, None].repeat(5, axis=1)},
        }[case]
        write_tfrecord(path, [change(s) for s in good])


@pytest.mark.parametrize("case, message", [
    ("empty", "the file is empty"),
    ("truncated", "not a TFRecord file, or truncated (record 6 declares"),
    ("not_example", "record 1 is not a tf.train.Example"),
    ("int64_list", "record 1: feature `tags` is an int64_list; graphmask reads one tensor per feature"),
    ("missing", "array `tags` is missing (needed for the output)"),
    ("extra", "array `weights` is neither an input nor an output"),
    ("dtype", "input `tokens`: dtype float32 given, the spec declares int32"),
    ("range", "labels `tags`: class ids 5..9 are outside 0..4 (the output has 5 units)"),
    ("nan", "array `tags` has NaN or infinite values"),
    ("rank", "record 1 does not match the spec:\n  labels `tags`: shape (1, "),
])
def test_bad_records_exit_2_before_training_and_write_nothing(records, tmp_path, capsys, case, message):
    data = tmp_path / "bad.tfrecord"
    _bad(case, data)
    model = tmp_path / "model.keras"
    model.write_bytes(b"an earlier model")
    code = main(["fit", str(SPEC), "--data", str(data), "-o", str(model), "--overwrite"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "nothing was trained or written" in err, err
    assert model.read_bytes() == b"an earlier model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.tfrecord", "model.keras"]


def test_a_directory_mixing_npz_and_tfrecord_is_refused(records, tmp_path, capsys):
    from graphmask.keras.tfrecord import write_tfrecord

    write_tfrecord(tmp_path / "a.tfrecord", _samples(2, 0))
    np.savez(tmp_path / "b.npz", tokens=np.ones((2, 3), "int32"), tags=np.ones((2, 3), "int32"))
    code = main(["fit", str(SPEC), "--data", str(tmp_path), "-o", str(tmp_path / "m.keras")])
    assert code == 2 and "mixes .npz shards and TFRecord files" in capsys.readouterr().err
