"""How the `graphmask` program ends (``cli.exit_process``): without the interpreter's teardown, unless
something has to run at exit."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_the_output_is_flushed_and_the_code_kept():
    done = _run("import sys\nfrom graphmask.cli import exit_process\n"
                "print('out', end=''); print('err', end='', file=sys.stderr); exit_process(3)")
    assert (done.returncode, done.stdout, done.stderr) == (3, "out", "err")


def test_the_teardown_is_skipped_when_nothing_runs_at_exit():
    # An object the teardown would free (running its __del__): with the quick exit it is never freed.
    done = _run("from graphmask.cli import exit_process\n"
                "class A:\n    def __del__(self): print('freed')\na = A()\nexit_process(0)")
    assert (done.returncode, done.stdout) == (0, "")


def test_atexit_handlers_and_profilers_get_the_usual_exit():
    done = _run("import atexit\nfrom graphmask.cli import exit_process\n"
                "atexit.register(print, 'at exit')\nexit_process(4)")
    assert (done.returncode, done.stdout) == (4, "at exit\n")
    profiled = subprocess.run([sys.executable, "-m", "cProfile", "-m", "graphmask", "schema"],
                              capture_output=True, text=True, timeout=60)
    assert profiled.returncode == 0 and "function calls" in profiled.stdout  # cProfile printed its report
