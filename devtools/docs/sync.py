"""Comparing generated files with what is on disk, and writing them."""

from __future__ import annotations

from pathlib import Path


def out_of_date(wanted: dict[Path, str], removed: list[Path]) -> list[Path]:
    """Files whose content differs from ``wanted`` or that are missing, then the files to remove."""
    return [path for path, text in wanted.items()
            if not path.exists() or path.read_text(encoding="utf-8") != text] + list(removed)


def write(wanted: dict[Path, str], removed: list[Path]) -> list[Path]:
    """Write every out-of-date file and delete ``removed``; returns the files changed."""
    changed = out_of_date(wanted, removed)
    for path in changed:
        if path in wanted:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(wanted[path], encoding="utf-8")
        else:
            path.unlink()
    return changed
