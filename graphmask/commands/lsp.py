"""``graphmask lsp``: the language server, over stdio (docs/editors.md)."""

from __future__ import annotations

import argparse

from graphmask.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    return subparsers.add_parser(
        "lsp", help="run the language server on stdin/stdout (for editors; needs graphmask[lsp])",
        description="Run the language server over stdio: diagnostics as you type, hover, go to definition, "
        "references, completion and quick fixes. Editor set-up: docs/editors.md.")


def run(args: argparse.Namespace) -> int:
    try:
        from graphmask.lsp.server import main
    except ModuleNotFoundError as exc:
        if exc.name in ("pygls", "lsprotocol"):
            raise UsageError("the language server needs pygls: pip install 'graphmask[lsp]'") from None
        raise
    return main()
