"""Section 2: `graphmask check` as a fresh process vs the Keras alternative.

Without graphmask, seeing a model's masks means a fresh Python process that
imports Keras (TensorFlow) and builds the model: the hand-written script
from ``bench/handwritten.py``. Both arms run the same 50-node model,
interleaved. The import-time breakdown reuses ``bench/import_time.py``
(``python -X importtime``) on the same spec.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import import_time
from bench.handwritten import keras_source
from bench.report import Section, target
from bench.specgen import generate
from bench.stats import Samples, ratio, run_process
from graphmask.spec.writer import to_yaml

REPO = Path(__file__).resolve().parent.parent
N_NODES = 50


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}


def _expect(returncode: int, needle: str):
    def check(result: subprocess.CompletedProcess) -> None:
        if result.returncode != returncode or needle not in result.stdout:
            raise RuntimeError(f"{result.args} exited {result.returncode}:\n{result.stdout[-500:]}{result.stderr[-1500:]}")
    return check


def measure(quick: bool) -> Section:
    repeat = 1 if quick else 5
    data = generate(N_NODES, seed=N_NODES)
    with tempfile.TemporaryDirectory() as folder:  # no pyproject.toml around: no config
        spec = Path(folder) / "model.yaml"
        script = Path(folder) / "model_keras.py"
        spec.write_text(to_yaml(data), encoding="utf-8")
        script.write_text(keras_source(data), encoding="utf-8")
        env = _env()
        check_cmd = [sys.executable, "-m", "graphmask", "check", str(spec), "--no-config", "--no-cache"]
        keras_cmd = [sys.executable, str(script)]
        bare_cmd = [sys.executable, "-c", "pass"]
        runs: dict[str, list[float]] = {"bare": [], "check": [], "keras": []}
        for i in range(repeat):
            arms = [("check", check_cmd, _expect(0, "")), ("keras", keras_cmd, _expect(0, "tensors carry a mask")),
                    ("bare", bare_cmd, None)]
            for name, command, check in (arms if i % 2 == 0 else arms[::-1]):
                runs[name].append(run_process(command, env, folder, check))
        imports = [import_time.importtime(spec, folder) for _ in range(repeat)]
    return _section({name: Samples(values) for name, values in runs.items()}, imports, quick, check_cmd)


def _section(runs: dict[str, Samples], imports: list[tuple[int, dict[str, int], list[str]]], quick: bool,
             check_cmd: list[str]) -> Section:
    check, keras, bare = runs["check"].median, runs["keras"].median, runs["bare"].median
    speedup = ratio(keras, check)
    totals = Samples([float(total) for total, _, _ in imports])
    _, per_package, modules = sorted(imports, key=lambda r: r[0])[len(imports) // 2]
    forbidden = sorted({m for m in modules if m.startswith(import_time.FORBIDDEN)})
    top = sorted(per_package.items(), key=lambda kv: -kv[1])[:6]
    section = Section(
        "cold_cli", f"Cold CLI: one {N_NODES}-node spec, fresh processes",
        ["command", "wall (median)", "vs `python -c pass`"],
        [
            ["`python -c pass`", f"{bare:.3f} s", "1.0x"],
            ["`graphmask check model.yaml`", f"{check:.3f} s", f"{check / bare:.1f}x"],
            ["`python model_keras.py` (import Keras, build the same model, print its masks)", f"{keras:.3f} s",
             f"{keras / bare:.1f}x"],
        ],
        {
            "nodes": N_NODES,
            "wall_s": {name: samples.to_dict() for name, samples in runs.items()},
            "keras_over_check": speedup,
            "importtime_total_us": totals.to_dict(),
            "importtime_modules": len(modules),
            "importtime_top_packages_self_us": dict(top),
            "forbidden_imported": forbidden,
        },
    )
    section.targets.append(target("Keras script / graphmask check", f"{speedup:.1f}x", ">= 30x",
                                  speedup is not None and speedup >= 30, not quick))
    section.targets.append(target("TensorFlow/Keras imported by `graphmask check`",
                                  ", ".join(forbidden) or "none", "none", not forbidden, True))
    section.notes.append(
        f"`python -X importtime` of the check path (bench/import_time.py): {totals.median / 1000:.0f} ms of imports, "
        f"{len(modules)} modules; heaviest (self time): "
        + ", ".join(f"{name} {micros / 1000:.0f} ms" for name, micros in top) + ".")
    section.notes.append("Every run is a fresh interpreter started from a temporary directory (no config file); "
                         f"the arms are interleaved. Command: `{' '.join(Path(c).name if '/' in c else c for c in check_cmd)}`.")
    return section
