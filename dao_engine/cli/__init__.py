"""``dao`` command line. Bad input exits non-zero with one clear line, never a traceback.

One module per command in this package, each with the same two functions::

    add_parser(sub: Subcommands) -> None    # adds its sub-parser (and nothing else)
    run(args: argparse.Namespace) -> int    # runs it; returns the exit status

:data:`COMMANDS` maps each command to its module, in ``dao --help`` order; :func:`main` is the
one dispatch. A module is imported only when the parser is built, after
:func:`dao_engine.threads.configure_threads` (so ``import dao_engine.cli`` loads no torch).
Shared pieces: :mod:`.common` (one-line errors, progress bar) and :mod:`.sampling_options`
(the sampler's flags, shared by ``predict``, ``evaluate`` and the GPU job).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from dao_engine.cli.common import OneLineParser, one_line
from dao_engine.errors import DaoError

__all__ = ["COMMANDS", "build_parser", "command_module", "main"]

#: ``dao`` command -> its module in this package, in ``dao --help`` order.
COMMANDS: dict[str, str] = {
    "predict": "predict",
    "train": "train",
    "train-long": "train_long",
    "relax": "relax",
    "relax-dataset": "relax_dataset",
    "evaluate": "evaluate",
    "tc": "tc",
    "tc-study": "tc_study",
    "info": "info",
    "export": "export",
}


def command_module(command: str) -> ModuleType:
    """The module of ``command`` (its ``add_parser`` and ``run``)."""
    return importlib.import_module(f"{__name__}.{COMMANDS[command]}")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="dao", description="DAO crystal structure prediction")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command_module(command).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; bad input exits 2 with one line, Ctrl-C 130, never a traceback."""
    name = "dao"
    try:
        from dao_engine.threads import configure_threads

        configure_threads()  # before torch runs anything: see dao_engine/threads.py
        _structure_warnings_as_one_line()
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:  # --help (0) or a usage error, already printed on one line
            return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        name = f"dao {args.command}"
        return command_module(args.command).run(args)
    except DaoError as exc:
        print(f"{name}: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a disk full or a path that vanished while writing
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"{name}: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1


def _structure_warnings_as_one_line() -> None:
    """Print a :class:`StructureWarning` (e.g. overlapping atoms in a file read) as one line."""
    import warnings

    from dao_engine.errors import StructureWarning

    warnings.simplefilter("always", StructureWarning)
    original = warnings.showwarning
    if getattr(original, "dao_one_line", False):  # installed by an earlier main() call
        return

    def show(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
        if issubclass(category, StructureWarning):
            print(f"dao: warning: {one_line(message)}", file=sys.stderr)  # type: ignore[arg-type]
        else:
            original(message, category, filename, lineno, file, line)

    show.dao_one_line = True  # type: ignore[attr-defined]
    warnings.showwarning = show
