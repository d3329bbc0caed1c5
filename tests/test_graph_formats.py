"""``graphmask graph``: every format, from one picture model.

Mermaid is checked line by line against the subset of syntax GitHub renders
(and, when ``GRAPHMASK_MERMAID_JS`` points at a mermaid.min.js, rendered by
mermaid itself in Chromium); dot is run through Graphviz when it is
installed; the HTML page is rendered in headless Chromium.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from graphmask.analysis.masks import infer_masks
from graphmask.checker import check_path
from graphmask.report.graph_dot import quote
from graphmask.report.graph_mermaid import escape_label
from graphmask.report.graph_model import build_picture

# Ids that are keywords in mermaid/dot, a type with every character that could
# break out of a label, a masked path into an unsupported layer, a merge, a
# consumer that ends the mask, and a multi-output ref.
SPEC = """
graphmask: 1
name: 'tricky "name" <b>x</b> & #1'
inputs:
  end: {shape: [null], dtype: int32, pad_value: 0}
  graph: {shape: [null, 8], dtype: float32}
layers:
  - id: class
    type: Embedding
    args: {input_dim: 100, output_dim: 8, mask_zero: true}
    inputs: end
  - id: subgraph
    type: 'Weird"<Type>#1|`x`'
    inputs: graph
  - id: att
    type: Attention
    inputs: [class, graph]
  - id: cat
    type: Concatenate
    inputs: [att, class]
  - id: lstm
    type: LSTM
    args: {units: 4, return_sequences: true, return_state: true}
    inputs: cat
  - id: pool
    type: GlobalAveragePooling1D
    inputs: lstm[0]
  - id: flat
    type: Flatten
    inputs: class
