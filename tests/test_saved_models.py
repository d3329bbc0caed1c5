"""Saved Keras models checked where they live: ``.keras`` files and JSON configs, with TensorFlow unimportable.

The models are built and saved by real Keras (the ``keras`` fixture); every
check then runs in a subprocess whose import system refuses TensorFlow and
Keras (``tests/no_tensorflow.py``), in every report format, and must find
GM201 and GM205 at the right layer, at the line and column of that layer in
``config.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def check_without_tf(*args, cwd=None, limit_memory: bool = False) -> subprocess.CompletedProcess:
    if limit_memory:  # bounded memory: 1 GiB of address space for the whole interpreter
        prefix = ["-c", "import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
                  "sys.argv = ['graphmask', *sys.argv[1:]]; runpy.run_module('tests.no_tensorflow', run_name='__main__')"]
    else:
        prefix = ["-m", "tests.no_tensorflow"]
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.run([sys.executable, *prefix, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or REPO, env=env, timeout=120)


@pytest.fixture(scope="module")
def saved(keras, tmp_path_factory):
    """gm201.keras (a Conv1D after a masking Embedding), gm205.keras and gm205.json (a padded input reaching an
    LSTM through an Embedding without mask_zero), saved by Keras."""
    import warnings

    layers = keras.layers
    folder = tmp_path_factory.mktemp("saved")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tokens = keras.Input((None,), dtype="int32", name="tokens")
        conv = layers.Conv1D(4, 2, name="conv")(layers.Embedding(50, 8, mask_zero=True, name="embed")(tokens))
        keras.Model(tokens, layers.Dense(1, name="out")(layers.GlobalMaxPooling1D(name="pool")(conv))) \
            .save(folder / "gm201.keras")
        tokens = keras.Input((None,), dtype="int32", name="tokens")
        masked = layers.LSTM(4, name="lstm_masked")(layers.Embedding(50, 8, mask_zero=True, name="embed")(tokens))
        unmasked = layers.LSTM(4, name="lstm")(layers.Embedding(50, 8, name="embed_plain")(tokens))
        model = keras.Model(tokens, layers.Concatenate(name="cat")([masked, unmasked]))
        model.save(folder / "gm205.keras")
        (folder / "gm205.json").write_text(model.to_json())
    return folder


def config_text(path: Path) -> str:
    if path.suffix == ".json":
        return path.read_text()
    with zipfile.ZipFile(path) as archive:
        return archive.read("config.json").decode()


def at(text: str, line: int, column: int) -> str:
    return text.splitlines()[line - 1][column - 1:]


@pytest.mark.parametrize("name, code, node", [("gm201.keras", "GM201", "conv"), ("gm205.keras", "GM205", "lstm"),
                                              ("gm205.json", "GM205", "lstm")])
def test_found_at_the_layer_in_config_json_without_tensorflow(saved, name, code, node):
    done = check_without_tf("check", "--no-cache", "--format", "json", saved / name)
    assert done.returncode in (0, 1), done.stderr
    diagnostics = [d for d in _all(json.loads(done.stdout)) if d["code"] == code]
    assert [d["node"] for d in diagnostics] == [node], done.stdout
    d = diagnostics[0]
    expected_file = f"{saved / name}:config.json" if name.endswith(".keras") else str(saved / name)
    assert d["file"] == expected_file
    assert at(config_text(saved / name), d["line"], d["column"]).startswith(f'"{node}"'), d


def _all(report) -> list[dict]:
    if isinstance(report, list):
        return [d for item in report for d in _all(item)]
    if isinstance(report, dict):
        if "code" in report and "line" in report:
            return [report]
        return [d for value in report.values() for d in _all(value)]
    return []


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif", "junit"])
def test_every_format_names_the_layer_and_position(saved, fmt):
    done = check_without_tf("check", "--no-cache", "--format", fmt, saved / "gm201.keras")
    assert done.returncode == 1, done.stderr
    assert "GM201" in done.stdout and "conv" in done.stdout
    assert "config.json" in done.stdout and "Traceback" not in done.stderr


def test_explain_and_graph_without_tensorflow(saved):
    explained = check_without_tf("explain", "--format", "json", saved / "gm205.keras")
    assert explained.returncode == 0, explained.stderr
    assert "lstm_masked" in explained.stdout
    drawn = check_without_tf("graph", saved / "gm201.keras")
    assert drawn.returncode == 0 and "flowchart" in drawn.stdout, drawn.stderr


def test_directory_walks_take_keras_files_with_include(saved):
    plain = check_without_tf("check", "--no-cache", saved)
    assert "gm201.keras" not in plain.stdout
    included = check_without_tf("check", "--no-cache", "--include", "*.keras", saved)
    assert "gm201.keras:config.json" in included.stdout and "gm205.keras:config.json" in included.stdout


def test_import_needs_no_tensorflow_and_infers_padding(saved, tmp_path):
    out = tmp_path / "gm205.yaml"
    done = check_without_tf("import", saved / "gm205.keras", "-o", out)
    assert done.returncode == 0, done.stderr
    assert "assumed: inferred: `tokens` is padded with 0" in done.stderr
    text = out.read_text()
    assert "# inferred: `tokens` is padded with 0" in text and "pad_value: 0" in text
    assert "GM205" in done.stderr  # the written spec's own check finds the padding leak


def test_subclassed_model_is_refused_naming_what_works(tmp_path):
    config = tmp_path / "sub.json"
    config.write_text(json.dumps({"module": "my_models", "class_name": "MyModel", "config": {"units": 3}}))
    done = check_without_tf("check", "--no-cache", config)
    assert done.returncode == 1 and "GM101" in done.stdout
    assert "subclassed" in done.stdout and "--deep" in done.stdout and "graphmask.check(model)" in done.stdout


# ------------------------------------------------------------------ hostile files
def _hostile(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.keras"
    if kind == "zip_bomb":  # 300 MB of zeros deflate to ~300 KB
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            with archive.open("config.json", "w", force_zip64=True) as entry:
                chunk = b"0" * (1 << 20)
                for _ in range(300):
                    entry.write(chunk)
    elif kind == "declared_2gb":  # a small entry whose headers declare 2 GB
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("config.json", '{"class_name": "Functional", "config": {"layers": []}}')
        data = bytearray(path.read_bytes())
        central = data.index(b"PK\x01\x02")
        data[central + 24:central + 28] = (2 << 30).to_bytes(4, "little")
        path.write_bytes(bytes(data))
    elif kind == "traversal":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("config.json", "{}")
            archive.writestr("../../escaped.txt", "pwned")
    elif kind == "deep_json":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("config.json", "[" * 100_000 + "]" * 100_000)
    return path


@pytest.mark.parametrize("kind, words", [("zip_bomb", "bytes"), ("declared_2gb", "declares"),
                                         ("traversal", "path traversal"), ("deep_json", "nested more than")])
def test_hostile_keras_files_are_refused_with_bounded_memory_and_nothing_written(tmp_path, kind, words):
    path = _hostile(tmp_path, kind)
    work = tmp_path / "cwd"
    work.mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    done = check_without_tf("check", "--no-cache", path, cwd=work, limit_memory=True)
    assert done.returncode == 1, done.stderr
    assert "GM101" in done.stdout and words in done.stdout and "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing extracted or written
