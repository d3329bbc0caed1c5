"""A saved model, checked where it lives: ``.keras`` / JSON -> ``LoadResult`` with positions in the config.

The spec data comes from ``convert_config``; ``ConfigSourceMap`` answers the
checker's "where is ``layers[3].args.units``?" with the line and column of
that layer's ``units`` in ``config.json``, so every report format points at
the saved model itself. What the converter could not express becomes a
located diagnostic; the rest of the model is checked as usual.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from graphmask import codes
from graphmask.convert.archive import read_model_text
from graphmask.convert.json_source import JsonPositions, parse_json
from graphmask.convert.model_config import ConvertError, ConvertResult, convert_config
from graphmask.diagnostics import Diagnostic
from graphmask.spec.loader import LoadResult, validate_data
from graphmask.spec.yaml_loader import Limits, Position, YamlLoadError

# Configs nest deeper than specs (model -> layers -> wrapper -> cell -> initializer ...); json.loads
# recurses in C, safely up to Python's recursion limit, so this stays far below it.
CONFIG_DEPTH = 200
_UNKNOWN = Position(0, 0)  # "the whole file"


class ConfigSourceMap:
    """The ``SourceMap`` interface over a converted config: spec paths -> config.json positions."""

    def __init__(self, file: str, positions: JsonPositions, spec: Mapping[str, Any], origins: Mapping[str, tuple]):
        self.file = file
        self._positions = positions
        self._spec = spec
        self._origins = origins

    def _config_path(self, path: tuple) -> tuple[tuple, bool]:
        """(the config path a spec path comes from, whether it maps to a key the config has)."""
        path = tuple(path)
        graph, scope = self._spec, ""
        if len(path) >= 4 and path[0] == "models" and isinstance(self._spec.get("models", {}).get(path[1]), Mapping):
            graph, scope, path = self._spec["models"][path[1]], f"{path[1]}/", path[2:]  # a sub-model's own paths
        if len(path) >= 2 and path[0] in ("layers", "inputs"):
            node = path[1]
            if path[0] == "layers":
                layers = graph.get("layers", [])
                node = layers[path[1]].get("id") if isinstance(path[1], int) and path[1] < len(layers) else None
            origin = self._origins.get(f"{scope}{node}")
            if origin is not None:
                if len(path) >= 4 and path[2] == "args":
                    return origin + ("config",) + path[3:], True
                return origin + ("name",) if (*origin, "name") in self._positions.values else origin, len(path) == 2
        return (), path == ()

    def value(self, path: tuple = ()) -> Position:
        config_path, _ = self._config_path(path)
        return self._nearest(config_path, self._positions.value)

    def key(self, path: tuple = ()) -> Position:
        config_path, _ = self._config_path(path)
        return self._nearest(config_path, self._positions.key)

    def _nearest(self, path: tuple, lookup) -> Position:
        while path:
            found = lookup(path)
            if found is not None:
                return found
            path = path[:-1]
        return self._positions.value(()) or _UNKNOWN

    def exists(self, path: tuple) -> bool:
        node: Any = self._spec
        for step in path:
            if isinstance(node, Mapping) and step in node:
                node = node[step]
            elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
                node = node[step]
            else:
                return False
        return True

    def scalar(self, path: tuple) -> str | None:
        return None  # JSON has no YAML reserved words to explain


def load_model_file(path: str | os.PathLike, limits: Limits = Limits()) -> LoadResult:
    """Read, convert and validate a saved model; never raises for bad input."""
    file = os.fspath(path)
    try:
        model = read_model_text(file, limits)
    except YamlLoadError as exc:
        return LoadResult(None, [_at(exc.position, codes.GM101, exc.message, file, hint=exc.hint)])
    return load_model_text(model.text, model.file, limits)


def load_model_text(text: str, file: str, limits: Limits = Limits(), *, positioned: bool = True,
                    **options: Any) -> LoadResult:
    """``load_model_file`` for config text; ``positioned=False`` for text no user wrote (a live model's
    ``to_json()``): diagnostics then name the layer only. ``options`` go to ``convert_config``."""
    try:
        data, positions = parse_json(text, _config_limits(limits))
    except YamlLoadError as exc:
        return LoadResult(None, [_at(exc.position, codes.GM101, exc.message, file, hint=exc.hint)])
    if not positioned:
        positions = JsonPositions({}, {})
    try:
        result = convert_config(data, **options)
    except ConvertError as exc:
        return LoadResult(None, [_at(positions.value(exc.where) or _UNKNOWN, codes.GM101, str(exc), file)])
    source = ConfigSourceMap(file, positions, result.spec, result.origins)
    loaded = validate_data(result.spec, source, limits)
    loaded.diagnostics[:0] = problem_diagnostics(result, positions, file)
    return loaded


def problem_diagnostics(result: ConvertResult, positions: JsonPositions, file: str) -> list[Diagnostic]:
    found = []
    for problem in result.problems:
        where = problem.where
        while where and positions.value(where) is None:
            where = where[:-1]
        found.append(_at(positions.value(where) or _UNKNOWN, codes.GM110, problem.message, file))
    return found


def _config_limits(limits: Limits) -> Limits:
    import dataclasses

    return dataclasses.replace(limits, max_depth=max(limits.max_depth, CONFIG_DEPTH))


def _at(position: Position, code, message: str, file: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, message, file=file, line=position.line, column=position.column, hint=hint)


def convert_file(path: str | os.PathLike, **options: Any) -> ConvertResult:
    """``convert_config`` of a saved model file (``import``'s conversion); options as for ``convert_config``.

    Raises ``YamlLoadError`` when the file is refused and ``ConvertError`` when it holds no model config.
    """
    model = read_model_text(path)
    data, _ = parse_json(model.text, _config_limits(Limits()))
    return convert_config(data, **options)
