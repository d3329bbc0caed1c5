"""The README's two commands are the product's front door; CI must run the second one verbatim."""

import re

from conftest import REPO


def _commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text)[:2]


def test_readme_opens_with_two_commands():
    install_and_check, install_and_test = _commands()
    assert "pip install ." in install_and_check and "graphmask check specs/examples/" in install_and_check
    assert 'pip install -e ".[test]"' in install_and_test and "pytest" in install_and_test


def test_ci_runs_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert _commands()[1] in ci.splitlines()


def test_readme_example_directory_exists():
    assert any((REPO / "specs" / "examples").glob("*.yaml"))
