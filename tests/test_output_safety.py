"""Output targets and temporary files (issue 14, items 1 and 4).

Every special file here is made in tmp_path (``mkfifo``, ``mknod`` when
root, symlinks); the real /dev/null is never touched.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from graphmask.atomic import OutputRefused, atomic_path, stale_temp_files, temp_name, write_atomic
from graphmask.files import discover
from tiny_spec import TINY

SPEC = TINY


@pytest.fixture
def spec(write_spec):
    return write_spec(SPEC)


def _char_device(path: Path) -> Path:
    if os.geteuid() != 0:
        pytest.skip("making a character device (mknod) needs root")
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return path


@pytest.mark.parametrize("overwrite", [False, True])
def test_graph_refuses_a_fifo_and_leaves_it_a_fifo(cli, spec, tmp_path, overwrite):
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    code, out, err = cli("graph", spec, "-o", fifo, *(["--overwrite"] if overwrite else []))
    assert code == 2 and "not a regular file" in err and "GM000" not in err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_graph_refuses_a_character_device_even_with_overwrite(cli, spec, tmp_path):
    device = _char_device(tmp_path / "n")
    code, out, err = cli("graph", spec, "-o", device, "--overwrite")
    assert code == 2 and "character device" in err
    assert stat.S_ISCHR(os.lstat(device).st_mode)


def test_write_atomic_refuses_a_socket_and_a_directory(tmp_path):
    import socket

    sock_path = tmp_path / "s"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(sock_path))
        with pytest.raises(OutputRefused, match="socket"):
            write_atomic(sock_path, "x", overwrite=True)
        assert stat.S_ISSOCK(os.lstat(sock_path).st_mode)
    finally:
        sock.close()
    with pytest.raises(OutputRefused, match="directory"):
        write_atomic(tmp_path, "x", overwrite=True)


def test_atomic_path_refuses_a_fifo_before_the_writer_runs(tmp_path):
    fifo = tmp_path / "out.npz"
    os.mkfifo(fifo)
    with pytest.raises(OutputRefused):
        with atomic_path(fifo, overwrite=True):
            raise AssertionError("the writer must not run")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_symlink_is_refused_without_overwrite(cli, spec, tmp_path):
    real = tmp_path / "real.mmd"
    real.write_text("old")
    link = tmp_path / "link.mmd"
    link.symlink_to(real)
    code, out, err = cli("graph", spec, "-o", link)
    assert code == 2 and "--overwrite" in err
    assert link.is_symlink() and real.read_text() == "old"


def test_overwrite_through_a_symlink_writes_the_file_it_points_to(cli, spec, tmp_path):
    real = tmp_path / "real.mmd"
    real.write_text("old")
    link = tmp_path / "link.mmd"
    link.symlink_to(real)
    code, out, err = cli("graph", spec, "-o", link, "--overwrite")
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(real)  # the link stays a link
    assert real.read_text().startswith("flowchart")
    assert "symbolic link" in err and str(real) in err


def test_a_symlink_to_a_special_file_is_refused(cli, spec, tmp_path):
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    link = tmp_path / "o"
    link.symlink_to(fifo)
    code, out, err = cli("graph", spec, "-o", link, "--overwrite")
    assert code == 2 and "not a regular file" in err
    assert link.is_symlink() and stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.parametrize("target", ["-", "/dev/stdout"])
def test_dash_and_dev_stdout_write_through_to_stdout(spec, target):
    # a child process: /dev/stdout is then a real pipe, as in a shell
    done = subprocess.run([sys.executable, "-m", "graphmask", "graph", str(spec), "-o", target],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("flowchart")


def test_dev_stderr_writes_through_to_stderr(spec):
    done = subprocess.run([sys.executable, "-m", "graphmask", "graph", str(spec), "-o", "/dev/stderr"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == "" and "flowchart" in done.stderr


# -- temporary files (item 4) ---------------------------------------------------------

def test_temp_names_are_recognisable(tmp_path):
    name = temp_name(tmp_path / "model.keras")
    assert name.startswith(".model.keras.graphmask-tmp-") and name.endswith(".keras")


def test_a_stale_temp_file_is_removed_on_the_next_write(tmp_path):
    target = tmp_path / "out.txt"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".out.txt.graphmask-tmp-{dead}-abcd.txt"
    stale.write_text("half of a 205 MB model")
    other = tmp_path / f".other.txt.graphmask-tmp-{dead}-abcd.txt"  # another target's: not ours to remove
    other.write_text("x")
    mine = tmp_path / f".out.txt.graphmask-tmp-{os.getpid()}-live.txt"  # a writer still running
    mine.write_text("in progress")
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert not stale.exists() and other.exists() and mine.exists()
    assert stale_temp_files(target) == []


def test_temp_files_left_by_a_killed_write_are_found(tmp_path):
    target = tmp_path / "out.npz"
    code = ("import os, sys; from graphmask.atomic import atomic_path\n"
            f"with atomic_path({str(target)!r}) as tmp:\n"
            "    open(tmp, 'wb').write(b'x'); sys.stdout.write(str(tmp)); sys.stdout.flush(); os._exit(9)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    left = Path(done.stdout)
    assert left.exists() and stale_temp_files(target) == [left]
    write_atomic(target, b"complete")
    assert not left.exists() and target.read_bytes() == b"complete"


def test_directory_walk_skips_hidden_and_temp_files(tmp_path):
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / ".spec.yaml.graphmask-tmp-1-abcd.yaml").write_text("graphmask: 1\nbroken: [")
    (tmp_path / ".hidden.yaml").write_text("graphmask: 1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.graphmask-tmp-2-ab.yaml").write_text("graphmask: 1\n")
    assert discover([str(tmp_path)]).files == [str(tmp_path / "spec.yaml")]


def test_check_dir_ignores_a_hidden_temp_yaml(cli, tmp_path):
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / ".spec.yaml.graphmask-tmp-1-abcd.yaml").write_text("graphmask: 1\nbroken: [")
    code, out, err = cli("check", tmp_path, "--no-config")
    assert code == 0 and "(1 file)" in out


def test_a_hidden_file_named_on_the_command_line_is_still_checked(cli, tmp_path):
    hidden = tmp_path / ".hidden.yaml"
    hidden.write_text(SPEC)
    code, out, err = cli("check", hidden, "--no-config")
    assert code == 0 and "(1 file)" in out
