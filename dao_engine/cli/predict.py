"""``dao predict``: sample a composition, add known structures and templates, relax and rank.

dao predict NaCl --z 4 --shots 8 --steps 1000                 # CHGNet relax-rank when installed
dao predict NaCl --relax none --rank dao --library 0          # DAO samples only, DAO-P order
"""

from __future__ import annotations

import argparse
import sys

from dao_engine.cli.common import Subcommands, progress_bar
from dao_engine.cli.sampling_options import add_sampling_arguments, sampling_arguments
from dao_engine.ranking.relax_rank import RANK_ENERGIES, RELAX_BACKENDS


def add_parser(sub: Subcommands) -> None:
    p = sub.add_parser("predict", help="predict crystal structures for a composition")
    p.add_argument("formula", help="composition, e.g. NaCl, CsV3Sb5, Zr16Rh8O4")
    size = p.add_mutually_exclusive_group()
    size.add_argument(
        "--z", type=int, default=None, help="formula units per cell (default: as written)"
    )
    size.add_argument("--atoms", type=int, default=None, help="atoms per cell (alternative to --z)")
    p.add_argument("--shots", type=int, default=20, help="number of samples (default 20)")
    add_sampling_arguments(p, step_lr_default="the model's")
    p.add_argument(
        "--energy-checkpoint",
        default=None,
        help="DAO-P model for guidance and ranking (default: the generator's own energy head)",
    )
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    p.add_argument(
        "--checkpoint", default=None, help="model checkpoint (default: the shipped model)"
    )
    p.add_argument(
        "--relax",
        choices=("auto", *RELAX_BACKENDS),
        default="auto",
        help="relax every candidate: chgnet, dao (DAO-P energy) or none (default: chgnet when "
        "installed, else none)",
    )
    p.add_argument(
        "--rank",
        choices=("auto", *RANK_ENERGIES),
        default="auto",
        help="rank polymorphs by chgnet or dao energy (default: chgnet when installed)",
    )
    p.add_argument(
        "--library",
        type=int,
        default=5,
        help="known structures and substitution templates from the shipped library (default 5; 0 = none)",
    )
    p.add_argument(
        "--energy-order",
        action="store_true",
        help="rank polymorphs by energy alone (default: the library's best candidate first)",
    )
    p.add_argument("--no-known", action="store_true", help="no exact-composition known structures")
    p.add_argument("--no-templates", action="store_true", help="no substitution templates")
    p.add_argument("--chgnet-steps", type=int, default=200, help="FIRE steps per CHGNet relaxation")
    p.add_argument("--out", default="predictions", help="output folder for CIF files")
    p.add_argument("--p1", action="store_true", help="write P1 CIFs instead of symmetrized ones")
    p.add_argument(
        "--symprec", type=float, default=0.1, help="symmetry tolerance in Å (default 0.1)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--force", action="store_true", help="replace CIFs already in --out")


def resolve_relax_rank(relax: str, rank: str) -> tuple[str, str]:
    """The "auto" choices made concrete: CHGNet where it is installed."""
    from dao_engine.ranking.pipeline import chgnet_available

    has = chgnet_available()
    relax = ("chgnet" if has else "none") if relax == "auto" else relax
    rank = ("chgnet" if has else "dao") if rank == "auto" else rank
    return relax, rank


def run(args: argparse.Namespace) -> int:
    from dao_engine import api
    from dao_engine.prediction_files import candidate_file_names
    from dao_engine.ranking.pipeline import SourceSwitches, file_name, gather, library_sources
    from dao_engine.ranking.relax_rank import RankedResult, RelaxRankSettings, relax_and_rank_iter
    from dao_engine.validation import check_output_dir, check_symprec

    check_symprec(args.symprec)
    relax, rank = resolve_relax_rank(args.relax, args.rank)
    settings = RelaxRankSettings(
        relax,
        rank,
        chgnet_steps=args.chgnet_steps,
        checkpoint=args.checkpoint,
        library_first=not args.energy_order,
    )
    switches = SourceSwitches(True, not args.no_known, not args.no_templates, args.library)
    request = api.PredictRequest(
        formula=args.formula,
        z=args.z,
        num_atoms=args.atoms,
        shots=args.shots,
        device=args.device,
        checkpoint=args.checkpoint,
        energy_checkpoint=args.energy_checkpoint,
        **sampling_arguments(args),
    )  # options are checked here, before any model is loaded
    library, warnings = library_sources(args.formula, switches)
    names = candidate_file_names(request) + [file_name(c, args.formula) for c in library]
    check_output_dir(args.out, names, force=args.force)  # before sampling: nothing is lost
    for line in warnings:
        print(f"dao predict: warning: {line}", file=sys.stderr)
    show = None if args.quiet else (lambda p: progress_bar("sampling", p.step, p.total, p.eta_s))
    prediction = api.predict(request, on_progress=show)
    candidates = gather(library, prediction)
    ranked: RankedResult | None = None
    for event in relax_and_rank_iter(candidates, settings):
        if isinstance(event, RankedResult):
            ranked = event
        elif not args.quiet and relax != "none":
            progress_bar(f"relaxing ({relax})", event.done, event.total, event.eta_s)
    assert ranked is not None
    from dao_engine.cli.predict_table import file_energies, print_ranked, write_ranked

    files = write_ranked(ranked, args.out, args.formula, not args.p1, args.symprec)
    in_files = file_energies(ranked, files, args.checkpoint)
    print_ranked(ranked, files, prediction, args.symprec, in_files)
    return 0
