"""graphmask's findings on the real-model collection against what the instrumented run recorded (``truth/``).

Ground truth per imported node, from the truth files (``instrument.py``):

- GM204: a Keras merge layer (a ``Merge`` subclass) whose call got masked and
  unmasked tensors;
- GM207: a ``keras.ops`` call that got a masked tensor and returned none;
- GM401: an LSTM/GRU that Keras's own cuDNN checks rule out (``cudnn.eligible``);
- GM402: an LSTM/GRU whose received mask Keras's cuDNN check rejects
  (``cudnn_rejects_mask``: eligible, and not strictly right-padded or a fully masked row).

GM202 and GM208 need runs the truth files do not hold (each generator's mask
switched on and off; the call re-run with a mask), and GM205/GM206 a declared
padding, which an imported spec does not have (issue 12, category 6): those
are held to Keras on the generated graphs (``tests/oracle/findings.py``).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from tests.realworld.compare import _node_id, graphmask_view

CODES = ("GM204", "GM207", "GM401", "GM402")


def _merge_classes() -> set[str]:
    import importlib

    import keras

    merge = importlib.import_module("keras.src.layers.merging.base_merge").Merge
    return {name for name in dir(keras.layers)
            if isinstance(getattr(keras.layers, name), type) and issubclass(getattr(keras.layers, name), merge)}


def expected(truth: dict[str, Any]) -> dict[str, set[str]]:
    """Code -> the top-level nodes the finding is due on, by what Keras did."""
    merges = _merge_classes()
    found: dict[str, set[str]] = {code: set() for code in CODES}
    wrappers = {c["layer"] for c in truth["calls"] if c["class"] in ("Bidirectional", "TimeDistributed")}
    for call in truth["calls"]:
        layer = call["layer"]
        if "/" in layer and layer.split("/")[0] in wrappers and layer.count("/") == 1:
            layer = layer.split("/")[0]  # a wrapper's LSTM/GRU: the finding is on the wrapper's node
        elif "/" in layer:
            continue  # inside a nested model or layer: the imported spec has no node for it
        node = _node_id(layer, call["call"])
        masked = call["inputs_masked"]
        if call["kind"] == "layer" and call["class"] in merges and any(masked) and not all(masked):
            found["GM204"].add(node)
        if call["kind"] == "op" and any(masked) and not any(m is not None for m in call["outputs_masked"]):
            found["GM207"].add(node)
        cudnn = call.get("cudnn")
        if cudnn is not None and not cudnn["eligible"]:
            found["GM401"].add(node)
        if cudnn is not None and cudnn.get("cudnn_rejects_mask"):
            found["GM402"].add(node)
    return found


def compare_collection(observed: dict[str, dict], saved_dir: Path) -> tuple[list[dict], dict[str, Counter]]:
    """Every disagreement (model, code, node, fp|fn), and per code the agree/fp/fn counts."""
    rows: list[dict] = []
    counts = {code: Counter() for code in CODES}
    for name, truth in sorted(observed.items()):
        flow, diagnostics, problems, _ = graphmask_view(saved_dir / f"{name}.keras", name)  # with declared padding
        if flow is None:
            continue  # import refused: known_disagreements.json lists it
        due = {code: nodes & set(flow.nodes) for code, nodes in expected(truth).items()}  # others: import matters
        for code in CODES:
            reported = {d.node for d in diagnostics if d.code == code}
            counts[code].update(tp=len(reported & due[code]), fp=len(reported - due[code]),
                                fn=len(due[code] - reported))
            rows += [{"model": name, "code": code, "node": n, "kind": "fp"} for n in sorted(reported - due[code])]
            rows += [{"model": name, "code": code, "node": n, "kind": "fn"} for n in sorted(due[code] - reported)]
    return rows, counts


KNOWN = Path(__file__).resolve().parent / "known_findings.json"


def _key(row: dict) -> tuple:
    return row["model"], row["code"], row["node"], row["kind"]


def main(argv: list[str]) -> int:
    """``python -m tests.realworld.findings [--write]``: the findings disagreements of the whole collection."""
    import json
    import tempfile

    from tests.realworld.models import load_all
    from tests.realworld.record import dump, truth_of

    with tempfile.TemporaryDirectory() as directory:
        observed = {name: truth_of(real, directory) for name, real in load_all().items()}
        rows, counts = compare_collection(observed, Path(directory))
    reviewed = {_key(r): r.get("reason", "not reviewed yet") for r in json.loads(KNOWN.read_text(encoding="utf-8"))["disagreements"]}
    for row in rows:
        row["reason"] = reviewed.get(_key(row), "not reviewed yet")
    report = {"counts": {code: dict(sorted(c.items())) for code, c in counts.items()}, "disagreements": rows}
    print(json.dumps(report["counts"], indent=1))
    if "--write" in argv:
        KNOWN.write_text(dump(report), encoding="utf-8")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
