"""``graphmask lsp``: the language server (stdio, pygls).

Diagnostics on open (at once) and on change (``DEBOUNCE_S`` after the last
keystroke), the same as ``graphmask check`` with the document's
``[tool.graphmask]``; hover, definition, references, completion and code
actions come from graphmask/lsp/document.py and features.py. Positions are
converted between graphmask's character offsets and the client's units
(UTF-16 by default) by pygls's document. Never imports TensorFlow.
"""

from __future__ import annotations

import asyncio
import time

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from graphmask import __version__
from graphmask.gcpause import gc_paused
from graphmask.diagnostics import Severity
from graphmask.lsp.document import Analysis, Span, settings_for
from graphmask.lsp.features import complete, hover

DEBOUNCE_S = 0.15
TIMINGS_COMMAND = "graphmask.recheckTimings"  # seconds each check took (wall, CPU), for bench/lsp.py

_SEVERITY = {Severity.ERROR: types.DiagnosticSeverity.Error, Severity.WARNING: types.DiagnosticSeverity.Warning,
             Severity.INFO: types.DiagnosticSeverity.Information}


class GraphmaskServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("graphmask", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.analyses: dict[str, Analysis] = {}  # uri -> the current version's
        self.last_good: dict[str, Analysis] = {}  # uri -> the last version that loaded
        self.pending: dict[str, asyncio.TimerHandle] = {}
        self.timings: list[float] = []  # wall seconds of each check
        self.cpu_timings: list[float] = []  # this thread's CPU seconds: the wall time less waiting for a CPU

    @gc_paused  # the young objects of a check are collected after its diagnostics are out, not before
    def analyse(self, uri: str) -> Analysis:
        document = self.workspace.get_text_document(uri)
        path = to_fs_path(uri) if uri.startswith("file:") else None
        started, started_cpu = time.perf_counter(), time.thread_time()
        analysis = Analysis(document.source, path or uri, settings_for(path), self.last_good.get(uri))
        self.timings.append(time.perf_counter() - started)
        self.cpu_timings.append(time.thread_time() - started_cpu)
        self.analyses[uri] = analysis
        if analysis.spec is not None:
            self.last_good[uri] = analysis
        self.publish(uri, analysis)
        return analysis

    def publish(self, uri: str, analysis: Analysis) -> None:
        document = self.workspace.get_text_document(uri)
        diagnostics = [types.Diagnostic(
            range=self.range(document, analysis.diagnostic_span(d)), message=d.message, source="graphmask",
            code=d.code, severity=_SEVERITY[d.severity],
            code_description=types.CodeDescription(href=f"https://graphmask.dev/rules/{d.code}"),
            data={"hint": d.hint}) for d in analysis.diagnostics]
        if analysis.settings.problem:
            diagnostics.append(types.Diagnostic(range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                                                message=f"config ignored: {analysis.settings.problem}",
                                                source="graphmask", severity=types.DiagnosticSeverity.Warning))
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=diagnostics, version=document.version))

    def current(self, uri: str) -> Analysis:
        """The analysis of the document as it is now (checked now if an edit is pending)."""
        document = self.workspace.get_text_document(uri)
        analysis = self.analyses.get(uri)
        if analysis is None or analysis.text != document.source:
            self.cancel(uri)
            analysis = self.analyse(uri)
        return analysis

    def schedule(self, uri: str) -> None:
        self.cancel(uri)
        loop = asyncio.get_running_loop()
        self.pending[uri] = loop.call_later(DEBOUNCE_S, self._debounced, uri)

    def _debounced(self, uri: str) -> None:
        self.pending.pop(uri, None)
        self.analyse(uri)

    def cancel(self, uri: str) -> None:
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()

    @staticmethod
    def range(document, span: Span) -> types.Range:
        return types.Range(document.client_position_at_offset(span.start),
                           document.client_position_at_offset(span.end))


