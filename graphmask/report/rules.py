"""A rule's full documentation, rendered from ``RULES`` (the only place it is written).

Used by ``graphmask rules CODE`` (plain text), the generated ``docs/rules/GMxxx.md``
pages and SARIF ``help`` (markdown), so all three always say the same thing.
"""

from __future__ import annotations

import textwrap

from graphmask.diagnostics import RULES, Rule


def paragraph(text: str) -> str:
    """The explanation as one line (its line breaks are only for the source)."""
    return " ".join(text.split())


def rule_line(rule: Rule) -> str:
    return f"{rule.code}  {rule.severity.value:<7}  {rule.summary}"


def rule_text(rule: Rule, width: int = 88) -> str:
    parts = [f"{rule.code} ({rule.severity.value}): {rule.summary}", ""]
    if rule.explanation:
        parts += [textwrap.fill(paragraph(rule.explanation), width), ""]
    parts += [f"Fix: {rule.fix}", ""]
    for title, example in (("Bad", rule.bad_example), ("Good", rule.good_example)):
        if example:
            parts += [f"{title}:", textwrap.indent(example, "    "), ""]
    return "\n".join(parts).rstrip("\n") + "\n"


def rule_markdown(rule: Rule, heading_level: int = 1) -> str:
    hashes = "#" * heading_level
    sub = "#" * (heading_level + 1)
    parts = [f"{hashes} {rule.code}: {rule.summary}", "", f"Default severity: **{rule.severity.value}**", ""]
    if rule.explanation:
        parts += [paragraph(rule.explanation), ""]
    parts += [f"**Fix:** {rule.fix}", ""]
    for title, example in (("Bad", rule.bad_example), ("Good", rule.good_example)):
        if example:
            parts += [f"{sub} {title}", "", "```yaml", example, "```", ""]
    parts += [f"Suppress it on one node with `ignore: [{rule.code}]`, or everywhere with "
              f"`--ignore {rule.code}` (or `ignore = [\"{rule.code}\"]` under `[tool.graphmask]`).", ""]
    return "\n".join(parts)


def rules_table() -> str:
    return "".join(rule_line(rule) + "\n" for rule in RULES.values())
