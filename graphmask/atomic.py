"""Writing output files so that nothing is ever lost or half-written.

Every file a command produces (a compiled model, an imported spec, run
outputs, a rendered graph) goes through here:

- the data is written to a temporary file in the target's own directory
  (same filesystem, so the final rename is atomic), flushed and fsynced;
- it is then moved into place: with ``os.replace`` when ``overwrite`` is
  given, otherwise with ``os.link``, which fails if the target exists, so a
  file that appeared while we were writing is not clobbered either;
- on any failure the temporary file is removed and the target is untouched.

A reader therefore sees the old file or the complete new one, never a mix.
An existing file is only replaced when the caller passes ``overwrite=True``
(the ``--overwrite`` flag); otherwise ``OutputExistsError`` is raised, which
the CLI reports as a usage error (exit 2).

What may sit at the target (docs/security.md):

- nothing, or a regular file (replaced only with ``overwrite``);
- a symbolic link: refused without ``overwrite``; with it, the file the link
  points to is replaced (it must be a regular file or absent) and the link
  is left in place, which is said on stderr;
- anything else (a directory, FIFO, socket, character or block device) is
  refused with ``OutputRefused``, ``overwrite`` or not: renaming over
  ``/dev/null`` would replace the device with a regular file;
- ``-``, ``/dev/stdout`` and ``/dev/stderr`` name the streams: ``write_atomic``
  writes through to them (there is nothing to replace).

Temporary files are named ``.<target name>.graphmask-tmp-<pid>-<random><suffix>``
so that directory walks can skip them (``is_temp_file``) and the next write
to the same target removes those a killed process left (``stale_temp_files``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
from pathlib import Path
from typing import Iterable, Iterator

# Output names that mean a stream the process already has open, not a file to replace.
STREAMS = {"-": "stdout", "/dev/stdout": "stdout", "/dev/stderr": "stderr"}
TEMP_MARK = ".graphmask-tmp-"
_TEMP_NAME = re.compile(r"\.(?P<target>.+)\.graphmask-tmp-(?P<pid>\d+)-[A-Za-z0-9_]+.*")


class OutputRefused(OSError):
    """The output target cannot be written (exists, is an input, is not a regular file)."""

    def __init__(self, path: str | os.PathLike, message: str, code: int = errno.EEXIST):
        self.path = os.fspath(path)
        self.message = message
        super().__init__(code, message, self.path)

    def __str__(self) -> str:
        return self.message


class OutputExistsError(OutputRefused, FileExistsError):
    """The output file exists and overwriting was not asked for."""

    def __init__(self, path: str | os.PathLike, message: str | None = None):
        super().__init__(path, message or f"{os.fspath(path)} exists; pass --overwrite to replace it")


class OutputIsInputError(OutputExistsError):
    """The output would replace one of the command's inputs (a spec): refused even with --overwrite."""

    def __init__(self, path: str | os.PathLike):
        super().__init__(path, f"{os.fspath(path)} is an input of this command; write the output to another file")


class OutputNotAFileError(OutputRefused):
    """The target is a directory, FIFO, socket or device: never replaced, whatever ``overwrite`` says."""

    def __init__(self, path: str | os.PathLike, kind: str):
        super().__init__(path, f"{os.fspath(path)} is a {kind}, not a regular file: graphmask writes only regular "
                               "files (or stdout with `-o -`); choose another output path", errno.EINVAL)


