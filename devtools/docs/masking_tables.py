"""The generated parts of ``docs/masking.md``: the layer table and the seed findings.

Every class in the catalog gets a row saying what it does with a mask that
reaches it, read from the same data the checker uses, so the docs cannot
drift from the analysis; the seed examples' findings come from running the
checker. Regenerate with ``python -m devtools.docs``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

from graphmask.catalog import CATEGORIES, LayerInfo, MaskRule, load_catalog

# What each catalog output kind means for the tensor the layer returns.
OUTPUT_WORDS = {
    "none": "no mask",
    "same": "its input's mask",
    "generated": "a new mask from the values",
    "merge_or": "OR of the masks (none if any input is unmasked)",
    "concat": "the masks concatenated (an unmasked input counts as all valid)",
    "query": "the query's mask",
    "custom": "whatever the user's code computes",
    "inner": "the wrapped layer's mask",
    "attention_scores": "the combined attention mask",
}
SHORT = {"none": "none", "same": "input's", "query": "query's", "attention_scores": "attention mask"}
CATEGORY_TITLES = {
    "core": "Core", "embedding": "Embeddings", "masking": "Masking", "rnn": "Recurrent layers",
    "rnn_cell": "RNN cells (used inside `RNN`)", "wrapper": "Wrappers", "merge": "Merging layers",
    "attention": "Attention", "conv": "Convolution", "pooling": "Pooling", "reshaping": "Reshaping",
    "normalization": "Normalization", "regularization": "Regularization", "activation": "Activations",
    "preprocessing": "Preprocessing", "image_augmentation": "Image augmentation", "other": "Other",
}
EVIDENCE = {"experiment": "observed", "static": "class", "curated": "curated"}


def masked_input_effect(rule: MaskRule) -> str:
    """One phrase: what the layer does, with default arguments, to a mask that reaches it."""
    if rule.output == "generated":
        return "replaces it with a new mask" if rule.supports_masking else "drops it (GM201)"
    if not rule.supports_masking:
        return "**drops it** (GM201)"
    if rule.output == "custom":
        return "user code decides"
    verb = "reads it, then " if rule.consumes else ""
    ends = {"none": "ends it", "same": "passes it on", "query": "passes the query's on",
            "merge_or": "combines the masks", "concat": "concatenates the masks", "inner": "leaves it to the wrapped layer"}
    return verb + ends.get(rule.output, rule.output)


def overrides_text(rule: MaskRule) -> str:
    """The argument-dependent changes, e.g. ``return_sequences=True``: passes it on."""
    parts = []
    for override in rule.overrides:
        conditions = [_condition(k, v) for k, v in (override.get("when") or {}).items()]
        conditions += [_condition(k, v, call=True) for k, v in (override.get("when_call") or {}).items()]
        effects = []
        if "supports_masking" in override:
            effects.append("supports masking" if override["supports_masking"] else "no masking support")
        if "output" in override:
            effects.append(f"output mask: {OUTPUT_WORDS.get(override['output'], override['output'])}")
        if "n_outputs" in override:
            effects.append(f"{override['n_outputs']} outputs")
        if "n_states_from_inner" in override:
            effects.append("adds the wrapped layer's states as outputs")
        if "output_masks" in override and "output" not in override:
            effects.append("masks per output: " + ", ".join(SHORT.get(k, k) for k in override["output_masks"]))
        if effects:
            parts.append(f"{' and '.join(conditions)}: {'; '.join(effects)}")
    return "<br>".join(parts)


def _condition(key: str, expected: Any, call: bool = False) -> str:
    where = "call " if call else ""
    if isinstance(expected, Mapping) and "not" in expected:
        text = f"{key} not {_value(expected['not'])}"
    elif isinstance(expected, Mapping) and "in" in expected:
        text = f"{key} in {', '.join(_value(v) for v in expected['in'])}"
    elif expected is True:
        text = key
    elif expected is False:
        text = f"not {key}"
    else:
        text = f"{key}={_value(expected)}"
    return f"`{where}{text}`"


def _value(value: Any) -> str:
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _row(info: LayerInfo) -> str:
    rule = info.mask
    if info.alias_of:
        return f"| `{info.name}` | alias of `{info.alias_of}` | | | | | |"
    cells = [
        f"`{info.name}`",
        masked_input_effect(rule),
        "yes" if rule.supports_masking else "no",
        "yes" if rule.consumes else "",
        OUTPUT_WORDS.get(rule.output, rule.output),
        "; ".join(filter(None, [overrides_text(rule), _constraint(rule)])),
        EVIDENCE.get(rule.source, rule.source) + ("" if rule.meaningful else ", no time axis"),
    ]
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _constraint(rule: MaskRule) -> str:
    return {"broadcastable": "the mask must broadcast to the input, else it fails when the model runs",
            "rank_minus_one": "the mask must have the input's rank minus one"}.get(rule.mask_constraint or "", "")


def layer_table() -> str:
    """Markdown: one table per category, every layer of the catalog once."""
    cat = load_catalog()
    header = ("| layer | a masked input... | supports_masking | reads it | output mask | depends on | evidence |\n"
              "|---|---|---|---|---|---|---|")
    parts = [f"Keras {cat.keras_version}: {len(cat)} classes. Defaults unless *depends on* says otherwise."]
    for category in CATEGORIES:
        infos = [info for info in cat.by_category(category) if not info.abstract]
        if not infos:
            continue
        parts += ["", f"#### {CATEGORY_TITLES.get(category, category)}", "", header]
        parts += [_row(info) for info in infos]
    abstract = [f"`{info.name}`" for info in cat.layers() if info.abstract]
    if abstract:
        parts += ["", f"Base classes, not used directly in a spec: {', '.join(abstract)}."]
    return "\n".join(parts)


EXAMPLES = Path(__file__).resolve().parents[2] / "specs" / "examples"
# The "# Source:" comment paragraph that opens every example names its seed documents.
_SOURCE = re.compile(r"^# Source:.*(?:\n#   .*)*", re.MULTILINE)


def seed_findings(examples: Path = EXAMPLES) -> str:
    """Markdown: what ``graphmask check`` reports on each seed example, from a real run."""
    from graphmask.checker import check_path

    rows = ["| example | seed | `graphmask check` reports |", "|---|---|---|"]
    for path in sorted(examples.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        source = _SOURCE.search(text)
        seeds = ", ".join(dict.fromkeys(re.findall(r"\b[0-9]{3}\b", source.group(0)))) if source else ""
        findings = [f"{d.code} {d.severity.value} on `{d.node}`" if d.node else f"{d.code} {d.severity.value}"
                    for d in check_path(path).diagnostics]
        link = f"[`{path.name}`](../specs/examples/{path.name})"
        rows.append(f"| {link} | {seeds} | {'; '.join(findings) or 'nothing'} |")
    return "\n".join(rows)
