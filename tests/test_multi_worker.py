"""Scale-out for `graphmask fit`: mirrored on two logical CPUs, and multi-worker with real worker processes.

Multi-worker: two worker processes on 127.0.0.1, each with its own `TF_CONFIG`,
train one model under `MultiWorkerMirroredStrategy` with plain Keras (no
graphmask code between them and the engine).  With Keras 3.15.1 and TensorFlow
2.21 both fail in `Model.fit` (keras-team/keras#20585), so the test is a strict
expected failure: it keeps the proof, and fails the day Keras fixes it, when
`fit --strategy multi-worker` can stop refusing.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from graphmask.cli import main

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "tests" / "data" / "training" / "tagger.yaml"
ENV = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}

WORKER = """
import json, os, sys
os.environ["TF_CONFIG"] = json.dumps({{"cluster": {{"worker": {workers!r}}}, "task": {{"type": "worker", "index": {index}}}}})
import numpy as np, tensorflow as tf, keras
strategy = tf.distribute.MultiWorkerMirroredStrategy()
keras.utils.set_random_seed(0)
with strategy.scope():
    tokens = keras.Input((5,), dtype="int32")
    x = keras.layers.Embedding(20, 4, mask_zero=True)(tokens)
    out = keras.layers.Dense(1)(keras.layers.LSTM(3)(x))
    model = keras.Model(tokens, out)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
rng = np.random.RandomState(0)
x, y = rng.randint(1, 20, (32, 5)), rng.rand(32, 1).astype("float32")
history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
np.save({weights!r}, np.concatenate([w.ravel() for w in model.get_weights()]))
print(json.dumps(history.history["loss"]))
"""


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.keras
@pytest.mark.xfail(strict=True, reason="Keras 3.15.1 + TensorFlow 2.21: Model.fit under MultiWorkerMirroredStrategy "
                   "fails converting PerReplica values to a Tensor (keras-team/keras#20585)")
def test_two_workers_on_localhost_train_to_the_same_weights(keras, tmp_path):
    workers = [f"127.0.0.1:{p}" for p in _free_ports(2)]
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(WORKER).format(
        workers=workers, index=i, weights=str(tmp_path / f"w{i}.npy"))], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=ENV) for i in range(2)]
    results = [p.communicate(timeout=240) for p in procs]
    failed = [err[-600:] for p, (_, err) in zip(procs, results) if p.returncode != 0]
    assert not failed, failed
    first, second = np.load(tmp_path / "w0.npy"), np.load(tmp_path / "w1.npy")
    assert float(np.abs(first - second).max()) < 1e-6, "every worker ends with the same weights"


def test_fit_refuses_multi_worker_and_says_why(tmp_path, capsys):
    code = main(["fit", str(SPEC), "--data", str(tmp_path / "none.npz"), "-o", str(tmp_path / "m.keras"),
                 "--strategy", "multi-worker"])
    assert code == 2
    err = capsys.readouterr().err
    assert "keras-team/keras#20585" in err and "--strategy mirrored" in err
    assert not list(tmp_path.iterdir())


MIRRORED = """
import json, sys
import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from graphmask.cli import main

histories = {{}}
for strategy in ("default", "mirrored"):
    out = {out!r} + strategy + ".keras"
    assert main(["fit", {spec!r}, "--data", {data!r}, "-o", out, "--epochs", "2", "--batch-size", "8",
                 "--seed", "0", "--quiet", "--strategy", strategy]) == 0
    histories[strategy] = json.load(open(out[:-6] + ".history.json"))
print(json.dumps(histories))
"""


@pytest.mark.keras
def test_mirrored_fit_on_two_logical_cpus_matches_one_device(keras, tmp_path):
    rng = np.random.default_rng(0)
    tokens = np.zeros((32, 6), "int32")
    for row in tokens:
        n = rng.integers(2, 7)
        row[:n] = rng.integers(1, 50, n)
    np.savez(tmp_path / "train.npz", tokens=tokens, tags=tokens % 5)
    script = textwrap.dedent(MIRRORED).format(out=str(tmp_path / "model_"), spec=str(SPEC),
                                              data=str(tmp_path / "train.npz"))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=300,
                          env=ENV)
    assert done.returncode == 0, done.stderr[-3000:]
    histories = json.loads(done.stdout.strip().splitlines()[-1])
    single, mirrored = histories["default"]["loss"], histories["mirrored"]["loss"]
    assert len(single) == len(mirrored) == 2
    assert np.allclose(single, mirrored, rtol=1e-3), (single, mirrored)
