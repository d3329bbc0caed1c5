"""Progress on stderr while `check` works, only when stderr is a terminal (issue 14, item 14)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC = (Path(__file__).parent / "data" / "specs" / "text_classifier.yaml").read_text()


def _check(tmp_path: Path, stderr_tty: bool) -> str:
    for i in range(12):
        (tmp_path / f"s{i:02}.yaml").write_text(SPEC)
    env = {**os.environ, "PYTHONPATH": str(REPO), "GRAPHMASK_PROGRESS_AFTER": "0"}
    if not stderr_tty:
        done = subprocess.run([sys.executable, "-m", "graphmask", "check", str(tmp_path), "--no-config"],
                              capture_output=True, timeout=120, env=env)
        return done.stderr.decode()
    primary, secondary = os.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "graphmask", "check", str(tmp_path), "--no-config"],
                              stdout=subprocess.PIPE, stderr=secondary, timeout=120, env=env)
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the other side is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(primary)
    assert done.returncode == 0
    return b"".join(chunks).decode()


def test_progress_on_a_terminal(tmp_path):
    shown = _check(tmp_path, stderr_tty=True)
    assert "12/12 files" in shown
    assert shown.endswith("\r\x1b[K")  # the line is cleared at the end, so the report is not mixed with it


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path):
    assert _check(tmp_path, stderr_tty=False) == ""
