"""Diagnostics and the rule registry.

Every code graphmask can emit is declared once, in ``RULES``: its severity,
a one-line summary and a fix hint. Formatters, ``graphmask rules`` and the
docs read from here, so a rule is never described in two places.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    summary: str
    fix: str
    explanation: str = ""
    bad_example: str = ""
    good_example: str = ""


def _rule(code: str, severity: str, summary: str, fix: str) -> Rule:
    return Rule(code, Severity(severity), summary, fix)


RULES: dict[str, Rule] = {
    r.code: r
    for r in [
        _rule("GM000", "error", "internal error in graphmask",
              "please report this, with the spec that triggered it"),
        # -- spec and structure --------------------------------------------------
        _rule("GM101", "error", "YAML syntax error or unsafe YAML",
              "fix the YAML at the given position; graphmask only reads plain YAML data"),
        _rule("GM102", "error", "schema violation (missing/unknown field, wrong type, bad id or version)",
              "see `graphmask schema` for the format"),
        _rule("GM103", "error", "unknown layer type",
              "use a class name from keras.layers or declare it under `custom_layers:`"),
        _rule("GM104", "error", "unknown or invalid constructor argument for a known layer",
              "check the layer's constructor arguments in the Keras docs"),
        _rule("GM105", "error", "reference to an undefined node or output index",
              "refer to an input or layer id defined in the spec (`id` or `id[k]`)"),
        _rule("GM106", "error", "duplicate id", "give every input and layer a unique id"),
        _rule("GM107", "error", "cycle in the graph",
              "a layer cannot depend on its own output; break the cycle"),
        _rule("GM108", "warning", "node or input that no output depends on",
              "remove it, or list it (or a node downstream of it) under `outputs:`"),
        _rule("GM109", "error", "wrong number of inputs for the layer",
              "give the layer the number of inputs it takes"),
        # -- masks ------------------------------------------------------------------
        _rule("GM201", "error", "a mask reaches a layer that does not support masking",
              "put a mask-consuming layer (RNN, attention, masked pooling) before it, or remove the mask"),
        _rule("GM202", "warning", "a mask is generated but no consumer ever reads it",
              "add a mask consumer on the masked path, or drop `mask_zero`/`Masking` if padding is irrelevant"),
        _rule("GM203", "warning", "a Masking layer that cannot produce the intended timestep mask",
              "use `Embedding(mask_zero=True)` on token ids, or `Masking` directly on rank-3 float input"),
        _rule("GM204", "info", "a merge combines masked and unmasked inputs",
              "mask every input of the merge if the unmasked side also has padding"),
        _rule("GM205", "warning", "a padded input reaches a mask consumer without a mask",
              "generate a mask: `Embedding(mask_zero=True)` or a `Masking` layer on the padded input"),
        _rule("GM206", "warning", "mask value differs from the input's declared pad_value",
              "make `Masking.mask_value` (or the padding id 0 of `mask_zero`) equal the input's `pad_value`"),
        # -- shapes -----------------------------------------------------------------
        _rule("GM301", "error", "rank mismatch: a layer gets a tensor of a rank it cannot take",
              "reshape the tensor or feed the layer a tensor of the rank it expects"),
        _rule("GM302", "error", "incompatible shapes at a merge",
              "make the merged tensors' shapes match (except on the concatenation axis)"),
        _rule("GM303", "error", "Keras failed to build the layer (found by --deep)",
              "fix the layer's arguments or inputs as Keras's message says"),
        _rule("GM304", "error", "static mask inference disagrees with Keras at runtime (found by --deep)",
              "please report this: graphmask's layer catalog is wrong for this case"),
        _rule("GM305", "error", "a custom layer's `mask:` declaration does not match the class (found by compile)",
              "make the declaration say what the class does (supports_masking, output mask, outputs)"),
        _rule("GM306", "error", "custom code that may not be imported (not on the allow-list, or not found)",
              "pass the package with `--allow-import PKG` (API: allow_imports=) if you trust it, or fix the path"),
        # -- GPU --------------------------------------------------------------------
        _rule("GM401", "info", "an LSTM/GRU whose arguments rule out the fused cuDNN kernel",
              "use the cuDNN-compatible default for the named argument if GPU speed matters"),
        _rule("GM402", "warning", "a left-padded masked sequence reaches an LSTM/GRU",
              "pad sequences at the end (`padding: post`); cuDNN needs right-padded masks"),
        # -- suppressions -----------------------------------------------------------
        _rule("GM901", "warning", "a suppression (`ignore:`) that suppresses nothing",
              "remove the unused code from `ignore:`"),
    ]
}


@dataclass(frozen=True)
class Diagnostic:
    """One finding, located in a spec file.

    ``line`` and ``column`` are 1-based; 0 means "the whole file".
    ``path`` is the route a mask took (node ids), for mask findings.
    """

    code: str
    message: str
    file: str = "<string>"
    line: int = 0
    column: int = 0
    node: str | None = None
    severity: Severity = field(default=None)  # type: ignore[assignment]
    hint: str | None = None
    path: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        rule = RULES[self.code]
        if self.severity is None:
            object.__setattr__(self, "severity", rule.severity)
        elif not isinstance(self.severity, Severity):
            object.__setattr__(self, "severity", Severity(self.severity))
        if self.hint is None:
            object.__setattr__(self, "hint", rule.fix)

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    def with_severity(self, severity: Severity) -> Diagnostic:
        return replace(self, severity=severity)

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.column, self.code, self.message)

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "node": self.node,
            "hint": self.hint,
            "path": list(self.path),
        }


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)
