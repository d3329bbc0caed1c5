"""`graphmask fit` against a hand-written Keras training script: epoch time, same model, same data, one run.

``python -m bench.fit_parity [--quick]``, or the ``fit_parity`` section of ``python -m bench``.

Both arms train the tagger spec of tests/data/training (Embedding mask_zero ->
GRU -> softmax per step) from the same initial weights, on the same arrays,
with the same batch size and number of epochs, in this process, under the
same seeds and op determinism:

- graphmask: ``graphmask.keras.fit.fit``, the code `graphmask fit` runs
  (checked ``.npz``, its ``tf.data`` stream shuffled per epoch, the atomic
  checkpoint after every epoch);
- hand-written: what a careful user writes, ``model.fit(x, y, batch_size,
  shuffle=True)`` on the arrays (Keras's own ``tf.data`` pipeline), no
  checkpoint.

Runs are interleaved A B B A ...; an epoch is timed from its start to the
next one's (so every callback, the checkpoint included, counts), the first
epoch of each run (tracing) is left out, and the ratio is the median over
adjacent pairs of runs of their median epoch times. The checkpoint's share is
timed inside the graphmask arm and reported on its own. Target: 0.97-1.03.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import Section, target
from bench.stats import Samples

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "tests" / "data" / "training" / "tagger.yaml"
SIZES = {True: dict(samples=256, steps=8, batch=32, epochs=2, runs=2),
         False: dict(samples=4096, steps=32, batch=32, epochs=4, runs=8)}


def _data(n: int, steps: int) -> dict[str, np.ndarray]:
    """Right-padded token ids (pad 0) of random lengths, tags derived from them."""
    rng = np.random.default_rng(0)
    x = np.zeros((n, steps), "int32")
    lengths = rng.integers(2, steps + 1, n)
    for i, length in enumerate(lengths):
        x[i, :length] = rng.integers(1, 50, length)
    return {"tokens": x, "tags": x % 5}


def _epoch_timer(keras: Any) -> Any:
    class EpochTimer(keras.callbacks.Callback):
        """Start-to-start epoch times: the last callbacks of an epoch (a checkpoint) count in it."""

        def __init__(self):
            super().__init__()
            self.times: list[float] = []
            self.start = None

        def on_epoch_begin(self, epoch, logs=None):
            now = time.perf_counter()
            if self.start is not None:
                self.times.append(now - self.start)
            self.start = now

        def on_train_end(self, logs=None):
            self.times.append(time.perf_counter() - self.start)

    return EpochTimer()


def measure(quick: bool) -> Section:
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    import graphmask.keras.fit as fit_module
    from graphmask.keras import checkpoint
    from graphmask.analysis.masks import infer_masks
    from graphmask.checker import check_path
    from graphmask.keras.compile import compile_spec
    from graphmask.keras.train import compile_for_training
    from graphmask.keras.training_data import check_data_set

    size = SIZES[quick]
    checked = check_path(SPEC)
    folder = Path(tempfile.mkdtemp(prefix="fit_parity"))
    arrays = _data(size["samples"], size["steps"])
    np.savez(folder / "train.npz", **arrays)
    data = check_data_set(checked.graph, infer_masks(checked.graph), folder / "train.npz", "--data")
    batch, epochs = size["batch"], size["epochs"]
    fit_module.seed_everything(0)  # op determinism for both arms, from the start

    # The checkpoint's cost, timed where it is paid: the copy of the state on the training thread
    # (CheckpointWriter.save), and the files written meanwhile by the writer's thread (write_checkpoint).
    checkpoint_times: list[float] = []
    write_times: list[float] = []
    originals = (checkpoint.CheckpointWriter.save, checkpoint.write_checkpoint)

    def timing(fn: Any, into: list[float]) -> Any:
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                into.append(time.perf_counter() - start)
        return timed

    def graphmask_arm(run: int) -> tuple[list[float], float]:
        timer = _epoch_timer(keras)
        checkpoint.CheckpointWriter.save = timing(originals[0], checkpoint_times)
        checkpoint.write_checkpoint = timing(originals[1], write_times)
        try:
            result = fit_module.fit(checked.graph, data, fit_module.FitPaths(folder / f"g{run}.keras"), epochs=epochs,
                                    batch_size=batch, seed=0, verbose=0, callbacks=[timer])
        finally:
            checkpoint.CheckpointWriter.save, checkpoint.write_checkpoint = originals
        return timer.times[1:], result.history["loss"][-1]

    def handwritten_arm(run: int) -> tuple[list[float], float]:
        keras.utils.set_random_seed(0)
        model = compile_spec(checked.spec).model
        compile_for_training(model, checked.spec)
        timer = _epoch_timer(keras)
        history = model.fit(arrays["tokens"], arrays["tags"], batch_size=batch, epochs=epochs, shuffle=True,
                            verbose=0, callbacks=[timer])
        return timer.times[1:], history.history["loss"][-1]

    runs: dict[str, list[list[float]]] = {"graphmask": [], "handwritten": []}
    losses: dict[str, list[float]] = {"graphmask": [], "handwritten": []}
    arms = {"graphmask": graphmask_arm, "handwritten": handwritten_arm}
    for run in range(size["runs"]):
        order = ("handwritten", "graphmask") if run % 4 in (0, 3) else ("graphmask", "handwritten")  # A B B A
        for name in order:
            keras.backend.clear_session()
            times, loss = arms[name](run)
            runs[name].append(times)
            losses[name].append(loss)
            print(f"[fit_parity] run {run + 1}/{size['runs']} {name}: epochs {', '.join(f'{t:.3f}' for t in times)} s",
                  file=sys.stderr, flush=True)
    g = Samples([t for times in runs["graphmask"] for t in times])
    h = Samples([t for times in runs["handwritten"] for t in times])
    pairs = Samples([statistics.median(a) / statistics.median(b)
                     for a, b in zip(runs["graphmask"], runs["handwritten"])])
    # Each graphmask run checkpoints once per epoch; the first epoch's (left out of the times above) too.
    per_run = epochs
    kept = Samples([t for r in range(size["runs"]) for t in checkpoint_times[r * per_run + 1:(r + 1) * per_run]])
    written = Samples([t for r in range(size["runs"]) for t in write_times[r * per_run + 1:(r + 1) * per_run]])
    share = kept.median / g.median
    without = Samples([a - c for a, c in zip(g.values, kept.values)]) if len(kept.values) == len(g.values) else None
    parity = pairs.median
    columns = ["samples x steps", "batch", "epochs x runs", "hand-written epoch", "graphmask fit epoch",
               "checkpoint: training thread", "checkpoint: writer thread", "fit / hand-written"]
    rows = [[f"{size['samples']} x {size['steps']}", str(batch), f"{epochs} x {size['runs']}",
             f"{h.median * 1000:.0f} ms", f"{g.median * 1000:.0f} ms",
             f"{kept.median * 1000:.1f} ms ({share:.1%})", f"{written.median * 1000:.1f} ms", f"{parity:.3f}"]]
    raw = {"sizes": size, "graphmask_epoch_s": g.to_dict(), "handwritten_epoch_s": h.to_dict(),
           "checkpoint_s": kept.to_dict(), "checkpoint_write_s": written.to_dict(),
           "first_checkpoint_s": [checkpoint_times[r * per_run] for r in range(size["runs"])],
           "checkpoint_share": share, "pair_ratios": pairs.values,
           "fit_over_handwritten": parity, "ratio_of_medians": g.median / h.median,
           "final_loss": losses}
    if without is not None:
        raw["fit_without_checkpoint_over_handwritten"] = without.median / h.median
    section = Section("fit_parity", "Training parity: `graphmask fit` vs a hand-written `model.fit` (same model, "
                      "data, batch, epochs)", columns, rows, raw)
    section.targets.append(target("fit / hand-written epoch time", f"{parity:.3f}", "0.97 - 1.03",
                                  0.97 <= parity <= 1.03, not quick))
    section.notes.append(
        "Same process, same seeds, op determinism on for both, runs interleaved A B B A; an epoch is timed start "
        "to start (the checkpoint counts), first epoch of each run left out; the ratio is the median over adjacent "
        f"pairs of runs (ratio of the medians: {g.median / h.median:.3f}"
        + (f"; less the checkpoint's training-thread time: {raw['fit_without_checkpoint_over_handwritten']:.3f}" if without else "")
        + "). The checkpoint: the training thread copies the state (one traced read of every variable; "
        f"{statistics.median(raw['first_checkpoint_s']) * 1000:.0f} ms the first time, which traces it), a thread "
        "writes the files (.npz, state.json, fsyncs) while the next epoch trains. Final training loss, "
        "graphmask / hand-written: "
        + ", ".join(f"{a:.3f}/{b:.3f}" for a, b in zip(losses["graphmask"], losses["handwritten"])) + ".")
    return section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fit_parity", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, target not evaluated")
    args = parser.parse_args(argv)
    from bench.report import machine, to_markdown

    start = time.perf_counter()
    section = measure(args.quick)
    print(to_markdown([section], machine(), args.quick, time.perf_counter() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
