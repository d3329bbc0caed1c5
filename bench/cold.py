"""Section 1: `graphmask check` as a fresh process vs the alternatives, and its floor.

Without graphmask, seeing a model's masks means a fresh Python process that
imports Keras (TensorFlow) and builds the model: the hand-written script
from ``bench/handwritten.py``. Validating the file against graphmask's JSON
Schema with ``check-jsonschema`` (the ``[bench]`` extra; skipped with a note
when it is not installed) is the other linter it sits next to. All arms run
on the same 50-node spec, interleaved, next to the floor: a bare interpreter
and interpreters that only import pydantic, PyYAML or networkx, or that use
PyYAML and pydantic once (the floor of any checker built on them).
At 10,000 nodes the check is compared with libyaml composing the same file
(each a fresh process). The import tree comes from ``bench/import_time.py``
(``python -X importtime``) on the 50-node spec.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import import_time
from bench.handwritten import keras_source
from bench.report import Section, target
from bench.specgen import generate
from bench.stats import Samples, ratio, run_process
from graphmask.spec import json_schema
from graphmask.spec.writer import to_yaml

REPO = Path(__file__).resolve().parent.parent
N_NODES = 50
BIG_NODES = 10_000
# The floor: what an interpreter that only imports each dependency costs.
FLOOR = {"bare": "pass", "yaml": "import yaml", "pydantic": "from pydantic import BaseModel",
         "networkx": "import networkx"}
# The floor of using them, not only importing them: what any checker built on PyYAML and pydantic pays
# before its own code runs (libyaml composing a line; pydantic building one model -- its schema machinery
# and plugin discovery load on the first model, not on import -- and validating with it).
USED_FLOOR = ("import yaml\n"
              "yaml.compose('a: 1', Loader=getattr(yaml, 'CSafeLoader', yaml.SafeLoader))\n"
              "from pydantic import BaseModel\n"
              "class M(BaseModel):\n"
              "    a: int\n"
              "M.model_validate({'a': 1})")
COMPOSE = ("import sys, yaml\n"
           "with open(sys.argv[1], encoding='utf-8') as f:\n"
           "    yaml.compose(f, Loader=getattr(yaml, 'CSafeLoader', yaml.SafeLoader))")


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}


def _expect(returncode: int | tuple[int, ...], needle: str):
    allowed = returncode if isinstance(returncode, tuple) else (returncode,)

    def check(result: subprocess.CompletedProcess) -> None:
        if result.returncode not in allowed or needle not in result.stdout:
            raise RuntimeError(f"{result.args} exited {result.returncode}:\n{result.stdout[-500:]}{result.stderr[-1500:]}")
    return check


def check_jsonschema() -> list[str] | None:
    """The ``check-jsonschema`` command of this interpreter's environment, or None when not installed."""
    if importlib.util.find_spec("check_jsonschema") is None:
        return None
    beside = Path(sys.executable).parent / "check-jsonschema"
    return [str(beside)] if beside.exists() else [shutil.which("check-jsonschema") or "check-jsonschema"]


def measure(quick: bool) -> Section:
    repeat = 1 if quick else 7
    data = generate(N_NODES, seed=N_NODES)
    big_nodes = 300 if quick else BIG_NODES
    with tempfile.TemporaryDirectory() as folder:  # no pyproject.toml around: no config
        spec = Path(folder) / "model.yaml"
        big = Path(folder) / "big.yaml"
        schema = Path(folder) / "schema.json"
        script = Path(folder) / "model_keras.py"
        spec.write_text(to_yaml(data), encoding="utf-8")
        big.write_text(to_yaml(generate(big_nodes, seed=big_nodes)), encoding="utf-8")
        schema.write_text(json.dumps(json_schema()), encoding="utf-8")
        script.write_text(keras_source(data), encoding="utf-8")
        env = _env()
        check_cmd = [sys.executable, "-m", "graphmask", "check", str(spec), "--no-config", "--no-cache"]
        arms = [("check", check_cmd, _expect(0, "")),
                ("keras", [sys.executable, str(script)], _expect(0, "tensors carry a mask"))]
        validator = check_jsonschema()
        if validator is not None:
            arms.append(("check-jsonschema", validator + ["--schemafile", str(schema), str(spec)],
                         _expect(0, "validation done")))
        arms += [(f"floor_{name}", [sys.executable, "-c", code], _expect(0, "")) for name, code in FLOOR.items()]
        arms.append(("floor_used", [sys.executable, "-c", USED_FLOOR], _expect(0, "")))
        arms += [("check_big", [sys.executable, "-m", "graphmask", "check", str(big), "--no-config", "--no-cache"],
                  _expect((0, 1), "")),
                 ("compose_big", [sys.executable, "-c", COMPOSE, str(big)], _expect(0, ""))]
        for _, command, check in arms:  # untimed: bytecode caches, the page cache
            run_process(command, env, folder, check)
        runs: dict[str, list[float]] = {name: [] for name, _, _ in arms}
        for i in range(repeat):
            for name, command, check in (arms if i % 2 == 0 else arms[::-1]):
                runs[name].append(run_process(command, env, folder, check))
        imports = [import_time.importtime(spec, folder) for _ in range(repeat)]
        tree = import_time.tree(spec, folder)
    section = _section({name: Samples(values) for name, values in runs.items()}, imports, tree, quick, check_cmd,
                       big_nodes)
    if validator is None:
        section.notes.append("check-jsonschema is not installed (`pip install graphmask[bench]`): "
                             "that comparison was skipped.")
    return section


