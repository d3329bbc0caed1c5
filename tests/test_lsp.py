"""The language server, driven by a real LSP client over stdio (``python -m graphmask lsp``)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the language server needs the lsp extra (pygls)")

from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 30  # seconds for any one message; generous on a loaded CI machine

SPEC = """\
graphmask: 1
name: lsp_demo
inputs:
  tokens: {shape: [null], dtype: int32}
layers:
  - id: embed
    type: Embedding
    args: {input_dim: 100, output_dim: 8, mask_zero: true}
    inputs: tokens
  - id: flat
    type: Flatten
  - id: out
    type: Dense
    args:
      unit: 1
    inputs: flat
outputs: [out]
"""


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("graphmask-test-client", "1")
        self.diagnostics: asyncio.Queue = asyncio.Queue()

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics.put_nowait(params)

    async def next_diagnostics(self) -> list[types.Diagnostic]:
        return (await asyncio.wait_for(self.diagnostics.get(), TIMEOUT)).diagnostics


def _position(text: str, needle: str, delta: int = 0) -> types.Position:
    offset = text.index(needle) + delta
    line = text.count("\n", 0, offset)
    return types.Position(line, offset - (text.rfind("\n", 0, offset) + 1))


async def _session(tmp_path: Path, config: str | None = None) -> tuple[Client, str]:
    (tmp_path / ".git").mkdir()  # config discovery stops here
    if config is not None:
        (tmp_path / "pyproject.toml").write_text(config)
    spec = tmp_path / "model.yaml"
    spec.write_text(SPEC)
    client = Client()
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    await client.start_io(sys.executable, "-m", "graphmask", "lsp", env=env, cwd=str(tmp_path))
    await asyncio.wait_for(client.initialize_async(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=from_fs_path(str(tmp_path)))), TIMEOUT)
    client.initialized(types.InitializedParams())
    uri = from_fs_path(str(spec))
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=SPEC)))
    return client, uri


async def _close(client: Client) -> None:
    await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
    client.exit(None)
    await client.stop()


def test_a_session_diagnostics_edit_hover_complete_definition_code_action(tmp_path):
    asyncio.run(_full_session(tmp_path))


async def _full_session(tmp_path: Path) -> None:
    client, uri = await _session(tmp_path)
    try:
        # Open: the same findings as `graphmask check`, at the token they point at.
        first = await client.next_diagnostics()
        by_code = {d.code: d for d in first}
        assert {"GM201", "GM104"} <= set(by_code)
        gm201 = by_code["GM201"]
        assert gm201.severity == types.DiagnosticSeverity.Error
        assert gm201.range == types.Range(_position(SPEC, "flat\n    type"), _position(SPEC, "flat\n    type", 4))
        assert "`flat` (Flatten) does not support masking" in gm201.message
        assert by_code["GM104"].range.start == _position(SPEC, "unit: 1")

        # Edit (incremental): Flatten -> GlobalAveragePooling1D; the update drops GM201.
        start = _position(SPEC, "Flatten")
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            [types.TextDocumentContentChangePartial(range=types.Range(start, _position(SPEC, "Flatten", 7)),
                                                    text="GlobalAveragePooling1D")]))
        second = await client.next_diagnostics()
        assert "GM201" not in {d.code for d in second} and "GM104" in {d.code for d in second}
        text = SPEC.replace("Flatten", "GlobalAveragePooling1D")

        # Hover on a node id (a ref to `embed`): type, masks, roles, mask path.
        hovered = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
            types.TextDocumentIdentifier(uri), _position(text, "embed\n", 1))), TIMEOUT)
        assert hovered.contents.value.startswith("**embed**: `Embedding`")
        assert "mask out: yes" in hovered.contents.value and "roles:" in hovered.contents.value
        # Hover on a layer type: the catalog's summary.
        hovered = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
            types.TextDocumentIdentifier(uri), _position(text, "Dense", 2))), TIMEOUT)
        assert hovered.contents.value.startswith("**Dense** (core;") and "supports yes" in hovered.contents.value

        # Completion of a layer type and of refs.
        items = await asyncio.wait_for(client.text_document_completion_async(types.CompletionParams(
            types.TextDocumentIdentifier(uri), _position(text, "Dense", 2))), TIMEOUT)
        labels = {i.label for i in items.items}
        assert {"Dense", "LSTM", "Embedding"} <= labels
        items = await asyncio.wait_for(client.text_document_completion_async(types.CompletionParams(
            types.TextDocumentIdentifier(uri), _position(text, "inputs: flat", len("inputs: fl")))), TIMEOUT)
        assert {"tokens", "embed", "flat", "out"} <= {i.label for i in items.items}
        assert items.items[0].text_edit.range.start == _position(text, "inputs: flat", len("inputs: "))
        # Completion of constructor arguments (block mapping under `args:`).
        items = await asyncio.wait_for(client.text_document_completion_async(types.CompletionParams(
            types.TextDocumentIdentifier(uri), _position(text, "unit: 1", 2))), TIMEOUT)
        assert {"units", "activation", "use_bias"} <= {i.label for i in items.items}

        # Go to definition and find references of `flat`.
        found = await asyncio.wait_for(client.text_document_definition_async(types.DefinitionParams(
            types.TextDocumentIdentifier(uri), _position(text, "inputs: flat", 9))), TIMEOUT)
        assert [loc.range.start for loc in found] == [_position(text, "flat\n    type")]
        found = await asyncio.wait_for(client.text_document_references_async(types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(uri), position=_position(text, "out]"),
            context=types.ReferenceContext(include_declaration=True))), TIMEOUT)
        assert [loc.range.start for loc in found] == [_position(text, "out\n"), _position(text, "out]")]

        # Code action: the safe fix for `unit`.
        gm104 = next(d for d in second if d.code == "GM104")
        actions = await asyncio.wait_for(client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri), range=gm104.range,
            context=types.CodeActionContext(diagnostics=[gm104]))), TIMEOUT)
        quick = next(a for a in actions if a.kind == types.CodeActionKind.QuickFix)
        assert quick.title.startswith("rename `unit` to `units`") and quick.is_preferred
        [edit] = quick.edit.changes[uri]
        assert edit.new_text == "units" and edit.range == gm104.range
        assert any(a.kind == types.CodeActionKind.SourceFixAll for a in actions)
    finally:
        await _close(client)


def test_the_config_is_honoured(tmp_path):
    async def session() -> None:
        client, uri = await _session(tmp_path, '[tool.graphmask]\nignore = ["GM201"]\n')
        try:
            codes = {d.code for d in await client.next_diagnostics()}
            assert "GM201" not in codes and "GM104" in codes
        finally:
            await _close(client)

    asyncio.run(session())


def test_a_document_that_does_not_parse_gets_gm101_and_recovers(tmp_path):
    async def session() -> None:
        client, uri = await _session(tmp_path)
        try:
            await client.next_diagnostics()
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                [types.TextDocumentContentChangeWholeDocument(text=SPEC + "  bad: [\n")]))
            broken = await client.next_diagnostics()
            assert [d.code for d in broken] == ["GM101"]
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=3),
                [types.TextDocumentContentChangeWholeDocument(text=SPEC)]))
            assert "GM201" in {d.code for d in await client.next_diagnostics()}
        finally:
            await _close(client)

    asyncio.run(session())


def test_the_server_does_not_import_tensorflow():
    import subprocess

    code = ("import sys, graphmask.lsp.server, graphmask.lsp.features, graphmask.fixes; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)}).stdout
    assert out.strip() == "[]"
