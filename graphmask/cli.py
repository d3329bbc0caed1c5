"""Command line: a thin shell over the Python API.

Each subcommand lives in ``graphmask/commands/<name>.py`` (``import_.py`` for
``import``, a Python keyword) with ``register(subparsers)`` and
``run(args) -> int``. This module is the only
place that exits; it turns unexpected failures into GM000 (exit 2).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from graphmask import __version__
from graphmask.atomic import OutputExistsError
from graphmask.errors import UsageError

# Command modules, in the order shown in --help. A command module that is absent is skipped.
COMMANDS = ("check", "explain", "graph", "rules", "schema", "compile", "run", "fit", "export", "import_", "lsp")

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graphmask",
        description="Keras model graphs as YAML, with a static mask-propagation checker.",
    )
    parser.add_argument("--version", action="version", version=f"graphmask {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"graphmask.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"graphmask.commands.{name}":
                continue
            raise
        sub = module.register(subparsers)
        sub.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on usage errors
    try:
        return int(args.handler(args))
    except (UsageError, OutputExistsError) as exc:
        print(f"graphmask {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception:  # noqa: BLE001 - the boundary where internal failures become GM000
        print(
            "GM000 internal error: graphmask failed unexpectedly. Please report this, "
            "with the command and the spec that caused it.\n" + traceback.format_exc(),
            file=sys.stderr,
        )
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
