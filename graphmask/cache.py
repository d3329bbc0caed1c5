"""A result cache for ``graphmask check``: an unchanged file is neither parsed nor analysed.

Each file's diagnostics are stored under a key made of its bytes and of
everything else the diagnostics depend on (``environment_key``): graphmask's
version and own source files, the layer catalog and rule texts, the limits
and the shared ``custom_layers`` of the effective config. Selection
(``select``/``ignore``/``strict``) is applied after the cache, so it is not
part of the key.

Entries live in ``.graphmask_cache/`` next to the config (else in the working
directory), or in ``$GRAPHMASK_CACHE_DIR``; the directory holds a CACHEDIR.TAG
and a ``.gitignore`` of ``*``, as ruff's does. The cache may never cost a
check its result: entries are written to a temporary file and renamed into
place (concurrent runs see an old entry or a whole new one), an entry that
does not read back as what we wrote is a miss, and a failed write (read-only
directory, full disk) is ignored. Entries are not fsynced: a torn one after a
crash is just a miss.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from graphmask import codes
from graphmask.result import CheckResult
from graphmask.diagnostics import Diagnostic

CACHE_DIR_NAME = ".graphmask_cache"
CACHE_DIR_ENV = "GRAPHMASK_CACHE_DIR"
FORMAT = 1  # of the entries; part of the key
_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
        "# This file is a cache directory tag created by graphmask.\n"
        "# For information about cache directory tags see https://bford.info/cachedir/\n")


def default_cache_dir(root: str | os.PathLike) -> Path:
    return Path(os.environ.get(CACHE_DIR_ENV) or Path(root) / CACHE_DIR_NAME)


@functools.lru_cache(maxsize=None)
def _code_fingerprint() -> str:
    """graphmask's version, its data files' bytes and its source files' sizes and
    mtimes: an editable install whose code changed must not reuse old results."""
    import graphmask

    package = Path(graphmask.__file__).parent
    digest = hashlib.sha256(f"graphmask {graphmask.__version__} format {FORMAT}".encode())
    for data in ("catalog/layers.json", "rules.yaml"):
        with contextlib.suppress(OSError):
            digest.update((package / data).read_bytes())
    for folder, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", "keras"))  # keras/: --deep only
        for name in sorted(files):
            if name.endswith(".py"):
                with contextlib.suppress(OSError):
                    info = os.stat(os.path.join(folder, name))
                    digest.update(f"{folder}/{name}:{info.st_size}:{info.st_mtime_ns}".encode())
    return digest.hexdigest()


def environment_key(options) -> str:
    """Everything besides a file's bytes that its diagnostics depend on (``options``: a batch.CheckOptions)."""
    layers = {name: decl.model_dump(mode="json", by_alias=True) if hasattr(decl, "model_dump") else decl
              for name, decl in sorted(options.shared_custom_layers.items())}
    config = json.dumps({"limits": vars(options.limits), "custom_layers": layers}, sort_keys=True, default=str)
    return hashlib.sha256(f"{_code_fingerprint()}\n{config}".encode()).hexdigest()


