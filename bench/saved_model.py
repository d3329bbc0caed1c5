"""Checking a saved 50-layer ``.keras`` without TensorFlow vs loading it with Keras.

    python bench/saved_model.py [--repeat 3]

Saves a 50-layer functional model (an Embedding, a stack of Dense/Dropout/
LayerNormalization blocks, an LSTM) once, then times, each in a fresh
process, best of --repeat: ``graphmask check model.keras`` (TensorFlow
blocked from importing, as in tests/no_tensorflow.py) and
``keras.models.load_model("model.keras")``. Prints both and the ratio; the
target is a ratio of at least 10.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LAYERS = 50
TARGET = 10.0

BUILD = """
import os, sys, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.simplefilter("ignore")
import keras
from keras import layers
x = tokens = keras.Input((None,), dtype="int32", name="tokens")
x = layers.Embedding(1000, 32, mask_zero=True)(x)
for i in range(({layers} - 2) // 3):
    x = layers.Dense(32, activation="relu")(x)
    x = layers.Dropout(0.1)(x)
    x = layers.LayerNormalization()(x)
x = layers.LSTM(16)(x)
x = layers.Dense(1)(x)
model = keras.Model(tokens, x)
model.save(sys.argv[1])
print(len(model.layers))
"""
LOAD = ("import os, sys; os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3'); import keras; "
        "keras.models.load_model(sys.argv[1])")


def timed(command: list[str], repeat: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True)
        best = min(best, time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{command[:3]} failed:\n{done.stderr[-2000:]}")
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        built = subprocess.run([sys.executable, "-c", BUILD.format(layers=LAYERS), path],
                               capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
        if built.returncode != 0:
            raise SystemExit(built.stderr[-2000:])
        check = timed([sys.executable, "-m", "tests.no_tensorflow", "check", "--no-cache", "--no-config", path],
                      args.repeat)
        load = timed([sys.executable, "-c", LOAD, path], args.repeat)
    ratio = load / check
    print(f"layers: {built.stdout.strip()}")
    print(f"graphmask check model.keras (no TensorFlow): {check * 1000:.0f} ms")
    print(f"keras.models.load_model (fresh process):     {load * 1000:.0f} ms")
    print(f"ratio: {ratio:.1f}x (target >= {TARGET:.0f}x): {'met' if ratio >= TARGET else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
