"""Text -> validated ``Spec``, with every problem as a located ``Diagnostic``."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from graphmask import codes
from graphmask.diagnostics import Diagnostic, Severity
from graphmask.errors import SpecError
from graphmask.spec.models import (
    CODE_PATTERN,
    ID_PATTERN,
    REF_PATTERN,
    CustomLayerSpec,
    InputSpec,
    LayerSpec,
    EarlyStoppingSpec,
    MaskDeclaration,
    ObjectSpec,
    SubModelSpec,
    Spec,
    TrainingSpec,
    known_fields,
)
from graphmask.spec.yaml_loader import (
    Limits,
    Position,
    SourceMap,
    YamlLoadError,
    graph_size_error,
    limit_hint,
    parse_yaml,
)
from graphmask.suggest import did_you_mean


@dataclass
class LoadResult:
    """A spec (possibly partial: invalid layers removed) and what was wrong."""

    spec: Spec | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    source: SourceMap | None = None


def read_text(path: str | os.PathLike, limits: Limits = Limits()) -> str:
    """Read a spec file as UTF-8 (a BOM is allowed); ``YamlLoadError`` otherwise."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise YamlLoadError("is a directory, not a spec file")
    try:
        # Non-blocking open, then fstat: a FIFO or device named `x.yaml` must be
        # refused, not read (reading a FIFO with no writer waits forever).
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with open(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise YamlLoadError("not a regular file (a FIFO, socket or device?)")
            if info.st_size > limits.max_bytes:
                raise YamlLoadError(f"file is {info.st_size} bytes, over the limit of {limits.max_bytes} bytes",
                                    hint=limit_hint("--max-bytes"))
            raw = handle.read(limits.max_bytes + 1)
    except OSError as exc:
        raise YamlLoadError(f"cannot read file: {exc.strerror or exc}") from None
    if len(raw) > limits.max_bytes:  # it grew after the size check
        raise YamlLoadError(f"file is over the limit of {limits.max_bytes} bytes", hint=limit_hint("--max-bytes"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlLoadError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); specs must be UTF-8",
            Position(line, column),
        ) from None
    if "\x00" in text:
        raise YamlLoadError("file contains NUL bytes; is it binary?")
    return text


def load_text(text: str, file: str = "<string>", limits: Limits = Limits(),
              earlier: SourceMap | None = None) -> LoadResult:
    """Parse and validate spec text. Never raises for bad input.  ``earlier``: see ``parse_yaml``."""
    try:
        data, source = parse_yaml(text, file, limits, earlier)
    except YamlLoadError as exc:
        return LoadResult(None, [_at(exc.position, codes.GM101, exc.message, file, hint=exc.hint)])
    return validate_data(data, source, limits)


def load_file(path: str | os.PathLike, limits: Limits = Limits()) -> LoadResult:
    file = os.fspath(path)
    if file.endswith((".keras", ".json")):  # a saved Keras model, converted in memory (graphmask.convert)
        from graphmask.convert.load import load_model_file

        return load_model_file(file, limits)
    try:
        text = read_text(file, limits)
    except YamlLoadError as exc:
        return LoadResult(None, [_at(exc.position, codes.GM101, exc.message, file, hint=exc.hint)])
    return load_text(text, file, limits)


def load(path: str | os.PathLike) -> Spec:
    """Load and validate a spec file; raise ``SpecError`` if it is not valid."""
    return _spec_or_error(load_file(path))


def loads(text: str, file: str = "<string>") -> Spec:
    """Like ``load`` for spec text."""
    return _spec_or_error(load_text(text, file))


def _spec_or_error(result: LoadResult) -> Spec:
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    if result.spec is None or errors:
        raise SpecError(errors or result.diagnostics)
    return result.spec


def validate_data(data: Any, source: SourceMap, limits: Limits = Limits()) -> LoadResult:
    file = source.file
    if data is None:
        return LoadResult(None, [_at(Position(1, 1), codes.GM102, "empty spec: expected a mapping with "
                                     "`graphmask`, `name`, `inputs`, `layers` and `outputs`", file)], source)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        return LoadResult(None, [_at(source.value(()), codes.GM102, f"the top level of a spec must be a mapping, not {kind}", file)], source)
    too_big = _graph_size_problem(data, source, limits)
    if too_big is not None:
        return LoadResult(None, [too_big], source)
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        diagnostics = _pydantic_diagnostics(exc, data, source)
        spec = _partial_spec(data, exc)
    else:
        diagnostics = []
    if spec is not None:
        spec._source = source
    return LoadResult(spec, diagnostics, source)


def _graph_size_problem(data: dict, source: SourceMap, limits: Limits) -> Diagnostic | None:
    """Refuse graphs past the node limit before validating them. ``parse_yaml``
    already refused most while streaming; this catches lists reached through an
    alias, which the stream cannot count."""
    inputs, layers = data.get("inputs"), data.get("layers")
    count = (len(inputs) if isinstance(inputs, dict) else 0) + (len(layers) if isinstance(layers, list) else 0)
    if count <= limits.max_graph_nodes:
        return None
    error = graph_size_error(limits, source.key(("layers",)))
    return _at(error.position, codes.GM101, error.message, source.file, hint=error.hint)


def _partial_spec(data: dict, exc: ValidationError) -> Spec | None:
    """Keep checking the rest of the graph when only some layers are invalid."""
    bad_layers = set()
    bad_training = False
    for error in exc.errors():
        loc = error["loc"]
        if len(loc) >= 2 and loc[0] == "layers" and isinstance(loc[1], int):
            bad_layers.add(loc[1])
        elif loc[:1] == ("training",):
            bad_training = True
        else:
            return None
    if bad_training:  # reported; the graph is still worth checking
        data = {key: value for key, value in data.items() if key != "training"}
    layers = data.get("layers")
    kept = [i for i in range(len(layers)) if i not in bad_layers]
    good = [layers[i] for i in kept]
    if not good:
        return None
    try:
        spec = Spec.model_validate({**data, "layers": good})
    except ValidationError:
        return None
    spec._layer_lines = tuple(kept)
    spec._invalid_ids = frozenset(
        layers[i]["id"] for i in bad_layers if isinstance(layers[i], dict) and isinstance(layers[i].get("id"), str)
    )
    return spec


def _split_loc(data: Any, loc: tuple) -> tuple[tuple, tuple, tuple]:
    """Read a pydantic ``loc`` against the data.

    Returns (path of real keys/indices, remaining steps, unions) where unions
    lists ``(path where a union starts, branch tag)`` for each union-branch
    tag pydantic inserted (``"str"``, ``"list[...]"``). Remaining steps are a
    missing field's name or ``"[key]"``.
    """
    node, path, unions = data, [], []
    for i, step in enumerate(loc):
        if isinstance(node, dict) and step in node:
            node = node[step]
            path.append(step)
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
            path.append(step)
        elif isinstance(step, str) and step != "[key]" and ("[" in step or step in _UNION_TAGS or step in _MODEL_TAGS):
            unions.append((tuple(path), step))
        else:
            return tuple(path), tuple(loc[i:]), tuple(unions)
    return tuple(path), (), tuple(unions)


_UNION_TAGS = {"str", "constrained-str", "int", "float", "bool", "none"}
# Branch tags of the discriminated unions of ``training:`` (``loss: name | {type, args} | per-output mapping``).
_MODEL_TAGS = {"<name>": "str", "<object>": "dict", "<per-output>": "dict"}  # never a field name or id


def _kind_of_branch(tag: str) -> str:
    if tag.startswith("list"):
        return "list"
    if tag.startswith("dict"):
        return "dict"
    if tag in _MODEL_TAGS:
        return _MODEL_TAGS[tag]
    return "str" if "str" in tag else tag


def _kind_of_value(value: Any) -> str:
    return {str: "str", list: "list", dict: "dict"}.get(type(value), type(value).__name__)


_KIND_WORDS = {"str": "a string", "list": "a list", "dict": "a mapping"}


def _model_at(path: tuple) -> type[BaseModel] | None:
    if path[:1] == ("training",):
        return _training_model_at(path[1:])
    shapes: dict[tuple, type[BaseModel]] = {
        (): Spec,
        ("layers", int): LayerSpec,
        ("inputs", str): InputSpec,
        ("custom_layers", str): CustomLayerSpec,
        ("custom_layers", str, "mask"): MaskDeclaration,
        ("models", str): SubModelSpec,
        ("models", str, "layers", int): LayerSpec,
        ("models", str, "inputs", str): InputSpec,
    }
    shape = tuple(step if isinstance(step, str) and i in (0, 2) else type(step) for i, step in enumerate(path))
    return shapes.get(shape)


def _training_model_at(path: tuple) -> type[BaseModel] | None:
    """The model at a path under ``training:`` (names, lists and per-output mappings of {type, args})."""
    if not path:
        return TrainingSpec
    if path == ("early_stopping",):
        return EarlyStoppingSpec
    if path[0] in ("optimizer", "loss", "metrics"):
        return ObjectSpec
    return None


def _pydantic_diagnostics(exc: ValidationError, data: Any, source: SourceMap) -> list[Diagnostic]:
    # A union (e.g. `inputs`: ref | list | mapping) fails once per branch;
    # report only errors from branches that match what the user wrote, and
    # one summary error for a union none of whose branches fit.
    kept: list[tuple[tuple, tuple, dict]] = []
    unfit: dict[tuple, set[str]] = {}
    fitted: set[tuple] = set()  # unions where some branch matched the value
    for error in exc.errors(include_url=False):
        path, rest, unions = _split_loc(data, tuple(error["loc"]))
        if error["type"] == "missing" and not rest:
            path, rest = path[:-1], path[-1:]
        mismatched = [(root, tag) for root, tag in unions
                      if _kind_of_branch(tag) != _kind_of_value(_get(data, root))]
        fitted.update(root for root, tag in unions if (root, tag) not in mismatched)
        if not mismatched:
            kept.append((path, rest, error))
        else:
            root, _ = mismatched[0]
            unfit.setdefault(root, set()).update(_kind_of_branch(t) for r, t in unions if r == root)
    for root, kinds in unfit.items():
        if root in fitted:
            continue
        words = sorted(_KIND_WORDS.get(k, k) for k in kinds)
        value = _get(data, root)
        kept.append((root, (), {"type": "union", "msg": f"expected {' or '.join(words)}, got {value!r}"}))
    return [_one_error(path, rest, error, _get(data, path), source, _node_id(data, path))
            for path, rest, error in kept]


def _one_error(path: tuple, rest: tuple, error: dict, value: Any, source: SourceMap, node: str | None) -> Diagnostic:
    kind = error["type"]
    where = ".".join(str(p) for p in path) or "spec"
    if kind == "missing":
        name = rest[-1] if rest else "?"
        return _at(source.key(path), codes.GM102, f"`{where}`: missing required field `{name}`", source.file, node)
    if kind == "extra_forbidden":
        model = _model_at(path[:-1])
        hint = did_you_mean(path[-1], known_fields(model)) if model else ""
        return _at(source.key(path), codes.GM102, f"`{'.'.join(map(str, path[:-1])) or 'spec'}`: unknown field `{path[-1]}`{hint}", source.file, node)
    message = error["msg"].removeprefix("Value error, ")
    if rest and rest[-1] == "[key]":
        value = path[-1]
    if kind == "literal_error" and path == ("graphmask",):
        message = f"unsupported format version {value!r}; this graphmask reads version 1"
    elif kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        if pattern == REF_PATTERN:
            message = f"{value!r} is not a valid reference (expected `id` or `id[k]`)"
        elif pattern == ID_PATTERN:
            message = f"{value!r} is not a valid id (letters, digits and `_`, not starting with a digit)"
        elif pattern == CODE_PATTERN:
            message = f"{value!r} is not a diagnostic code like `GM201`"
    elif kind == "string_type" and (value is None or isinstance(value, bool)) and source.scalar(path):
        # YAML's own reserved words (yes/no/on/off/true/false/null/~) are the
        # names that really collide: YAML turns them into booleans or null.
        raw = source.scalar(path)
        meaning = "null" if value is None else str(value).lower()
        message = f"YAML reads the unquoted `{raw}` as {meaning}, not a name; quote it: \"{raw}\""
    is_key = bool(rest) and rest[-1] == "[key]"
    position = source.key(path) if is_key else source.value(path)
    return _at(position, codes.GM102, f"`{where}`: {message}", source.file, node)


def _get(data: Any, path: tuple) -> Any:
    for step in path:
        data = data[step]
    return data


def _node_id(data: Any, path: tuple) -> str | None:
    """The input or layer a schema error is about (its id as written, if it is a string)."""
    if len(path) >= 2 and path[0] == "layers" and isinstance(path[1], int):
        node_id = data["layers"][path[1]].get("id") if isinstance(data["layers"][path[1]], dict) else None
        return node_id if isinstance(node_id, str) else None
    if len(path) >= 2 and path[0] == "inputs":
        return str(path[1])
    return None


def _at(position: Position, code: str, message: str, file: str, node: str | None = None,
        hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, message, file=file, line=position.line, column=position.column, node=node, hint=hint)
