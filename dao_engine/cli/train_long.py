"""``dao train-long``: train the general model to a wall-clock budget (resumable, SIGTERM-safe).

The options and the run are :mod:`dao_engine.jobs.long_train`'s, which is also run as
``python -m dao_engine.jobs.long_train``; this module only names it as a ``dao`` command.
"""

from __future__ import annotations

import argparse

from dao_engine.cli.common import Subcommands


def add_parser(sub: Subcommands) -> None:
    from dao_engine.jobs.long_train import add_arguments

    p = sub.add_parser(
        "train-long",
        help="train the general model to a wall-clock budget; resumable, stops cleanly on SIGTERM",
    )
    add_arguments(p)


def run(args: argparse.Namespace) -> int:
    from dao_engine.jobs.long_train import run_cli

    return run_cli(args)
