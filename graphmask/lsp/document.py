"""What the language server knows about one open spec, without any LSP types.

``Analysis`` is one check of one version of a document's text (the same
``check_text`` and selection as ``graphmask check``, with the document's
``[tool.graphmask]`` config), plus the lookups editors ask for, all in
character offsets: hover text, definition and references of refs,
completion candidates, fixes. The YAML tree and the mask flow are built on
first use only, so a re-check while typing costs just the check.
"""

from __future__ import annotations

import functools
import re
from dataclasses import InitVar, dataclass, field
from typing import Any

from graphmask.checker import CheckResult, check_text
from graphmask.diagnostics import Diagnostic
from graphmask.spec import parse_ref

# The token a diagnostic's column points at: a quoted scalar or a plain word.
_TOKEN = re.compile(r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*'|[^\s,\[\]{}#:]+(?::[^\s,\[\]{}#]+)*""")


@dataclass
class Settings:
    """The effective config for a document (see ``for_file``)."""

    selection: Any  # graphmask.selection.Selection
    options: Any  # graphmask.batch.CheckOptions
    problem: str | None = None  # a bad [tool.graphmask]: reported, and defaults used


def settings_for(path: str | None) -> Settings:
    """``[tool.graphmask]`` found from the document's folder, as ``graphmask check`` finds it."""
    import os

    from graphmask.batch import CheckOptions
    from graphmask.config import ConfigError, NO_CONFIG, discover_config
    from graphmask.selection import Selection

    try:
        config = discover_config(os.path.dirname(path)) if path else NO_CONFIG
        selection = Selection(config.select or (), config.ignore or (), bool(config.strict))
        return Settings(selection, CheckOptions(shared_custom_layers=config.custom_layers))
    except ConfigError as exc:
        return Settings(Selection(), CheckOptions(), problem=str(exc))


@dataclass
class Span:
    start: int
    end: int


@dataclass
class Analysis:
    text: str
    file: str
    settings: Settings
    # The document's last analysis: the check recomputes only what the edit changed (same result).
    previous: InitVar[Analysis | None] = None
    result: CheckResult = field(init=False)
    diagnostics: list[Diagnostic] = field(init=False)

    def __post_init__(self, previous: Analysis | None) -> None:
        options = self.settings.options
        self.result = check_text(self.text, self.file, options.limits,
                                 shared_custom_layers=options.shared_custom_layers,
                                 previous=previous.result if previous is not None else None)
        self.diagnostics = self.settings.selection.apply(self.result.diagnostics)
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]

    # -- positions ------------------------------------------------------------------------

    def offset(self, line: int, column: int) -> int:
        """Offset of a 1-based line and column (clamped into the text)."""
        if line < 1:
            return 0
        start = self._line_starts[min(line, len(self._line_starts)) - 1]
        return min(start + max(column - 1, 0), len(self.text))

    def diagnostic_span(self, d: Diagnostic) -> Span:
        """The token a finding points at (a whole-file finding: the first character)."""
        if d.line < 1:
            return Span(0, 0)
        start = self.offset(d.line, d.column)
        token = _TOKEN.match(self.text, start)
        return Span(start, token.end() if token else start)

    @functools.cached_property
    def tree(self):
        """The YAML tree, when the text loaded (None otherwise)."""
        from graphmask.yaml_tree import YamlTree

        if self.result.spec is None:
            return None
        return YamlTree(self.text)

    @property
    def spec(self):
        return self.result.spec

    # -- refs -----------------------------------------------------------------------------

    def definitions(self) -> dict[str, Span]:
        """Where each node id is defined: an input's key, a layer's `id:` value."""
        found: dict[str, Span] = {}
        if self.tree is None:
            return found
        for name in self.spec.inputs:
            span = self.tree.span(("inputs", name), key=True)
            if span:
                found.setdefault(name, Span(*span))
        for i, layer in enumerate(self.spec.layers):
            span = self.tree.span(("layers", self.spec.yaml_index(i), "id"))
            if span:
                found.setdefault(layer.id, Span(*span))
        return found

    def references(self) -> list[tuple[str, Span]]:
        """Every ref to a node: `inputs:` (plain, list, keyword), `share:`, `outputs:`."""
        refs: list[tuple[str, tuple]] = []
        if self.tree is None:
            return []
        for i, layer in enumerate(self.spec.layers):
            where = ("layers", self.spec.yaml_index(i))
            inputs = layer.inputs
            if isinstance(inputs, str):
                refs.append((inputs, where + ("inputs",)))
            elif isinstance(inputs, list):
                refs.extend((r, where + ("inputs", j)) for j, r in enumerate(inputs))
            elif isinstance(inputs, dict):
                for keyword, value in inputs.items():
                    if isinstance(value, str):
                        refs.append((value, where + ("inputs", keyword)))
                    else:
                        refs.extend((r, where + ("inputs", keyword, j)) for j, r in enumerate(value))
            if layer.share is not None:
                refs.append((layer.share, where + ("share",)))
        outputs = self.spec.outputs
        if isinstance(outputs, dict):
            refs.extend((r, ("outputs", name)) for name, r in outputs.items())
        else:
            refs.extend((r, ("outputs", j)) for j, r in enumerate(outputs))
        found = []
        for ref, path in refs:
            span = self.tree.span(path)
            if span:
                target = parse_ref(ref)[0]
                # Point at the id part of `id[k]` (quotes excluded).
                start = self.text.find(target, span[0], span[1])
                found.append((target, Span(start, start + len(target)) if start >= 0 else Span(*span)))
        return found

    def node_at(self, offset: int) -> tuple[str, Span] | None:
        """The node id under the cursor: on its definition or on a ref to it."""
        for target, span in self.references():
            if span.start <= offset <= span.end:
                return target, span
        for node_id, span in self.definitions().items():
            if span.start <= offset <= span.end:
                return node_id, span
        return None
