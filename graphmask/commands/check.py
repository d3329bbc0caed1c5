"""``graphmask check [PATH...]``: lint spec files, like a CI linter.

Settings come from, in order of precedence: command-line flags, then
``[tool.graphmask]`` in the nearest pyproject.toml (docs/configuration.md),
then the defaults.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import os
import stat
import re
import sys

from graphmask import codes
from graphmask.batch import CheckOptions, check_files, effective_jobs
from graphmask.config import Config, ConfigError, NO_CONFIG, discover_config, excluded, load_config
from graphmask.diagnostics import has_errors
from graphmask.errors import UsageError
from graphmask.files import SPEC_PATTERNS, discover
from graphmask.progress import Progress
from graphmask.selection import Selection, SelectionError, parse_codes
from graphmask.spec.limits import Limits

# format name -> "module:function"; imported only when chosen, to keep start-up fast.
FORMATS = {
    "text": "graphmask.report.text:format_text",
    "json": "graphmask.report.json:format_json",
    "github": "graphmask.report.github:format_github",
    "sarif": "graphmask.report.sarif:format_sarif",
    "junit": "graphmask.report.junit:format_junit",
}

STDIN, STDIN_NAME = "-", "<stdin>"

# A spec's required version key at the top level: block style (`graphmask: 1`),
# quoted, or first in a flow mapping (`{graphmask: 1, ...}`).
_SPEC_MARKER = re.compile(rb"""(?m)^(\{[ \t]*)?["']?graphmask["']?[ \t]*:""")


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "check", help="check spec files for mask and structure problems",
        description="Check spec files. Exit status: 0 no errors, 1 errors found, 2 usage or internal error.")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="spec files or directories, `-` for a spec on stdin (shown as <stdin>) "
                             "(default: `paths` from the config, else .)")
    out = parser.add_argument_group("output")
    out.add_argument("--format", choices=list(FORMATS), default=None, help="output format (default: text)")
    out.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                     help="colour in text output (auto: only on a terminal, and not when NO_COLOR is set)")
    out.add_argument("--show-source", action=argparse.BooleanOptionalAction, default=None,
                     help="print the offending source line with a caret (default: on a terminal)")
    rules = parser.add_argument_group("rule selection")
    rules.add_argument("--select", metavar="CODES", action="append",
                       help="only these codes or prefixes, comma-separated (e.g. GM2,GM108)")
    rules.add_argument("--ignore", metavar="CODES", action="append",
                       help="never these codes or prefixes, comma-separated")
    rules.add_argument("--strict", "--warnings-as-errors", dest="strict", action="store_const", const=True,
                       default=None, help="report warnings as errors (they then fail the check)")
    rules.add_argument("--no-strict", dest="strict", action="store_const", const=False,
                       help="undo `strict = true` from the config")
    files = parser.add_argument_group("files")
    files.add_argument("--include", metavar="GLOB", action="append",
                       help="file-name globs searched for in directories (default: *.yaml, *.yml)")
    files.add_argument("--exclude", metavar="GLOB", action="append",
                       help="skip files matching this glob (replaces the config's `exclude`)")
    files.add_argument("--skip-non-specs", action="store_true",
                       help="silently skip YAML files with no top-level `graphmask:` key (for pre-commit)")
    files.add_argument("--config", metavar="PYPROJECT", help="read [tool.graphmask] from this file")
    files.add_argument("--no-config", action="store_true", help="ignore any pyproject.toml")
    parser.add_argument("--deep", action="store_true",
                        help="also build each spec with Keras (imports TensorFlow) and compare the masks it "
                        "really produces with the static inference (GM303/GM304)")
    fixing = parser.add_argument_group("fixes (docs/cli.md#fixes)")
    fixing.add_argument("--fix", action="store_true",
                        help="apply the safe fixes (they cannot change what the model means) in place, then report "
                        "what is left; other fixes are printed as suggestions")
    fixing.add_argument("--diff", action="store_true",
                        help="print the safe fixes as a unified diff instead of writing them "
                        "(exit 1 if there are any)")
    parser.add_argument("--no-cache", action="store_true",
                        help="neither read nor write the result cache (.graphmask_cache/ next to the config)")
    parser.add_argument("--jobs", "-j", type=int, metavar="N", default=None,
                        help="processes to use (default: all CPUs, for many files only)")
    limits = parser.add_argument_group("limits (files past them are refused with GM101; docs/security.md)")
    for flag, what in (("--max-bytes", "file size in bytes"), ("--max-nodes", "YAML nodes after alias expansion"),
                       ("--max-depth", "nesting depth"), ("--max-graph-nodes", "inputs + layers")):
        limits.add_argument(flag, type=_positive_int, metavar="N",
                            help=f"{what} (default: {getattr(Limits(), flag[2:].replace('-', '_'))})")
    return parser


_MAX_LIMIT = 2**53  # far past any real file; larger values overflow C sizes when reading


def _positive_int(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= _MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"expected a positive integer up to {_MAX_LIMIT}, got {text!r}")
    return int(text)


