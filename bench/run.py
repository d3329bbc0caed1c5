"""The benchmark harness: ``python -m bench [--quick] [--out DIR]``.

Runs every section, prints the markdown report and writes it, with a JSON
file of the raw numbers, to ``--out`` (default ``bench/out/``). Inputs are
generated (``bench/specgen.py``); each figure is a median of several runs
and each comparison a ratio of two arms measured in this run.

``--quick`` uses tiny sizes and evaluates no target (the CI smoke test);
``--write-docs`` puts the report into ``docs/performance.md`` between its
``bench:start``/``bench:end`` markers (with ``--only A,B``: between
``bench:A,B:start``/``bench:A,B:end``, so a partial run never replaces the
full one).
"""

from __future__ import annotations

import argparse
import compileall
import sys
import time
import traceback
from pathlib import Path
from typing import Callable

from bench.report import Section, machine, to_markdown, write

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs" / "performance.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _scaling(quick: bool) -> Section:
    from bench import scaling

    return scaling.measure(quick)


def _cold(quick: bool) -> Section:
    from bench import cold

    return cold.measure(quick)


def _files(quick: bool) -> Section:
    from bench import files

    return files.measure(quick)


def _lsp(quick: bool) -> Section:
    from bench import lsp

    return lsp.measure(quick)


def _compile(quick: bool) -> Section:
    from bench import keras_sections

    return keras_sections.compile_overhead(quick)


def _runtime(quick: bool) -> Section:
    from bench import keras_sections

    return keras_sections.runtime_parity(quick)


def _fit(quick: bool) -> Section:
    from bench import fit_parity

    return fit_parity.measure(quick)


def _hostile(quick: bool) -> Section:
    from bench import hostile_section

    return hostile_section.measure(quick)


# In this order: fresh-process sections first, while this process is small
# (a child can inherit its parent's peak RSS across fork and exec); then the
# in-process checker; the Keras sections last (TensorFlow's threads and
# memory would skew the others).
SECTIONS: dict[str, tuple[str, Callable[[bool], Section]]] = {
    "cold_cli": ("Cold CLI", _cold),
    "many_files": ("Many files", _files),
    "hostile": ("Hostile inputs", _hostile),
    "lsp": ("Language server and cache", _lsp),
    "static_scaling": ("Static check scaling", _scaling),
    "compile_overhead": ("Compile overhead", _compile),
    "runtime_parity": ("Runtime parity", _runtime),
    "fit_parity": ("Training parity", _fit),
}


def run_section(key: str, quick: bool) -> Section:
    title, measure = SECTIONS[key]
    start = time.perf_counter()
    try:
        section = measure(quick)
    except Exception:  # noqa: BLE001 - one broken section must not hide the others' numbers
        section = Section(key, title, skipped="FAILED:\n\n```\n" + traceback.format_exc(limit=-4) + "```")
        section.raw["failed"] = True
    section.seconds = time.perf_counter() - start
    return section


def write_docs(markdown: str, docs: Path = DOCS, only: list[str] | None = None) -> None:
    """Replace the report block of ``docs``: the full run's, or for ``--only A,B`` the block
    marked ``<!-- bench:A,B:start -->`` ... ``<!-- bench:A,B:end -->`` (the full run's stays)."""
    start, end = (START, END) if not only else (f"<!-- bench:{','.join(only)}:start -->",
                                                f"<!-- bench:{','.join(only)}:end -->")
    text = docs.read_text(encoding="utf-8")
    if start not in text or end not in text:
        raise SystemExit(f"{docs} has no {start} ... {end} block to replace")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    docs.write_text(f"{head}{start}\n{markdown}\n{end}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, no targets evaluated (CI smoke test)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out", help="where results.md/.json go")
    parser.add_argument("--only", default="", help=f"comma-separated sections to run ({', '.join(SECTIONS)})")
    parser.add_argument("--write-docs", action="store_true", help=f"also put the report into {DOCS.relative_to(REPO)}")
    args = parser.parse_args(argv)
    keys = [k.strip() for k in args.only.split(",") if k.strip()] or list(SECTIONS)
    unknown = [k for k in keys if k not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    info = machine()
    # Bytecode for graphmask, as an installed package has it: with PYTHONDONTWRITEBYTECODE set,
    # every fresh process would otherwise compile the modules it imports, and time that.
    compileall.compile_dir(str(REPO / "graphmask"), quiet=1)
    start = time.perf_counter()
    sections = []
    for key in keys:
        print(f"[bench] {SECTIONS[key][0]} ...", file=sys.stderr, flush=True)
        sections.append(run_section(key, args.quick))
        print(f"[bench] {SECTIONS[key][0]}: {sections[-1].seconds:.0f} s", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - start
    md_path, json_path = write(args.out, sections, info, args.quick, elapsed)
    markdown = to_markdown(sections, info, args.quick, elapsed)
    print(markdown)
    print(f"[bench] wrote {md_path} and {json_path}", file=sys.stderr)
    if args.write_docs:
        write_docs(markdown, only=keys if args.only else None)
        print(f"[bench] updated {DOCS}", file=sys.stderr)
    return 1 if any(s.raw.get("failed") for s in sections) else 0
