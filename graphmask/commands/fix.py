"""``graphmask check --fix`` / ``--diff``: the file side of graphmask/fixes.py.

Not a command of its own (no ``register``): ``check`` calls ``apply_fixes``
before it reports. Messages go to stderr, so ``--fix --format json`` still
prints only the report on stdout.
"""

from __future__ import annotations

import sys

from graphmask.fixes import fix_file, unified_diff, write_fixed


def apply_fixes(files: list[str], options, selection, write: bool) -> int:
    """Fix (``write``) or print the diff of each file; 1 if ``--diff`` found something to fix."""
    fixed_count = files_changed = 0
    for path in files:
        fixed = fix_file(path, options, selection)
        if fixed is None:
            continue
        for fix in fixed.outcome.suggestions:
            d = fix.diagnostic
            print(f"{d.file}:{d.line}:{d.column}: {d.code} suggestion: {fix.title} (not applied)", file=sys.stderr)
        if not fixed.changed:
            continue
        if not write:
            sys.stdout.write(unified_diff(path, fixed.before, fixed.outcome.text))
        elif not write_fixed(fixed):
            print(f"graphmask check: warning: {path} changed while it was being fixed; left as it is",
                  file=sys.stderr)
            continue
        fixed_count += len(fixed.outcome.applied)
        files_changed += 1
    verb = "Fixed" if write else "Would fix"
    if fixed_count or not write:
        print(f"{verb} {fixed_count} finding{'s' if fixed_count != 1 else ''} in {files_changed} "
              f"file{'s' if files_changed != 1 else ''}.", file=sys.stderr)
    return 1 if fixed_count and not write else 0
