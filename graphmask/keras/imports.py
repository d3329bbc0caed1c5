"""Importing user code named in a spec, only from packages the user allowed.

A spec is data: checking it never imports anything. ``compile``/``run``
import a custom layer class or a Lambda function (``"pkg.mod:Name"``) only
when its module is one of, or inside one of, the packages given with
``--allow-import`` (API: ``allow_imports=``). No string is ever evaluated.
"""

from __future__ import annotations

import importlib
from typing import Iterable

from graphmask.spec.models import IMPORT_PATH as _PATH_RE




class ImportRefused(Exception):
    """The object may not be imported (not allowed, malformed, or missing)."""


def is_import_path(value: object) -> bool:
    return isinstance(value, str) and _PATH_RE.match(value) is not None


def is_allowed(module: str, allow: Iterable[str]) -> bool:
    """``pkg.sub.mod`` is allowed by ``pkg``, ``pkg.sub`` or ``pkg.sub.mod``."""
    return any(module == prefix or module.startswith(prefix + ".") for prefix in allow if prefix)


ALLOW_ADVICE = "pass `--allow-import {top}` (API: allow_imports=[{top!r}]) if you trust it"


def import_object(path: str, allow: Iterable[str], advice: str = ALLOW_ADVICE) -> object:
    """Import ``"pkg.mod:Name"`` if ``pkg.mod`` is on the allow-list.

    ``advice`` is what a refusal tells the user to do (``{top}`` is the top-level
    package): the commands that import say which flag; ``check --deep``, which
    never imports user code, says which command would.
    """
    match = _PATH_RE.match(path) if isinstance(path, str) else None
    if match is None:
        raise ImportRefused(f"{path!r} is not an import path of the form `package.module:Name`")
    module_name, name = match.group("module"), match.group("name")
    allow = tuple(allow)
    if not is_allowed(module_name, allow):
        allowed = ", ".join(allow) if allow else "nothing"
        top = module_name.split(".")[0]
        raise ImportRefused(
            f"will not import `{path}`: module `{module_name}` is not on the allow-list "
            f"(allowed: {allowed}); {advice.format(top=top)}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        missing = getattr(exc, "name", None)
        hint = ""
        if isinstance(exc, ModuleNotFoundError) and missing and module_name.startswith(missing.split(".")[0]):
            hint = (f"; Python looks for `{missing.split('.')[0]}` on sys.path: run from the directory that "
                    f"contains it, or add that directory to PYTHONPATH (PYTHONPATH=DIR graphmask ...)")
        raise ImportRefused(f"cannot import module `{module_name}` for `{path}`: {exc}{hint}") from exc
    try:
        return getattr(module, name)
    except AttributeError:
        raise ImportRefused(f"module `{module_name}` has no `{name}` (from `{path}`)") from None
