"""`run --input` against hostile and wrong data (issue 14, items 3, 6 and 12).

Input files are checked from their headers before anything is allocated
(and before TensorFlow loads): a small file that declares a huge array is
refused with exit 2 and a message naming the file (and the .npz member).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

import graphmask
from graphmask.graph import build_graph
from graphmask.keras.errors import InputError
from graphmask.keras.inputs import check_ids, check_inputs, load_inputs

REPO = Path(__file__).resolve().parent.parent

SPEC = """\
graphmask: 1
name: ids
inputs:
  ids: {shape: [null], dtype: int32, pad_value: 0}
layers:
  - {id: emb, type: Embedding, inputs: ids, args: {input_dim: 7, output_dim: 4, mask_zero: true}}
  - {id: pool, type: GlobalAveragePooling1D}
outputs: [pool]
"""


def _npy_header(shape, descr="<f8") -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array_header_2_0(out, {"descr": descr, "fortran_order": False, "shape": shape})
    return out.getvalue()


def _run_child(args: list[str], cwd: Path) -> tuple[int, str, int]:
    """graphmask in a child of a fresh interpreter: (exit code, stderr, the child's peak RSS in KiB)."""
    script = textwrap.dedent(f"""
        import resource, subprocess, sys
        done = subprocess.run([sys.executable, "-m", "graphmask", *{args!r}], capture_output=True, text=True)
        sys.stdout.write(f"{{done.returncode}}\\n{{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}}\\n")
        sys.stdout.write(done.stderr)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    code, rss, err = done.stdout.split("\n", 2)
    return int(code), err, int(rss)


@pytest.fixture
def spec_file(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return path


def test_npy_header_claiming_a_huge_shape_is_refused_with_bounded_memory(tmp_path, spec_file):
    bomb = tmp_path / "bomb.npy"
    bomb.write_bytes(_npy_header((10**12, 5)))
    code, err, rss_kib = _run_child(["run", str(spec_file), "--input", f"ids={bomb}", "-o", "out.npz"], tmp_path)
    assert code == 2, err
    assert "bomb.npy" in err and "--max-input-bytes" in err and "GM000" not in err
    assert rss_kib < 400 * 1024  # numpy and graphmask only: nothing near 40 TB was allocated


def test_npz_member_declaring_a_huge_shape_is_refused_by_name(tmp_path, spec_file):
    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(bomb, "w") as archive:
        archive.writestr("ids.npy", _npy_header((10**9, 2000), "<i4") + bytes(64))
    code, err, rss_kib = _run_child(["run", str(spec_file), "--input", str(bomb), "-o", "out.npz"], tmp_path)
    assert code == 2 and "bomb.npz:ids" in err and "GM000" not in err, err
    assert rss_kib < 400 * 1024


def test_a_compressed_npz_past_the_limit_is_refused_before_decompressing(tmp_path):
    spec = graphmask.loads(SPEC)
    path = tmp_path / "zeros.npz"
    np.savez_compressed(path, ids=np.zeros((2000, 1000), "int32"))  # 8 MB of zeros, a few KB on disk
    assert path.stat().st_size < 100_000
    with pytest.raises(InputError, match=r"zeros\.npz:ids.*8000000 bytes.*--max-input-bytes 1000000"):
        load_inputs(spec, [str(path)], max_bytes=1_000_000)
    assert load_inputs(spec, [str(path)], max_bytes=10**8)["ids"].shape == (2000, 1000)


def test_the_limit_counts_all_inputs_together(tmp_path):
    spec = graphmask.loads(SPEC.replace("ids: {shape", "other: {shape: [null], dtype: int32}\n  ids: {shape"))
    np.save(tmp_path / "a.npy", np.zeros((100, 10), "int32"))
    np.save(tmp_path / "b.npy", np.zeros((100, 10), "int32"))
    items = [f"ids={tmp_path / 'a.npy'}", f"other={tmp_path / 'b.npy'}"]
    assert len(load_inputs(spec, items, max_bytes=8000)) == 2
    with pytest.raises(InputError, match="b.npy"):
        load_inputs(spec, items, max_bytes=7999)


def test_the_limit_counts_the_cast_to_the_declared_dtype(tmp_path):
    spec = graphmask.loads(SPEC.replace("dtype: int32", "dtype: int64"))
    np.save(tmp_path / "a.npy", np.zeros((100, 10), "int8"))  # 1000 bytes on disk, 8000 as int64
    with pytest.raises(InputError, match="8000 bytes"):
        load_inputs(spec, [f"ids={tmp_path / 'a.npy'}"], max_bytes=5000)


@pytest.mark.parametrize("value", ["0", "-3", "99999999999999999999", "ten"])
def test_batch_size_out_of_range_is_a_usage_error(cli, spec_file, value):
    code, out, err = cli("run", spec_file, "--demo", "--batch-size", value)
    assert code == 2 and "--batch-size" in err and "GM000" not in err and "Traceback" not in err


@pytest.mark.parametrize("value", ["0", "99999999999999999999999"])
def test_max_input_bytes_must_be_sane(cli, spec_file, value):
    code, out, err = cli("run", spec_file, "--demo", "--max-input-bytes", value)
    assert code == 2 and "--max-input-bytes" in err


# -- item 12: run's rough edges ----------------------------------------------------------

def test_input_and_demo_together_says_so(cli, spec_file, tmp_path):
    np.save(tmp_path / "ids.npy", np.ones((2, 3), "int32"))
    code, out, err = cli("run", spec_file, "--demo", "--input", f"ids={tmp_path / 'ids.npy'}")
    assert code == 2 and "not both" in err


def test_a_bool_array_is_refused_for_an_int_input():
    spec = graphmask.loads(SPEC)
    with pytest.raises(InputError, match="dtype bool given, the spec declares int32"):
        check_inputs(spec, {"ids": np.ones((2, 3), bool)})


@pytest.mark.parametrize("value, words", [(-1, "-1"), (7, "7")])
def test_ids_outside_the_embedding_vocabulary_are_located(value, words):
    spec = graphmask.loads(SPEC)
    ids = np.ones((3, 4), "int32")
    ids[2, 1] = value
    with pytest.raises(InputError) as problem:
        check_ids(build_graph(spec)[0], {"ids": ids})
    text = str(problem.value)
    assert "input `ids`" in text and "`emb`" in text and "input_dim 7" in text and words in text
    assert "sample 2, position (1,)" in text
    check_ids(build_graph(spec)[0], {"ids": np.full((3, 4), 6, "int32")})  # 0..6 fit


def test_out_of_vocabulary_ids_exit_2_before_tensorflow(spec_file, tmp_path):
    np.save(tmp_path / "ids.npy", np.array([[1, 2, 99]], "int32"))
    script = textwrap.dedent(f"""
        import sys
        from graphmask.cli import main
        code = main(["run", {str(spec_file)!r}, "--input", "ids={tmp_path / 'ids.npy'}"])
        print("code", code, "tensorflow" in sys.modules)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert "code 2 False" in done.stdout, done.stderr
    assert "99" in done.stderr and "input_dim 7" in done.stderr


@pytest.mark.keras
def test_input_without_output_prints_a_summary(keras, cli, spec_file, tmp_path):
    np.save(tmp_path / "ids.npy", np.array([[1, 2, 0], [3, 0, 0]], "int32"))
    code, out, err = cli("run", spec_file, "--input", f"ids={tmp_path / 'ids.npy'}")
    assert code == 0, err
    assert "pool: shape (2, 4) float32" in out
