"""Many files: a process pool above a threshold, stable output order, every file counted,
and one broken file (bad YAML, a crash, a dead worker) never stops the others."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from graphmask import batch
from graphmask.batch import CheckOptions, check_files, effective_jobs

REPO = Path(__file__).resolve().parent.parent
LINT = Path(__file__).parent / "data" / "lint"
N_FILES = 80  # enough files for a pool with --jobs 2; the automatic choice is tested separately


@pytest.fixture
def tree(tmp_path):
    """N_FILES specs in nested directories: mostly clean, some warnings, one error at the end."""
    (tmp_path / ".git").mkdir()
    good, warn, bad = ((LINT / f"{n}.yaml").read_text() for n in ("good", "warn", "bad"))
    for i in range(N_FILES - 1):
        sub = tmp_path / "specs" / f"group{i % 3}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"m{i:03d}.yaml").write_text(warn if i % 10 == 0 else good)
    (tmp_path / "specs" / "group2" / "zz_broken.yaml").write_text("graphmask: 1\nname: [unclosed\n")
    (tmp_path / "specs" / "group2" / "zzz_bad.yaml").write_text(bad)
    return tmp_path


def run_cli(cwd: Path, *args: str, prelude: str = "") -> subprocess.CompletedProcess:
    """The CLI in a fresh process (so the pool really forks), after optional patching code."""
    code = textwrap.dedent(prelude) + "\nimport sys\nfrom graphmask.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_job_count_policy(monkeypatch):
    monkeypatch.setattr(batch, "available_cpus", lambda: 16)
    assert effective_jobs(batch.PARALLEL_THRESHOLD - 1, None) == 1  # few files: never a pool
    assert effective_jobs(1000, None) == 16 and effective_jobs(1000, 0) == 16  # 0 = auto
    assert effective_jobs(5, 3) == 3 and effective_jobs(2, 16) == 2  # explicit, capped by the files
    assert effective_jobs(1000, 1) == 1
    monkeypatch.setattr(batch, "available_cpus", lambda: 1)
    assert effective_jobs(1000, None) == 1  # one CPU: a pool cannot help


def test_pool_cost_model():
    """More CPUs make a pool pay sooner; never below the threshold; a few files never."""
    smallest = {w: next(n for n in range(1, 10_000) if batch.pool_pays(n, w)) for w in (2, 4, 16, 64)}
    assert smallest[2] > smallest[4] > smallest[16] >= smallest[64] >= batch.PARALLEL_THRESHOLD
    assert not any(batch.pool_pays(n, 64) for n in range(1, batch.PARALLEL_THRESHOLD))


def test_parallel_output_equals_serial_output(tree):
    serial = run_cli(tree, "check", "specs", "--jobs", "1", "--format", "json")
    parallel = run_cli(tree, "check", "specs", "--jobs", "2", "--format", "json")
    assert serial.returncode == parallel.returncode == 1, parallel.stderr
    assert parallel.stdout == serial.stdout
    found = json.loads(serial.stdout)
    files = [d["file"] for d in found]
    assert files == sorted(files)  # input order: sorted directory walk
    # the broken file is reported and every file after it was still checked
    assert ("specs/group2/zz_broken.yaml", "GM101") in {(d["file"], d["code"]) for d in found}
    assert files[-1] == "specs/group2/zzz_bad.yaml"
    assert sum(d["code"] == "GM108" for d in found) == len(range(0, N_FILES - 1, 10))


def test_summary_counts_every_file(tree):
    result = run_cli(tree, "check", "specs", "--jobs", "2")
    assert result.stdout.splitlines()[-1] == f"Found 2 errors, {len(range(0, N_FILES - 1, 10)) + 1} warnings in {N_FILES + 1} files."


CRASH_ONE_FILE = """
import os
import graphmask.batch
real = graphmask.batch.check_path
def check_path(path, *args, **kwargs):
    if os.path.basename(path) == "m005.yaml":
        raise RecursionError("simulated bug")
    return real(path, *args, **kwargs)
graphmask.batch.check_path = check_path
"""


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_crash_in_one_file_is_gm000_for_that_file_only(tree, jobs):
    result = run_cli(tree, "check", "specs", "--jobs", jobs, "--format", "json", prelude=CRASH_ONE_FILE)
    assert result.returncode == 2, result.stderr  # GM000: an internal error, whatever else was found
    found = json.loads(result.stdout)
    crashed = [d for d in found if d["code"] == "GM000"]
    assert [d["file"] for d in crashed] == ["specs/group2/m005.yaml"]
    assert "RecursionError: simulated bug" in crashed[0]["message"]
    assert found[-1]["file"] == "specs/group2/zzz_bad.yaml"


KILL_A_WORKER = """
import os
import graphmask.batch
PARENT = os.getpid()
real = graphmask.batch.check_path
def check_path(path, *args, **kwargs):
    if os.path.basename(path) == "m040.yaml" and os.getpid() != PARENT:
        os._exit(13)  # a worker dies (as if killed for memory)
    return real(path, *args, **kwargs)
graphmask.batch.check_path = check_path
"""


def test_a_dead_worker_loses_no_file(tree):
    serial = run_cli(tree, "check", "specs", "--jobs", "1", "--format", "json")
    result = run_cli(tree, "check", "specs", "--jobs", "2", "--format", "json", prelude=KILL_A_WORKER)
    assert result.returncode == 1, result.stderr
    assert result.stdout == serial.stdout  # its chunk was checked again in the main process


def test_check_files_in_process_keeps_order(tree, monkeypatch):
    monkeypatch.chdir(tree)
    paths = sorted(str(p.relative_to(tree)) for p in (tree / "specs").rglob("*.yaml"))
    results = check_files(paths, CheckOptions(), jobs=1)
    assert [r.file for r in results] == paths
    assert all(r.spec is None and r.graph is None for r in results)  # lean results
