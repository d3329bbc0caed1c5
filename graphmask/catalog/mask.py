"""The mask vocabulary of the catalog, and resolving a layer's rule for concrete arguments.

Mask vocabulary
===============

A layer's mask behaviour is a :class:`MaskRule`:

``meaningful`` (bool)
    False for layers where Keras masks make no sense (image, preprocessing,
    2-D/3-D conv/pooling...).  They still have an entry and the other fields
    are still what Keras does.
``supports_masking`` (bool)
    Value of ``layer.supports_masking`` with the layer's default arguments
    (overrides make it arg-dependent, e.g. Embedding: ``mask_zero``).
    When False and the *first positional argument* of the call (or an
    explicit ``mask=`` kwarg) carries a mask, Keras warns "... does not
    support masking and will therefore destroy the mask information" and the
    output gets no mask.
``consumes`` (bool)
    The layer actually reads the mask in its computation (RNNs skip masked
    steps, attention masks keys/queries, GlobalAveragePooling1D averages only
    valid steps, Softmax/BatchNormalization use it...).
``output`` (str) -- kind of the output mask, one of :data:`OUTPUT_KINDS`:

    ``none``       no mask on the output.
    ``same``       the incoming mask of the first positional input, unchanged.
    ``generated``  a new mask computed from the input *values* (Embedding with
                   mask_zero: ``ids != 0``; Masking: ``any(x != mask_value,
                   axis=-1)``).  The incoming mask is ignored.
    ``merge_or``   list input; if *every* input is masked, the element-wise OR
                   of the masks; if any input is unmasked, no mask.
                   (Add/Subtract/Multiply/Average/Maximum/Minimum.)
    ``concat``     Concatenate: no mask if all inputs unmasked; otherwise each
                   unmasked input counts as all-valid, masks are broadcast to
                   the inputs' shapes, concatenated along ``axis`` and reduced
                   with ``any(axis=-1)``.  Along the time axis this is the
                   concatenation of the time masks; along the feature axis
                   (default ``axis=-1``) it is the OR of the masks, where an
                   unmasked input makes the result all-True.
    ``query``      attention: the mask of the query (first) input.
    ``custom``     computed by user code (Lambda ``mask=``, custom layers):
                   present but not statically known.
    ``inner``      whatever mask the wrapped layer's own call() leaves on its
                   output (SpectralNormalization: runtime only).
    ``attention_scores``  runtime mask on the attention-scores output of
                   MultiHeadAttention/GroupQueryAttention: the combined
                   attention mask (query & value/key masks & causal) with a
                   head axis, shape (batch, 1, T_q, T_v) (or (batch, 1, 1,
                   T_v) when only value is masked).  Never on the symbolic
                   KerasTensor.

``n_outputs`` (int) and ``output_masks`` (list[str] | None)
    Number of output tensors and the kind of each one.  When
    ``output_masks`` is None, output 0 has kind ``output`` and the others
    ``none``.
``symbolic_output_masks`` (list[str] | None)
    ``output``/``output_masks`` describe the masks the tensors carry when the
    model *runs* (what downstream layers actually receive).  Where the
    symbolic functional-API graph (``KerasTensor._keras_mask``, and thus
    build-time warnings) differs, this lists the symbolic kinds per output
    (ReversibleEmbedding, SpectralNormalization, attention scores).
``overrides``
    Ordered list of ``{"when": {...}, "when_call": {...}, <fields>}``.  Each
    entry whose conditions all match replaces the given fields (later entries
    win).  ``when`` is matched against the effective constructor args (user
    args merged over defaults); a key ``"layer.<arg>"`` refers to the wrapped
    layer's args (Bidirectional), supplied via ``mask_for(inner_args=...)``.
    ``when_call`` is matched against the call kwargs (merged over the call
    defaults, e.g. ``use_causal_mask``, ``return_attention_scores``).
    Condition values: a bool matches by truthiness (Keras tests
    ``if self.return_sequences``); ``{"in": [...]}`` membership;
    ``{"not": v}`` negation; anything else equality.
    Besides the MaskRule fields an override may set ``n_states_from_inner``
    (Bidirectional with return_state: add ``2 * inner n_states`` outputs).
``n_states`` (int)
    Number of state tensors of an RNN (LSTM 2, GRU/SimpleRNN 1); used for
    ``return_state``.
``mask_constraint`` (str | None)
    A condition the incoming mask must satisfy or the layer raises *when the
    model runs* (the symbolic graph still builds):
    ``broadcastable`` -- mask must broadcast to the input, right-aligned
    (Softmax: a (batch, time) mask on a (batch, time, features) input fails);
    ``rank_minus_one`` -- mask rank must be input rank - 1
    (BatchNormalization).
``wraps`` (str | None)
    Constructor arg holding a wrapped layer (TimeDistributed/Bidirectional).
``facts`` (mapping)
    Evidence and run-time facts: ``supports_masking_instance``,
    ``compute_mask_overridden``, ``call_has_mask_arg``,
    ``mask_changes_values_observed``, ``observed_quirks``, ``generator``
    (Embedding/Masking), and from ``build/curated.RUNTIME_FACTS``:
    ``clears_input_masks`` (call params whose tensors' masks the call
    removes: MultiHeadAttention), ``returns_input`` (returns its input
    tensor object: True or a ``when``-style condition), ``mask_ops``
    (number of Keras ops compute_mask adds to the functional graph).
``source``
    ``"experiment"`` (behaviour observed by calling real Keras in
    ``generate``), ``"static"`` (from the class: supports_masking of an
    instance, compute_mask overridden, call() has a mask arg) or
    ``"curated"`` (hand rule in ``build/curated.py``, cross-checked where
    possible).

``from_declaration`` builds a MaskRule from the user-facing custom-layer
declaration ``{supports_masking, consumes, output: same|none|generated|custom,
outputs}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

OUTPUT_KINDS: tuple[str, ...] = (
    "none",
    "same",
    "generated",
    "merge_or",
    "concat",
    "query",
    "custom",
    "inner",
    "attention_scores",
)

DECLARATION_OUTPUT_KINDS: tuple[str, ...] = ("same", "none", "generated", "custom")

_MISSING = object()


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def matches(expected: Any, actual: Any) -> bool:
    """Match one condition value (see module docstring)."""
    if isinstance(expected, bool):
        try:
            return bool(actual) == expected
        except Exception:  # pragma: no cover - weird user values
            return False
    if isinstance(expected, Mapping):
        if "in" in expected:
            return any(_eq(actual, v) for v in expected["in"])
        if "not" in expected:
            return not matches(expected["not"], actual)
    return _eq(actual, expected)


def holds(condition: Any, args: Mapping[str, Any]) -> bool:
    """A fact's condition on a layer's args: ``True``, or a mapping arg -> expected value (``matches``)."""
    if condition is True:
        return True
    return hasattr(condition, "items") and all(matches(v, args.get(k)) for k, v in condition.items())


def _eq(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_eq(x, y) for x, y in zip(a, b))
    return a == b


@dataclass(frozen=True)
class ResolvedMask:
    """Mask behaviour of one layer call with concrete args."""

    meaningful: bool
    supports_masking: bool
    consumes: bool
    output: str
    n_outputs: int
    output_masks: tuple[str, ...]  # kind per output tensor (runtime), len == n_outputs
    symbolic_output_masks: tuple[str, ...] = ()  # kinds on the symbolic KerasTensors
    source: str = "static"
    mask_constraint: str | None = None

    @property
    def warns_on_masked_input(self) -> bool:
        """True if a masked first input triggers Keras' 'destroy the mask' warning."""
        return not self.supports_masking