server = GraphmaskServer()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: GraphmaskServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.analyse(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: GraphmaskServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: GraphmaskServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.current(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: GraphmaskServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.cancel(uri)
    ls.analyses.pop(uri, None)
    ls.last_good.pop(uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@server.feature(types.TEXT_DOCUMENT_HOVER)
def on_hover(ls: GraphmaskServer, params: types.HoverParams) -> types.Hover | None:
    document = ls.workspace.get_text_document(params.text_document.uri)
    found = hover(ls.current(document.uri), document.offset_at_position(params.position))
    if found is None:
        return None
    text, span = found
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
                       range=ls.range(document, span))


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def on_definition(ls: GraphmaskServer, params: types.DefinitionParams) -> list[types.Location] | None:
    document = ls.workspace.get_text_document(params.text_document.uri)
    analysis = ls.current(document.uri)
    node = analysis.node_at(document.offset_at_position(params.position))
    span = analysis.definitions().get(node[0]) if node else None
    return [types.Location(document.uri, ls.range(document, span))] if span else None


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
def on_references(ls: GraphmaskServer, params: types.ReferenceParams) -> list[types.Location] | None:
    document = ls.workspace.get_text_document(params.text_document.uri)
    analysis = ls.current(document.uri)
    node = analysis.node_at(document.offset_at_position(params.position))
    if node is None:
        return None
    spans = [span for target, span in analysis.references() if target == node[0]]
    definition = analysis.definitions().get(node[0])
    if params.context.include_declaration and definition:
        spans.insert(0, definition)
    return [types.Location(document.uri, ls.range(document, s)) for s in spans]


_KINDS = {"type": types.CompletionItemKind.Class, "argument": types.CompletionItemKind.Property,
          "ref": types.CompletionItemKind.Reference}


@server.feature(types.TEXT_DOCUMENT_COMPLETION,
                types.CompletionOptions(trigger_characters=[":", " ", "[", ",", "{"]))
def on_completion(ls: GraphmaskServer, params: types.CompletionParams) -> types.CompletionList:
    document = ls.workspace.get_text_document(params.text_document.uri)
    offset = document.offset_at_position(params.position)
    candidates, start = complete(ls.current(document.uri), ls.last_good.get(document.uri), offset)
    replace = ls.range(document, Span(start, offset))
    items = [types.CompletionItem(label=c.label, kind=_KINDS[c.kind], detail=c.detail,
                                  text_edit=types.TextEdit(replace, c.label)) for c in candidates]
    return types.CompletionList(is_incomplete=False, items=items)


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix,
                                                           types.CodeActionKind.SourceFixAll]))
def on_code_action(ls: GraphmaskServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    from graphmask.fixes import fix_text, fixes_for

    document = ls.workspace.get_text_document(params.text_document.uri)
    analysis = ls.current(document.uri)
    wanted = params.range
    low, high = document.offset_at_position(wanted.start), document.offset_at_position(wanted.end)
    actions = []
    for fix in fixes_for(analysis.text, analysis.diagnostics, analysis.spec, analysis.settings.options.limits):
        span = analysis.diagnostic_span(fix.diagnostic)
        if span.end < low or span.start > high:
            continue
        edit = types.TextEdit(ls.range(document, Span(fix.edit.start, fix.edit.end)), fix.edit.new)
        actions.append(types.CodeAction(
            title=f"{fix.title} ({fix.diagnostic.code})" + ("" if fix.safe else " [changes the model]"),
            kind=types.CodeActionKind.QuickFix, is_preferred=fix.safe,
            edit=types.WorkspaceEdit(changes={document.uri: [edit]})))
    options = analysis.settings

    def check(text: str):
        again = Analysis(text, analysis.file, options)
        return again.diagnostics, again.spec

    fixed = fix_text(analysis.text, check, options.options.limits)
    if fixed.applied:
        whole = types.Range(types.Position(0, 0), document.client_position_at_offset(len(analysis.text)))
        actions.append(types.CodeAction(
            title=f"Apply all safe graphmask fixes ({len(fixed.applied)})", kind=types.CodeActionKind.SourceFixAll,
            edit=types.WorkspaceEdit(changes={document.uri: [types.TextEdit(whole, fixed.text)]})))
    return actions


@server.command(TIMINGS_COMMAND)
def recheck_timings(ls: GraphmaskServer, *args) -> dict[str, list[float]]:
    return {"wall": list(ls.timings), "cpu": list(ls.cpu_timings)}


def main() -> int:
    server.start_io()
    return 0
