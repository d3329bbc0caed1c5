"""The pre-commit hook definition, run the way pre-commit runs it: its `entry` plus file names."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
LINT = Path(__file__).parent / "data" / "lint"


@pytest.fixture(scope="module")
def hook() -> dict:
    (definition,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    return definition


def test_hook_definition(hook):
    # the fields pre-commit requires, and the ones our users rely on
    assert hook["id"] == "graphmask-check"
    assert hook["language"] == "python"
    assert hook["entry"].split()[:2] == ["graphmask", "check"]
    assert hook["types"] == ["yaml"]
    files = re.compile(hook["files"])
    assert files.search("specs/model.yaml") and files.search("a/b.yml") and not files.search("setup.py")


def run_entry(hook: dict, cwd: Path, *files: str) -> subprocess.CompletedProcess:
    """pre-commit appends the file names to `entry`. Use the installed console script
    if there is one, else the same CLI through `python -m graphmask`."""
    command = shlex.split(hook["entry"])
    if shutil.which(command[0]) is None:
        command = [sys.executable, "-m", "graphmask", *command[1:]]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([*command, *files], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def repo_dir(tmp_path):
    (tmp_path / ".git").mkdir()
    for name in ("bad", "good"):
        (tmp_path / f"{name}.yaml").write_text((LINT / f"{name}.yaml").read_text())
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text("on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n")
    return tmp_path


def test_entry_fails_on_a_failing_spec(hook, repo_dir):
    result = run_entry(hook, repo_dir, "bad.yaml", "good.yaml")
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("bad.yaml:7:11: GM103 error ")
    assert "Traceback" not in result.stderr


def test_entry_passes_on_a_passing_spec_and_skips_other_yaml(hook, repo_dir):
    result = run_entry(hook, repo_dir, "good.yaml", ".github/workflows/ci.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "All checks passed (1 file)."


def test_entry_respects_project_config(hook, repo_dir):
    (repo_dir / "pyproject.toml").write_text('[tool.graphmask]\nexclude = ["bad.yaml"]\n')
    result = run_entry(hook, repo_dir, "bad.yaml", "good.yaml")
    assert result.returncode == 0, result.stdout


def test_github_actions_example_is_valid():
    """The documented workflow is valid YAML and every graphmask command in it parses."""
    from graphmask.cli import build_parser

    text = (REPO / "docs" / "ci-github-actions.md").read_text()
    (block,) = re.findall(r"```yaml\n(.*?)```", text, re.S)
    workflow = yaml.safe_load(block)
    steps = workflow["jobs"]["lint-specs"]["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    assert "pip install graphmask" in runs and not any("tensorflow" in r or "[tf]" in r for r in runs)
    commands = [shlex.split(r.split(">")[0]) for r in runs if r.startswith("graphmask ")]
    assert [c[c.index("--format") + 1] for c in commands] == ["github", "sarif"]
    for command in commands:
        build_parser().parse_args(command[1:])  # argparse exits on an unknown flag
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif") for s in steps)


@pytest.mark.parametrize("text, is_spec", [
    ("graphmask: 1\nname: x\n", True),
    ("\ufeff# comment\n\"graphmask\": 1\n", True),
    ("{graphmask: 1, name: x}\n", True),
    ("name: x\nlayers: []\n", False),
    ("  graphmask: 1\n", False),  # nested, not top level
])
def test_skip_non_specs_recognises_specs(tmp_path, text, is_spec):
    from graphmask.commands.check import _looks_like_spec

    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    assert _looks_like_spec(str(path)) is is_spec
