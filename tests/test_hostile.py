"""Hostile and broken input (issue 7): a diagnostic, never a traceback, a hang,
code execution or a lost file.

Every test reads a real file from disk (``check_path`` or the ``cli``
fixture) and asserts the code and, where it means something, the line and
column. Speed and memory are measured in bench/hostile.py, not here.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

import graphmask.atomic
from graphmask.atomic import OutputExistsError, OutputIsInputError, atomic_path, write_atomic
from graphmask.checker import check_path
from graphmask.spec import Limits
from tiny_spec import TINY

VALID = TINY


def codes_at(result) -> list[tuple[str, int, int]]:
    return [(d.code, d.line, d.column) for d in result.diagnostics]


def only(result):
    assert len(result.diagnostics) == 1, result.diagnostics
    return result.diagnostics[0]


@pytest.fixture
def write_bytes(tmp_path):
    def write(data: bytes, name: str = "spec.yaml") -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path
    return write


def test_the_valid_spec_used_below_is_clean(write_spec):
    assert check_path(write_spec(VALID)).diagnostics == []


# -- malformed files -------------------------------------------------------------

def test_empty_file(write_bytes):
    d = only(check_path(write_bytes(b"")))
    assert (d.code, d.line, d.column) == ("GM102", 1, 1) and "empty spec" in d.message


def test_comment_only_file_is_empty_too(write_bytes):
    assert codes_at(check_path(write_bytes(b"# nothing here\n"))) == [("GM102", 1, 1)]


@pytest.mark.parametrize("text, kind", [("- a\n- b\n", "a list"), ("just text\n", "a single value"),
                                        ("42\n", "a single value")])
def test_top_level_must_be_a_mapping(write_bytes, text, kind):
    d = only(check_path(write_bytes(text.encode())))
    assert (d.code, d.line, d.column) == ("GM102", 1, 1) and kind in d.message


def test_several_documents(write_bytes):
    d = only(check_path(write_bytes(VALID.encode() + b"---\nname: second\n")))
    assert (d.code, d.line, d.column) == ("GM101", 13, 1) and "several YAML documents" in d.message


def test_non_utf8_bytes_point_at_the_byte(write_bytes):
    d = only(check_path(write_bytes(b"graphmask: 1\nname: caf\xe9\n")))
    assert (d.code, d.line, d.column) == ("GM101", 2, 10) and "0xe9" in d.message


def test_utf8_bom_is_accepted_and_positions_stay_right(write_bytes):
    assert check_path(write_bytes(b"\xef\xbb\xbf" + VALID.encode())).diagnostics == []
    broken = VALID.replace("args: {units: 4}", "args: {units: 4}\n    inputs: nowhere")
    result = check_path(write_bytes(b"\xef\xbb\xbf" + broken.encode(), "bom_ref.yaml"))
    assert ("GM105", 12, 13) in codes_at(result)


def test_tab_indentation(write_bytes):
    d = only(check_path(write_bytes(b"graphmask: 1\nname: x\ninputs:\n\tx: {shape: [3]}\n")))
    assert (d.code, d.line, d.column) == ("GM101", 4, 1) and "tab" in d.message


@pytest.mark.parametrize("data, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not UTF-8"),
    (b"graphmask: 1\x00\x00\x01\x02binary", "NUL bytes"),
    (bytes(range(256)) * 4, "not UTF-8"),
])
def test_binary_garbage(write_bytes, data, message):
    d = only(check_path(write_bytes(data)))
    assert d.code == "GM101" and message in d.message


def test_a_directory_named_like_a_spec(tmp_path, cli):
    folder = tmp_path / "x.yaml"
    folder.mkdir()
    d = only(check_path(folder))
    assert d.code == "GM101" and "directory" in d.message
    # walking a tree, the directory is descended into, never read as a file
    (folder / "inner.yaml").write_text(VALID, encoding="utf-8")
    code, out, err = cli("check", tmp_path, "--format", "json", "--no-config")
    assert code == 0, err
    assert json.loads(out) == []


def test_a_fifo_named_like_a_spec_is_refused_not_waited_on(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    d = only(check_path(fifo))  # reading it would wait for a writer forever
    assert d.code == "GM101" and "not a regular file" in d.message


def test_an_unreadable_file(write_spec, monkeypatch):
    # Tests may run as root, who can read a chmod-000 file: simulate the
    # denial at the system call the loader makes.
    path = write_spec(VALID)
    real_open = os.open

    def deny(file, *args, **kwargs):
        if os.fspath(file) == str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    d = only(check_path(path))
    assert (d.code, d.line, d.column) == ("GM101", 0, 0) and "Permission denied" in d.message


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads chmod-000 files; covered by test_an_unreadable_file")
def test_an_unreadable_file_for_real(write_spec):
    path = write_spec(VALID)
    path.chmod(0)
    try:
        assert only(check_path(path)).code == "GM101"
    finally:
        path.chmod(0o644)


def test_symlink_loops_in_a_directory_walk(tmp_path, cli):
    (tmp_path / "good.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    os.symlink("..", tmp_path / "sub" / "up")  # a directory loop
    os.symlink("self.yaml", tmp_path / "self.yaml")  # a file that links to itself
    code, out, err = cli("check", tmp_path, "--format", "json", "--no-config")
    found = json.loads(out)
    assert code == 1, err
    assert [(Path(d["file"]).name, d["code"]) for d in found] == [("self.yaml", "GM101")]
    assert "symbolic links" in found[0]["message"]


def test_a_directory_walk_does_not_follow_symlinks_out_of_the_tree(tmp_path, cli):
    secret = tmp_path / "secret.yaml"
    secret.write_text("token: hunter2\n", encoding="utf-8")
    tree = tmp_path / "repo"
    (tree / "sub").mkdir(parents=True)
    (tree / "good.yaml").write_text(VALID, encoding="utf-8")
    os.symlink(secret, tree / "leak.yaml")  # e.g. a PR linking to .git/config
    os.symlink("../good.yaml", tree / "sub" / "inside.yaml")  # inside the tree: checked
    code, out, err = cli("check", tree, "--format", "json", "--no-config", "--show-source")
    assert (code, json.loads(out)) == (0, []), err
    assert "hunter2" not in out + err
    # named explicitly, a symlink is the user's choice and is read
    code, out, _ = cli("check", tree / "leak.yaml", "--format", "json", "--no-config")
    assert code == 1 and json.loads(out)[0]["code"] == "GM102"


def test_duplicate_keys_are_an_error_at_the_second_one(write_spec):
    path = write_spec(VALID.replace("args: {units: 4}", "args: {units: 4, units: 8}"))
    d = only(check_path(path))
    assert (d.code, d.line, d.column) == ("GM101", 11, 22) and "duplicate key 'units'" in d.message
    assert "line 11" in d.message


def test_duplicate_layer_mapping_keys_in_block_style(write_spec):
    path = write_spec(VALID.replace("    type: LSTM\n", "    type: LSTM\n    type: GRU\n"))
    assert codes_at(check_path(path)) == [("GM101", 11, 5)]


def test_keys_that_are_equal_once_read_are_not_silently_merged(write_spec):
    # YAML reads `1` and `true` as different keys; in Python 1 == True, so one
    # would silently replace the other
    path = write_spec(VALID.replace("args: {units: 4}", "args: {units: 4, 1: a, true: b}"))
    d = only(check_path(path))
    assert (d.code, d.line, d.column) == ("GM101", 11, 28) and "`1` (line 11) and `true`" in d.message


def test_an_unquoted_ref_in_a_flow_list_says_to_quote_it(write_spec):
    d = only(check_path(write_spec(VALID.replace("outputs: [lstm]", "outputs: [lstm[0]]"))))
    assert (d.code, d.line, d.column) == ("GM101", 12, 15) and 'must be quoted: "lstm[1]"' in d.message


@pytest.mark.parametrize("number", ["99999999999999999999", "-9223372036854775809", "0x" + "f" * 40, "1" * 5000],
                         ids=["20 digits", "below int64", "hex", "5000 digits"])
def test_huge_integers(write_spec, number):
    d = only(check_path(write_spec(VALID.replace("units: 4", f"units: {number}"))))
    assert (d.code, d.line, d.column) == ("GM101", 11, 19)
    assert "64" in d.message and len(d.message) < 200


def test_64_bit_integers_are_fine(write_spec):
    result = check_path(write_spec(VALID.replace("input_dim: 100", "input_dim: 9223372036854775807")))
    assert result.diagnostics == []


@pytest.mark.parametrize("old, new, code, line, column", [
    ("pad_value: 0", "pad_value: .nan", "GM102", 4, 52),
    ("pad_value: 0", "pad_value: -.inf", "GM102", 4, 52),
    ("shape: [null]", "shape: [.nan]", "GM102", 4, 20),
    ("units: 4", "units: .inf", "GM104", 11, 19),
    ("units: 4", "units: 1.0e+400", "GM104", 11, 19),  # YAML reads it as infinity
    ("mask_zero: true", "mask_zero: true, embeddings_regularizer: .nan", "GM104", 8, 84),
])
def test_nan_and_infinity_where_numbers_are_expected(write_spec, old, new, code, line, column):
    result = check_path(write_spec(VALID.replace(old, new)))
    assert (code, line, column) in codes_at(result), codes_at(result)


# -- ids and reserved words ----------------------------------------------------------

KEYWORD_IDS = """\
graphmask: 1
name: keywords
inputs:
  class: {shape: [null], dtype: int32, pad_value: 0}
