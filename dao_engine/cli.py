"""``dao`` command line: predict, train, info. Bad input exits non-zero with one clear line."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

from dao_engine.errors import DaoError


class _OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line (exit 2), not the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see '{self.prog} --help')\n")

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


def _add_info(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="describe a checkpoint")
    p.add_argument("checkpoint")
    e = sub.add_parser(
        "export", help="write a compact inference copy of a checkpoint (EMA weights, fp16)"
    )
    e.add_argument("checkpoint")
    e.add_argument("out")
    e.add_argument("--dtype", choices=["float16", "bfloat16", "float32"], default="float16")


def _add_train_long(sub: argparse._SubParsersAction) -> None:
    from dao_engine.jobs.long_train import add_arguments

    p = sub.add_parser(
        "train-long",
        help="train the general model to a wall-clock budget; resumable, stops cleanly on SIGTERM",
    )
    add_arguments(p)


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="dao", description="DAO crystal structure prediction")
    sub = parser.add_subparsers(dest="command", required=True)
    from dao_engine.cli_predict import add_predict_parser

    add_predict_parser(sub)
    from dao_engine.cli_evaluate import add_evaluate_parser
    from dao_engine.cli_relax import add_relax_parsers
    from dao_engine.cli_train import add_train_parser

    add_train_parser(sub)
    _add_train_long(sub)
    add_relax_parsers(sub)
    add_evaluate_parser(sub)
    from dao_engine.cli_tc import add_tc_parsers

    add_tc_parsers(sub)
    _add_info(sub)
    return parser


def run_info(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dao_engine.io.checkpoint import load_checkpoint
    from dao_engine.models.loading import check_weights_fit, configs_from_checkpoint

    data = load_checkpoint(args.checkpoint)  # schema checked: a broken file exits 2 here
    config, _ = configs_from_checkpoint(data, Path(args.checkpoint))
    check_weights_fit(data, Path(args.checkpoint), config)
    weights = data["model"]
    n_params = sum(v.numel() for v in weights.values() if v.is_floating_point())
    dtype = next(iter(weights.values())).dtype
    print(f"checkpoint      {args.checkpoint}")
    print(f"kind            {data['kind']}  (schema v{data['schema_version']})")
    print(f"step            {data.get('step', 0)}")
    print(f"parameters      {n_params:,}  ({dtype})")
    print(f"model           {data['model_config']}")
    print(f"diffusion       {data['diffusion_config']}")
    print(f"data            fingerprint {data.get('data_fingerprint')}")
    if data.get("energy_normalisation"):
        print(f"energy labels   {data['energy_normalisation']}")
    for key, value in (data.get("metadata") or {}).items():
        print(f"{key:<15} {value}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    import hashlib

    import torch

    from dao_engine.io.checkpoint import inference_payload, load_checkpoint, save_checkpoint

    data = load_checkpoint(args.checkpoint)
    out = save_checkpoint(args.out, inference_payload(data, getattr(torch, args.dtype)))
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, sha256 {digest})")
    return 0


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
        return _dispatch(args)
    except DaoError as exc:
        print(f"{name}: error: {_one_line(exc)}", file=sys.stderr)
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
            print(f"dao: warning: {_one_line(message)}", file=sys.stderr)  # type: ignore[arg-type]
        else:
            original(message, category, filename, lineno, file, line)

    show.dao_one_line = True  # type: ignore[attr-defined]
    warnings.showwarning = show


def _one_line(exc: BaseException | str) -> str:
    """The message on one line, without ANSI colour codes."""
    return " ".join(re.sub(r"\x1b\[[0-?]*[ -/]*[@-~]", "", str(exc)).split())


def _dispatch(args: argparse.Namespace) -> int:
    handlers = {"info": run_info, "export": run_export}
    if args.command == "predict":
        from dao_engine.cli_predict import run_predict

        return run_predict(args)
    if args.command == "train":
        from dao_engine.cli_train import run_train

        return run_train(args)
    if args.command == "train-long":
        from dao_engine.jobs.long_train import run_cli

        return run_cli(args)
    if args.command == "evaluate":
        from dao_engine.cli_evaluate import run_evaluate

        return run_evaluate(args)
    if args.command in ("relax", "relax-dataset"):
        from dao_engine import cli_relax

        return (
            cli_relax.run_relax(args)
            if args.command == "relax"
            else cli_relax.run_relax_dataset(args)
        )
    if args.command in ("tc", "tc-study"):
        from dao_engine import cli_tc

        return cli_tc.run_tc(args) if args.command == "tc" else cli_tc.run_tc_study(args)
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
