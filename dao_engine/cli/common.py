"""What every ``dao`` command shares: the one-line usage errors, one-line messages, a progress
bar on stderr. Standard library only (``import dao_engine.cli`` must not load torch)."""

from __future__ import annotations

import argparse
import re
import sys
from typing import NoReturn

#: The type of ``parser.add_subparsers()``: what each command's ``add_parser`` receives.
Subcommands = argparse._SubParsersAction


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line (exit 2), not the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see '{self.prog} --help')\n")

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def, override]
        """As argparse's, but ``--steps=--`` (which argparse turns into an empty list instead of
        a value) is a usage error rather than a list reaching the code."""
        namespace, extras = super().parse_known_args(args, namespace)
        for action in self._actions:
            value = getattr(namespace, action.dest, None)
            single = isinstance(action, argparse._StoreAction) and action.nargs is None
            if single and action.option_strings and isinstance(value, list):
                self.error(f"argument {'/'.join(action.option_strings)}: expected one value")
        return namespace, extras


def one_line(exc: BaseException | str) -> str:
    """The message on one line, without ANSI colour codes; any other control character (a lone
    ESC in a file name the user typed) is written as ``\\xNN``."""
    from dao_engine.crystal.formula_parser import printable_text

    text = re.sub(r"\x1b\[[0-?]*[ -/]*[@-~]", "", str(exc))
    return " ".join(printable_text(word) for word in text.split())


def progress_bar(label: str, done: int, total: int, eta: float) -> None:
    """``label [#####.....] done/total, ETA s`` on stderr, redrawn in place; a newline at the end."""
    width = 30
    filled = int(width * done / max(total, 1))
    sys.stderr.write(
        f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}, ETA {eta:5.0f} s"
    )
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()
