"""``dao tc FORMULA|FILE``: the ensemble's T_c (with its spread) of a formula's generated
structures or of the structures in a file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dao_engine.cli.common import Subcommands
from dao_engine.errors import CompositionError, StructureParseError
from dao_engine.sampling.settings import DEFAULT_STEPS


def add_parser(sub: Subcommands) -> None:
    p = sub.add_parser("tc", help="predict the superconducting T_c of a formula or structure file")
    p.add_argument("target", help="formula (e.g. CsV3Sb5, Zr16Rh8O4) or CIF/POSCAR/XYZ file")
    p.add_argument("--shots", type=int, default=5, help="structures to generate for a formula")
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="sampling steps for a formula")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--generator", default=None, help="DAO-G checkpoint (default: shipped SC model)")
    p.add_argument("--tc-model", default=None, help="T_c ensemble (default: the shipped one)")
    p.add_argument("--device", default="auto")


def structure_target(target: str) -> Path | None:
    """The file ``target`` names, or None when it is a formula.

    Raises StructureParseError for a directory, or for a missing file whose name is plainly a
    path (a structure suffix, a ``/``, POSCAR/CONTCAR) and no formula; CompositionError, from
    the formula parser, for anything else that is no formula (shell characters, ...).
    """
    from dao_engine.crystal.composition import parse_formula

    path = Path(target)
    try:
        is_dir, exists = path.is_dir(), path.exists()
    except (OSError, ValueError):  # a name no file can have: judged as a formula below
        is_dir = exists = False
    if is_dir:
        raise StructureParseError(
            f"'{target}' is a directory, not a structure file; give one CIF, POSCAR or XYZ "
            "file, or a formula such as NaCl"
        )
    if exists:
        return path  # a FIFO, a device, ... is refused by read_structures
    try:
        parse_formula(target)
    except CompositionError:
        if not _looks_like_path(target):
            raise
        raise StructureParseError(
            f"no such file: '{target}'; give an existing CIF, POSCAR or XYZ file, or a formula "
            "such as NaCl"
        ) from None
    return None


def _looks_like_path(target: str) -> bool:
    """True for a name that is plainly a file name: a structure suffix, a path separator or a
    POSCAR/CONTCAR name, and none of the characters a shell gives a meaning to."""
    if any(ch in target for ch in ";|&$<>*?'\"`!"):
        return False
    name = Path(target).name.lower()
    suffix = Path(name.removesuffix(".gz")).suffix
    return (
        "/" in target
        or suffix in (".cif", ".vasp", ".xyz", ".extxyz", ".poscar")
        or name.startswith(("poscar", "contcar"))
    )


def run(args: argparse.Namespace) -> int:
    from dao_engine.io.structure_files import read_structures
    from dao_engine.superconductors.service import predict_tc, predict_tc_for_formula

    path = structure_target(args.target)
    if path is not None:
        crystals = read_structures(path)
        for crystal, prediction in zip(
            crystals, predict_tc(crystals, args.tc_model, args.device), strict=True
        ):
            print(f"{crystal.label or path.name} ({crystal.formula()}): {prediction.text()}")
        return 0

    def show(progress) -> None:  # type: ignore[no-untyped-def]
        if progress.step % 20 and progress.step != progress.total:
            return
        sys.stderr.write(
            f"\rgenerating structures: step {progress.step}/{progress.total}, ETA {progress.eta_s:4.0f} s"
        )
        if progress.step == progress.total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    result = predict_tc_for_formula(
        args.target,
        args.shots,
        args.steps,
        args.seed,
        args.generator,
        args.tc_model,
        args.device,
        show,
    )
    for i, (crystal, prediction) in enumerate(result.shots, start=1):
        print(
            f"structure {i} ({crystal.formula()}, {crystal.volume / crystal.num_atoms:.2f} Å³/atom): {prediction.text()}"
        )
    print(f"{args.target}: {result.summary.text().replace('models', 'models × structures')}")
    if result.skipped:
        print(f"({result.skipped} implausible generated structures left out)")
    return 0
