"""Partial static shape inference: the vocabulary of a catalog entry's ``shape``.

Keras keeps ``compute_output_shape`` beside ``call`` and ``compute_mask``;
our entries do the same with a named rule: ``{"rule": "rnn", "input_rank":
3}``.  This module interprets those names generically -- a new Keras layer
whose output shape follows a rule here needs a catalog entry, no code.

Shapes include the batch axis (always None). A rule that does not know
returns None: downstream checks then say nothing rather than guess.

Vocabulary (``ShapeRule``):

``rule`` (str | None)
    the name of a function in ``_RULES`` of (input shapes, args, wrapped
    layer, its args); None when graphmask does not model the layer's shape.
``input_rank`` (int | None)
    the rank, batch axis included, the first input must have (an RNN 3).
``rank_from_inner`` (bool)
    a wrapper whose wrapped layer's ``input_rank`` applies (Bidirectional).
``output`` (tuple | None)
    with rule ``declared``: the output shape without the batch axis, as a
    custom layer's declaration states it (``output_shape:``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

if TYPE_CHECKING:
    from graphmask.catalog import LayerInfo

Shape = Optional[tuple]  # (None, d1, d2, ...) with None for unknown dims


@dataclass(frozen=True)
class ShapeRule:
    rule: str | None = None
    input_rank: int | None = None
    rank_from_inner: bool = False
    output: tuple | None = None

    @classmethod
    def declared(cls, output_shape: list | None) -> "ShapeRule":
        """A custom layer's rule: its declared output shape, or unknown."""
        return cls() if output_shape is None else cls(rule="declared", output=tuple(output_shape))

    @classmethod
    def from_json(cls, d: Mapping[str, Any] | None) -> "ShapeRule":
        d = d or {}
        rule = d.get("rule")
        if rule is not None and rule not in _RULES and rule != "declared":
            raise ValueError(f"unknown shape rule {rule!r}")
        return cls(rule=rule, input_rank=d.get("input_rank"), rank_from_inner=bool(d.get("rank_from_inner")))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"rule": self.rule}
        if self.input_rank is not None:
            data["input_rank"] = self.input_rank
        if self.rank_from_inner:
            data["rank_from_inner"] = True
        return data

    def required_rank(self, inner: "LayerInfo | None") -> int | None:
        """The rank the first input must have (a wrapper's: its wrapped layer's), None if any."""
        if self.rank_from_inner:
            return inner.shape.input_rank if inner is not None else None
        return self.input_rank

    def output_shapes(self, in_shapes: list[Shape], args: Mapping[str, Any], inner: "LayerInfo | None" = None,
                      inner_args: Mapping[str, Any] | None = None, n_outputs: int = 1) -> list[Shape] | None:
        """Output shapes (one per output tensor), or None when unknown.

        Rules for multi-output layers return ``(main, extra)``: the first output
        (or a list of the first outputs) and the shape of every further one (RNN states).
        """
        if self.rule == "declared":
            return [(None,) + self.output] + [None] * (n_outputs - 1)
        if self.rule is None or not in_shapes or any(s is None for s in in_shapes):
            return None
        try:
            result = _RULES[self.rule](in_shapes, args, _Wrapped(inner, inner_args) if inner_args is not None else None)
        except (TypeError, ValueError, IndexError, ZeroDivisionError):
            return None
        if result is None:
            return None
        if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], (tuple, list)) and (
                result[1] is None or isinstance(result[1], tuple)):
            main, extra = result
            leading = main if isinstance(main, list) else [main]  # a list: several outputs before the states
            return leading + [extra] * (n_outputs - len(leading))
        return [result] + [None] * (n_outputs - 1)

    def merge_conflict(self, shapes: list[Shape], args: Mapping[str, Any]) -> str | None:
        """Why merged shapes cannot be combined, or None if they can (or unknown)."""
        return _merge_conflict(self.rule, shapes, args)


@dataclass(frozen=True)
class _Wrapped:
    """A wrapper's wrapped layer, as the rules see it: its entry (None if unknown) and effective args."""

    info: "LayerInfo | None"
    args: Mapping[str, Any]

    def get(self, name: str, default: Any = None) -> Any:
        return self.args.get(name, default)


def _units(args: Mapping, name: str) -> int | None:
    value = args.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _same(shapes, args, inner):
    return shapes[0]


def _dense(shapes, args, inner):
    return shapes[0][:-1] + (_units(args, "units"),)


def _embedding(shapes, args, inner):
    return shapes[0] + (_units(args, "output_dim"),)


def _rnn_output(shape: tuple, args: Mapping) -> tuple:
    units = _units(args, "units")
    return (shape[0], shape[1], units) if args.get("return_sequences") else (shape[0], units)


def _rnn(shapes, args, inner):
    # Extra outputs (return_state) are the states, each (batch, units).
    return _rnn_output(shapes[0], args), (shapes[0][0], _units(args, "units"))


def _bidirectional(shapes, args, inner):
    if inner is None:
        return None
    merge_mode = args.get("merge_mode", "concat")
    main = _rnn_output(shapes[0], inner)
    if merge_mode == "concat" and main[-1] is not None:
        main = main[:-1] + (main[-1] * 2,)
    state = (shapes[0][0], _units(inner, "units"))
    if merge_mode is None:
        return [main, main], state  # the forward and backward outputs, then the states
    return main, state


def _time_distributed(shapes, args, inner):
    if inner is None or inner.info is None or len(shapes[0]) < 3:
        return None
    rule = inner.info.shape.rule
    if rule not in ("dense", "same"):
        return None
    step = _RULES[rule]([(shapes[0][0],) + shapes[0][2:]], inner.args, None)
    return (shapes[0][0], shapes[0][1]) + step[1:]


