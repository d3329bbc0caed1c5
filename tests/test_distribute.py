"""tf.distribute: a mirrored run over two logical CPU devices equals the single-device run.

Logical devices must be configured before TensorFlow initialises its devices,
so the whole check runs in a fresh interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "tests" / "data" / "specs" / "seq2seq_states.yaml"

SCRIPT = """
import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import graphmask
from graphmask.cli import main
from graphmask.graph import build_graph
from graphmask.keras.inputs import check_inputs, demo_batch
from graphmask.keras.run import run_spec

spec = graphmask.load({spec!r})
batch = check_inputs(spec, demo_batch(build_graph(spec)[0], 8))
np.savez({inputs!r}, **batch)
graphmask.compile(spec).save_weights({weights!r})
single = run_spec(spec, batch, batch_size=4, weights={weights!r}, device="cpu")
mirrored = run_spec(spec, batch, batch_size=4, weights={weights!r}, strategy="mirrored")
print("replicas", mirrored.compiled.strategy.num_replicas_in_sync, mirrored.device)
print("variables", type(mirrored.compiled.model.weights[0].value).__name__)
for name in single.outputs:
    print("diff", name, float(np.abs(single.outputs[name] - mirrored.outputs[name]).max()))
code = main(["run", {spec!r}, "--input", {inputs!r}, "--weights", {weights!r}, "--strategy", "mirrored",
             "--batch-size", "4", "-o", {out!r}])
saved = np.load({out!r})
print("cli", code, max(float(np.abs(saved[n] - single.outputs[n]).max()) for n in single.outputs))
"""


@pytest.mark.keras
def test_mirrored_on_two_logical_cpus_equals_single_device(keras, tmp_path):
    script = textwrap.dedent(SCRIPT).format(spec=str(SPEC), inputs=str(tmp_path / "in.npz"),
                                            weights=str(tmp_path / "w.weights.h5"), out=str(tmp_path / "out.npz"))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert "replicas 2 MirroredStrategy with 2 replica(s)" in lines[0]
    assert lines[1] == "variables MirroredVariable"
    diffs = [float(line.split()[-1]) for line in lines if line.startswith("diff")]
    assert len(diffs) == 2 and max(diffs) <= 1e-6
    cli = next(line for line in lines if line.startswith("cli")).split()
    assert cli[1] == "0" and float(cli[2]) <= 1e-6
