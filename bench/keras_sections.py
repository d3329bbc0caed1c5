"""Sections 4 and 5: what compiling through graphmask costs, and what it does not.

Both compare ``graphmask.compile`` with the same model written by hand with
the Keras functional API (``bench/handwritten.py``), in this process:

- compile overhead: build time, interleaved, ``keras.backend.clear_session``
  before every build (outside the timed part);
- runtime parity: inference throughput of the two models with the same
  weights (copied layer by layer; outputs must match) on the same batch,
  interleaved trials; and the same for an LSTM model on a GPU when one is
  visible, with whether the cuDNN kernel ran.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable

import numpy as np

from bench.handwritten import builder
from bench.report import Section, target
from bench.specgen import generate, lstm_stack
from bench.stats import Samples, interleaved, ratio
from graphmask.spec.writer import to_yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _keras():
    import keras

    return keras


def _models(data: dict[str, Any]) -> tuple[Any, Any]:
    """(compiled, handwritten) with the handwritten model given the compiled one's weights."""
    import graphmask

    keras = _keras()
    compiled = graphmask.compile(graphmask.loads(to_yaml(data)))
    handwritten, _ = builder(data)(keras)
    for layer in handwritten.layers:
        layer.set_weights(compiled.get_layer(layer.name).get_weights())
    return compiled, handwritten


def _batch(data: dict[str, Any], batch: int, length: int, seed: int = 0) -> np.ndarray:
    """Right-padded token ids (pad 0), lengths between 1 and ``length``."""
    vocab = data["layers"][0]["args"]["input_dim"]
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, vocab, size=(batch, length), dtype=np.int32)
    lengths = rng.integers(1, length + 1, size=batch)
    ids[np.arange(length)[None, :] >= lengths[:, None]] = 0
    return ids


