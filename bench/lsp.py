"""Section: the language server's re-check after an edit, and the result cache of ``check``.

Re-check: a real ``graphmask lsp`` process, driven over stdio by pygls's
client, opens a generated 100-node spec and receives ``EDITS`` edits (one
argument value changed each time, waiting for the diagnostics of each).
The time is measured in the server (``graphmask.recheckTimings``: the check
of the new text, diagnostics ranges included), so it excludes the debounce
delay and the JSON-RPC round trip; the server's CPU time for the same checks
is reported beside it (on a shared machine the wall time also holds the time
the server waited for a CPU).

Cache: ``graphmask check DIR`` of 1,000 small specs (bench/many_files.py's
mix) as fresh processes, first with an empty cache directory, then again
with the files unchanged; the ratio is first / second, per repeat.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import many_files
from bench.report import Section, target
from bench.specgen import spec_text
from bench.stats import Samples

REPO = Path(__file__).resolve().parent.parent
RECHECK_GOAL_S = 0.010
CACHE_GOAL = 10.0


def _env(**extra: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


async def _recheck_timings(folder: Path, n_nodes: int, edits: int) -> tuple[list[float], list[float]]:
    from lsprotocol import types
    from pygls.lsp.client import LanguageClient
    from pygls.uris import from_fs_path

    from graphmask.lsp.server import TIMINGS_COMMAND

    text = spec_text(n_nodes, seed=1)
    path = folder / "model.yaml"
    path.write_text(text)
    client = LanguageClient("graphmask-bench", "1")
    published: asyncio.Queue = asyncio.Queue()
    client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(lambda params: published.put_nowait(params))
    await client.start_io(sys.executable, "-m", "graphmask", "lsp", env=_env(), cwd=str(folder))
    try:
        await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities()))
        client.initialized(types.InitializedParams())
        uri = from_fs_path(str(path))
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)))
        await asyncio.wait_for(published.get(), 60)
        marker = "units: "
        for version in range(2, edits + 2):
            start = text.index(marker) + len(marker)
            end = start + len(text[start:].split(",")[0].split("}")[0])
            new = str(8 + version % 5)
            line = text.count("\n", 0, start)
            column = start - (text.rfind("\n", 0, start) + 1)
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                [types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(line, column), types.Position(line, column + end - start)),
                    text=new)]))
            text = text[:start] + new + text[end:]
            await asyncio.wait_for(published.get(), 60)
        timings = await client.workspace_execute_command_async(types.ExecuteCommandParams(command=TIMINGS_COMMAND))
        await client.shutdown_async(None)
        client.exit(None)
    finally:
        await client.stop()
    wall, cpu = (timings["wall"], timings["cpu"]) if isinstance(timings, dict) else (timings.wall, timings.cpu)
    return list(wall)[1:], list(cpu)[1:]  # the first is the open (cold catalog and imports)


def _check_dir(directory: Path, cache: Path) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "graphmask", "check", str(directory), "--no-config",
                             "--format", "json"], env=_env(GRAPHMASK_CACHE_DIR=str(cache)),
                            capture_output=True, text=True)
    return time.perf_counter() - start, result.stdout


def measure(quick: bool) -> Section:
    n_nodes, edits = (20, 5) if quick else (100, 40)
    count, repeat = (40, 1) if quick else (1000, 3)
    with tempfile.TemporaryDirectory() as folder:
        timings, cpu = asyncio.run(_recheck_timings(Path(folder), n_nodes, edits))
    recheck, recheck_cpu = statistics.median(timings), statistics.median(cpu)
    firsts, seconds = [], []
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder) / "specs"
        directory.mkdir()
        many_files.generate(directory, count)
        for i in range(repeat):
            cache = Path(folder) / f"cache{i}"
            first, out_first = _check_dir(directory, cache)
            second, out_second = _check_dir(directory, cache)
            if out_first != out_second:
                raise RuntimeError("a cached `graphmask check` printed a different result")
            firsts.append(first)
            seconds.append(second)
    first_s, second_s = Samples(firsts), Samples(seconds)
    speedup = statistics.median(f / s for f, s in zip(firsts, seconds))
    section = Section(
        "lsp", "Editor loop: language-server re-check, and the result cache",
        ["measure", "value", "goal"],
        [
            [f"server re-check after an edit, {n_nodes}-node spec (median of {len(timings)}, in the server)",
             f"{1000 * recheck:.2f} ms", f"<= {1000 * RECHECK_GOAL_S:.0f} ms"],
            ["the same re-checks, the server's CPU time (median)", f"{1000 * recheck_cpu:.2f} ms", ""],
            [f"`check` of {count:,} specs, empty cache (median of {repeat})", f"{first_s.median:.2f} s", ""],
            [f"`check` of the same {count:,} unchanged specs, cached", f"{second_s.median:.2f} s", ""],
            ["first / second", f"{speedup:.1f}x", f">= {CACHE_GOAL:.0f}x"],
        ],
        {"recheck_s": timings, "recheck_median_s": recheck, "recheck_cpu_s": cpu, "recheck_cpu_median_s": recheck_cpu,
         "nodes": n_nodes, "files": count,
         "first": first_s.to_dict(), "second": second_s.to_dict(), "first_over_second": speedup},
    )
    section.targets = [
        target("server re-check, 100-node spec", f"{1000 * recheck:.2f} ms", "<= 10 ms", recheck <= RECHECK_GOAL_S,
               not quick),
        target("cached second check, 1,000 specs", f"{speedup:.1f}x faster", ">= 10x", speedup >= CACHE_GOAL,
               not quick),
    ]
    section.notes.append("Both `check` runs are whole fresh processes (start-up and imports included); the "
                         f"second reads {count:,} files and their cache entries and analyses none.")
    return section


if __name__ == "__main__":
    print(measure("--quick" in sys.argv).to_dict())
