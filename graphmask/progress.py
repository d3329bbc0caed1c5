"""A progress line on stderr for long checks, like ruff's and pytest's: only on a terminal.

Nothing is shown for work that ends within ``GRAPHMASK_PROGRESS_AFTER``
seconds (default 0.5), so quick checks stay silent; the line is redrawn in
place (``\\r``) and erased when the work ends, so the report that follows is
not mixed with it. A ticker thread redraws the elapsed time while one large
file is being checked; it is only started for serial checks (a thread makes
``fork`` unsafe for the process pool of ``graphmask.batch``).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO

_CLEAR = "\r\x1b[K"


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None, tick: bool = False):
        self.stream = stream or sys.stderr
        self.total, self.done = total, 0
        self.enabled = _is_terminal(self.stream)
        self.after = float(os.environ.get("GRAPHMASK_PROGRESS_AFTER", "0.5") or 0.5)
        self.start = time.monotonic()
        self.shown = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, daemon=True) if self.enabled and tick else None

    def __enter__(self) -> Progress:
        if self._ticker is not None:
            self._ticker.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self.shown:
            self._write(_CLEAR)

    def update(self, done: int) -> None:
        self.done = done
        self._draw()

    def _tick(self) -> None:
        while not self._stop.wait(0.25):
            self._draw()

    def _draw(self) -> None:
        elapsed = time.monotonic() - self.start
        if not self.enabled or elapsed < self.after:
            return
        noun = "file" if self.total == 1 else "files"
        self._write(f"{_CLEAR}graphmask check: {self.done}/{self.total} {noun} ({elapsed:.0f} s)")
        self.shown = True

    def _write(self, text: str) -> None:
        with self._lock:
            try:
                self.stream.write(text)
                self.stream.flush()
            except (OSError, ValueError):
                self.enabled = False


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
