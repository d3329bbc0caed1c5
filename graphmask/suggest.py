"""``(did you mean `x`?)`` hints for a name that is not one of the known ones."""

from __future__ import annotations

import difflib
from typing import Iterable


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean `x`?)`` when a candidate is close, else ``""``."""
    candidates = list(candidates)
    close = difflib.get_close_matches(str(name), sorted(candidates), n=1, cutoff=0.75)
    if not close:
        lowered = {c.lower(): c for c in candidates}
        if str(name).lower() in lowered:
            close = [lowered[str(name).lower()]]
    return f" (did you mean `{close[0]}`?)" if close else ""
