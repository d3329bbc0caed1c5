"""How results show themselves in Jupyter: ``MaskFlow`` and the list ``graphmask.check`` returns.

``_repr_html_`` is the self-contained page of ``graph --format html`` (picture,
findings, per-node table), inside an ``iframe`` so its styles stay out of
the notebook; ``_repr_markdown_`` is the mermaid picture and the findings,
as ``graph --markdown`` writes them.
"""

from __future__ import annotations

from html import escape
from typing import Any

from graphmask.diagnostics import Diagnostic


class Diagnostics(list):
    """The findings of one check (a plain ``list`` of ``Diagnostic``), keeping the graph to draw them on."""

    def __init__(self, diagnostics: list[Diagnostic], graph: Any = None):
        super().__init__(diagnostics)
        self.graph = graph

    def _flow(self):
        if self.graph is None or not self.graph.acyclic:
            return None
        from graphmask.analysis.masks import infer_masks

        return infer_masks(self.graph)

    def _repr_html_(self) -> str:
        flow = self._flow()
        if flow is None:
            rows = "".join(f"<li><code>{escape(d.code)}</code> {escape(d.severity.value)}: {escape(d.message)}</li>"
                           for d in self)
            return f"<ol>{rows}</ol>" if rows else "<p>No findings.</p>"
        return flow_html(flow, list(self))

    def _repr_markdown_(self) -> str:
        flow = self._flow()
        if flow is None:
            return "\n".join(f"- `{d.code}` {d.severity.value}: {d.message}" for d in self) or "No findings."
        return flow_markdown(flow, list(self))


def _diagnostics_of(flow: Any) -> list[Diagnostic]:
    from graphmask.checker import check_spec

    return check_spec(flow.graph.spec, flow.graph.spec.file).diagnostics


def flow_html(flow: Any, diagnostics: list[Diagnostic] | None = None) -> str:
    from graphmask.report.graph_html import format_html
    from graphmask.report.graph_model import build_picture

    diagnostics = _diagnostics_of(flow) if diagnostics is None else diagnostics
    page = format_html(build_picture(flow, diagnostics), flow)
    return (f'<iframe srcdoc="{escape(page, quote=True)}" title="graphmask mask flow" '
            'style="width: 100%; height: 640px; border: 1px solid #e5e7eb;" sandbox=""></iframe>')


def flow_markdown(flow: Any, diagnostics: list[Diagnostic] | None = None) -> str:
    from graphmask.report.graph_mermaid import format_mermaid_markdown
    from graphmask.report.graph_model import build_picture

    diagnostics = _diagnostics_of(flow) if diagnostics is None else diagnostics
    return format_mermaid_markdown(build_picture(flow, diagnostics))
