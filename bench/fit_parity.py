"""`graphmask fit` against a hand-written Keras training script: epoch time, same model, same data, one run.

``python -m bench.fit_parity [--quick]``, or the ``fit_parity`` section of ``python -m bench``.

Four arms train the tagger spec of tests/data/training (Embedding mask_zero
-> GRU -> softmax per step) from the same initial weights, on the same arrays,
with the same batch size and number of epochs, under the same seeds and op
determinism:

- graphmask: ``graphmask.keras.fit.fit``, the code `graphmask fit` runs
  (checked ``.npz``, its ``tf.data`` stream shuffled per epoch, the atomic
  checkpoint after every epoch);
- three hand-written scripts, without a checkpoint: the usual
  ``model.fit(x, y, batch_size, shuffle=True)`` (Keras's own pipeline for
  arrays), the ``tf.data`` idiom of TensorFlow's guides
  (``from_tensor_slices((x, y)).shuffle(n).batch(b).prefetch(AUTOTUNE)``),
  and that idiom as one stream for the whole run (``.repeat()`` and
  ``fit(steps_per_epoch=ceil(n / b))``), which is how `graphmask fit` feeds
  Keras: for a finite dataset ``fit`` makes a new iterator every epoch, and
  that boundary is most of what separates the first two from graphmask.

The arms run in lockstep, one process each (``--arm``, started by this
module), so that the epochs compared run back to back under the same load
from others: every arm trains its whole run of many short epochs, but only
the arm holding the turn computes. A callback holds the turn from an epoch's
first batch to the next epoch's first batch (the last epoch's turn ends when
``fit`` has returned), so an epoch's ``on_epoch_end`` callbacks, the
checkpoint included, count in it. Not from ``on_epoch_begin``: Keras makes
the next epoch's iterator after an epoch's last batch and replaces it after
``on_epoch_begin``; a turn handed on between the two left that iterator idle
while the others trained, and replacing it then stalled the hand-written
arms for up to a second, which training alone never pays. The turn goes
round A B C D, then D C B A, and so on: round *r* runs epoch *r* of every arm.
Before graphmask's arm hands the turn back it waits for its checkpoint
writer's thread, which otherwise writes while the next epoch trains (and
would charge that write to the next arm): the whole write counts against
graphmask.

Processes rather than threads of one process: each arm has a TensorFlow
runtime (thread pools, ``tf.data`` threads) and a CPU clock of its own, and
Keras's global state, kept per thread, needs no care.

An epoch is timed over its turn, on the wall clock and in the arm's process
CPU seconds; each arm's first epoch (tracing) and last are left out. Each
ratio is the median over rounds of graphmask's epoch over the baseline's
epoch of the same round; the ratio of the arms' median epochs is reported
too, the checkpoint's share, and where an epoch goes (a step, from batch
start to batch start, and the rest). Target: 0.97-1.03.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from bench.report import Section, target
from bench.stats import Samples

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "tests" / "data" / "training" / "tagger.yaml"
SIZES = {True: dict(samples=256, steps=8, batch=32, epochs=3),
         False: dict(samples=1028, steps=32, batch=32, epochs=150)}
ARMS = ("graphmask", "arrays", "tf_data", "tf_data_run")  # A B C D
BASELINES = {"arrays": "`model.fit(x, y, batch_size, shuffle=True)`",
             "tf_data": "`from_tensor_slices((x, y)).shuffle(n).batch(b).prefetch(AUTOTUNE)`",
             "tf_data_run": "the same `.repeat()`, `fit(steps_per_epoch=ceil(n / b))`: one stream for the run"}
GO = "go\n"  # the turn, on an arm's stdin


def _data(n: int, steps: int) -> dict[str, np.ndarray]:
    """Right-padded token ids (pad 0) of random lengths, tags derived from them."""
    rng = np.random.default_rng(0)
    x = np.zeros((n, steps), "int32")
    lengths = rng.integers(2, steps + 1, n)
    for i, length in enumerate(lengths):
        x[i, :length] = rng.integers(1, 50, length)
    return {"tokens": x, "tags": x % 5}


# --- the coordinator: starts one process per arm and passes the turn round ---

class Arm:
    """One arm's process: the turn goes in on its stdin, its reports come back on a pipe of their own."""

    def __init__(self, name: str, data: Path, size: dict[str, int]):
        self.name = name
        read, write = os.pipe()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.fit_parity", "--arm", name, "--data", str(data),
             "--sizes", json.dumps(size), "--report-fd", str(write)],
            cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=2, pass_fds=(write,), text=True)  # its output on stderr
        os.close(write)
        self.reports = os.fdopen(read, "r")

    def take_turn(self) -> dict[str, Any]:
        """Let the arm compute until it hands the turn back: its report ("turn", or "done" with its numbers)."""
        try:
            self.process.stdin.write(GO)
            self.process.stdin.flush()
            line = self.reports.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            self.process.wait()
            raise RuntimeError(f"fit_parity: the {self.name} arm ended (exit {self.process.returncode}) "
                               "without reporting; its error is above")
        return json.loads(line)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.reports.close()


