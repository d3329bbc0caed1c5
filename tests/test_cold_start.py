"""`graphmask check` never imports TensorFlow, Keras or other heavy frameworks:
run the CLI in a fresh process where importing them fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.import_time import NOT_FOR_CHECK

REPO = Path(__file__).resolve().parent.parent
LINT = Path(__file__).parent / "data" / "lint"
HEAVY = ("tensorflow", "keras", "tf_keras", "jax", "torch", "graphmask.keras")

# A meta path finder that refuses the heavy packages, then the CLI; at exit,
# report which of them (if any) made it into sys.modules anyway.
BLOCKED_CLI = f"""
import sys
HEAVY = {HEAVY!r}

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.startswith(HEAVY):
            raise ImportError(f"{{name}} is blocked: graphmask check must not import it")
        return None

sys.meta_path.insert(0, Refuse())
from graphmask.cli import main
code = main(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m.startswith(HEAVY))
print("LOADED=" + ",".join(loaded), file=sys.stderr)
sys.exit(code)
"""


def run_blocked(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", BLOCKED_CLI, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[tool.graphmask.custom_layers.Scale]\nimport = "my_pkg:Scale"\nmask = {supports_masking = true}\n')
    for name in ("bad", "good"):
        (tmp_path / f"{name}.yaml").write_text((LINT / f"{name}.yaml").read_text())
    return tmp_path


@pytest.mark.parametrize("output_format", ["text", "json", "github", "sarif", "junit"])
def test_check_works_with_tensorflow_and_keras_unimportable(project, output_format):
    result = run_blocked(project, "check", "bad.yaml", "good.yaml", "--format", output_format)
    assert result.returncode == 1, result.stderr
    assert "GM103" in result.stdout
    assert "internal error while checking" not in result.stdout and "Traceback" not in result.stderr
    assert "LOADED=\n" in result.stderr or result.stderr.rstrip().endswith("LOADED=")


def test_the_block_is_real(project):
    """The same wrapper does stop a command that needs Keras (so the test above means something)."""
    result = run_blocked(project, "check", "good.yaml", "--format", "json")
    assert result.returncode == 0 and json.loads(result.stdout) == []
    probe = subprocess.run([sys.executable, "-c", BLOCKED_CLI.replace("from graphmask.cli import main",
                                                                      "import keras\nfrom graphmask.cli import main")],
                           cwd=project, env={**os.environ, "PYTHONPATH": str(REPO)},
                           capture_output=True, text=True, timeout=120)
    assert probe.returncode != 0 and "keras is blocked" in probe.stderr


def test_rules_command_is_light_too(project):
    result = run_blocked(project, "rules", "GM201")
    assert result.returncode == 0 and "Bad:" in result.stdout
    assert result.stderr.rstrip().endswith("LOADED=")


# What `check` loads (docs/performance.md, "Cold path"): a miss loads the checker
# but nothing only another command uses; a hit loads neither the checker nor
# its libraries. Module names, not times: a timing belongs in bench/.
LOADED_MODULES = """
import sys
from graphmask.cli import main
code = main(sys.argv[1:])
print("MODULES=" + ",".join(sorted(sys.modules)), file=sys.stderr)
sys.exit(code)
"""
CHECKER_ONLY = ("graphmask.checker", "graphmask.analysis", "graphmask.graph", "graphmask.catalog", "graphmask.spec.",
                "pydantic", "yaml")


def _modules(cwd: Path, *args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    result = subprocess.run([sys.executable, "-c", LOADED_MODULES, *args], cwd=cwd, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO), "GRAPHMASK_CACHE_DIR": str(cwd / "cache")},
                            timeout=120)
    line = [ln for ln in result.stderr.splitlines() if ln.startswith("MODULES=")][-1]
    return result, set(line[len("MODULES="):].split(","))


def test_a_plain_check_loads_no_module_of_another_command(tmp_path):
    (tmp_path / "good.yaml").write_text((LINT / "good.yaml").read_text())
    result, modules = _modules(tmp_path, "check", "good.yaml", "--no-config")
    assert result.returncode == 0, result.stderr
    assert "graphmask.checker" in modules  # the probe sees what a check loads
    assert sorted(m for m in modules if m.startswith(NOT_FOR_CHECK)) == []


def test_a_cache_hit_loads_neither_the_checker_nor_its_libraries(tmp_path):
    (tmp_path / "bad.yaml").write_text((LINT / "bad.yaml").read_text())
    first, loaded_first = _modules(tmp_path, "check", "bad.yaml", "--no-config", "--format", "json")
    second, loaded_second = _modules(tmp_path, "check", "bad.yaml", "--no-config", "--format", "json")
    assert first.returncode == second.returncode == 1 and first.stdout == second.stdout
    assert "GM103" in second.stdout
    assert "graphmask.checker" in loaded_first and "pydantic" in loaded_first
    assert sorted(m for m in loaded_second if m.startswith(CHECKER_ONLY) and m != "graphmask.spec.limits") == []


@pytest.mark.keras
def test_checking_a_saved_model_loads_no_module_of_another_command(keras, tmp_path):
    """A .keras file goes through the converter, which needs no networkx, TensorFlow or report module either."""
    tokens = keras.Input((None,), dtype="int32")
    hidden = keras.layers.Dense(4)(keras.layers.Embedding(20, 4, mask_zero=True)(tokens))
    keras.Model(tokens, keras.layers.LSTM(2)(hidden)).save(tmp_path / "model.keras")
    result, modules = _modules(tmp_path, "check", "model.keras", "--no-config", "--no-cache")
    assert result.returncode == 0, result.stderr
    assert "graphmask.convert.load" in modules  # the probe sees the converter
    assert sorted(m for m in modules if m.startswith(NOT_FOR_CHECK) or m.startswith(("tensorflow", "keras"))) == []
