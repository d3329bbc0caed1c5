"""A notebook that checks a model, run under a real Jupyter kernel (nbclient + ipykernel).

The last expression of a cell is displayed by Jupyter through ``_repr_html_`` /
``_repr_markdown_``: the output cells must hold graphmask's mask-flow picture
(the ``graph --format html`` page in an ``iframe``) with the finding on it.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest

pytestmark = pytest.mark.keras

nbformat = pytest.importorskip("nbformat", reason="the notebook test needs nbformat (pip install -e '.[test]')")
nbclient = pytest.importorskip("nbclient", reason="the notebook test needs nbclient (pip install -e '.[test]')")
pytest.importorskip("ipykernel", reason="the notebook test needs ipykernel (pip install -e '.[test]')")

REPO = Path(__file__).resolve().parent.parent

CELLS = [
    # this checkout's graphmask, not another installed copy
    f"import os, sys\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\nsys.path.insert(0, {str(REPO)!r})",
    """\
import keras, graphmask
L = keras.layers
tokens = keras.Input((None,), dtype="int32", name="tokens")
conv = L.Conv1D(4, 2, name="conv")(L.Embedding(50, 8, mask_zero=True, name="embed")(tokens))
model = keras.Model(tokens, L.GlobalMaxPooling1D(name="pool")(conv))
print(graphmask.__file__)""",
    "graphmask.check(model)",
    "graphmask.explain(model)",
]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS])
    folder = tmp_path_factory.mktemp("notebook")
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(folder)}})
    client.execute()
    return notebook


def rich_output(cell) -> dict:
    shown = [o for o in cell.outputs if o.output_type in ("execute_result", "display_data")]
    assert len(shown) == 1, cell.outputs
    return shown[0]["data"]


def picture(data: dict) -> str:
    """The HTML page inside the iframe's srcdoc."""
    page = data["text/html"]
    assert page.startswith("<iframe srcdoc=") and 'title="graphmask mask flow"' in page
    return html.unescape(page.split('srcdoc="', 1)[1].split('" title=', 1)[0])


def test_the_kernel_uses_this_checkout(executed):
    printed = "".join(o.get("text", "") for o in executed.cells[1].outputs if o.output_type == "stream")
    assert str(REPO) in printed


def test_check_shows_the_picture_with_the_finding(executed):
    data = rich_output(executed.cells[2])
    page = picture(data)
    assert page.lstrip().lower().startswith("<!doctype html>") and "<svg" in page
    assert "GM201" in page and "conv" in page
    assert "GM201" in data["text/markdown"] and "flowchart" in data["text/markdown"]
    assert "GM201" in data["text/plain"]  # the list itself, for a plain-text front end


def test_explain_shows_the_mask_flow(executed):
    data = rich_output(executed.cells[3])
    page = picture(data)
    assert "embed" in page and "conv" in page and "<svg" in page
    assert "flowchart" in data["text/markdown"]