def _lockstep(data: Path, size: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Every arm's numbers: rounds of one turn each, A B C D then D C B A, until every arm is done."""
    arms = {name: Arm(name, data, size) for name in ARMS}
    done: dict[str, dict[str, Any]] = {}
    try:
        for round_ in range(size["epochs"] + 1):  # a round per epoch, and one to catch an arm that overruns
            for name in ARMS if round_ % 2 == 0 else ARMS[::-1]:
                if name not in done:
                    report = arms[name].take_turn()
                    if report["kind"] == "done":
                        done[name] = report
            if len(done) == len(ARMS):
                return done
        raise RuntimeError(f"fit_parity: arms {sorted(set(ARMS) - set(done))} did not finish their epochs")
    finally:
        for arm in arms.values():
            arm.close()


def measure(quick: bool) -> Section:
    size = SIZES[quick]
    with tempfile.TemporaryDirectory(prefix="fit_parity") as folder:  # the data, graphmask's checkpoints and model
        np.savez(Path(folder) / "train.npz", **_data(size["samples"], size["steps"]))
        arms = _lockstep(Path(folder) / "train.npz", size)
    for r in range(size["epochs"]):
        print(f"[fit_parity] round {r + 1}/{size['epochs']}: " + ", ".join(
            f"{name} {arms[name]['times'][r]:.3f} s wall {arms[name]['cpu'][r]:.3f} s CPU" for name in ARMS),
            file=sys.stderr)
    return _section(quick, size, arms)


def _section(quick: bool, size: dict[str, int], arms: dict[str, dict[str, Any]]) -> Section:
    """The table, targets and notes from every arm's per-epoch numbers (``run_arm``'s report)."""
    epochs = size["epochs"]
    # Left out: the first epoch (tracing; its checkpoint traces the variable read) and the last, whose turn
    # ends at train end rather than at a next epoch's first batch.
    kept = slice(1, -1)
    wall = {name: arms[name]["times"] for name in ARMS}
    cpu = {name: arms[name]["cpu"] for name in ARMS}
    losses = {name: arms[name]["loss"] for name in ARMS}

    def round_ratios(baseline: str, table: dict[str, list[float]]) -> Samples:  # one round: back to back
        return Samples([g / h for g, h in zip(table["graphmask"][kept], table[baseline][kept])])

    def anatomy(name: str) -> dict[str, float]:
        """Where an arm's epoch goes: a step (batch start to batch start), and the rest (the last step, the
        on_epoch_end callbacks, Keras's iterator for the next epoch), median and 90th percentile."""
        rest = sorted(t - s for t, s in zip(wall[name][kept], arms[name]["steps"][kept]))
        steps = -(-size["samples"] // size["batch"])
        return {"step_s": statistics.median(arms[name]["steps"][kept]) / (steps - 1),
                "rest_s": statistics.median(rest), "rest_p90_s": rest[int(0.9 * (len(rest) - 1))]}

    checkpoint = arms["graphmask"]
    g, g_cpu = Samples(wall["graphmask"][kept]), Samples(cpu["graphmask"][kept])
    saves, waits = checkpoint["save_s"], checkpoint["wait_s"]
    saved, written, waited = Samples(saves[kept]), Samples(checkpoint["write_s"][kept]), Samples(waits[kept])
    paid = Samples([s + w for s, w in zip(saves[kept], waits[kept])])  # what graphmask's epoch is charged
    parts = {name: anatomy(name) for name in ARMS}
    columns = ["hand-written arm", "its epoch (wall)", "graphmask fit epoch (wall)", "fit / hand-written (wall)",
               "fit / hand-written (CPU)", "ratio of median epochs (wall / CPU)"]
    rows, raw = [], {"sizes": size, "method": "lockstep, one process per arm, rounds A B C D / D C B A (A = graphmask)",
                     "graphmask_epoch_s": g.to_dict(), "graphmask_epoch_cpu_s": g_cpu.to_dict(),
                     "checkpoint_s": paid.to_dict(), "checkpoint_save_s": saved.to_dict(),
                     "checkpoint_write_s": written.to_dict(), "checkpoint_wait_s": waited.to_dict(),
                     "checkpoint_share": paid.median / g.median, "first_checkpoint_s": saves[0],
                     "epoch_s": wall, "epoch_cpu_s": cpu, "epoch_steps_s": {n: arms[n]["steps"] for n in ARMS},
                     "epoch_anatomy": parts, "final_loss": {name: [losses[name]] for name in ARMS}}
    for baseline, label in BASELINES.items():
        h, h_cpu = Samples(wall[baseline][kept]), Samples(cpu[baseline][kept])
        on_wall, on_cpu = round_ratios(baseline, wall), round_ratios(baseline, cpu)
        on_steps = round_ratios(baseline, {n: arms[n]["steps"] for n in ARMS})
        raw[baseline] = {"epoch_s": h.to_dict(), "epoch_cpu_s": h_cpu.to_dict(), "step_round_ratio": on_steps.median,
                         "round_ratios": on_wall.values, "fit_over_handwritten": on_wall.median,
                         "cpu_round_ratios": on_cpu.values, "fit_over_handwritten_cpu": on_cpu.median,
                         "ratio_of_medians": g.median / h.median, "ratio_of_medians_cpu": g_cpu.median / h_cpu.median}
        rows.append([label, f"{h.median * 1000:.0f} ms", f"{g.median * 1000:.0f} ms", f"{on_wall.median:.3f}",
                     f"{on_cpu.median:.3f}", f"{g.median / h.median:.3f} / {g_cpu.median / h_cpu.median:.3f}"])
    raw["fit_over_handwritten"] = raw["arrays"]["fit_over_handwritten"]
    section = Section("fit_parity", "Training parity: `graphmask fit` vs hand-written Keras training (same model, "
                      "weights, data, batch, epochs)", columns, rows, raw)
    for baseline in BASELINES:
        for clock in ("", "_cpu"):
            value = raw[baseline][f"fit_over_handwritten{clock}"]
            name = f"fit / {baseline.replace('_', '.')} epoch time ({'CPU' if clock else 'wall'})"
            section.targets.append(target(name, f"{value:.3f}", "0.97 - 1.03", 0.97 <= value <= 1.03, not quick))
    section.notes.append(
        f"{size['samples']} sequences of up to {size['steps']} tokens, batch {size['batch']}, one run of {epochs} "
        "epochs per arm; same seeds and initial weights, op determinism on for every arm. The arms train in "
        "lockstep, one process each: only the arm holding the turn computes; it holds it from an epoch's first "
        "batch to the next epoch's first batch, round r running epoch r of every arm back to back, in the order "
        "A B C D, then D C B A (A = graphmask). An epoch is timed over its turn (its on_epoch_end callbacks, the "
        "checkpoint, count), on the wall clock and in the arm's process CPU seconds; each arm's first epoch "
        "(tracing) and last are left out; each ratio is the median over rounds of graphmask's epoch over the "
        "baseline's epoch of the same round.")
    section.notes.append(
        f"The checkpoint after every epoch: {saved.median * 1000:.1f} ms on the training thread (one traced read "
        f"of every variable; {saves[0] * 1000:.0f} ms the first time, which traces it), then "
        f"{written.median * 1000:.1f} ms of writing (.npz, state.json, fsyncs) on the writer's thread. In `graphmask "
        "fit` that write overlaps the next epoch; here graphmask's arm waits for it before handing the turn back "
        f"(median wait {waited.median * 1000:.1f} ms), so that the next arm is not charged for it: counted against "
        f"graphmask, {paid.median * 1000:.1f} ms, {paid.median / g.median:.2%} of its epoch. Final training loss, "
        "graphmask / arrays / tf.data / tf.data as one stream: " + " / ".join(f"{losses[name]:.2e}" for name in ARMS) + ".")
    section.notes.append(
        "Where an epoch goes, graphmask / arrays / tf.data / tf.data as one stream (medians): a step (batch start to batch start) "
        + " / ".join(f"{parts[n]['step_s'] * 1000:.2f}" for n in ARMS) + " ms; the rest of the epoch (its last "
        "step, the on_epoch_end callbacks, the next epoch's iterator) "
        + " / ".join(f"{parts[n]['rest_s'] * 1000:.0f}" for n in ARMS) + " ms (90th percentile "
        + " / ".join(f"{parts[n]['rest_p90_s'] * 1000:.0f}" for n in ARMS) + " ms). The steps alone (an epoch's "
        "first to last batch start), fit / hand-written, median over rounds: "
        + ", ".join(f"{raw[b]['step_round_ratio']:.3f} against {b.replace('_', '.')}" for b in BASELINES) + ".")
    return section


# --- one arm, in its own process ---

def _turn_taker(keras: Any, take_turn: Callable[[], None], hand_back: Callable[[], None],
                before_handing_back: Callable[[], None]) -> Any:
    class TurnTaker(keras.callbacks.Callback):
        """Holds the turn for one epoch: from its first batch to the next epoch's first batch (see above).

        ``times``/``cpu``: each epoch's wall and process CPU seconds, ``before_handing_back`` included.
        The first turn, taken before the model is built, ends at epoch 1's first batch; the last one once
        ``fit`` has returned.
        """

        def __init__(self):
            super().__init__()
            self.times: list[float] = []
            self.cpu: list[float] = []
            self.steps: list[float] = []  # per epoch: its first to its last batch's start
            self.start: tuple[float, float] | None = None
            self.last_batch = 0.0  # when the latest batch started

        def on_train_batch_begin(self, batch, logs=None):  # a per-batch hook that keeps Keras's async logs
            if batch != 0:
                self.last_batch = time.perf_counter()
                return
            if self.start is not None:  # the previous epoch, its on_epoch_end callbacks included, ends here
                self._lap()
                hand_back()
                take_turn()
            self.start = (time.perf_counter(), time.process_time())
            self.last_batch = self.start[0]

        def on_train_end(self, logs=None):
            self._lap()

        def _lap(self):
            before_handing_back()
            self.times.append(time.perf_counter() - self.start[0])
            self.cpu.append(time.process_time() - self.start[1])
            self.steps.append(self.last_batch - self.start[0])

    return TurnTaker()


def run_arm(arm: str, data: Path, size: dict[str, int], reports: Any) -> None:
    """Train one arm, taking turns with the others: a turn is a line on stdin, handing it back one on ``reports``."""
    def take_turn() -> None:
        if sys.stdin.readline() != GO:
            raise SystemExit(f"fit_parity {arm}: the coordinator went away")

    def report(kind: str, **numbers: Any) -> None:
        reports.write(json.dumps({"kind": kind, **numbers}) + "\n")
        reports.flush()

    import keras  # before the first turn: the arms import at once, untimed

    import graphmask.keras.fit as fit_module
    from graphmask.keras import checkpoint
    from graphmask.analysis.masks import infer_masks
    from graphmask.checker import check_path
    from graphmask.keras.compile import compile_spec
    from graphmask.keras.train import compile_for_training
    from graphmask.keras.training_data import check_data_set

    take_turn()  # the first turn: checking the spec, building the model, epoch 0 (traced, left out)
    checked = check_path(SPEC)
    batch, epochs = size["batch"], size["epochs"]
    fit_module.seed_everything(0)  # op determinism, and the seeds the hand-written scripts start from
    # The checkpoint's cost, timed where it is paid: the copy of the state on the training thread
    # (CheckpointWriter.save), the files written by the writer's thread (write_checkpoint), and the wait
    # for that thread before graphmask's arm hands the turn back.
    numbers: dict[str, list[float]] = {"save_s": [], "write_s": [], "wait_s": []}
    writers: list[Any] = []
    save, write = checkpoint.CheckpointWriter.save, checkpoint.write_checkpoint

    def timed(fn: Callable[..., Any], into: list[float]) -> Callable[..., Any]:
        def call(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                into.append(time.perf_counter() - start)
        return call

    def saving(writer: Any, *args: Any, **kwargs: Any) -> None:
        writers[:] = [writer]
        timed(save, numbers["save_s"])(writer, *args, **kwargs)

    def wait_for_writer() -> None:
        if writers:
            timed(writers[0].wait, numbers["wait_s"])()

    checkpoint.CheckpointWriter.save, checkpoint.write_checkpoint = saving, timed(write, numbers["write_s"])
    taker = _turn_taker(keras, take_turn, lambda: report("turn"), wait_for_writer if arm == "graphmask" else
                        (lambda: None))
    if arm == "graphmask":
        checked_data = check_data_set(checked.graph, infer_masks(checked.graph), data, "--data")
        result = fit_module.fit(checked.graph, checked_data, fit_module.FitPaths(data.with_name("g.keras")),
                                epochs=epochs, batch_size=batch, seed=0, verbose=0, callbacks=[taker])
        loss = result.history["loss"][-1]
    else:
        with np.load(data) as stored:
            arrays = {key: stored[key] for key in stored.files}
        model = compile_spec(checked.spec).model
        compile_for_training(model, checked.spec)
        if arm == "arrays":  # the usual script: Keras's own pipeline for arrays
            history = model.fit(arrays["tokens"], arrays["tags"], batch_size=batch, epochs=epochs, shuffle=True,
                                verbose=0, callbacks=[taker])
        else:  # the tf.data idiom of TensorFlow's guides
            import tensorflow as tf

            stream = (tf.data.Dataset.from_tensor_slices((arrays["tokens"], arrays["tags"]))
                      .shuffle(len(arrays["tokens"]), seed=0).batch(batch))
            if arm == "tf_data":  # a new iterator each epoch, as fit makes it for a finite dataset
                history = model.fit(stream.prefetch(tf.data.AUTOTUNE), epochs=epochs, verbose=0, callbacks=[taker])
            else:  # one iterator for the whole run, as `graphmask fit`'s stream is (an epoch: one pass)
                history = model.fit(stream.repeat().prefetch(tf.data.AUTOTUNE), epochs=epochs, verbose=0,
                                    steps_per_epoch=-(-len(arrays["tokens"]) // batch), callbacks=[taker])
        loss = history.history["loss"][-1]
    report("done", times=taker.times, cpu=taker.cpu, steps=taker.steps, loss=float(loss), **numbers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fit_parity", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, target not evaluated")
    parser.add_argument("--arm", choices=ARMS, help=argparse.SUPPRESS)  # one arm's process, started by measure
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=json.loads, help=argparse.SUPPRESS)
    parser.add_argument("--report-fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.arm:
        with os.fdopen(args.report_fd, "w") as reports:
            run_arm(args.arm, args.data, args.sizes, reports)
        return 0
    from bench.report import machine, to_markdown

    start = time.perf_counter()
    section = measure(args.quick)
    print(to_markdown([section], machine(), args.quick, time.perf_counter() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