def run(args: argparse.Namespace) -> int:
    try:
        config = _config(args)
        selection = Selection(
            parse_codes(_joined(args.select)) if args.select else (config.select or ()),
            parse_codes(_joined(args.ignore)) if args.ignore else (config.ignore or ()),
            args.strict if args.strict is not None else bool(config.strict),
        )
    except (ConfigError, SelectionError) as exc:
        raise UsageError(str(exc)) from None
    output_format = args.format or config.format or "text"
    if output_format not in FORMATS:
        raise UsageError(f"{config.path}: [tool.graphmask] `format`: unknown format `{output_format}` "
                         f"(choose from {', '.join(FORMATS)})")
    if args.jobs is not None and args.jobs < 0:
        raise UsageError("--jobs must be 0 (auto) or more")

    files = _files(args, config)
    options = CheckOptions(limits=_limits(args), shared_custom_layers=config.custom_layers)
    if args.fix or args.diff:
        from graphmask.commands.fix import apply_fixes

        if args.diff:
            return apply_fixes(files, options, selection, write=False)
        apply_fixes(files, options, selection, write=True)
    on_disk = [f for f in files if f != STDIN]
    with Progress(len(on_disk), tick=effective_jobs(len(on_disk), args.jobs) == 1) as progress:
        if args.no_cache:
            checked = check_files(on_disk, options, args.jobs, progress.update)
        else:
            from graphmask.cache import ResultCache, check_files_cached, default_cache_dir, environment_key

            cache = ResultCache(default_cache_dir(config.root), environment_key(options))
            checked = check_files_cached(on_disk, options, args.jobs, cache,
                                         lambda paths, o, jobs: check_files(paths, o, jobs, progress.update))
    if STDIN in files:
        checked.insert(files.index(STDIN), _check_stdin(options))
    if args.deep:
        from graphmask.keras.deep import deepen

        checked = deepen(checked, options)
    results = checked if selection.everything else [
        dataclasses.replace(r, diagnostics=selection.apply(r.diagnostics)) for r in checked]
    if not files:
        print("graphmask check: warning: no spec files found", file=sys.stderr)
    sys.stdout.write(_render(output_format, results, args))
    if any(d.code == codes.GM000 for r in results for d in r.diagnostics):
        return 2  # a graphmask bug: every other file was still checked and reported
    return 1 if any(has_errors(r.diagnostics) for r in results) else 0


def _config(args: argparse.Namespace) -> Config:
    if args.no_config:
        return NO_CONFIG
    if args.config:
        if not os.path.isfile(args.config):
            raise ConfigError(f"--config: no such file: {args.config}")
        return load_config(args.config)
    return discover_config()


def _files(args: argparse.Namespace, config: Config) -> list[str]:
    paths = args.paths or config.resolved_paths() or ["."]
    patterns = tuple(args.include or config.include or SPEC_PATTERNS)
    if STDIN in paths:  # `-`: the spec comes on stdin, checked first
        return [STDIN] + _files(argparse.Namespace(**{**vars(args), "paths": [p for p in paths if p != STDIN]}),
                                config) if len(paths) > 1 else [STDIN]
    found = discover(paths, patterns)
    if found.missing:
        raise UsageError(f"no such file or directory: {', '.join(found.missing)}")
    # Command-line globs are relative to the working directory, the config's to its file.
    if args.exclude is not None:
        globs = [(os.getcwd(), g) for g in args.exclude]
    else:
        globs = [(str(config.root), g) for g in config.exclude or ()]
    files = [f for f in found.files if not excluded(f, globs)]
    if args.skip_non_specs:
        files = [f for f in files if _looks_like_spec(f)]
    return files


def _check_stdin(options: CheckOptions):
    """The spec on stdin, read as a file would be (UTF-8, size limit), reported as <stdin>."""
    from graphmask.checker import check_text
    from graphmask.result import CheckResult
    from graphmask.diagnostics import Diagnostic

    raw = sys.stdin.buffer.read(options.limits.max_bytes + 1)
    problem = None
    if len(raw) > options.limits.max_bytes:
        problem = f"stdin is over the limit of {options.limits.max_bytes} bytes"
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            problem = f"stdin is not UTF-8 text (byte 0x{raw[exc.start]:02x}); specs must be UTF-8"
    if problem:
        return CheckResult(STDIN_NAME, None, None, [Diagnostic(codes.GM101, problem, file=STDIN_NAME, line=1, column=1)])
    result = check_text(text, STDIN_NAME, options.limits, shared_custom_layers=options.shared_custom_layers)
    return CheckResult(result.file, None, None, result.diagnostics)


def _looks_like_spec(path: str) -> bool:
    """Whether a file has a top-level `graphmask:` key; unreadable files are kept
    (checking them reports why they cannot be read)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return True  # a FIFO or device: opening it could block; checking it says why it is refused
        with open(path, "rb") as f:
            head = f.read(1 << 20)
    except OSError:
        return True
    return bool(_SPEC_MARKER.search(head.removeprefix(b"\xef\xbb\xbf")))


def _limits(args: argparse.Namespace) -> Limits:
    # Size/depth flags, when a command defines them, override the defaults.
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(Limits) if getattr(args, f.name, None) is not None}
    return dataclasses.replace(Limits(), **given)


def _joined(values: list[str]) -> str:
    return ",".join(values)


def _render(output_format: str, results, args: argparse.Namespace) -> str:
    module, function = FORMATS[output_format].split(":")
    formatter = getattr(importlib.import_module(module), function)
    if output_format != "text":
        return formatter(results)
    tty = sys.stdout.isatty()
    color = args.color == "always" or (args.color == "auto" and tty and not os.environ.get("NO_COLOR"))
    show_source = args.show_source if args.show_source is not None else (tty or args.color == "always")
    return formatter(results, show_source=show_source, color=color)
