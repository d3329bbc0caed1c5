"""The command outputs in ``docs/tutorial.md``, produced by running the commands.

Each block runs one ``graphmask`` command (those that need no TensorFlow) in
the repository root and pastes what it prints, so the tutorial shows what the
current code really prints. Regenerate with ``python -m devtools.docs``.
"""

from __future__ import annotations

import contextlib
import io
import shlex
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# block name -> (command line as a user types it, whether its output is a mermaid chart)
COMMANDS = {
    "check-examples": ("graphmask check specs/examples/", False),
    "explain-clean": ("graphmask explain specs/examples/guide_functional_embedding_lstm.yaml", False),
    "check-broken": ("graphmask check --show-source specs/examples/blog_embedding_then_masking.yaml", False),
    "explain-broken": ("graphmask explain specs/examples/blog_embedding_then_masking.yaml", False),
    "graph-broken": ("graphmask graph specs/examples/blog_embedding_then_masking.yaml", True),
    "check-fixed": ("graphmask check docs/tutorial/sentiment.yaml", False),
    "explain-fixed": ("graphmask explain docs/tutorial/sentiment.yaml", False),
    "graph-fixed": ("graphmask graph docs/tutorial/sentiment.yaml", True),
    "check-lost": ("graphmask check specs/examples/guide_custom_layers_temporal_softmax.yaml", False),
    "graph-lost-markdown": ("graphmask graph --markdown specs/examples/guide_custom_layers_temporal_softmax.yaml",
                            False),
}


def run_command(command: str) -> tuple[int, str]:
    """Run ``graphmask ...`` in-process from the repository root; (exit status, stdout + stderr)."""
    from graphmask.cli import main

    argv = shlex.split(command)[1:]
    out = io.StringIO()
    with contextlib.chdir(REPO), contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(argv + (["--jobs", "1"] if argv[0] == "check" else []))
    return code, out.getvalue()


def block(name: str) -> str:
    command, picture = COMMANDS[name]
    code, output = run_command(command)
    if picture:  # the output is a mermaid chart: paste it as one, so GitHub draws it
        return f"```console\n$ {command}\n```\n\n```mermaid\n{output.rstrip()}\n```"
    text = f"```console\n$ {command}\n{output.rstrip()}\n```"
    return text + (f"\n\n(exit status {code})" if code else "")


def blocks() -> dict:
    """Block name -> generator, for ``blocks``."""
    return {name: (lambda name=name: block(name)) for name in COMMANDS}
