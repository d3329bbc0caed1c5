"""Finding spec files under the paths given on the command line."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field

from graphmask.atomic import is_temp_file

SPEC_PATTERNS = ("*.yaml", "*.yml")


@dataclass
class Discovery:
    files: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # paths that do not exist


def discover(paths: list[str], patterns: tuple[str, ...] = SPEC_PATTERNS,
             exclude: tuple[str, ...] = ()) -> Discovery:
    """Files named on the command line are taken as they are; directories are
    walked (without following symlinks, so a link loop cannot trap us) for
    files matching ``patterns``. A symlinked file that leads outside the
    walked directory is skipped: a pull request must not make CI read (and
    quote in its report) a file such as ``.git/config`` or ``~/.netrc``.
    Hidden files and directories, and graphmask's own temporary files (a
    write that was killed leaves one), are skipped in walks; a file named on
    the command line is taken whatever its name.
    Order is stable: sorted within each path."""
    found = Discovery()
    seen: set[str] = set()

    def add(path: str) -> None:
        if path not in seen and not _excluded(path, exclude):
            seen.add(path)
            found.files.append(path)

    for path in paths:
        if os.path.isdir(path):
            walked = []
            top = os.path.realpath(path)
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                walked.extend(os.path.join(root, f) for f in files
                              if not f.startswith(".") and not is_temp_file(f)
                              and any(fnmatch.fnmatch(f, p) for p in patterns)
                              and _stays_inside(os.path.join(root, f), top))
            for file in sorted(walked):
                add(file)
        elif os.path.lexists(path):
            add(path)
        else:
            found.missing.append(path)
    return found


def _excluded(path: str, exclude: tuple[str, ...]) -> bool:
    normalized = path.replace(os.sep, "/")
    return any(fnmatch.fnmatch(normalized, pattern) or fnmatch.fnmatch(os.path.basename(path), pattern)
               for pattern in exclude)


def _stays_inside(path: str, top: str) -> bool:
    """Whether ``path`` (a symlink or not) resolves to somewhere under ``top``."""
    if not os.path.islink(path):
        return True
    target = os.path.realpath(path)
    return os.path.commonpath([target, top]) == top
