"""Hostile inputs: what refusing them costs, from ``bench/hostile.py``.

Not one of the issue's comparisons, but the same harness should show it: each
case is checked in a fresh process by ``bench/hostile.py``'s ``measure``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import hostile
from bench.report import Section, target

QUICK_CASES = 1  # the alias bomb: the case with a target
REPO = Path(__file__).resolve().parent.parent

# hostile.measure reads the child's ru_maxrss, which Linux carries over from
# the parent across fork and exec: called from this (big) process, every case
# would show this process's peak. A small launcher process calls it instead,
# as `python bench/hostile.py` does.
_LAUNCHER = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from bench import hostile
print(json.dumps(hostile.measure(open(sys.argv[2], "rb").read(), False)))
"""


def _measure(data: bytes) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "case.yaml"
        path.write_bytes(data)
        done = subprocess.run([sys.executable, "-c", _LAUNCHER, str(REPO), str(path)],
                              capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        return {"error": f"launcher exit {done.returncode}: {done.stderr.strip()[-300:]}"}
    return json.loads(done.stdout)


def measure(quick: bool) -> Section:
    cases = list(hostile.cases(full=False).items())
    if quick:
        cases = cases[:QUICK_CASES]
    raw: dict[str, dict] = {}
    rows = []
    for name, data in cases:
        result = _measure(data)
        raw[name] = {"bytes": len(data), **result}
        size = f"{len(data) / 1024:.0f} KB" if len(data) < 2**20 else f"{len(data) / 2**20:.1f} MB"
        if "error" in result:
            rows.append([name, size, "CRASHED", "", "", result["error"][:80]])
            continue
        rows.append([name, size, f"{result['seconds']:.3f} s", f"{result['rss_mb']:.0f} MB",
                     f"{result['added_mb']:.0f} MB", ", ".join(result["codes"]) or "clean"])
    section = Section("hostile", "Hostile inputs: cost of checking (or refusing) them, fresh processes",
                      ["case", "size", "check_path", "peak RSS", "added by the input", "codes"], rows, raw)
    bomb = next((entry for name, entry in raw.items() if name.startswith("alias bomb")), None)
    if bomb is not None and "error" not in bomb:
        section.targets.append(target("alias bomb refused", f"{bomb['seconds']:.3f} s, +{bomb['added_mb']:.0f} MB",
                                      "< 1 s, < 100 MB", bomb["seconds"] < 1 and bomb["added_mb"] < 100, not quick))
    section.notes.append("Cases and measurement from bench/hostile.py (one run each: `check_path` time, imports "
                         "excluded; peak RSS of the whole process; added = peak minus the RSS after imports).")
    return section
