"""`graphmask fit` against a hand-written Keras training script: epoch time, same model, same data, one run.

``python -m bench.fit_parity [--quick]``, or the ``fit_parity`` section of ``python -m bench``.

Three arms train the tagger spec of tests/data/training (Embedding mask_zero
-> GRU -> softmax per step) from the same initial weights, on the same arrays,
with the same batch size and number of epochs, in this process, under the
same seeds and op determinism:

- graphmask: ``graphmask.keras.fit.fit``, the code `graphmask fit` runs
  (checked ``.npz``, its ``tf.data`` stream shuffled per epoch, the atomic
  checkpoint after every epoch);
- two hand-written scripts, without a checkpoint: the usual
  ``model.fit(x, y, batch_size, shuffle=True)`` (Keras's own pipeline for
  arrays), and the ``tf.data`` idiom of TensorFlow's guides
  (``from_tensor_slices((x, y)).shuffle(n).batch(b).prefetch(AUTOTUNE)``).

Runs are interleaved A B C C B A ...; an epoch is timed from its start to the
next one's (so every callback, the checkpoint included, counts), the first
epoch of each run (tracing) is left out, and each ratio is the median over
rounds of the two arms' median epoch times, on the wall clock and in the
process's CPU seconds. The checkpoint's share is timed inside the graphmask
arm and reported on its own. Target: 0.97-1.03.
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
         False: dict(samples=2052, steps=32, batch=32, epochs=3, runs=8)}


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
            self.cpu: list[float] = []  # the process's CPU seconds (every thread): steadier under others' load
            self.start = None

        def on_epoch_begin(self, epoch, logs=None):
            self._lap()

        def on_train_end(self, logs=None):
            self._lap()

        def _lap(self):
            now = (time.perf_counter(), time.process_time())
            if self.start is not None:
                self.times.append(now[0] - self.start[0])
                self.cpu.append(now[1] - self.start[1])
            self.start = now

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

    def graphmask_arm(run: int) -> tuple[Any, float]:
        timer = _epoch_timer(keras)
        checkpoint.CheckpointWriter.save = timing(originals[0], checkpoint_times)
        checkpoint.write_checkpoint = timing(originals[1], write_times)
        try:
            result = fit_module.fit(checked.graph, data, fit_module.FitPaths(folder / f"g{run}.keras"), epochs=epochs,
                                    batch_size=batch, seed=0, verbose=0, callbacks=[timer])
        finally:
            checkpoint.CheckpointWriter.save, checkpoint.write_checkpoint = originals
        return timer, result.history["loss"][-1]

    def hand_arm(feed: str) -> Any:
        def run_arm(run: int) -> tuple[Any, float]:
            keras.utils.set_random_seed(0)
            model = compile_spec(checked.spec).model
            compile_for_training(model, checked.spec)
            timer = _epoch_timer(keras)
            if feed == "arrays":  # the usual script: Keras's own pipeline for arrays
                history = model.fit(arrays["tokens"], arrays["tags"], batch_size=batch, epochs=epochs, shuffle=True,
                                    verbose=0, callbacks=[timer])
            else:  # the tf.data idiom of TensorFlow's guides
                import tensorflow as tf

                stream = (tf.data.Dataset.from_tensor_slices((arrays["tokens"], arrays["tags"]))
                          .shuffle(len(arrays["tokens"]), seed=0).batch(batch).prefetch(tf.data.AUTOTUNE))
                history = model.fit(stream, epochs=epochs, verbose=0, callbacks=[timer])
            return timer, history.history["loss"][-1]
        return run_arm

    arms = {"graphmask": graphmask_arm, "arrays": hand_arm("arrays"), "tf_data": hand_arm("tf_data")}
    baselines = {"arrays": "`model.fit(x, y, batch_size, shuffle=True)`",
                 "tf_data": "`from_tensor_slices((x, y)).shuffle(n).batch(b).prefetch(AUTOTUNE)`"}
    runs: dict[str, list[list[float]]] = {name: [] for name in arms}
    cpu: dict[str, list[list[float]]] = {name: [] for name in arms}
    losses: dict[str, list[float]] = {name: [] for name in arms}
    for run in range(size["runs"]):
        order = list(arms) if run % 2 == 0 else list(arms)[::-1]  # A B C C B A ...
        for name in order:
            keras.backend.clear_session()
            timer, loss = arms[name](run)
            runs[name].append(timer.times[1:])
            cpu[name].append(timer.cpu[1:])
            losses[name].append(loss)
            print(f"[fit_parity] run {run + 1}/{size['runs']} {name}: epochs "
                  f"{', '.join(f'{t:.3f}' for t in timer.times)} s wall, {', '.join(f'{t:.3f}' for t in timer.cpu)} s CPU",
                  file=sys.stderr, flush=True)

    def median_epoch(arm: str, table: dict) -> Samples:
        return Samples([t for times in table[arm] for t in times])

    def pair_ratios(baseline: str, table: dict) -> Samples:  # runs of one round share the machine's load
        return Samples([statistics.median(a) / statistics.median(b) for a, b in zip(table["graphmask"],
                                                                                    table[baseline])])

    g = median_epoch("graphmask", runs)
    # Each graphmask run checkpoints after every epoch; the first epoch's (traced; its epoch is left out) too.
    kept = Samples([t for r in range(size["runs"]) for t in checkpoint_times[r * epochs + 1:(r + 1) * epochs]])
    written = Samples([t for r in range(size["runs"]) for t in write_times[r * epochs + 1:(r + 1) * epochs]])
    columns = ["hand-written arm", "its epoch (wall)", "graphmask fit epoch (wall)", "fit / hand-written (wall)",
               "fit / hand-written (CPU)"]
    rows, raw = [], {"sizes": size, "graphmask_epoch_s": g.to_dict(), "checkpoint_s": kept.to_dict(),
                     "checkpoint_write_s": written.to_dict(), "checkpoint_share": kept.median / g.median,
                     "first_checkpoint_s": [checkpoint_times[r * epochs] for r in range(size["runs"])],
                     "epoch_s": runs, "epoch_cpu_s": cpu, "final_loss": losses}
    for baseline, label in baselines.items():
        h, wall, on_cpu = median_epoch(baseline, runs), pair_ratios(baseline, runs), pair_ratios(baseline, cpu)
        raw[baseline] = {"epoch_s": h.to_dict(), "pair_ratios": wall.values, "fit_over_handwritten": wall.median,
                         "cpu_pair_ratios": on_cpu.values, "fit_over_handwritten_cpu": on_cpu.median,
                         "ratio_of_medians": g.median / h.median}
        rows.append([label, f"{h.median * 1000:.0f} ms", f"{g.median * 1000:.0f} ms", f"{wall.median:.3f}",
                     f"{on_cpu.median:.3f}"])
    raw["fit_over_handwritten"] = raw["arrays"]["fit_over_handwritten"]
    section = Section("fit_parity", "Training parity: `graphmask fit` vs hand-written Keras training (same model, "
                      "weights, data, batch, epochs)", columns, rows, raw)
    for baseline in baselines:
        for clock in ("", "_cpu"):
            value = raw[baseline][f"fit_over_handwritten{clock}"]
            name = f"fit / {baseline.replace('_', '.')} epoch time ({'CPU' if clock else 'wall'})"
            section.targets.append(target(name, f"{value:.3f}", "0.97 - 1.03", 0.97 <= value <= 1.03, not quick))
    section.notes.append(
        f"{size['samples']} sequences of up to {size['steps']} tokens, batch {batch}, {epochs} epochs x "
        f"{size['runs']} runs per arm; same process, same seeds and initial weights, op determinism on for every "
        "arm, runs interleaved A B C C B A; an epoch is timed start to start (the checkpoint counts), the first "
        "epoch of each run (tracing) left out; each ratio is the median over rounds of the ratio of the two arms' "
        "median epochs (wall clock, and the process's CPU seconds, steadier when others load the machine).")
    section.notes.append(
        f"The checkpoint after every epoch: {kept.median * 1000:.1f} ms on the training thread "
        f"({kept.median / g.median:.2%} of an epoch: one traced read of every variable; "
        f"{statistics.median(raw['first_checkpoint_s']) * 1000:.0f} ms the first time, which traces it), then "
        f"{written.median * 1000:.1f} ms of writing (.npz, state.json, fsyncs) on the writer's thread while the "
        "next epoch trains. Final training loss per run, graphmask / arrays / tf.data: "
        + ", ".join(f"{a:.3f}/{b:.3f}/{c:.3f}" for a, b, c in zip(*losses.values())) + ".")
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