_RULE_FIELDS = (
    "meaningful",
    "supports_masking",
    "consumes",
    "output",
    "n_outputs",
    "output_masks",
    "symbolic_output_masks",
    "mask_constraint",
)


@dataclass(frozen=True)
class MaskRule:
    meaningful: bool = True
    supports_masking: bool = False
    consumes: bool = False
    output: str = "none"
    n_outputs: int = 1
    output_masks: tuple[str, ...] | None = None
    symbolic_output_masks: tuple[str, ...] | None = None
    overrides: tuple[Mapping[str, Any], ...] = ()
    n_states: int = 0
    wraps: str | None = None
    mask_constraint: str | None = None
    source: str = "static"
    notes: str = ""
    facts: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    # ------------------------------------------------------------------ build
    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "MaskRule":
        om = d.get("output_masks")
        return cls(
            meaningful=bool(d.get("meaningful", True)),
            supports_masking=bool(d.get("supports_masking", False)),
            consumes=bool(d.get("consumes", False)),
            output=str(d.get("output", "none")),
            n_outputs=int(d.get("n_outputs", 1)),
            output_masks=None if om is None else tuple(om),
            symbolic_output_masks=(
                None if d.get("symbolic_output_masks") is None else tuple(d["symbolic_output_masks"])
            ),
            overrides=tuple(_freeze(dict(o)) for o in d.get("overrides", ())),
            n_states=int(d.get("n_states", 0)),
            wraps=d.get("wraps"),
            mask_constraint=d.get("mask_constraint"),
            source=str(d.get("source", "static")),
            notes=str(d.get("notes", "")),
            facts=_freeze(dict(d.get("facts", {}))),
        )

    @classmethod
    def from_declaration(cls, d: Mapping[str, Any]) -> "MaskRule":
        """Build from a spec ``custom_layers.<Name>.mask`` declaration.

        Keys (all optional):

        ``supports_masking`` (bool)
            Default (key absent or None): True if ``output`` is
            same/generated/custom (in Keras 3, overriding ``compute_mask``
            makes ``supports_masking`` True automatically, and ``same`` needs
            ``supports_masking = True``), else False -- a plain
            ``keras.layers.Layer`` subclass drops an incoming mask with the
            warning.  An explicit False with another output kind means Keras
            never computes the output mask (output kinds only apply when
            supports_masking is True).
        ``consumes`` (bool, default False)
            call() reads ``mask`` (Keras passes it whenever call() has a
            ``mask`` parameter, even if supports_masking is False).
        ``output`` (same|none|generated|custom)
            Default ``same`` if supports_masking else ``none``.
        ``reads_input_masks`` (bool, default False)
            call(), or a layer inside it, reads the masks on its input tensors
            itself (a sublayer such as MultiHeadAttention picks them up), so it
            handles padding also when Keras hands it no ``mask=``.
        ``keeps_right_padding`` (list of bool, one per output)
            whether the mask ``compute_mask`` derives (``output: custom``) from
            a right-padded mask is one cuDNN accepts: right-padded, with no
            sequence fully masked (GM402 follows it).
        ``outputs`` (int >= 1, default 1)
            Number of output tensors; with several outputs every output gets
            the ``output`` kind (compute_mask returns one mask per output).

        Examples (the Keras masking guide's layers)::

            TemporalSplit   {"output": "custom", "outputs": 2}
            CustomEmbedding {"output": "generated"}
            MyActivation    {"supports_masking": True}            # output same
            TemporalSoftmax {"consumes": True}   # as written in the guide: no
                            # supports_masking, so Keras warns and drops the mask
        """
        if not isinstance(d, Mapping):
            raise TypeError(f"mask declaration must be a mapping, got {type(d).__name__}")
        unknown = set(d) - {"supports_masking", "consumes", "output", "outputs", "reads_input_masks",
                            "keeps_right_padding"}
        if unknown:
            raise ValueError(f"unknown mask declaration keys: {sorted(unknown)}")
        output = d.get("output")
        if output is not None and output not in DECLARATION_OUTPUT_KINDS:
            raise ValueError(
                f"mask.output must be one of {list(DECLARATION_OUTPUT_KINDS)}, got {output!r}"
            )
        sm = d.get("supports_masking")
        if sm is None:
            sm = output in ("same", "generated", "custom")
        if not isinstance(sm, bool):
            raise ValueError("mask.supports_masking must be a bool")
        if output is None:
            output = "same" if sm else "none"
        # supports_masking False with an output kind other than none: Keras
        # never calls compute_mask then (it warns and drops the mask); the
        # declared kind is kept but, like every rule, only applies when
        # supports_masking is True.
        consumes = d.get("consumes", False)
        if not isinstance(consumes, bool):
            raise ValueError("mask.consumes must be a bool")
        n = d.get("outputs", 1)
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError("mask.outputs must be an int >= 1")
        return cls(
            meaningful=True,
            supports_masking=sm,
            consumes=consumes,
            output=output,
            n_outputs=n,
            output_masks=tuple([output] * n) if n > 1 else None,
            source="declared",
            facts=MappingProxyType({key: d[key] for key in ("reads_input_masks", "keeps_right_padding")
                                    if d.get(key) not in (None, False)}),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "meaningful": self.meaningful,
            "supports_masking": self.supports_masking,
            "consumes": self.consumes,
            "output": self.output,
            "n_outputs": self.n_outputs,
            "output_masks": None if self.output_masks is None else list(self.output_masks),
            "symbolic_output_masks": (
                None if self.symbolic_output_masks is None else list(self.symbolic_output_masks)
            ),
            "overrides": [_thaw(o) for o in self.overrides],
            "n_states": self.n_states,
            "wraps": self.wraps,
            "mask_constraint": self.mask_constraint,
            "source": self.source,
            "notes": self.notes,
            "facts": _thaw(self.facts),
        }

    # ---------------------------------------------------------------- resolve
    def resolve(
        self,
        args: Mapping[str, Any] | None = None,
        call_kwargs: Mapping[str, Any] | None = None,
        inner_args: Mapping[str, Any] | None = None,
        inner: "ResolvedMask | MaskRule | None" = None,
    ) -> ResolvedMask:
        """Apply overrides.

        ``args``: effective constructor args (defaults already merged in, see
        :meth:`LayerInfo.mask_for`).  ``call_kwargs``: effective call kwargs.
        ``inner_args``: the wrapped layer's effective args (for ``layer.X``
        conditions).  ``inner``: the wrapped layer's rule (n_states).
        """
        args = args or {}
        call_kwargs = call_kwargs or {}
        inner_args = inner_args or {}
        vals: dict[str, Any] = {f: getattr(self, f) for f in _RULE_FIELDS}
        extra_states = 0
        for ov in self.overrides:
            if not _cond_ok(ov.get("when"), args, inner_args):
                continue
            if not _cond_ok(ov.get("when_call"), call_kwargs, {}):
                continue
            for k, v in ov.items():
                if k in ("when", "when_call", "comment"):
                    continue
                if k == "n_states_from_inner":
                    extra_states = int(v)
                    continue
                vals[k] = tuple(v) if isinstance(v, (list, tuple)) else v
        n = int(vals["n_outputs"])
        om = vals["output_masks"]
        sym = vals["symbolic_output_masks"]
        if extra_states:
            inner_states = 0
            if isinstance(inner, MaskRule):
                inner_states = inner.n_states
            elif isinstance(inner, ResolvedMask):
                inner_states = max(0, inner.n_outputs - 1)
            n += extra_states * inner_states
        om = _fit(om, vals["output"], n)
        sym = om if sym is None else _fit(sym, "none", n)
        return ResolvedMask(
            meaningful=bool(vals["meaningful"]),
            supports_masking=bool(vals["supports_masking"]),
            consumes=bool(vals["consumes"]),
            output=str(vals["output"]),
            n_outputs=n,
            output_masks=om,
            symbolic_output_masks=sym,
            source=self.source,
            mask_constraint=vals["mask_constraint"],
        )


def _fit(kinds: Any, first: str, n: int) -> tuple[str, ...]:
    if kinds is None:
        return (first,) + ("none",) * (n - 1)
    kinds = tuple(kinds)
    if len(kinds) < n:
        kinds = kinds + ("none",) * (n - len(kinds))
    return kinds[:n]


def _cond_ok(
    cond: Mapping[str, Any] | None, values: Mapping[str, Any], inner: Mapping[str, Any]
) -> bool:
    if not cond:
        return True
    for key, expected in cond.items():
        if key.startswith("layer."):
            actual = inner.get(key[len("layer."):], _MISSING)
        else:
            actual = values.get(key, _MISSING)
        if actual is _MISSING:
            actual = None
        if not matches(expected, actual):
            return False
    return True
