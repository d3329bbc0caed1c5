"""The language server (``graphmask lsp``): needs the ``lsp`` extra (pygls)."""
