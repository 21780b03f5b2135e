"""``dao`` command line: predict, train, info. Bad input exits non-zero with one clear line."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence

from dao_engine.errors import DaoError


def _add_predict(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="predict crystal structures for a composition")
    p.add_argument("formula", help="composition, e.g. NaCl, CsV3Sb5, Zr16Rh8O4")
    size = p.add_mutually_exclusive_group()
    size.add_argument(
        "--z", type=int, default=None, help="formula units per cell (default: as written)"
    )
    size.add_argument("--atoms", type=int, default=None, help="atoms per cell (alternative to --z)")
    p.add_argument("--shots", type=int, default=20, help="number of samples (default 20)")
    p.add_argument("--steps", type=int, default=1000, help="reverse diffusion steps (default 1000)")
    p.add_argument(
        "--guidance", type=float, default=0.0, help="energy-guidance strength s (default 0)"
    )
    p.add_argument(
        "--energy-checkpoint",
        default=None,
        help="DAO-P model for guidance and ranking (default: the generator's own energy head)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--step-lr", type=float, default=None, help="Langevin corrector scale (default: model's)"
    )
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    p.add_argument(
        "--checkpoint", default=None, help="model checkpoint (default: the shipped model)"
    )
    p.add_argument("--out", default="predictions", help="output folder for CIF files")
    p.add_argument("--p1", action="store_true", help="write P1 CIFs instead of symmetrized ones")
    p.add_argument(
        "--symprec", type=float, default=0.1, help="symmetry tolerance in Å (default 0.1)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--force", action="store_true", help="replace CIFs already in --out")


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
    parser = argparse.ArgumentParser(prog="dao", description="DAO crystal structure prediction")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_predict(sub)
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


def _progress_bar(step: int, total: int, eta: float) -> None:
    width = 30
    filled = int(width * step / total)
    sys.stderr.write(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {step}/{total} steps, ETA {eta:5.0f} s"
    )
    if step == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def run_predict(args: argparse.Namespace) -> int:
    from dao_engine import api
    from dao_engine.crystal.symmetry import space_group
    from dao_engine.prediction_files import candidate_file_names, write_candidates
    from dao_engine.validation import check_output_dir, check_symprec

    check_symprec(args.symprec)
    request = api.PredictRequest(
        formula=args.formula,
        z=args.z,
        num_atoms=args.atoms,
        shots=args.shots,
        steps=args.steps,
        guidance=args.guidance,
        seed=args.seed,
        device=args.device,
        checkpoint=args.checkpoint,
        energy_checkpoint=args.energy_checkpoint,
        step_lr=args.step_lr,
    )  # options are checked here, before any model is loaded
    check_output_dir(args.out, candidate_file_names(request), force=args.force)
    show = None if args.quiet else (lambda p: _progress_bar(p.step, p.total, p.eta_s))
    result = api.predict(request, on_progress=show)
    written = write_candidates(result, args.out, symmetrize=not args.p1, symprec=args.symprec)
    print(
        f"{'rank':>4} {'shot':>4} {'formula':<14} {'space group':<12} {'V/atom Å³':>9} {'ρ g/cm³':>8} {'E gen':>9} {'E file':>9}  file"
    )
    for rank, item in enumerate(written, start=1):
        cand, c = item.candidate, item.candidate.crystal
        symbol, number = space_group(c, symprec=args.symprec)
        notes = [f"not a valid crystal: {cand.problem}"] if cand.problem else []
        notes += [item.written.note] if item.written.note and not cand.problem else []
        note = "".join(f"  [{n}]" for n in notes)
        print(
            f"{rank:>4} {cand.shot:>4} {c.formula():<14} {symbol + f' ({number})':<12} "
            f"{c.volume / c.num_atoms:9.3f} {_density(c):8.3f} {_energy(cand.energy_per_atom)} "
            f"{_energy(item.file_energy)}  {item.path}{note}"
        )
    print(f"{len(result.candidates)} structures in {result.seconds:.1f} s with {result.model_path}")
    if result.energy_label:
        print(
            f"E = {result.energy_label}; 'E gen' of the generated cell (ranked lowest first), "
            "'E file' of the cell written in the file"
        )
    return 0


def _energy(value: float | None) -> str:
    return f"{'—':>9}" if value is None else f"{value:9.4f}"


def _density(crystal) -> float:  # type: ignore[no-untyped-def]
    """Mass density in g/cm³."""
    from pymatgen.core.periodic_table import Element

    mass = sum(float(Element.from_Z(int(z)).atomic_mass) for z in crystal.species)
    return mass * 1.66053906660 / crystal.volume


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
        args = build_parser().parse_args(argv)
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

    original = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
        if issubclass(category, StructureWarning):
            print(f"dao: warning: {_one_line(message)}", file=sys.stderr)  # type: ignore[arg-type]
        else:
            original(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    warnings.simplefilter("always", StructureWarning)


def _one_line(exc: BaseException) -> str:
    """The message on one line, without ANSI colour codes."""
    return " ".join(re.sub(r"\x1b\[[0-?]*[ -/]*[@-~]", "", str(exc)).split())


def _dispatch(args: argparse.Namespace) -> int:
    handlers = {"predict": run_predict, "info": run_info, "export": run_export}
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