# ------------------------------------------------------------------ compile overhead
def compile_overhead(quick: bool) -> Section:
    import graphmask

    keras = _keras()
    sizes, repeat = ((20,), 2) if quick else ((50, 200), 7)
    raw: dict[str, Any] = {}
    rows = []
    for n_nodes in sizes:
        data = generate(n_nodes, seed=n_nodes, width=16)
        text = to_yaml(data)
        spec = graphmask.loads(text)
        build = builder(data)
        arms: dict[str, Callable[[], Any]] = {
            "keras": lambda: build(keras),
            "compile_spec": lambda: graphmask.compile(spec),
            "compile_text": lambda: graphmask.compile(graphmask.loads(text)),
        }
        for arm in arms.values():  # warm-up: first calls trace and cache more than later ones
            keras.backend.clear_session()
            arm()
        hand, compiled = interleaved(arms["keras"], arms["compile_spec"], repeat, setup=keras.backend.clear_session)
        _, from_text = interleaved(arms["keras"], arms["compile_text"], max(1, repeat // 2),
                                   setup=keras.backend.clear_session)
        overhead = ratio(compiled.median, hand.median)
        raw[str(n_nodes)] = {"keras": hand.to_dict(), "compile_spec": compiled.to_dict(),
                             "compile_text": from_text.to_dict(), "compile_over_keras": overhead}
        rows.append([f"{n_nodes}", f"{hand.median:.3f} s", f"{compiled.median:.3f} s", f"{from_text.median:.3f} s",
                     f"{overhead:.2f}x"])
    section = Section("compile_overhead", "Compile overhead: `graphmask.compile(spec)` vs the Keras functional API",
                      ["nodes", "hand-written Keras", "`graphmask.compile(spec)`", "compile from YAML text",
                       "compile / hand-written"], rows, raw)
    worst = max(entry["compile_over_keras"] for entry in raw.values())
    section.targets.append(target("compile / hand-written build", f"{worst:.2f}x (worst size)", "<= 1.2x",
                                  worst <= 1.2, not quick))
    section.notes.append("Same process, interleaved, `keras.backend.clear_session()` before each build (untimed). "
                         "`compile(spec)` includes the static check of the spec; \"from YAML text\" adds parsing "
                         "and validation (`graphmask.loads`).")
    return section


# ------------------------------------------------------------------ runtime parity
def _throughput(compiled: Any, handwritten: Any, x: np.ndarray, repeat: int,
                trial_s: float) -> tuple[Samples, Samples, Samples, int]:
    """Samples/s of each model per trial, and the compiled/hand-written ratio of each adjacent pair."""
    for model in (compiled, handwritten):  # trace predict functions, warm caches
        for _ in range(3):
            model.predict_on_batch(x)
    start = time.perf_counter()
    handwritten.predict_on_batch(x)
    calls = max(1, int(trial_s / max(time.perf_counter() - start, 1e-6)))

    def trial(model: Any) -> Callable[[], None]:
        def run() -> None:
            for _ in range(calls):
                model.predict_on_batch(x)
        return run

    hand, comp = interleaved(trial(handwritten), trial(compiled), repeat)
    # A pair of adjacent trials shares the machine's load: its ratio is steadier than a ratio of medians.
    pairs = Samples([h / c for h, c in zip(hand.values, comp.values)])
    to_rate = (lambda s: Samples([calls * len(x) / v for v in s.values]))
    return to_rate(hand), to_rate(comp), pairs, calls


def _parity_row(label: str, data: dict[str, Any], x: np.ndarray, repeat: int, trial_s: float) -> tuple[list[str], dict]:
    compiled, handwritten = _models(data)
    difference = float(np.max(np.abs(np.asarray(compiled.predict_on_batch(x)) -
                                      np.asarray(handwritten.predict_on_batch(x)))))
    hand, comp, pairs, calls = _throughput(compiled, handwritten, x, repeat, trial_s)
    parity = pairs.median
    raw = {"batch_shape": list(x.shape), "calls_per_trial": calls, "max_abs_output_difference": difference,
           "handwritten_samples_per_s": hand.to_dict(), "compiled_samples_per_s": comp.to_dict(),
           "pair_ratios": pairs.values, "compiled_over_handwritten": parity,
           "ratio_of_medians": ratio(comp.median, hand.median),
           "compiled": compiled, "handwritten": handwritten}
    row = [label, f"{tuple(x.shape)}", f"{hand.median:,.0f}/s", f"{comp.median:,.0f}/s", f"{parity:.3f}",
           f"{difference:.1e}"]
    return row, raw


def runtime_parity(quick: bool) -> Section:
    repeat, trial_s = (2, 0.05) if quick else (15, 0.25)
    data = generate(20 if quick else 50, seed=5, width=32, vocab=1000)
    x = _batch(data, 64, 32)
    columns = ["model", "batch", "hand-written", "compiled", "compiled / hand-written", "max |output diff|"]
    row, raw = _parity_row(f"{len(data['layers']) + 1}-node DAG (CPU)", data, x, repeat, trial_s)
    raw.pop("compiled"), raw.pop("handwritten")
    section = Section("runtime_parity", "Runtime parity: inference throughput, compiled vs hand-written (same weights)",
                      columns, [row], {"cpu": raw})
    parity = raw["compiled_over_handwritten"]
    section.targets.append(target("compiled / hand-written throughput (CPU)", f"{parity:.3f}", "0.97 - 1.03",
                                  0.97 <= parity <= 1.03, not quick))
    section.notes.append("`model.predict_on_batch` on one right-padded batch, interleaved trials of "
                         f"{raw['calls_per_trial']} calls; throughputs are medians (samples per second), the ratio is "
                         "the median over adjacent pairs of trials (ratio of the medians: "
                         f"{raw['ratio_of_medians']:.3f}).")
    _gpu(section, quick, repeat, trial_s)
    return section


def _gpu(section: Section, quick: bool, repeat: int, trial_s: float) -> None:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        section.notes.append("GPU: skipped: no GPU")
        section.raw["gpu"] = {"skipped": "no GPU"}
        return
    data = lstm_stack()
    x = _batch(data, 256, 64)
    with tf.device("/GPU:0"):
        row, raw = _parity_row("2 x LSTM(64) (GPU)", data, x, repeat, trial_s)
        compiled, handwritten = raw.pop("compiled"), raw.pop("handwritten")
        raw["cudnn"] = {name: _cudnn(model, x) for name, model in (("compiled", compiled), ("handwritten", handwritten))}
    raw["device"] = [g.name for g in gpus]
    section.rows.append(row)
    section.raw["gpu"] = raw
    parity = raw["compiled_over_handwritten"]
    section.targets.append(target("compiled / hand-written throughput (GPU, LSTM)", f"{parity:.3f}", "0.97 - 1.03",
                                  0.97 <= parity <= 1.03, not quick))
    used = raw["cudnn"]["compiled"].get("ops")
    section.notes.append(f"GPU ({', '.join(raw['device'])}): cuDNN kernel in the compiled model: "
                         f"{'yes (' + ', '.join(sorted(set(used))[:3]) + ')' if used else 'not found in the traced graph'}; "
                         f"Keras says eligible: {raw['cudnn']['compiled'].get('keras_eligible')}.")


def _cudnn(model: Any, x: np.ndarray) -> dict[str, Any]:
    try:
        from graphmask.keras.cudnn import cudnn_ops, rnn_status
    except ImportError as exc:  # written by another engineer; report rather than fail
        return {"error": f"graphmask.keras.cudnn unavailable: {exc}"}
    status = rnn_status(model)
    return {"keras_eligible": [s.keras_eligible for s in status], "blockers": [[str(b) for b in s.blockers] for s in status],
            "ops": cudnn_ops(model, x)}
