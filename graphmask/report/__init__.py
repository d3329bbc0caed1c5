"""Formatters: diagnostics of many files -> text for a terminal, CI or a tool."""
