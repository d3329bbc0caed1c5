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
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path
from typing import Iterable, Iterator


class OutputExistsError(FileExistsError):
    """The output file exists and overwriting was not asked for."""

    def __init__(self, path: str | os.PathLike, message: str | None = None):
        self.path = os.fspath(path)
        self.message = message or f"{self.path} exists; pass --overwrite to replace it"
        super().__init__(errno.EEXIST, self.message, self.path)

    def __str__(self) -> str:
        return self.message


class OutputIsInputError(OutputExistsError):
    """The output would replace one of the command's inputs (a spec): refused even with --overwrite."""

    def __init__(self, path: str | os.PathLike):
        super().__init__(path, f"{os.fspath(path)} is an input of this command; write the output to another file")


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

    target = Path(path)
    _refuse_existing(target, overwrite, protect)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{target.suffix}", dir=target.parent)
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


def _refuse_existing(target: Path, overwrite: bool, protect: Iterable[str | os.PathLike]) -> None:
    if any(_same_file(source, target) for source in protect):
        raise OutputIsInputError(target)
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory, not an output file", str(target))
    if not overwrite and os.path.lexists(target):
        raise OutputExistsError(target)


def _same_file(a: str | os.PathLike, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # either does not exist: not the same file
        return False


def _move_into_place(tmp: Path, target: Path, overwrite: bool) -> None:
    if overwrite:
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