@dataclass
class ResultCache:
    directory: Path
    environment: str  # ``environment_key`` of the run

    def key(self, content: bytes) -> str:
        return hashlib.sha256(self.environment.encode() + b"\0" + content).hexdigest()

    def _entry(self, key: str) -> str:
        return os.path.join(self.directory, f"v{FORMAT}", key[:2], f"{key}.json")

    def _run_entry(self, paths: list[str]) -> str:
        named = hashlib.sha256("\0".join([self.environment, *paths]).encode()).hexdigest()
        return os.path.join(self.directory, f"v{FORMAT}", "runs", f"{named}.json")

    def get(self, key: str, file: str) -> list[Diagnostic] | None:
        """The diagnostics stored under ``key`` (now about ``file``), or None."""
        entry = _read_json(self._entry(key))
        try:
            ours = entry["key"] == key
        except (KeyError, TypeError):  # not ours: a miss
            return None
        return _diagnostics(entry.get("diagnostics"), file) if ours else None

    def last_run(self, paths: list[str]) -> dict[str, list]:
        """The stored diagnostics (as ``put`` writes them) of each file key of the last run over ``paths``:
        a run over unchanged files then reads one entry instead of one per file."""
        entry = _read_json(self._run_entry(paths))
        try:
            return {key: raw for key, raw in zip(entry["keys"], entry["files"], strict=True)
                    if isinstance(key, str) and isinstance(raw, list)} if entry["paths"] == paths else {}
        except (ValueError, KeyError, TypeError):
            return {}

    def put(self, key: str, diagnostics: list[Diagnostic]) -> None:
        """Store; never raises for a problem with the cache directory."""
        self._write(self._entry(key), {"key": key, "diagnostics": _stored(diagnostics)})

    def put_run(self, paths: list[str], keys: list[str | None], results: list[CheckResult]) -> None:
        self._write(self._run_entry(paths), {"paths": paths, "keys": keys,
                                             "files": [_stored(r.diagnostics) for r in results]})

    def _write(self, path: str, entry: dict) -> None:
        import tempfile

        target = Path(path)
        key = target.stem
        tmp = None
        try:
            self._prepare(target.parent)
            fd, tmp = tempfile.mkstemp(prefix=f".{key[:16]}.", suffix=".tmp", dir=target.parent)
            with open(fd, "w", encoding="utf-8") as handle:
                json.dump(entry, handle, separators=(",", ":"))
            os.replace(tmp, target)
            tmp = None
        except OSError:  # read-only, full disk, removed under us: the check itself is unaffected
            pass
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def _prepare(self, folder: Path) -> None:
        if folder.is_dir():
            return
        if not self.directory.is_dir():
            self.directory.mkdir(parents=True, exist_ok=True)
            for name, text in (("CACHEDIR.TAG", _TAG), (".gitignore", "# Automatically created by graphmask.\n*\n")):
                with contextlib.suppress(FileExistsError):
                    with open(self.directory / name, "x", encoding="utf-8") as handle:
                        handle.write(text)
        folder.mkdir(parents=True, exist_ok=True)


def _read_json(path: str):
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError):  # absent or torn: a miss
        return None


def _stored(diagnostics: list[Diagnostic]) -> list[dict]:
    return [{k: v for k, v in d.to_dict().items() if k != "file"} for d in diagnostics]


def _diagnostics(stored, file: str) -> list[Diagnostic] | None:
    """The diagnostics ``_stored`` wrote, now about ``file``; None for anything else (a miss)."""
    try:
        return [Diagnostic(d["code"], d["message"], file=file, line=d["line"], column=d["column"], node=d["node"],
                           severity=d["severity"], hint=d["hint"], path=tuple(d["path"])) for d in stored]
    except (ValueError, KeyError, TypeError):
        return None


def read_key(cache: ResultCache, path: str, max_bytes: int) -> str | None:
    """The cache key of a regular file within the size limit; None for anything else
    (those are checked every time: checking them says why they are refused)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:  # plain os calls: no file object per file, a cached run reads thousands
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return cache.key(b"".join(chunks))
    except OSError:
        return None
    finally:
        os.close(fd)


def check_files_cached(paths: list[str], options, jobs: int | None, cache: ResultCache,
                       check_files) -> list[CheckResult]:
    """``check_files(paths, options, jobs)`` with hits answered from ``cache``.

    A miss is stored only if the file still has the bytes it was keyed by
    after the check (it may have been edited meanwhile), and never when it
    hit an internal error (GM000).
    """
    keys = [read_key(cache, p, options.limits.max_bytes) for p in paths]
    last = cache.last_run(paths) if len(paths) > 1 else {}
    results: list[CheckResult | None] = []
    for path, key in zip(paths, keys):
        hit = None
        if key is not None:
            hit = _diagnostics(last[key], path) if key in last else None
            hit = hit if hit is not None else cache.get(key, path)
        results.append(CheckResult(path, None, None, hit) if hit is not None else None)
    misses = [i for i, r in enumerate(results) if r is None]
    for i, result in zip(misses, check_files([paths[i] for i in misses], options, jobs)):
        results[i] = result
        key = keys[i]
        if key is not None and not any(d.code == codes.GM000 for d in result.diagnostics) \
                and read_key(cache, paths[i], options.limits.max_bytes) == key:
            cache.put(key, result.diagnostics)
        else:
            keys[i] = None  # not stored: not in the run's entry either
    if len(paths) > 1 and (misses or any(key is not None and key not in last for key in keys)):
        cache.put_run(paths, keys, results)  # type: ignore[arg-type]
    return results  # type: ignore[return-value]
