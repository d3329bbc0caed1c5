"""``[tool.graphmask]`` in pyproject.toml: project-wide defaults for ``graphmask check``.

Discovery walks from the working directory upward and takes the first
pyproject.toml that has a ``[tool.graphmask]`` table; it stops at the
filesystem root or at a directory holding ``.git`` (a project's top).
Paths and exclude globs in the file are relative to the file's directory.
Precedence (docs/configuration.md): command-line flags > this file > defaults.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphmask.selection import SelectionError, parse_codes

CONFIG_FILE = "pyproject.toml"

# Keys are accepted in kebab-case or snake_case (`warnings-as-errors`, `custom_layers`).
_LIST_KEYS = ("paths", "include", "exclude", "select", "ignore")
_KNOWN_KEYS = (*_LIST_KEYS, "format", "strict", "warnings_as_errors", "custom_layers")


class ConfigError(ValueError):
    """An unreadable or invalid configuration (a usage error: exit 2)."""


@dataclass(frozen=True)
class Config:
    """Settings from one pyproject.toml; ``None`` means "not set there"."""

    path: Path | None = None
    paths: tuple[str, ...] | None = None
    include: tuple[str, ...] | None = None
    exclude: tuple[str, ...] | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    format: str | None = None
    strict: bool | None = None
    custom_layers: dict[str, Any] = field(default_factory=dict)  # name -> CustomLayerSpec

    @property
    def root(self) -> Path:
        """The directory relative paths in the file are resolved against."""
        return self.path.parent if self.path is not None else Path.cwd()

    def resolved_paths(self) -> list[str]:
        """``paths`` relative to the working directory where possible (for short output)."""
        result = []
        for p in self.paths or ():
            joined = p if os.path.isabs(p) else os.path.normpath(os.path.join(self.root, p))
            result.append(_relative_to_cwd(joined))
        return result


NO_CONFIG = Config()


def find_config(start: str | os.PathLike | None = None) -> Path | None:
    """The nearest pyproject.toml with a ``[tool.graphmask]`` table, or None."""
    directory = Path(start or Path.cwd()).resolve()
    for candidate_dir in (directory, *directory.parents):
        candidate = candidate_dir / CONFIG_FILE
        if candidate.is_file() and _has_table(candidate):
            return candidate
        if (candidate_dir / ".git").exists():
            return None
    return None


def load_config(path: str | os.PathLike) -> Config:
    """Read and validate ``[tool.graphmask]`` from a pyproject.toml (an empty Config if absent)."""
    path = Path(path)
    tool = _read_toml(path).get("tool", {})
    table = tool.get("graphmask", {}) if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: `tool.graphmask` must be a table")
    values: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        if key not in _KNOWN_KEYS:
            from graphmask.suggest import did_you_mean

            raise ConfigError(f"{path}: unknown key `{raw_key}` in [tool.graphmask]"
                              f"{did_you_mean(key, set(_KNOWN_KEYS))}")
        values[key] = _validated(path, raw_key, key, value)
    if "warnings_as_errors" in values:
        strict = values.pop("warnings_as_errors")
        if values.setdefault("strict", strict) != strict:
            raise ConfigError(f"{path}: `strict` and `warnings-as-errors` disagree (they are the same setting)")
    return Config(path=path, **values)


def discover_config(start: str | os.PathLike | None = None) -> Config:
    found = find_config(start)
    return load_config(found) if found is not None else NO_CONFIG


def _validated(path: Path, raw_key: str, key: str, value: Any) -> Any:
    where = f"{path}: [tool.graphmask] `{raw_key}`"
    if key in _LIST_KEYS:
        if key in ("select", "ignore") and isinstance(value, str):  # "GM2, GM108" as on the command line
            value = value.split(",")
        elif isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} must be a list of strings")
        if key in ("select", "ignore"):
            try:
                return parse_codes(value)
            except SelectionError as exc:
                raise ConfigError(f"{where}: {exc}") from None
        return tuple(value)
    if key in ("strict", "warnings_as_errors"):
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false")
        return value
    if key == "format":
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string")
        return value
    return _custom_layers(where, value)


def _custom_layers(where: str, value: Any) -> dict[str, Any]:
    """Validate shared declarations with the very type of a spec's ``custom_layers:``
    (layer names and ``CustomLayerSpec`` declarations), so both are checked alike."""
    from pydantic import TypeAdapter, ValidationError

    from graphmask.spec.models import Spec

    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table of layer name -> declaration")
    try:
        return dict(TypeAdapter(Spec.model_fields["custom_layers"].annotation).validate_python(value))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{where}: {problems}") from None


def _has_table(path: Path) -> bool:
    """Whether discovery stops at ``path``: it has ``tool.graphmask`` (a table or, to be reported, not),
    or it cannot be read as TOML at all, which is reported as with ``--config`` rather than skipped."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    # Cheap test first: most pyproject.toml files never mention graphmask.
    if b"graphmask" not in data and _is_utf8(data):
        return False
    tool = _read_toml(path).get("tool", {})
    return isinstance(tool, dict) and "graphmask" in tool


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read_toml(path: Path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        bom = " (it starts with a UTF-16 byte-order mark)" if exc.object[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise ConfigError(f"{path}: not UTF-8{bom}: TOML files must be UTF-8; re-save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _relative_to_cwd(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path


def excluded(path: str, globs: list[tuple[str, str]]) -> bool:
    """Whether ``path`` matches an exclude glob; each glob is relative to its own root.

    Like .gitignore: a glob matches any run of path components relative to its
    root (``legacy`` or ``legacy/*`` exclude a ``legacy`` directory at any depth,
    ``*.draft.yaml`` any such file); a glob starting with ``/`` is anchored at the
    root. ``*`` also matches ``/``.
    """
    absolute = os.path.abspath(path)
    for root, glob in globs:
        try:
            parts = os.path.relpath(absolute, root).replace(os.sep, "/").split("/")
        except ValueError:  # another drive on Windows
            parts = absolute.replace(os.sep, "/").split("/")
        anchored = glob.startswith("/")
        pattern = glob.lstrip("/")
        starts = [0] if anchored else range(len(parts))
        if any(fnmatch.fnmatch("/".join(parts[i:j]), pattern)
               for i in starts for j in range(i + 1, len(parts) + 1)):
            return True
    return False