outputs: [pool, flat, "lstm[1]"]
"""
NODE_IDS = ["end", "graph", "class", "subgraph", "att", "cat", "lstm", "pool", "flat"]
MASK_EDGES = {("class", "att"), ("att", "cat"), ("class", "cat"), ("cat", "lstm"), ("lstm", "pool"), ("class", "flat")}


@pytest.fixture
def spec(write_spec) -> Path:
    return write_spec(SPEC, "tricky.yaml")


@pytest.fixture
def picture(spec):
    result = check_path(spec)
    return build_picture(infer_masks(result.graph), result.diagnostics)


# -- the picture model --------------------------------------------------------------------------

def test_picture_styles_edges_and_findings(picture):
    by_id = {n.id: n for n in picture.nodes if n.kind != "output"}
    assert list(by_id) == NODE_IDS
    assert {k: by_id[k].style for k in ("end", "class", "att", "cat", "pool", "flat", "subgraph")} == {
        "end": "input", "class": "generator", "att": "consumer", "cat": "modifier",
        "pool": "consumer", "flat": "unsupported", "subgraph": "unknown"}
    assert by_id["pool"].roles == ("consumer", "destroyer")
    keys = {n.key: n.id for n in picture.nodes}
    mask_edges = {(keys[e.source], keys[e.target]) for e in picture.edges if e.carries_mask}
    assert mask_edges == MASK_EDGES
    assert by_id["flat"].codes == "GM201"
    assert set(by_id["subgraph"].codes.split()) == {"GM103", "GM108"}
    outputs = [n.id for n in picture.nodes if n.kind == "output"]
    assert outputs == ["pool", "flat", "lstm[1]"]
    assert any(e.label == "[1]" and keys[e.source] == "lstm" for e in picture.edges)


def test_layout_columns_follow_edges_and_slots_never_collide(picture):
    rank = {n.key: n.rank for n in picture.nodes}
    for e in picture.edges:
        assert rank[e.target] > rank[e.source]
        assert [r for r, _ in e.via] == list(range(rank[e.source] + 1, rank[e.target]))
    slots = [(n.rank, n.order) for n in picture.nodes] + [s for e in picture.edges for s in e.via]
    assert len(slots) == len(set(slots))


# -- mermaid ------------------------------------------------------------------------------------

_LABEL = r'(?:[^"<>#&`]|#(?:quot|lt|gt|amp|35|96);|<br/>)*'
_MERMAID_LINE = re.compile(
    r"flowchart LR"
    rf'|    [no]\d+(?:\(\["{_LABEL}"\]\)|\["{_LABEL}"\]|\[/"{_LABEL}"/\])'
    rf'|    [no]\d+ (?:==>|-\.->)(?:\|"{_LABEL}"\|)? [no]\d+'
    r"|    classDef \w+ (?:[a-z-]+:[#\w]+,?)+"
    r"|    class [no]\d+(?:,[no]\d+)* \w+"
    r"|    linkStyle \d+(?:,\d+)* (?:[a-z-]+:[#\w]+,?)+"
)


def test_mermaid_uses_only_github_safe_syntax(cli, spec, picture):
    code, out, err = cli("graph", spec, "--format", "mermaid")
    assert code == 0, err
    lines = out.splitlines()
    bad = [line for line in lines if not _MERMAID_LINE.fullmatch(line)]
    assert bad == []
    # every node is declared once, labelled with its id and type
    keys = {n.id: n.key for n in picture.nodes if n.kind != "output"}
    for node_id, key in keys.items():
        (decl,) = [line for line in lines if re.match(rf"    {key}[\[(]", line)]
        assert f'"{node_id}<br/>' in decl
    assert escape_label('Weird"<Type>#1|`x`') in out
    # mask-carrying edges are thick, the others dotted, and linkStyle indexes match
    edges = [line for line in lines if "==>" in line or "-.->" in line]
    thick = {i for i, line in enumerate(edges) if "==>" in line}
    assert len(thick) == len(MASK_EDGES)
    styled = next(line for line in lines if line.startswith("    linkStyle") and "#2563eb" in line)
    assert {int(i) for i in styled.split()[1].split(",")} == thick
    assert f"class {keys['flat']} unsupported" in out
    assert re.search(rf"class [no\d,]*{keys['flat']}\b[no\d,]* finding_error", out)


def test_mermaid_markdown_is_a_fenced_block_with_the_findings(cli, spec):
    code, out, _ = cli("graph", spec, "--markdown")
    assert code == 0
    body = out.split("```mermaid\n", 1)[1].split("\n```\n", 1)[0]
    assert body.startswith("flowchart LR\n")
    assert "**GM201** error `flat`" in out
    assert "<b>" not in out  # spec text cannot inject HTML into the comment
    assert cli("graph", spec, "--format", "dot", "--markdown")[0] == 2


@pytest.mark.skipif(not os.environ.get("GRAPHMASK_MERMAID_JS"),
                    reason="set GRAPHMASK_MERMAID_JS to a mermaid.min.js (npm package `mermaid`) to render with it")
def test_mermaid_renders_with_mermaid_js(cli, spec, tmp_path):
    browser = _chromium()
    script = Path(os.environ["GRAPHMASK_MERMAID_JS"]).read_text(encoding="utf-8")
    out = cli("graph", spec)[1]
    page = tmp_path / "mermaid.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><div id="out">pending</div>'
        f"<script>{script}</script><script>mermaid.initialize({{startOnLoad: false, securityLevel: 'strict'}});"
        f"mermaid.render('g', {json.dumps(out)}).then(r => {{ document.getElementById('out').innerHTML = r.svg; }})"
        ".catch(e => { document.getElementById('out').textContent = 'ERROR ' + e; });</script></body></html>",
        encoding="utf-8")
    dom = _dump_dom(browser, page, tmp_path)
    result = dom.split('<div id="out">', 1)[1]
    assert result.startswith("<svg"), result[:300]
    for node_id in NODE_IDS:
        assert f">{node_id}<" in dom


# -- dot and svg --------------------------------------------------------------------------------

def test_dot_source_escapes_and_styles(cli, spec):
    code, out, _ = cli("graph", spec, "--format", "dot")
    assert code == 0
    assert out.startswith('digraph "tricky \\"name\\" <b>x</b> & #1" {')
    assert 'label="subgraph\\nWeird\\"<Type>#1|`x`\\n⚠ ' in out
    assert out.count("penwidth=2.5") == len(MASK_EDGES)  # mask edges: thick
    assert quote("a\\nb\n") == '"a\\\\nb\\n"'  # a backslash in spec text stays a backslash


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed (apt-get install graphviz)")
def test_svg_via_graphviz_names_every_node(cli, spec):
    code, out, err = cli("graph", spec, "--format", "svg")
    assert code == 0, err
    root = ET.fromstring(out.split("?>", 1)[1] if out.startswith("<?xml") else out)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    for node_id in NODE_IDS:
        assert node_id in texts
    assert 'Weird"<Type>#1|`x`' in texts


def test_svg_without_graphviz_says_how_to_get_it(cli, spec, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` here
    code, out, err = cli("graph", spec, "--format", "svg")
    assert (code, out) == (2, "")
    assert "apt-get install graphviz" in err and "brew install graphviz" in err and "--format html" in err


# -- html ---------------------------------------------------------------------------------------

class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.refs += [value for name, value in attrs if name in ("src", "href", "xlink:href") and value]


def test_html_is_self_contained_and_escaped(cli, spec):
    code, out, _ = cli("graph", spec, "--format", "html")
    assert code == 0
    refs = _Refs()
    refs.feed(out)
    assert "link" not in refs.tags and "img" not in refs.tags
    # one inline script (zoom), no src; the policy runs only that script, pinned by its hash
    assert out.count("<script") == 1 and "<script>" in out
    assert all(r.startswith("#") for r in refs.refs)  # only in-page anchors (⚠ -> finding)
    assert "Content-Security-Policy" in out and "default-src 'none'" in out and "script-src 'sha256-" in out
    assert "<b>x</b>" not in out and "&lt;b&gt;x&lt;/b&gt;" in out
    assert "mask path: class -&gt; flat" in out  # the finding's mask route


def test_html_renders_every_node_in_chromium(cli, spec, tmp_path):
    browser = _chromium()
    page = tmp_path / "flow.html"
    assert cli("graph", spec, "--format", "html", "-o", page)[0] == 0
    dom = _dump_dom(browser, page, tmp_path)
    rendered = re.findall(r'<g class="node (\w+)" data-node="([^"]+)"', dom)
    assert [node_id for _, node_id in rendered][: len(NODE_IDS)] == NODE_IDS
    assert ("unsupported", "flat") in rendered
    for node_id in NODE_IDS:  # and the explain table lists each one
        assert f"<td>{node_id}</td>" in dom
    assert dom.count('<li id="diag-') == 3
    png = tmp_path / "flow.png"
    subprocess.run([browser, *_CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,900",
                    f"--screenshot={png}", page.as_uri()], capture_output=True, timeout=120, check=True)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- command behaviour --------------------------------------------------------------------------

def test_output_file_is_not_overwritten_without_flag(cli, spec, tmp_path):
    target = tmp_path / "flow.mmd"
    assert cli("graph", spec, "-o", target) == (0, "", "")
    first = target.read_text()
    assert first.startswith("flowchart LR")
    target.write_text("keep me")
    code, _, err = cli("graph", spec, "-o", target)
    assert code == 2 and "--overwrite" in err and target.read_text() == "keep me"
    assert cli("graph", spec, "-o", target, "--overwrite")[0] == 0
    assert target.read_text() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flow.mmd", "tricky.yaml"]  # no temp files left
    before = spec.read_text()
    code, _, err = cli("graph", spec, "-o", spec, "--overwrite")  # never over the spec it reads
    assert code == 2 and "input of this command" in err and spec.read_text() == before
    code, _, err = cli("graph", spec, "-o", tmp_path / "no" / "such" / "dir.mmd")
    assert code == 2 and "cannot write" in err


def test_spec_that_cannot_be_drawn_reports_why(cli, write_spec):
    path = write_spec("""
        graphmask: 1
        name: loop
        inputs: {x: {shape: [4]}}
        layers:
          - {id: a, type: Dense, args: {units: 4}, inputs: b}
          - {id: b, type: Dense, args: {units: 4}, inputs: a}
        outputs: [b]
    """)
    code, out, err = cli("graph", path)
    assert (code, out) == (1, "")
    assert "GM107" in err
    assert cli("graph", path.parent / "missing.yaml")[0] == 2


# -- helpers ------------------------------------------------------------------------------------

_CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync", "--no-first-run"]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("headless Chromium not installed (Debian: apt-get install chromium)")


def _dump_dom(browser: str, page: Path, tmp_path: Path) -> str:
    done = subprocess.run([browser, *_CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                           "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def test_mermaid_past_githubs_limits_suggests_html(cli, write_spec):
    layers = "\n".join(f"  - {{id: d{i}, type: Dense, args: {{units: 2}}}}" for i in range(520))
    path = write_spec(f"graphmask: 1\nname: long\ninputs: {{x: {{shape: [4]}}}}\nlayers:\n{layers}\noutputs: [d519]\n")
    code, out, err = cli("graph", path)
    assert code == 0 and out.count("-.->") == 521
    assert "more than mermaid renders by default" in err and "--format html" in err
    assert cli("graph", path, "--format", "html")[2] == ""  # html has no such limit


# -- wide graphs: fit, zoom, direction (issue 14, item 13) -----------------------------------

def _wide_spec(write_spec):
    inputs = "\n".join(f"  in{i}: {{shape: [null], dtype: int32, pad_value: 0}}" for i in range(4))
    layers = []
    for i in range(4):
        layers.append(f"  - {{id: embed_with_a_long_name_{i}, type: Embedding, inputs: in{i}, "
                      f"args: {{input_dim: 20, output_dim: 4, mask_zero: true}}}}")
        prev = f"embed_with_a_long_name_{i}"
        for j in range(5):
            layers.append(f"  - {{id: dense_layer_number_{i}_{j}, type: Dense, inputs: {prev}, args: {{units: 4}}}}")
            prev = f"dense_layer_number_{i}_{j}"
    ends = ", ".join(f"dense_layer_number_{i}_4" for i in range(4))
    layers.append(f"  - {{id: joined, type: Concatenate, inputs: [{ends}]}}")
    return write_spec("graphmask: 1\nname: wide\ninputs:\n" + inputs + "\nlayers:\n" + "\n".join(layers)
                      + "\noutputs: [joined]\n")


def test_html_fits_wide_graphs_and_zooms_without_the_network(cli, write_spec):
    import base64
    import hashlib

    code, page, err = cli("graph", _wide_spec(write_spec), "--format", "html")
    assert code == 0, err
    width = float(re.search(r'<svg[^>]* width="(\d+)"', page).group(1))
    assert width > 1400  # wider than the page: it needs fitting
    assert ".figure svg.maskflow { max-width: 100%; height: auto;" in page  # fitted by CSS, even without scripts
    assert 'data-zoom="in"' in page and 'data-zoom="fit"' in page
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.DOTALL)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    csp = re.search(r'Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp and "unsafe-eval" not in csp
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # nothing loaded from anywhere


@pytest.mark.parametrize("fmt, marker", [("mermaid", "flowchart TB"), ("dot", "rankdir=TB;")])
def test_direction_tb_in_mermaid_and_dot(cli, write_spec, fmt, marker):
    code, out, err = cli("graph", _wide_spec(write_spec), "--format", fmt, "--direction", "TB")
    assert code == 0 and marker in out


def test_direction_tb_stacks_ranks_top_to_bottom(cli, write_spec):
    spec = _wide_spec(write_spec)
    sizes = {}
    for direction in ("LR", "TB"):
        page = cli("graph", spec, "--format", "html", "--direction", direction)[1]
        svg = re.search(r'<svg[^>]* width="(\d+)" height="(\d+)"', page)
        sizes[direction] = (int(svg.group(1)), int(svg.group(2)))
        ys = {m.group(1): float(m.group(2)) for m in re.finditer(
            r'data-node="([^"]+)"><title>.*?</title><rect x="[\d.]+" y="([\d.]+)"', page)}
        if direction == "TB":  # each rank below the one it reads
            assert ys["in0"] < ys["embed_with_a_long_name_0"] < ys["dense_layer_number_0_0"] < ys["joined"]
    assert sizes["LR"][0] > sizes["LR"][1] and sizes["TB"][1] > sizes["TB"][0]  # wide one way, tall the other


def test_zoom_script_runs_in_a_real_browser(cli, write_spec, tmp_path):
    browser = _chromium()
    page = tmp_path / "wide.html"
    code, _, err = cli("graph", _wide_spec(write_spec), "--format", "html", "-o", page)
    assert code == 0, err
    dom = _dump_dom(browser, page, tmp_path)
    level = re.search(r'<span class="zoom-level"[^>]*>fit: (\d+)%</span>', dom)
    assert level, "the zoom script did not run (blocked by the page's CSP?)"
    assert int(level.group(1)) < 100  # the 2,000+ px picture was fitted into the window
