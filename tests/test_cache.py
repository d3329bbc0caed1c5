"""The result cache of ``graphmask check`` (graphmask/cache.py)."""

from __future__ import annotations

import json
import os
import stat

import pytest

import graphmask.batch
import graphmask.checker

SPEC = """\
graphmask: 1
name: cached
inputs:
  tokens: {shape: [null], dtype: int32}
layers:
  - id: embed
    type: Embedding
    args: {input_dim: 100, output_dim: 8, mask_zero: true}
  - id: flat
    type: Flatten
  - id: out
    type: Dense
    args: {units: 1}
outputs: [out]
"""


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("GRAPHMASK_CACHE_DIR", str(folder))
    return folder


def _codes(out: str) -> list[str]:
    return [d["code"] for d in json.loads(out)]


def _analysis_forbidden(monkeypatch):
    """Make any parsing or analysis raise: a cache hit must need neither."""

    def forbidden(*args, **kwargs):
        raise AssertionError("the file was parsed/analysed although its result was cached")

    monkeypatch.setattr(graphmask.batch, "check_path", forbidden)
    monkeypatch.setattr(graphmask.checker, "load_file", forbidden)
    monkeypatch.setattr(graphmask.checker, "check_spec", forbidden)


def test_a_hit_skips_parsing_and_analysis(write_spec, cli, cache_dir, monkeypatch):
    spec = write_spec(SPEC)
    code, first, _ = cli("check", spec, "--format", "json", "--no-config")
    assert code == 1 and "GM201" in _codes(first)
    assert (cache_dir / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (cache_dir / ".gitignore").read_text().splitlines()[-1] == "*"
    _analysis_forbidden(monkeypatch)
    code, second, _ = cli("check", spec, "--format", "json", "--no-config")
    assert code == 1 and json.loads(second) == json.loads(first)


def test_selection_applies_to_cached_results(write_spec, cli, cache_dir):
    spec = write_spec(SPEC)
    cli("check", spec, "--format", "json", "--no-config")
    code, out, _ = cli("check", spec, "--format", "json", "--no-config", "--ignore", "GM201")
    assert "GM201" not in _codes(out)


def test_no_cache_neither_reads_nor_writes(write_spec, cli, cache_dir, monkeypatch):
    spec = write_spec(SPEC)
    cli("check", spec, "--no-config", "--no-cache")
    assert not cache_dir.exists()
    cli("check", spec, "--no-config")
    calls = []
    real = graphmask.batch.check_path
    monkeypatch.setattr(graphmask.batch, "check_path", lambda *a, **k: calls.append(a) or real(*a, **k))
    cli("check", spec, "--no-config", "--no-cache")
    assert calls  # analysed although a cached result exists


def test_a_content_change_invalidates(write_spec, cli, cache_dir):
    spec = write_spec(SPEC)
    cli("check", spec, "--format", "json", "--no-config")
    spec.write_text(SPEC.replace("type: Flatten", "type: GlobalAveragePooling1D"))
    code, out, _ = cli("check", spec, "--format", "json", "--no-config")
    assert code == 0 and "GM201" not in _codes(out)


def test_a_config_change_invalidates(tmp_path, cli, cache_dir, monkeypatch):
    (tmp_path / "spec.yaml").write_text(SPEC.replace("type: Flatten", "type: MyPool"))
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "pyproject.toml"
    declaration = '[tool.graphmask.custom_layers.MyPool]\nimport = "my_pkg.layers:MyPool"\nmask = {{supports_masking = {}}}\n'
    config.write_text(declaration.format("false"))
    code, out, _ = cli("check", "spec.yaml", "--format", "json")
    assert "GM201" in _codes(out)
    config.write_text(declaration.format("true"))
    code, out, _ = cli("check", "spec.yaml", "--format", "json")
    assert "GM201" not in _codes(out)


def test_a_corrupt_entry_is_a_miss(write_spec, cli, cache_dir):
    spec = write_spec(SPEC)
    _, first, _ = cli("check", spec, "--format", "json", "--no-config")
    entries = list((cache_dir / "v1").rglob("*.json"))
    assert len(entries) == 1
    for garbage in ('{"key": "', "[]", '{"key": "other", "diagnostics": []}', "\x00\xff"):
        entries[0].write_text(garbage, encoding="latin-1")
        code, out, _ = cli("check", spec, "--format", "json", "--no-config")
        assert code == 1 and json.loads(out) == json.loads(first)
    assert json.loads(entries[0].read_text())["diagnostics"]  # rewritten whole


def test_an_entry_in_our_shape_with_wrong_contents_is_a_miss(tmp_path, cli, cache_dir):
    """JSON that parses but does not hold what the cache wrote (a file's or the run's entry): checked again."""
    folder = tmp_path / "specs"
    folder.mkdir()
    for i in range(2):
        (folder / f"m{i}.yaml").write_text(SPEC.replace("cached", f"cached{i}"), encoding="utf-8")
    _, first, _ = cli("check", folder, "--format", "json", "--no-config")
    run = next((cache_dir / "v1" / "runs").glob("*.json"))
    files = [p for p in (cache_dir / "v1").rglob("*.json") if p.parent.name != "runs"]
    stored = json.loads(run.read_text())
    for bad in ([{"code": "GM201"}], [{**d, "code": "GM999"} for d in stored["files"][0]], {"not": "a list"}):
        run.write_text(json.dumps({**stored, "files": [bad] * len(stored["files"])}))
        key = json.loads(files[0].read_text())["key"]
        files[0].write_text(json.dumps({"key": key}))  # ours, without its diagnostics
        code, out, _ = cli("check", folder, "--format", "json", "--no-config")
        assert code == 1 and json.loads(out) == json.loads(first)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions and a non-root user")
def test_a_read_only_cache_directory_does_not_fail_the_check(write_spec, cli, cache_dir):
    spec = write_spec(SPEC)
    cache_dir.mkdir()
    cache_dir.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        code, out, err = cli("check", spec, "--format", "json", "--no-config")
    finally:
        cache_dir.chmod(stat.S_IRWXU)
    assert code == 1 and "GM201" in _codes(out) and err == ""


def test_a_failing_write_does_not_fail_the_check(write_spec, cli, cache_dir, monkeypatch):
    # A full disk, as the cache sees it: every write raises ENOSPC. (Also runs as root,
    # where the read-only test above cannot.)
    import errno
    import graphmask.cache

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(graphmask.cache.json, "dump", full)
    spec = write_spec(SPEC)
    code, out, err = cli("check", spec, "--format", "json", "--no-config")
    assert code == 1 and "GM201" in _codes(out) and err == ""
    assert not [p for p in cache_dir.rglob("*") if p.is_file() and p.suffix in (".json", ".tmp")]


def test_a_file_edited_during_the_check_is_not_cached_under_its_old_bytes(write_spec, cli, cache_dir, monkeypatch):
    spec = write_spec(SPEC)
    real = graphmask.batch.check_path

    def edit_while_checking(*args, **kwargs):
        result = real(*args, **kwargs)
        spec.write_text(SPEC + "# edited\n")
        return result

    monkeypatch.setattr(graphmask.batch, "check_path", edit_while_checking)
    cli("check", spec, "--no-config")
    assert not list((cache_dir / "v1").rglob("*.json"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_special_files_are_never_cached(tmp_path, cli, cache_dir):
    os.mkfifo(tmp_path / "pipe.yaml")
    code, out, _ = cli("check", tmp_path / "pipe.yaml", "--format", "json", "--no-config")
    assert _codes(out) == ["GM101"]
    assert not (cache_dir / "v1").exists()


def test_a_run_over_unchanged_files_reads_one_entry(tmp_path, cli, cache_dir, monkeypatch):
    """The last run over the same files is one entry: no per-file entry is opened, and an edited file is the
    only one checked again (the others still come from that entry)."""
    import graphmask.cache

    folder = tmp_path / "specs"
    folder.mkdir()
    for i in range(3):
        (folder / f"m{i}.yaml").write_text(SPEC.replace("cached", f"cached{i}"), encoding="utf-8")
    code, first, _ = cli("check", folder, "--format", "json", "--no-config")
    assert code == 1 and len(list((cache_dir / "v1" / "runs").glob("*.json"))) == 1

    def no_file_entry(self, key, file):
        raise AssertionError("a per-file entry was read although the run's entry has it")

    monkeypatch.setattr(graphmask.cache.ResultCache, "get", no_file_entry)
    _analysis_forbidden(monkeypatch)
    code, second, _ = cli("check", folder, "--format", "json", "--no-config")
    assert code == 1 and json.loads(second) == json.loads(first)

    monkeypatch.undo()
    monkeypatch.setenv("GRAPHMASK_CACHE_DIR", str(cache_dir))
    (folder / "m1.yaml").write_text(SPEC.replace("Flatten", "GlobalAveragePooling1D"), encoding="utf-8")
    checked = []
    check_path = graphmask.batch.check_path
    monkeypatch.setattr(graphmask.batch, "check_path", lambda path, *a, **k: checked.append(path) or check_path(
        path, *a, **k))
    looked_up = []
    get = graphmask.cache.ResultCache.get
    monkeypatch.setattr(graphmask.cache.ResultCache, "get",
                        lambda self, key, file: looked_up.append(file) or get(self, key, file))
    code, third, _ = cli("check", folder, "--format", "json", "--no-config")
    assert code == 1  # m0 and m2 still have their GM201
    assert [os.path.basename(p) for p in checked] == [os.path.basename(p) for p in looked_up] == ["m1.yaml"]
    assert "GM201" not in [d["code"] for d in json.loads(third) if d["file"].endswith("m1.yaml")]
    assert len(list((cache_dir / "v1" / "runs").glob("*.json"))) == 1  # rewritten, not added to
