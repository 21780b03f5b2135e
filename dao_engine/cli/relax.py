"""``dao relax STRUCTURE``: relax one structure with DAO-P's energy or with CHGNet."""

from __future__ import annotations

import argparse

from dao_engine.cli.common import Subcommands


def add_parser(sub: Subcommands) -> None:
    p = sub.add_parser("relax", help="relax a structure with DAO-P's energy or with CHGNet")
    p.add_argument("structure", help="CIF, POSCAR or extended XYZ file")
    p.add_argument("--backend", choices=["dao", "chgnet"], default="dao")
    p.add_argument(
        "--checkpoint", default=None, help="DAO-P checkpoint (default: the shipped model)"
    )
    p.add_argument("--steps", type=int, default=1, help="L-BFGS outer steps (DAO; paper: 1)")
    p.add_argument("--chgnet-steps", type=int, default=300, help="FIRE steps (CHGNet)")
    p.add_argument("--max-iter", type=int, default=5, help="L-BFGS max_iter (paper: 5)")
    p.add_argument("--lr", type=float, default=1.0, help="L-BFGS lr (paper: 1.0)")
    p.add_argument("--out", default=None, help="write the relaxed structure here (CIF/POSCAR/XYZ)")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")


def run(args: argparse.Namespace) -> int:
    from dao_engine.io.structure_files import detect_format, read_structure, write_structure
    from dao_engine.relaxation_api import relax_crystal
    from dao_engine.validation import check_output_file, check_relax_options

    check_relax_options(args.steps, args.max_iter, args.lr, args.chgnet_steps)
    if args.out:  # before any work: a bad --out must not waste the relaxation
        detect_format(args.out)
        check_output_file(args.out, force=args.force)
    crystal = read_structure(args.structure)
    out = relax_crystal(
        crystal,
        args.backend,
        args.checkpoint,
        steps=args.steps,
        max_iter=args.max_iter,
        lr=args.lr,
        chgnet_steps=args.chgnet_steps,
    )
    relaxed, invalid = out.crystal.with_label(crystal.label), out.problem
    print(
        f"{out.energy_label}: {out.energies[0]:.4f} → {out.relaxed_energy:.4f} "
        f"({len(out.energies)} evaluations)"
    )
    a, b, c, al, be, ga = relaxed.lattice_parameters()
    print(
        f"cell a={a:.4f} b={b:.4f} c={c:.4f} Å  α={al:.2f} β={be:.2f} γ={ga:.2f}°  V={relaxed.volume:.3f} Å³"
    )
    if invalid:
        print(f"warning: the result is not a valid crystal: {invalid}")
    if args.out:
        write_structure(relaxed, args.out)
        print(f"wrote {args.out}")
    return 1 if invalid else 0
