"""Loading TensorFlow without its start-up noise (unless ``--verbose``).

A plain ``import tensorflow`` prints about six lines on stderr: absl's
"All log messages before absl::InitializeLog()", CUDA probing
("Could not find cuda drivers", "failed call to cuInit"), CPU-feature notes.
``TF_CPP_MIN_LOG_LEVEL`` silences TensorFlow's own C++ logging but not absl's
lines written before its logging starts, so the import (and the first device
listing, which probes CUDA) runs with file descriptor 2 captured, and the
captured text is written back without the lines that are start-up noise.
Anything else (a Python traceback, a real error) is passed on.

``GRAPHMASK_VERBOSE=1`` (set by ``--verbose``) turns all of this off.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from typing import Iterator

VERBOSE_ENV = "GRAPHMASK_VERBOSE"
_NOISE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWE]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\] "  # absl/glog line prefix
    r"|To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags")
_loaded = False


def is_noise(line: str) -> bool:
    return _NOISE.match(line) is not None


def verbose() -> bool:
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0")


def load_tensorflow() -> None:
    """Import TensorFlow and Keras once, quietly unless verbose; later imports are free."""
    global _loaded
    if _loaded or "keras" in sys.modules and "tensorflow" in sys.modules:
        _loaded = True
        return
    if verbose():
        import keras  # noqa: F401
        import tensorflow  # noqa: F401
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        with _without_noise():
            import tensorflow as tf

            import keras  # noqa: F401

            tf.config.list_physical_devices("GPU")  # probes CUDA now, inside the capture
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
        tf.get_logger().setLevel("ERROR")
    _loaded = True


@contextlib.contextmanager
def _without_noise() -> Iterator[None]:
    import tempfile

    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real stderr: nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", errors="replace")
            sys.stderr.write("".join(line for line in text.splitlines(keepends=True) if not is_noise(line)))
            sys.stderr.flush()