def write_atomic(path: str | os.PathLike, data: bytes | str, overwrite: bool = False,
                 protect: Iterable[str | os.PathLike] = ()) -> Path:
    """Write ``data`` (``str`` is written as UTF-8) to ``path`` atomically.

    Raises ``OutputExistsError`` when ``path`` exists and ``overwrite`` is
    false, ``OutputIsInputError`` when ``path`` is one of ``protect`` (the
    command's input specs) whatever ``overwrite`` says, ``IsADirectoryError``
    when it is a directory, and the usual ``OSError`` when the directory is
    missing or not writable.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    stream = STREAMS.get(os.fspath(path))
    if stream is not None:
        out = getattr(sys, stream)
        out.flush()
        out.buffer.write(payload)
        out.buffer.flush()
        return Path(path)
    with atomic_path(path, overwrite, protect) as tmp:
        with open(tmp, "xb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
    return Path(path)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, overwrite: bool = False,
                protect: Iterable[str | os.PathLike] = ()) -> Iterator[Path]:
    """Yield a fresh temporary path next to ``path``; move it onto ``path`` on success.

    For writers that insist on a path (``keras.Model.save``, ``numpy.savez``).
    The temporary path does not exist yet when yielded (some writers refuse
    an existing file); it keeps ``path``'s suffix, which such writers check.
    """
    import tempfile  # here, not at the top: the CLI imports this module on every start

    if os.fspath(path) in STREAMS:
        raise OutputRefused(path, f"{os.fspath(path)}: this output is written by a library that needs a file "
                                  "path; give a file name", errno.EINVAL)
    target = check_target(path, overwrite, protect)
    if target != Path(path):
        print(f"graphmask: note: {os.fspath(path)} is a symbolic link; writing the file it points to, {target} "
              "(the link stays)", file=sys.stderr)
    _remove_stale(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}{TEMP_MARK}{os.getpid()}-", suffix=target.suffix,
                                dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(errno.ENOENT, "the writer produced no file", str(tmp))
        _sync(tmp)
        _set_mode(tmp, target)
        _move_into_place(tmp, target, overwrite)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def check_target(path: str | os.PathLike, overwrite: bool = False,
                 protect: Iterable[str | os.PathLike] = ()) -> Path:
    """The file a write to ``path`` would replace, or ``OutputRefused`` (the rules above).

    A stream name (``-``, ``/dev/stdout``) passes as it is; a symbolic link
    (with ``overwrite``) gives the file it points to.
    """
    if os.fspath(path) in STREAMS:
        return Path(path)
    target = Path(path)
    if any(_same_file(source, target) for source in protect):
        raise OutputIsInputError(target)
    if target.is_symlink():
        if not overwrite:
            raise OutputExistsError(target, f"{target} exists (a symbolic link); pass --overwrite to replace "
                                            "the file it points to (the link stays)")
        target = Path(os.path.realpath(target))
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return target
    if not stat.S_ISREG(mode):
        raise OutputNotAFileError(path, _kind(mode))
    if not overwrite:
        raise OutputExistsError(target)
    return target


def _kind(mode: int) -> str:
    for test, kind in ((stat.S_ISDIR, "directory"), (stat.S_ISFIFO, "FIFO (named pipe)"),
                       (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device")):
        if test(mode):
            return kind
    return "special file"


def temp_name(target: str | os.PathLike, tag: str = "XXXX") -> str:
    """The name a temporary file for ``target`` gets (``tag`` stands for mkstemp's random part)."""
    target = Path(target)
    return f".{target.name}{TEMP_MARK}{os.getpid()}-{tag}{target.suffix}"


def is_temp_file(name: str) -> bool:
    """Whether a file name is one of our temporary files (for directory walks to skip)."""
    return TEMP_MARK in name


def stale_temp_files(target: str | os.PathLike) -> list[Path]:
    """Temporary files for ``target`` whose writing process is gone (killed mid-write)."""
    target = Path(target)
    try:
        names = sorted(os.listdir(target.parent))
    except OSError:
        return []
    stale = []
    for name in names:
        match = _TEMP_NAME.fullmatch(name)
        if match and match["target"] == target.name and not _alive(int(match["pid"])):
            stale.append(target.parent / name)
    return stale


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, owned by someone else
        return True
    return True


def _remove_stale(target: Path) -> None:
    import shutil

    for path in stale_temp_files(target):
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


def _same_file(a: str | os.PathLike, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # either does not exist: not the same file
        return False


def _move_into_place(tmp: Path, target: Path, overwrite: bool) -> None:
    if overwrite:
        check_target(target, overwrite)  # again, just before: a FIFO may have appeared meanwhile
        os.replace(tmp, target)
    else:
        try:
            os.link(tmp, target)  # atomic "create only if absent"
        except FileExistsError:
            raise OutputExistsError(target) from None
        except OSError as exc:  # a filesystem without hard links: check, then rename
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            if os.path.lexists(target):
                raise OutputExistsError(target) from None
            os.replace(tmp, target)
    _sync_directory(target.parent)


def _sync(path: Path) -> None:
    """fsync what a path-based writer wrote (a directory tree is synced file by file)."""
    for item in [path] if not path.is_dir() else [path, *path.rglob("*")]:
        _fsync(item)


def _sync_directory(folder: Path) -> None:
    """Make the rename itself durable (POSIX)."""
    _fsync(folder)


def _fsync(path: Path) -> None:
    """fsync one file or directory; a no-op where that is impossible (directories on some
    filesystems, or on systems where they cannot be opened)."""
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if path.is_dir() else 0)
    with contextlib.suppress(OSError):
        fd = os.open(path, flags)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _set_mode(tmp: Path, target: Path) -> None:
    """mkstemp files are 0600; give the output the mode a plain ``open`` would
    (0666 minus the umask), or the mode of the file it replaces."""
    if tmp.is_dir():
        return
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    with contextlib.suppress(OSError):
        os.chmod(tmp, mode)