layers:
  - {id: lambda, type: Embedding, args: {input_dim: 100, output_dim: 8, mask_zero: true}, inputs: class}
  - {id: None, type: LSTM, args: {units: 4}, inputs: lambda}
  - {id: dense, type: Dense, args: {units: 2}, inputs: None}
  - {id: dense_1, type: Dense, args: {units: 2}, inputs: dense}
  - {id: input_layer, type: Dense, args: {units: 1}, inputs: dense_1}
  - {id: Dense, type: Activation, args: {activation: relu}, inputs: input_layer}
outputs: {def: Dense}
"""


def test_python_keywords_and_keras_auto_names_are_fine_ids(write_spec):
    """Ids become Keras layer names (`name=`), never Python identifiers, and
    graphmask names every layer and input itself, so Keras never auto-names
    one (`dense`, `dense_1`, `input_layer`) that an id could collide with."""
    assert check_path(write_spec(KEYWORD_IDS)).diagnostics == []


def test_keyword_ids_compile_in_keras(write_spec, keras):
    """The oracle: Keras accepts those names, in one model."""
    import graphmask

    model = graphmask.compile(write_spec(KEYWORD_IDS))
    assert [layer.name for layer in model.layers] == ["class", "lambda", "None", "dense", "dense_1",
                                                      "input_layer", "Dense"]


def test_the_collision_keras_refuses_is_a_duplicate_id(write_spec):
    """Keras refuses two operations with one name, inputs included: GM106."""
    path = write_spec(VALID.replace("id: lstm", "id: tokens").replace("outputs: [lstm]", "outputs: [tokens]"))
    assert ("GM106", 9, 9) in codes_at(check_path(path))


@pytest.mark.parametrize("word, meaning", [("yes", "true"), ("off", "false"), ("null", "null"), ("~", "null")])
def test_yaml_reserved_words_as_ids_say_to_quote_them(write_spec, word, meaning):
    path = write_spec(VALID.replace("id: lstm", f"id: {word}"))
    (d,) = [d for d in check_path(path).diagnostics if d.code == "GM102"]
    assert (d.line, d.column) == (9, 9)
    assert f"unquoted `{word}` as {meaning}" in d.message and "quote it" in d.message


@pytest.mark.parametrize("old, new, code, line, column", [
    ("mask_zero: true", "mask_zero: 'yes'", "GM104", 8, 54),
    ("units: 4", "units: 4, dropout: '0.5'", "GM104", 11, 31),
    ("units: 4", "units: 4, dropout: \"__import__('os').system('true')\"", "GM104", 11, 31),
    ("units: 4", "units: 4, return_sequences: [1]", "GM104", 11, 40),
    ("args: {units: 4}", "args: [units, 4]", "GM102", 11, 11),
    ("type: LSTM", "type: [LSTM]", "GM102", 10, 11),
])
def test_layer_args_of_the_wrong_type(write_spec, old, new, code, line, column):
    """Checked where the argument's Keras default leaves no doubt about its type
    (a required argument such as `units` has none: Keras itself rejects
    `units: four` under `check --deep` and `compile`, as GM303)."""
    result = check_path(write_spec(VALID.replace(old, new)))
    assert (code, line, column) in codes_at(result), codes_at(result)


# -- internal failures -------------------------------------------------------------

def _boom(graph):
    raise RuntimeError("simulated bug in a pass")


def test_a_crashing_pass_is_gm000_on_that_file_and_the_others_are_checked(tmp_path, cli, monkeypatch):
    import graphmask.checker

    (tmp_path / "a.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "b.yaml").write_text("graphmask: [\n", encoding="utf-8")
    monkeypatch.setattr(graphmask.checker, "PASSES", [_boom])
    code, out, err = cli("check", tmp_path, "--format", "json", "--no-config")
    found = {(Path(d["file"]).name, d["code"]) for d in json.loads(out)}
    assert found == {("a.yaml", "GM000"), ("b.yaml", "GM101")}
    assert code == 2 and "Traceback" not in err  # GM000 exits 2 (issue 7)
    message = next(d for d in json.loads(out) if d["code"] == "GM000")
    assert "simulated bug" in message["message"] and "report" in message["hint"]


def test_a_failure_outside_any_file_is_gm000_exit_2(write_spec, cli, monkeypatch):
    import graphmask.commands.check

    def broken(*args, **kwargs):
        raise RuntimeError("simulated bug outside any file")

    monkeypatch.setattr(graphmask.commands.check, "check_files", broken)
    code, out, err = cli("check", write_spec(VALID), "--no-config")
    assert code == 2
    assert err.startswith("GM000 internal error") and "Please report this" in err
    assert "simulated bug outside any file" in err


# -- resource limits ----------------------------------------------------------------

BOMB = "\n".join(
    ["graphmask: 1", "name: lol", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
) + "\n"


def test_billion_laughs_is_refused(write_spec):
    assert len(BOMB.encode()) < 1024  # a 1 KB file that expands to 9**9 nodes
    d = only(check_path(write_spec(BOMB)))
    assert d.code == "GM101" and "expands to more than" in d.message
    assert d.line == 9  # at the alias where the count crosses the limit
    assert "--max-nodes" in d.hint


def test_node_limit_is_configurable(write_spec):
    path = write_spec(VALID)
    d = only(check_path(path, Limits(max_nodes=10)))
    assert d.code == "GM101" and "more than 10 YAML nodes" in d.message


@pytest.mark.parametrize("depth", [65, 100_000])
def test_deep_flow_nesting_is_refused(write_spec, depth):
    # 100,000 levels crashed the process (libyaml's composer recurses in C)
    d = only(check_path(write_spec("graphmask: 1\nname: " + "[" * depth + "]" * depth + "\n")))
    assert (d.code, d.line) == ("GM101", 2) and "nesting deeper than 64" in d.message
    # Where: at the 65th `[`, or, with a libyaml that has its own 1,000-level limit in the
    # scanner (PyYAML 6.0.4 wheels), where that scanner stopped.
    assert d.column in (6 + 64, 6 + 1000)


def test_deep_block_nesting_is_refused(write_spec):
    text = "graphmask: 1\n" + "".join(f"{'  ' * i}k{i}:\n" for i in range(200)) + "  " * 200 + "leaf\n"
    d = only(check_path(write_spec(text)))
    assert (d.code, d.line, d.column) == ("GM101", 66, 129) and "nesting deeper" in d.message  # the 65th mapping


def test_depth_limit_is_configurable(write_spec):
    d = only(check_path(write_spec(VALID), Limits(max_depth=2)))
    assert (d.code, d.line) == ("GM101", 4) and "--max-depth" in d.hint


def test_very_long_lines_are_read(write_spec):
    long_description = "x" * 2_000_000
    path = write_spec(VALID.replace("name: tiny", f"name: tiny\ndescription: {long_description}"))
    assert check_path(path).diagnostics == []


def test_a_very_long_unknown_name_gives_a_short_message(write_spec):
    path = write_spec(VALID.replace("type: LSTM", "type: " + "L" * 200_000))
    (d,) = [d for d in check_path(path).diagnostics if d.code == "GM103"]
    assert (d.line, d.column) == (10, 11) and len(d.message) < 2100 and "more characters" in d.message


def test_file_size_limit(write_spec, cli):
    path = write_spec(VALID)
    size = path.stat().st_size
    code, out, _ = cli("check", path, "--max-bytes", size - 1, "--format", "json", "--no-config")
    (d,) = json.loads(out)
    assert code == 1 and d["code"] == "GM101" and f"over the limit of {size - 1} bytes" in d["message"]
    assert "--max-bytes" in d["hint"]
    assert cli("check", path, "--max-bytes", size, "--no-config")[0] == 0


def test_default_file_size_limit(write_bytes):
    limit = Limits().max_bytes
    d = only(check_path(write_bytes(b"#" * (limit + 1))))
    assert d.code == "GM101" and str(limit) in d.message


def test_graph_node_limit(write_spec, cli):
    path = write_spec(VALID)
    code, out, _ = cli("check", path, "--max-graph-nodes", 2, "--format", "json", "--no-config")
    (d,) = json.loads(out)
    assert (code, d["code"], d["line"], d["column"]) == (1, "GM101", 5, 1)
    assert "more than 2 nodes" in d["message"] and "--max-graph-nodes" in d["hint"]
    assert cli("check", path, "--max-graph-nodes", 3, "--no-config")[0] == 0


def test_graph_node_limit_sees_through_aliases(write_spec):
    """A `layers:` list reached through an alias is counted after parsing."""
    path = write_spec("""
        graphmask: 1
        name: aliased
        inputs: {x: {shape: [4]}}
        spare: &all
          - {id: a, type: Dense, args: {units: 2}}
          - {id: b, type: Dense, args: {units: 2}}
        layers: *all
        outputs: [b]
    """)
    d = only(check_path(path, Limits(max_graph_nodes=2)))
    assert (d.code, d.line, d.column) == ("GM101", 7, 1) and "more than 2 nodes" in d.message


def test_limit_flags_take_positive_integers_only(write_spec, cli):
    code, _, err = cli("check", write_spec(VALID), "--max-depth", "0")
    assert code == 2 and "positive integer" in err


# -- no code execution -------------------------------------------------------------

MODULE = "graphmask_hostile_marker"


@pytest.fixture
def trap(tmp_path, monkeypatch):
    """A module that leaves a marker file if anything imports it."""
    marker = tmp_path / "IMPORTED"
    package = tmp_path / "lib"
    package.mkdir()
    (package / f"{MODULE}.py").write_text(textwrap.dedent(f"""
        open({str(marker)!r}, "w").write("imported")
        def f(x):
            return x
        class Evil:
            pass
    """), encoding="utf-8")
    monkeypatch.syspath_prepend(str(package))
    yield marker
    sys.modules.pop(MODULE, None)


def test_yaml_tags_never_construct_objects(write_spec, trap):
    touch = f"touch {trap}"
    for i, tag in enumerate([f"!!python/object/apply:os.system [{touch!r}]", f"!!python/module:{MODULE}",
                             f"!!python/name:{MODULE}.f", f"!!python/object/new:{MODULE}.Evil {{}}"]):
        path = write_spec(VALID.replace("name: tiny", f"name: tiny\ndescription: {tag}"), f"tag{i}.yaml")
        d = only(check_path(path))
        assert (d.code, d.line, d.column) == ("GM101", 3, 14) and "tag" in d.message
    assert not trap.exists() and MODULE not in sys.modules


def test_check_explain_schema_and_graph_never_import_user_code(write_spec, trap, cli):
    spec = write_spec(f"""
        graphmask: 1
        name: trap
        inputs:
          x: {{shape: [null, 4]}}
        custom_layers:
          Evil:
            import: "{MODULE}:Evil"
            mask: {{supports_masking: true}}
        layers:
          - id: evil
            type: Evil
          - id: lam
            type: Lambda
            args: {{function: "{MODULE}:f"}}
        outputs: [lam]
    """)
    for args in (["check", spec, "--no-config"], ["explain", spec], ["schema"], ["graph", spec]):
        code, out, err = cli(*args)
        assert code in (0, 1), (args, err)
        assert "Traceback" not in err
    assert not trap.exists() and MODULE not in sys.modules


def test_compile_refuses_modules_not_on_the_allow_list(write_spec, trap, cli, keras):
    spec = write_spec(f"""
        graphmask: 1
        name: trap
        inputs:
          x: {{shape: [4]}}
        layers:
          - id: lam
            type: Lambda
            args: {{function: "{MODULE}:f"}}
        outputs: [lam]
    """)
    code, out, err = cli("compile", spec, "-o", spec.with_suffix(".keras"))
    assert code != 0 and "allow" in (out + err)
    assert not trap.exists() and MODULE not in sys.modules


# -- nothing lost --------------------------------------------------------------------

def test_no_read_only_command_writes_to_the_spec(write_spec, cli):
    path = write_spec(VALID)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    for args in (["check", path, "--no-config"], ["explain", path], ["graph", path], ["check", path, "--deep"]):
        cli(*args)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["spec.yaml"]  # no stray temp files


def test_write_atomic_creates_and_refuses_to_overwrite(tmp_path):
    target = tmp_path / "out.txt"
    assert write_atomic(target, "first é") == target
    assert target.read_bytes() == "first é".encode("utf-8")
    with pytest.raises(OutputExistsError) as caught:
        write_atomic(target, b"second")
    assert isinstance(caught.value, FileExistsError) and "--overwrite" in str(caught.value)
    assert target.read_text(encoding="utf-8") == "first é"
    write_atomic(target, b"second", overwrite=True)
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_write_atomic_keeps_the_replaced_files_mode_and_uses_the_umask_for_new_ones(tmp_path):
    old = tmp_path / "old.txt"
    old.write_text("x")
    old.chmod(0o640)
    write_atomic(old, "y", overwrite=True)
    assert old.stat().st_mode & 0o777 == 0o640
    umask = os.umask(0o022)
    try:
        new = write_atomic(tmp_path / "new.txt", "z")
    finally:
        os.umask(umask)
    assert new.stat().st_mode & 0o777 == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "model.txt"
    target.write_text("old")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(graphmask.atomic.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        write_atomic(target, "new", overwrite=True)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.txt"]


def test_atomic_path_for_path_based_writers(tmp_path):
    target = tmp_path / "weights.npz"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".npz" and not tmp.exists()
        tmp.write_bytes(b"data")
        assert not target.exists()  # nothing at the target until the writer is done
    assert target.read_bytes() == b"data"
    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "broken.npz") as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("writer failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.npz"]


def test_a_file_that_appears_while_writing_is_not_clobbered(tmp_path):
    target = tmp_path / "race.txt"
    with pytest.raises(OutputExistsError):
        with atomic_path(target) as tmp:
            tmp.write_text("mine")
            target.write_text("someone else's")
    assert target.read_text() == "someone else's"


def test_write_atomic_never_writes_over_an_input_spec(write_spec):
    spec = write_spec(VALID)
    with pytest.raises(OutputIsInputError):
        write_atomic(spec, "oops", overwrite=True, protect=[spec])
    assert spec.read_text() == VALID


def test_write_atomic_refuses_a_directory(tmp_path):
    with pytest.raises(graphmask.atomic.OutputNotAFileError, match="directory"):
        write_atomic(tmp_path, "x", overwrite=True)


def test_the_cli_maps_an_existing_output_to_exit_2(tmp_path, cli, monkeypatch):
    import graphmask.commands.schema

    existing = tmp_path / "schema.json"
    existing.write_text("{}")

    def run(args):
        write_atomic(existing, "new")
        return 0

    monkeypatch.setattr(graphmask.commands.schema, "run", run)
    code, out, err = cli("schema")
    assert code == 2 and "exists; pass --overwrite" in err and "GM000" not in err
    assert existing.read_text() == "{}"


def test_control_characters_in_a_spec_do_not_reach_the_terminal(write_spec, cli):
    path = write_spec("graphmask: 1\nname: t\ninputs: {x: {shape: [3]}}\n"
                      "layers: [{id: d, type: \"Den\\e[2Jse\", args: {units: 1}}]\noutputs: [d]\n")
    code, out, _ = cli("check", path)
    assert code == 1
    assert "\x1b" not in out
    assert "Den\\x1b[2Jse" in out
