"""Command line: a thin shell over the Python API.

Each subcommand lives in ``graphmask/commands/<name>.py`` (``import_.py`` for
``import``, a Python keyword) with ``register(subparsers)`` and
``run(args) -> int``. This module is the only
place that exits; it turns unexpected failures into GM000 (exit 2).
"""

from __future__ import annotations

import argparse
import atexit
import errno
import importlib
import os
import sys

from graphmask import __version__
from graphmask.atomic import OutputRefused
from graphmask.errors import UsageError

# Command modules, in the order shown in --help. A command module that is absent is skipped.
COMMANDS = ("check", "explain", "graph", "rules", "schema", "compile", "run", "fit", "export", "import_", "lsp")

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
# Errors of the place the output goes, not of graphmask: a full disk, a quota, a file-size limit.
OUTPUT_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with ``only`` (a command's name), that command's alone: building every
    command's arguments costs a cached ``check`` a quarter of its time."""
    parser = argparse.ArgumentParser(
        prog="graphmask",
        description="Keras model graphs as YAML, with a static mask-propagation checker.",
    )
    parser.add_argument("--version", action="version", version=f"graphmask {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMANDS:
        if only is not None and _command_name(name) != only:
            continue
        try:
            module = importlib.import_module(f"graphmask.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"graphmask.commands.{name}":
                continue
            raise
        sub = module.register(subparsers)
        sub.set_defaults(handler=module.run)
    return parser


def _command_name(module_name: str) -> str:
    return module_name.rstrip("_")  # import_ -> import


def _chosen_command(argv: list[str]) -> str | None:
    """The command named first on the line, if it is one (``--help``, ``--version``, a typo: None)."""
    first = argv[0] if argv else None
    return first if first in {_command_name(name) for name in COMMANDS} else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_chosen_command(argv))
    args = parser.parse_args(argv)  # exits 2 on usage errors
    try:
        code = int(args.handler(args))
        sys.stdout.flush()  # here, so that a full disk is reported like any write error
        return code
    except (UsageError, OutputRefused) as exc:
        print(f"graphmask {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        if exc.errno not in OUTPUT_FULL:
            return _internal_error()
        _drop_stdout()
        print(f"graphmask {args.command}: error: cannot write the output: {os.strerror(exc.errno).lower()}",
              file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception:  # noqa: BLE001 - the boundary where internal failures become GM000
        return _internal_error()


def entry() -> None:
    """The ``graphmask`` program: ``main()``, then the end of the process."""
    exit_process(main())


# Modules with work to do at exit (TensorFlow's handlers, a coverage measurement).
_NEEDS_TEARDOWN = ("tensorflow", "keras", "coverage")


def exit_process(code: int) -> None:
    """End the process with ``code``, skipping the interpreter's teardown where nothing needs it.

    The teardown frees every object left and runs a last garbage collection over them: 0.8 s after
    checking a 10,000-node spec, whose graph and flow are all cycles by then.  (mypy ends the same way.)
    Anything that runs at exit -- an ``atexit`` handler, a profiler or tracer, TensorFlow -- gets the
    usual exit.
    """
    if (getattr(atexit, "_ncallbacks", lambda: 1)() or sys.getprofile() is not None or sys.gettrace() is not None
            or any(name in sys.modules for name in _NEEDS_TEARDOWN)):
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed or broken pipe: let the normal exit deal with it
        sys.exit(code)
    os._exit(code)


def _internal_error() -> int:
    import traceback

    print(
        "GM000 internal error: graphmask failed unexpectedly. Please report this, "
        "with the command and the spec that caused it.\n" + traceback.format_exc(),
        file=sys.stderr,
    )
    return EXIT_USAGE


def _drop_stdout() -> None:
    """Discard what stdout still buffers, so that the flush at exit does not fail (and print) again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (e.g. captured by a test)
        pass


if __name__ == "__main__":
    sys.exit(main())
