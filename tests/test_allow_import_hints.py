"""What `--allow-import` messages tell users (issue 14, item 10): only flags the command has,
a PYTHONPATH hint for a module that cannot be imported, valid Python for custom_objects,
and no "Keras could not build" in front of an allow-list refusal."""

from __future__ import annotations

import ast
import shutil
import textwrap
from pathlib import Path

import pytest

from graphmask.keras.imports import ImportRefused, import_object

EXAMPLES = Path(__file__).resolve().parent.parent / "specs" / "examples"
MY_LAYER = EXAMPLES / "guide_custom_layers_my_layer.yaml"


def test_an_unimportable_allowed_module_gets_a_pythonpath_hint():
    with pytest.raises(ImportRefused) as refused:
        import_object("nosuchpkg_for_graphmask.layers:Thing", ["nosuchpkg_for_graphmask"])
    assert "PYTHONPATH" in str(refused.value) and "nosuchpkg_for_graphmask" in str(refused.value)


@pytest.mark.keras
def test_check_deep_does_not_advise_a_flag_check_lacks(keras, cli):
    from graphmask.cli import build_parser

    code, out, err = cli("check", "--deep", MY_LAYER, "--no-config")
    assert code == 0 and "GM306" in out
    check = build_parser().parse_args(["check"])  # the flags check really has
    assert not hasattr(check, "allow_imports")
    for line in out.splitlines():
        if "--allow-import" in line:
            assert "graphmask compile" in line or "graphmask run" in line, line


@pytest.mark.keras
def test_compile_refusal_is_not_called_a_keras_failure(keras, cli, tmp_path):
    code, out, err = cli("compile", MY_LAYER, "-o", tmp_path / "m.keras")
    assert code == 1 and "GM306" in err
    assert "Keras could not build the model" not in err
    assert "--allow-import examples" in err


@pytest.mark.keras
def test_printed_custom_objects_are_valid_python(keras, cli, tmp_path, monkeypatch):
    project = tmp_path / "project"
    shutil.copytree(EXAMPLES / "examples", project / "examples")
    shutil.copy(MY_LAYER, project / "spec.yaml")
    monkeypatch.syspath_prepend(str(project))
    monkeypatch.chdir(project)
    code, out, err = cli("compile", "spec.yaml", "-o", "m.keras", "--allow-import", "examples")
    assert code == 0, err
    snippet = textwrap.dedent(out[out.index("load it with"):].split("\n", 1)[1])
    ast.parse(snippet)  # valid Python, as printed
    namespace: dict = {}
    exec(compile(snippet, "<snippet>", "exec"), namespace)  # noqa: S102 - the snippet graphmask printed
    assert namespace["model"].name == "guide_custom_layers_my_layer"
    assert "from examples.guide_layers import MyLayer" in snippet
    assert "custom_objects={'MyLayer': MyLayer}" in snippet
