"""`graphmask fit` against a hand-written Keras training script: epoch time, same model, same data, one run.

``python -m bench.fit_parity [--quick]``. Both arms train the tagger spec of
tests/data/training (Embedding mask_zero -> GRU -> softmax per step) from the
same initial weights on the same arrays: the graphmask arm through
``graphmask.keras.fit.fit`` (the code `graphmask fit` runs: checked data,
tf.data stream shuffled per epoch, checkpoint every epoch), the hand-written
arm through ``model.fit(x, y, batch_size, shuffle=True)``. Arms alternate, and
the first epoch of each (tracing) is left out. Target: ratio 0.97-1.03.
Not yet a section of ``python -m bench``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "tests" / "data" / "training" / "tagger.yaml"


def _data(n: int, steps: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    x = np.zeros((n, steps), "int32")
    for i in range(n):
        length = rng.integers(2, steps + 1)
        x[i, :length] = rng.integers(1, 50, length)
    return {"tokens": x, "tags": x % 5}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.fit_parity")
    ap.add_argument("--quick", action="store_true")
    ns = ap.parse_args(argv)
    samples, epochs, rounds = (256, 3, 2) if ns.quick else (4096, 6, 3)
    import keras

    from graphmask.analysis.masks import infer_masks
    from graphmask.checker import check_path
    from graphmask.keras.compile import compile_spec
    from graphmask.keras.fit import FitPaths, fit
    from graphmask.keras.train import compile_for_training
    from graphmask.keras.training_data import check_data_set

    checked = check_path(SPEC)
    folder = Path(tempfile.mkdtemp(prefix="fit_parity"))
    arrays = _data(samples, 20)
    np.savez(folder / "train.npz", **arrays)
    data = check_data_set(checked.graph, infer_masks(checked.graph), folder / "train.npz", "--data")
    batch = checked.spec.training.batch_size

    class Timer(keras.callbacks.Callback):
        def __init__(self):
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.start)

    graphmask_times, hand_times = [], []
    for r in range(rounds):
        timer = Timer()
        import graphmask.keras.fit as fit_module

        original = fit_module._callbacks
        fit_module._callbacks = lambda *a, **k: original(*a, **k) + [timer]
        try:
            fit(checked.graph, data, FitPaths(folder / f"g{r}.keras"), epochs=epochs, seed=0, verbose=0)
        finally:
            fit_module._callbacks = original
        graphmask_times += timer.times[1:]
        keras.utils.set_random_seed(0)
        model = compile_spec(checked.spec).model
        compile_for_training(model, checked.spec)
        timer = Timer()
        model.fit(arrays["tokens"], arrays["tags"], batch_size=batch, epochs=epochs, shuffle=True, verbose=0,
                  callbacks=[timer])
        hand_times += timer.times[1:]
    g, h = statistics.median(graphmask_times), statistics.median(hand_times)
    print(f"| samples | epochs x rounds | graphmask fit epoch (median) | hand-written Keras epoch | ratio |")
    print(f"|---|---|---|---|---|")
    print(f"| {samples} | {epochs} x {rounds} | {g * 1000:.1f} ms | {h * 1000:.1f} ms | {g / h:.3f} |")
    print("target 0.97-1.03: " + ("met" if 0.97 <= g / h <= 1.03 else "missed") + ("" if not ns.quick else
                                                                                     " (quick: not evaluated)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
