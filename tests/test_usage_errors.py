"""Things that were internal errors (GM000, a traceback) and are usage errors now (issue 14, item 6)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SPECS = Path(__file__).parent / "data" / "specs"

LSTM_STATES = """\
graphmask: 1
name: states
inputs:
  x: {shape: [5, 3], dtype: float32}
layers:
  - {id: d, type: LSTM, inputs: x, args: {units: 2, return_state: true}}
outputs: ["d[3]"]
"""


def graphmask_child(*args: str, stdout=subprocess.PIPE, env=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graphmask", *map(str, args)], stdout=stdout,
                          stderr=subprocess.PIPE, text=True, cwd=REPO, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})})


@pytest.mark.parametrize("flag", ["--max-bytes", "--max-nodes", "--max-depth", "--max-graph-nodes"])
def test_huge_check_limits_are_usage_errors(cli, flag):
    code, out, err = cli("check", SPECS / "text_classifier.yaml", flag, "99999999999999999999999")
    assert code == 2 and flag in err and "GM000" not in err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("command", [["schema"], ["rules"], ["check", str(SPECS / "text_classifier.yaml")],
                                     ["explain", str(SPECS / "text_classifier.yaml")]])
def test_a_full_disk_on_stdout_is_one_line_and_exit_2(command):
    with open("/dev/full", "w") as full:
        done = graphmask_child(*command, stdout=full)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no space left on device" in lines[0].lower(), done.stderr
    assert "GM000" not in done.stderr and "Traceback" not in done.stderr


def test_a_broken_tf_config_is_a_usage_error_before_tensorflow(cli, write_spec, tmp_path, monkeypatch):
    monkeypatch.setenv("TF_CONFIG", "{bad")
    spec = write_spec(LSTM_STATES.replace('"d[3]"', '"d[0]"'))
    for command in (["compile", spec, "-o", tmp_path / "m.keras"], ["run", spec, "--demo"]):
        code, out, err = cli(*command, "--strategy", "multi-worker")
        assert code == 2 and "TF_CONFIG" in err and "GM000" not in err, err


def test_tf_config_must_be_an_object():
    from graphmask.keras.distribute import check_environment

    check_environment("multi-worker", {})
    check_environment("multi-worker", {"TF_CONFIG": '{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 0}}'})
    with pytest.raises(ValueError, match="TF_CONFIG"):
        check_environment("multi-worker", {"TF_CONFIG": "[1, 2]"})
    check_environment("mirrored", {"TF_CONFIG": "{bad"})  # only multi-worker reads it


@pytest.mark.keras
@pytest.mark.parametrize("command", ["compile", "run"])
def test_force_with_an_output_index_out_of_range_is_located(keras, cli, write_spec, tmp_path, command):
    spec = write_spec(LSTM_STATES)
    extra = ["-o", tmp_path / "m.keras"] if command == "compile" else ["--demo"]
    code, out, err = cli(command, spec, *extra, "--force")
    assert code == 1 and "GM000" not in err and "IndexError" not in err
    assert "GM105" in err and "`d` has 3 outputs" in err and "spec.yaml:7:" in err
