"""``[tool.graphmask]`` in pyproject.toml: discovery, validation, and precedence
(command-line flags > config file > defaults), shared custom layers."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from graphmask.config import discover_config, excluded, find_config, load_config

LINT = Path(__file__).parent / "data" / "lint"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project: .git at the top, specs/ with a failing, a warning and a clean spec."""
    (tmp_path / ".git").mkdir()
    specs = tmp_path / "specs"
    (specs / "legacy").mkdir(parents=True)
    for name in ("bad", "warn", "good"):
        (specs / f"{name}.yaml").write_text((LINT / f"{name}.yaml").read_text())
    (specs / "legacy" / "old.yaml").write_text((LINT / "bad.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_config(directory: Path, body: str) -> Path:
    path = directory / "pyproject.toml"
    path.write_text("[project]\nname = 'demo'\n\n" + textwrap.dedent(body))
    return path


def codes(out: str) -> list[tuple[str, str, str]]:
    return [(d["file"], d["code"], d["severity"]) for d in json.loads(out)]


def test_discovery_walks_up_and_stops_at_git(project, monkeypatch):
    config = write_config(project, "[tool.graphmask]\nselect = ['GM1']\n")
    (project / "specs" / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")  # no graphmask table
    monkeypatch.chdir(project / "specs" / "legacy")
    assert find_config() == config  # skipped the pyproject.toml without [tool.graphmask]
    # above the .git directory nothing is looked at
    inner = project / "sub"
    (inner / ".git").mkdir(parents=True)
    assert find_config(inner) is None
    assert discover_config(inner).path is None


def test_config_file_settings_apply(project, cli):
    write_config(project, """
        [tool.graphmask]
        paths = ["specs"]
        exclude = ["legacy"]
        ignore = ["GM9"]
        format = "json"
        warnings-as-errors = true
    """)
    code, out, _ = cli("check")
    assert code == 1
    # paths from config, legacy/ excluded, GM901 ignored, warnings shown as errors, JSON output
    assert codes(out) == [("specs/bad.yaml", "GM103", "error"), ("specs/warn.yaml", "GM108", "error")]


def test_command_line_overrides_config(project, cli):
    write_config(project, """
        [tool.graphmask]
        paths = ["specs"]
        exclude = ["legacy"]
        select = ["GM1"]
        format = "json"
        strict = true
    """)
    # flags replace the config's select, format, strictness and paths
    code, out, _ = cli("check", "specs/warn.yaml", "--select", "GM108", "--no-strict", "--format", "github")
    assert code == 0
    assert out.startswith("::warning file=specs/warn.yaml,line=5,col=3,title=GM108::")
    # --exclude replaces the config's exclude: legacy/ is checked again, good.yaml is not
    code, out, _ = cli("check", "--exclude", "good.yaml", "--exclude", "warn.yaml", "--no-strict")
    assert [f for f, _, _ in codes(out)] == ["specs/bad.yaml", "specs/legacy/old.yaml"]
    # --no-config ignores the file entirely: defaults (text format, every rule, "." as path)
    code, out, _ = cli("check", "--no-config")
    assert code == 1 and out.splitlines()[-1] == "Found 2 errors, 3 warnings in 4 files."


def test_explicit_config_path_and_paths_relative_to_it(project, cli, monkeypatch):
    elsewhere = project / "ci"
    elsewhere.mkdir()
    config = write_config(elsewhere, """
        [tool.graphmask]
        paths = ["../specs/bad.yaml"]
        select = ["GM103"]
        format = "json"
    """)
    monkeypatch.chdir(project / "specs")
    code, out, _ = cli("check", "--config", str(config))
    assert code == 1 and codes(out) == [("bad.yaml", "GM103", "error")]
    code, _, err = cli("check", "--config", "nope.toml")
    assert code == 2 and "no such file" in err


def test_config_custom_layers_are_shared_and_the_spec_wins(project, cli):
    spec = project / "specs" / "custom.yaml"
    spec.write_text(textwrap.dedent("""
        graphmask: 1
        name: scaled
        inputs:
          tokens: {shape: [null], dtype: int32, pad_value: 0}
        layers:
          - id: embed
            type: Embedding
            args: {input_dim: 100, output_dim: 8, mask_zero: true}
            inputs: tokens
          - id: scale
            type: Scale
          - id: pool
            type: GlobalAveragePooling1D
        outputs: [pool]
    """).lstrip())
    code, out, _ = cli("check", "specs/custom.yaml", "--no-config", "--format", "json")
    assert ("specs/custom.yaml", "GM103", "error") in codes(out)  # Scale is unknown without the config

    write_config(project, """
        [tool.graphmask.custom_layers.Scale]
        import = "my_pkg.layers:Scale"
        mask = { supports_masking = true, output = "same" }
    """)
    code, out, _ = cli("check", "specs/custom.yaml", "--format", "json")
    assert code == 0 and codes(out) == []  # declared once for every spec: the mask passes through

    # the spec's own declaration wins over the shared one: here Scale drops the mask
    spec.write_text(spec.read_text().replace("layers:\n", "custom_layers:\n  Scale:\n    import: other:Scale\n"
                                             "    mask: {supports_masking: false}\nlayers:\n", 1))
    code, out, _ = cli("check", "specs/custom.yaml", "--format", "json")
    assert ("specs/custom.yaml", "GM201", "error") in codes(out)


def test_shared_custom_layers_in_the_api():
    from graphmask.checker import check_text
    from graphmask.spec import CustomLayerSpec

    text = (LINT / "good.yaml").read_text().replace("type: Dense\n    args: {units: 4}", "type: Mine")
    assert [d.code for d in check_text(text).diagnostics] == ["GM103"]
    shared = {"Mine": CustomLayerSpec.model_validate({"import": "pkg.mod:Mine"})}
    assert check_text(text, shared_custom_layers=shared).diagnostics == []


@pytest.mark.parametrize("body, message", [
    ("selct = ['GM1']", "unknown key `selct` in [tool.graphmask] (did you mean `select`?)"),
    ("select = ['GM9999']", "is not a code or code prefix"),
    ("ignore = ['GM7']", "`GM7` matches no rule"),
    ("strict = 'yes'", "`strict` must be true or false"),
    ("paths = [1]", "`paths` must be a list of strings"),
    ("strict = true\nwarnings-as-errors = false", "disagree"),
    ("format = 'html'", "unknown format `html`"),
    ("[tool.graphmask.custom_layers.Scale]\nimport = 'not a path'", "custom_layers"),
    ("[tool.graphmask.custom_layers.bad-name]\nimport = 'a:B'", "custom_layers"),
    ("select = [", "invalid TOML"),
])
def test_invalid_config_is_a_usage_error(project, cli, body, message):
    write_config(project, "[tool.graphmask]\n" + body + "\n")
    code, out, err = cli("check")
    assert code == 2, (out, err)
    assert message in err
    assert "Traceback" not in err


def test_load_config_values(tmp_path):
    path = write_config(tmp_path, """
        [tool.graphmask]
        select = "GM2, gm108"
        include = ["*.model.yaml"]
        custom-layers = {}
    """)
    config = load_config(path)
    assert config.select == ("GM2", "GM108")
    assert config.include == ("*.model.yaml",)
    assert config.strict is None and config.format is None
    assert config.root == tmp_path


def test_include_globs_pick_files_in_directories(project, cli):
    (project / "specs" / "net.model.yaml").write_text((LINT / "warn.yaml").read_text())
    write_config(project, "[tool.graphmask]\ninclude = ['*.model.yaml']\nformat = 'json'\n")
    code, out, _ = cli("check", "specs")
    assert code == 0 and codes(out) == [("specs/net.model.yaml", "GM108", "warning")]


def test_exclude_globs_are_relative_to_their_root(tmp_path):
    root = str(tmp_path)
    spec = str(tmp_path / "specs" / "legacy" / "a.yaml")
    assert excluded(spec, [(root, "legacy")])
    assert excluded(spec, [(root, "legacy/*")])
    assert excluded(spec, [(root, "*.yaml")])
    assert excluded(spec, [(root, "/specs/legacy/*")])
    assert not excluded(spec, [(root, "/legacy/*")])  # anchored at the root
    assert not excluded(spec, [(root, "other")])


def test_documented_example_config_is_valid(tmp_path):
    import re

    text = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text()
    (tmp_path / "pyproject.toml").write_text(re.search(r"```toml\n(.*?)```", text, re.S).group(1))
    config = load_config(tmp_path / "pyproject.toml")
    assert config.paths == ("specs",) and config.strict is False
    assert set(config.custom_layers) == {"Scale", "PairSplit"}


# -- discovery reports what --config reports (issue 14, item 5) ---------------------------

BROKEN_CONFIGS = {
    "utf16": ("[tool.graphmask]\nstrict = true\n".encode("utf-16"), "not UTF-8"),
    "latin1": ("[tool.graphmask]\n# caf\xe9\nstrict = true\n".encode("latin-1"), "not UTF-8"),
    "not a table": (b"[tool]\ngraphmask = 5\n", "`tool.graphmask` must be a table"),
}


@pytest.mark.parametrize("name", list(BROKEN_CONFIGS))
def test_a_broken_config_is_reported_alike_when_discovered_and_when_given(project, cli, name):
    data, message = BROKEN_CONFIGS[name]
    (project / "pyproject.toml").write_bytes(data)
    discovered = cli("check", "--format", "json")
    given = cli("check", "--format", "json", "--config", project / "pyproject.toml")
    for code, out, err in (discovered, given):
        assert code == 2 and message in err and "pyproject.toml" in err, err
        assert "Traceback" not in err and "GM000" not in err
    assert discovered[2] == given[2]
