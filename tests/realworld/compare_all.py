"""``python -m tests.realworld.compare_all [--write]``: compare graphmask with Keras over the whole collection.

Prints the counts (models, nodes compared, disagreements per category);
``--write`` stores them with the list in ``known_disagreements.json``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from tests.realworld.record import dump


def compare_collection(observed: dict[str, dict[str, Any]], saved_dir: Path) -> dict[str, Any]:
    from tests.realworld.compare import as_json, compare

    disagreements, nodes = [], 0
    for name, truth in observed.items():
        result = compare(name, Path(saved_dir) / f"{name}.keras", truth)
        disagreements += result.disagreements
        nodes += result.nodes_compared
    listed = as_json(disagreements)
    refused = sum(d["what"] == "import_refused" for d in listed)
    wrong = {d["model"] for d in listed}
    counts = {
        "models": len(observed),
        "models_imported": len(observed) - refused,
        "models_in_full_agreement": len(observed) - len(wrong),
        "nodes_compared": nodes,
        "by_what": dict(sorted(Counter(d["what"] for d in listed).items())),
        "by_issue12_category": dict(sorted(Counter(d["issue12"] for d in listed).items())),
    }
    return {"counts": counts, "disagreements": listed}


def main(argv: list[str]) -> int:
    from tests.realworld.models import load_all
    from tests.realworld.record import truth_of

    with tempfile.TemporaryDirectory() as directory:
        observed = {name: truth_of(real, directory) for name, real in load_all().items()}
        report = compare_collection(observed, Path(directory))
    print(json.dumps(report["counts"], indent=1))
    if "--write" in argv:
        (Path(__file__).resolve().parent / "known_disagreements.json").write_text(dump(report), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
