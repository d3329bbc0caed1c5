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


def test_readme_says_the_first_command_exits_1_by_design():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    after_commands = text.split("```", 4)[4][:1200]
    assert "exits with status 1" in after_commands and "on purpose" in after_commands


def test_readme_rule_table_gives_gm104s_warning_too():
    from graphmask.diagnostics import RULES

    text = (REPO / "README.md").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| GM104 |"))
    assert "error (legacy args: warning)" in row
    assert RULES["GM104"].severity.value == "error"  # the default; `input_length` & co. are warnings
