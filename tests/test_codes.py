"""Codes are objects: one ``graphmask.codes`` constant per registry entry, and emit sites use them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from graphmask import codes
from graphmask.analysis.rules import RULES as RULE_MODULES, emitted_codes
from graphmask.diagnostics import RULES, Diagnostic, Rule

PACKAGE = Path(codes.__file__).parent


def test_one_constant_per_registered_code():
    constants = {name: value for name, value in vars(codes).items() if re.fullmatch(r"GM\d{3}", name)}
    assert set(constants) == set(RULES)
    assert all(value is RULES[name] for name, value in constants.items())


def test_a_diagnostic_takes_the_constant_and_stores_its_code():
    d = Diagnostic(codes.GM201, "m")
    assert d.code == "GM201" and d.rule is codes.GM201 and d.severity is codes.GM201.severity
    assert str(codes.GM201) == "GM201" and isinstance(codes.GM201, Rule)


def test_no_code_is_spelled_as_a_string_in_the_package():
    """A ``"GM201"`` literal outside the registry would bypass the constants (docstrings excepted)."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "codes.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)
                      and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                    and re.fullmatch(r"GM\d{3}", node.value)):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value!r}")
    assert found == []


def test_each_rule_module_emits_its_own_code():
    assert len(emitted_codes()) == len(RULE_MODULES)  # no two modules claim one code
    for code, module in emitted_codes().items():
        assert module.CODE is RULES[code]
        assert module.__doc__.startswith(code), f"{module.__name__}: its docstring opens with its code"


def test_the_analyses_name_no_keras_class():
    """Keras knowledge lives in the catalog: no string in graphmask/analysis/ is a Keras layer's name."""
    from graphmask.catalog import load_catalog

    names = set(load_catalog().names())
    found = []
    for path in (PACKAGE / "analysis").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value!r}")
    assert found == []
