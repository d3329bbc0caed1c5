"""Finding spec files under the paths given on the command line."""

from __future__ import annotations

import fnmatch
import os
import re
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

    matches = re.compile("|".join(f"(?:{fnmatch.translate(os.path.normcase(p))})" for p in patterns)).match
    for path in paths:
        if os.path.isdir(path):
            for file in sorted(_walk(path, matches)):
                add(file)
        elif os.path.lexists(path):
            add(path)
        else:
            found.missing.append(path)
    return found


def _walk(path: str, matches) -> list[str]:
    """The matching files under ``path``, as ``os.walk(path, followlinks=False)`` would list them (hidden
    entries and a directory's symlinked subdirectories skipped), from one ``scandir`` per directory:
    a directory entry says whether it is a link without another system call per file."""
    top = os.path.realpath(path)
    found, folders = [], [path]
    while folders:
        try:
            with os.scandir(folders.pop()) as entries:
                listed = list(entries)
        except OSError:  # unreadable or gone: os.walk skips it too
            continue
        for entry in listed:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:  # e.g. a link to itself: a file, as os.walk has it (checking it says why it fails)
                is_dir = False
            if is_dir:
                if not entry.is_symlink():
                    folders.append(entry.path)
            elif (matches(os.path.normcase(name)) and not is_temp_file(name)
                  and (not entry.is_symlink() or _stays_inside(entry.path, top))):
                found.append(entry.path)
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