def _section(runs: dict[str, Samples], imports: list[tuple[int, dict[str, int], list[str]]],
             tree: list[tuple[str, int, int, int]], quick: bool, check_cmd: list[str], big_nodes: int) -> Section:
    median = {name: samples.median for name, samples in runs.items()}
    check, keras, bare = median["check"], median["keras"], median["floor_bare"]
    speedup = ratio(keras, check)
    validator = median.get("check-jsonschema")
    versus_validator = ratio(check, validator) if validator else None
    big = ratio(median["check_big"], median["compose_big"])
    totals = Samples([float(total) for total, _, _ in imports])
    _, per_package, modules = sorted(imports, key=lambda r: r[0])[len(imports) // 2]
    forbidden = sorted({m for m in modules if m.startswith(import_time.FORBIDDEN)})
    elsewhere = sorted({m for m in modules if m.startswith(import_time.NOT_FOR_CHECK)})
    top = sorted(per_package.items(), key=lambda kv: -kv[1])[:6]
    floor = {name: median[f"floor_{name}"] - bare for name in FLOOR if name != "bare"}

    def row(label: str, seconds: float) -> list[str]:
        return [label, f"{seconds:.3f} s", f"{seconds / bare:.1f}x"]

    rows = [row("`python -c pass` (the interpreter)", bare)]
    rows += [row(f"`python -c \"{FLOOR[name]}\"`", median[f"floor_{name}"]) for name in floor]
    used = median.get("floor_used")
    if used is not None:
        rows.append(row("`python -c \"...\"`: PyYAML composes a line, pydantic builds and validates one model "
                        "(the floor of using both)", used))
    rows.append(row(f"`graphmask check model.yaml` ({N_NODES} nodes)", check))
    if validator:
        rows.append(row("`check-jsonschema --schemafile schema.json model.yaml` (graphmask's JSON Schema)",
                        validator))
    rows.append(row("`python model_keras.py` (import Keras, build the same model, print its masks)", keras))
    rows.append(row(f"`graphmask check big.yaml` ({big_nodes:,} nodes)", median["check_big"]))
    rows.append(row(f"`python -c \"yaml.compose(big.yaml)\"` (libyaml, {big_nodes:,} nodes)", median["compose_big"]))
    section = Section(
        "cold_cli", f"Cold CLI: one {N_NODES}-node spec, fresh processes",
        ["command", "wall (median)", "vs `python -c pass`"], rows,
        {
            "nodes": N_NODES,
            "big_nodes": big_nodes,
            "wall_s": {name: samples.to_dict() for name, samples in runs.items()},
            "keras_over_check": speedup,
            "check_over_check_jsonschema": versus_validator,
            "big_check_over_compose": big,
            "floor_import_s": floor,
            "floor_used_s": used,
            "importtime_total_us": totals.to_dict(),
            "importtime_modules": len(modules),
            "importtime_top_packages_self_us": dict(top),
            "importtime_tree": [{"module": m, "depth": d, "cumulative_us": c, "self_us": o} for m, d, c, o in tree],
            "forbidden_imported": forbidden,
            "other_commands_modules_imported": elsewhere,
        },
    )
    evaluate = not quick
    if validator:
        section.targets.append(target("graphmask check / check-jsonschema", f"{versus_validator:.2f}x", "<= 0.75x",
                                      versus_validator <= 0.75, evaluate))
    section.targets.append(target("Keras script / graphmask check", f"{speedup:.1f}x", ">= 15x (issue 16)",
                                  speedup is not None and speedup >= 15, evaluate))
    section.targets.append(target("Keras script / graphmask check", f"{speedup:.1f}x", ">= 30x (issue 6)",
                                  speedup is not None and speedup >= 30, evaluate))
    section.targets.append(target(f"check / libyaml compose, {big_nodes:,} nodes", f"{big:.2f}x", "<= 2.5x",
                                  big is not None and big <= 2.5, evaluate))
    section.targets.append(target("TensorFlow/Keras imported by `graphmask check`",
                                  ", ".join(forbidden) or "none", "none", not forbidden, True))
    section.targets.append(target("modules only other commands use, imported by `graphmask check`",
                                  ", ".join(elsewhere) or "none", "none", not elsewhere, evaluate))
    section.notes.append(
        "The floor these dependencies impose (each an interpreter importing only it, minus the bare interpreter): "
        + ", ".join(f"{name} {1000 * seconds:.0f} ms" for name, seconds in floor.items())
        + f"; the bare interpreter {1000 * bare:.0f} ms. `check` imports PyYAML and pydantic, not networkx.")
    if used is not None:
        section.notes.append(
            f"Using PyYAML and pydantic at all (an interpreter composing one line and validating one one-field "
            f"model) takes {1000 * used:.0f} ms: {check / used:.2f}x of it is the whole 50-node check, so graphmask's "
            f"own imports, spec models and work add {1000 * (check - used):.0f} ms.")
    section.notes.append(
        f"`python -X importtime` of the check path (bench/import_time.py): {totals.median / 1000:.0f} ms of imports, "
        f"{len(modules)} modules; heaviest (self time): "
        + ", ".join(f"{name} {micros / 1000:.0f} ms" for name, micros in top) + ".")
    section.notes.append("Heaviest subtrees of that import tree (cumulative, self): "
                         + "; ".join(f"`{m}` {c / 1000:.1f} ms ({o / 1000:.1f})" for m, _, c, o in tree)
                         + ".")
    section.notes.append("Every run is a fresh interpreter started from a temporary directory (no config file), "
                         "after one untimed run of each; the arms are interleaved. Command: "
                         f"`{' '.join(Path(c).name if '/' in c else c for c in check_cmd)}`.")
    return section