def _seq_unknown_len(shapes, args, inner, channels_arg):
    shape = shapes[0]
    channels = _units(args, channels_arg) if channels_arg else shape[-1]
    return (shape[0],) + (None,) * (len(shape) - 2) + (channels,)


def _global_pool(shapes, args, inner):
    shape = shapes[0]
    if args.get("keepdims"):
        return (shape[0],) + (1,) * (len(shape) - 2) + (shape[-1],)
    return (shape[0], shape[-1])


def _flatten(shapes, args, inner):
    dims = shapes[0][1:]
    size = math.prod(dims) if all(isinstance(d, int) for d in dims) else None
    return (shapes[0][0], size)


def _reshape(shapes, args, inner):
    target = args.get("target_shape")
    if not isinstance(target, (list, tuple)):
        return None
    return (shapes[0][0],) + tuple(d if isinstance(d, int) and d > 0 else None for d in target)


def _repeat_vector(shapes, args, inner):
    return (shapes[0][0], _units(args, "n"), shapes[0][-1])


def _elementwise(shapes, args, inner):
    return max(shapes, key=len)


def _concatenate(shapes, args, inner):
    axis = args.get("axis", -1)
    if not isinstance(axis, int) or len({len(s) for s in shapes}) != 1:
        return None
    rank = len(shapes[0])
    axis = axis % rank
    dims = [s[axis] for s in shapes]
    total = sum(dims) if all(isinstance(d, int) for d in dims) else None
    return shapes[0][:axis] + (total,) + shapes[0][axis + 1:]


def _dot(shapes, args, inner):
    # Dot.compute_output_shape: both shapes without their dot axis, the second without its batch axis too.
    first, second = list(shapes[0]), list(shapes[1])
    axes = args.get("axes", -1)
    if isinstance(axes, int):
        axes = [axes % len(first), axes % len(second)] if axes < 0 else [axes, axes]
    if not (isinstance(axes, (list, tuple)) and len(axes) == 2 and all(isinstance(a, int) for a in axes)):
        return None
    first.pop(axes[0])
    second.pop(axes[1])
    out = tuple(first + second[1:])
    return out + (1,) if len(out) == 1 else out


def _attention(shapes, args, inner):
    # Extra output (return_attention_scores): scores (batch, T_query, T_value).
    query = shapes[0]
    value = shapes[1] if len(shapes) > 1 else query
    return query[:-1] + (value[-1],), (query[0], query[1], value[1])


def _mha(shapes, args, inner):
    # Extra output (return_attention_scores): scores (batch, heads, T_query, T_value)
    # for the default attention_axes. Inputs are in call order: query, value, key.
    query = shapes[0]
    value = shapes[1] if len(shapes) > 1 else query
    output_shape = args.get("output_shape")
    if isinstance(output_shape, int):
        main = query[:-1] + (output_shape,)
    else:
        main = query if output_shape is None else None
    heads = _units(args, "num_heads")
    scores = (query[0], heads, query[1], value[1]) if args.get("attention_axes") is None and len(query) == 3 \
        and len(value) == 3 else None
    if main is None:
        return None
    return main, scores


_RULES: dict[str, Callable[..., Any]] = {
    "same": _same, "dense": _dense, "embedding": _embedding, "rnn": _rnn,
    "bidirectional": _bidirectional, "time_distributed": _time_distributed,
    "conv1d": lambda s, a, i: _seq_unknown_len(s, a, i, "filters"),
    "conv2d": lambda s, a, i: _seq_unknown_len(s, a, i, "filters"),
    "conv3d": lambda s, a, i: _seq_unknown_len(s, a, i, "filters"),
    "pool1d": lambda s, a, i: _seq_unknown_len(s, a, i, None),
    "pool2d": lambda s, a, i: _seq_unknown_len(s, a, i, None),
    "pool3d": lambda s, a, i: _seq_unknown_len(s, a, i, None),
    "global_pool1d": _global_pool, "global_pool2d": _global_pool, "global_pool3d": _global_pool,
    "flatten": _flatten, "reshape": _reshape, "repeat_vector": _repeat_vector,
    "elementwise": _elementwise, "concatenate": _concatenate, "attention": _attention, "mha": _mha, "dot": _dot,
}


def _merge_conflict(rule: str | None, shapes: list[Shape], args: Mapping[str, Any]) -> str | None:
    known = [s for s in shapes if s is not None]
    if rule not in ("elementwise", "concatenate") or len(known) < 2:
        return None
    if len({len(s) for s in known}) > 1 and rule == "concatenate":
        return "ranks differ: " + ", ".join(format_shape(s) for s in known)
    if rule == "concatenate":
        axis = args.get("axis", -1)
        if not isinstance(axis, int):
            return None
        axis %= len(known[0])
        for i in range(1, len(known[0])):
            dims = {s[i] for s in known if s[i] is not None}
            if i != axis and len(dims) > 1:
                return f"shapes {', '.join(format_shape(s) for s in known)} differ outside the concatenation axis {axis}"
        return None
    width = max(len(s) for s in known)
    padded = [(None,) * (width - len(s)) + s[1:] if len(s) < width else s[1:] for s in known]
    for dims in zip(*padded):
        sizes = {d for d in dims if d is not None and d != 1}
        if len(sizes) > 1:
            return f"shapes {', '.join(format_shape(s) for s in known)} cannot be combined element-wise"
    return None


def format_shape(shape: tuple) -> str:
    """``(None, 5, 8)``, as Keras prints shapes."""
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"
