"""``dao evaluate``: benchmark a checkpoint with the CSP protocol (match rate and RMSE).

    dao evaluate runs/dao-g.pt --data mp_20/test --shots 20 --steps 1000 --limit 200 --subset-seed 0

Writes ``benchmarks/results/<model>_<dataset>.json`` (or ``--out``) and prints a small table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dao_engine.cli.common import Subcommands
from dao_engine.cli.sampling_options import add_sampling_arguments, sampling_arguments
from dao_engine.errors import DaoError


def add_parser(sub: Subcommands) -> None:
    p = sub.add_parser("evaluate", help="benchmark a checkpoint with the CSP protocol")
    p.add_argument("checkpoint", help="a DAO-G or DAO-P checkpoint")
    p.add_argument("--data", default="mp_20/test", help="test split (default mp_20/test)")
    p.add_argument("--shots", type=int, default=20, help="samples per test crystal (default 20)")
    add_sampling_arguments(p, step_lr_default="the protocol's value for the dataset")
    p.add_argument("--limit", type=int, default=None, help="evaluate N test crystals (default all)")
    p.add_argument(
        "--subset-seed",
        type=int,
        default=None,
        help="with --limit: a random subset drawn with this seed (default: first N)",
    )
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    p.add_argument("--batch-size", type=int, default=256, help="structures per sampling batch")
    p.add_argument("--processes", type=int, default=2, help="matching workers (default 2)")
    p.add_argument(
        "--out", default=None, help="JSON file (default benchmarks/results/<model>_<dataset>.json)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")


def _progress(item: object) -> None:
    from dao_engine.evaluation.protocol import MatchProgress
    from dao_engine.evaluation.runner import SamplingProgress

    if isinstance(item, SamplingProgress):
        rate = item.done / item.elapsed_s if item.elapsed_s > 0 else 0.0
        eta = (item.total - item.done) / rate if rate > 0 else 0.0
        sys.stderr.write(
            f"\rsampled {item.done}/{item.total} structures, {rate:.1f}/s, ETA {eta:.0f} s"
        )
    elif isinstance(item, MatchProgress):
        sys.stderr.write(f"\rmatched {item.done}/{item.total} pairs" + " " * 30)
    if getattr(item, "done", 0) == getattr(item, "total", -1):
        sys.stderr.write("\n")
    sys.stderr.flush()


def _cell(rate: float | None, rmse: float | None) -> str:
    if rate is None:
        return f"{'—':>12} {'—':>8}"
    return f"{rate:12.2f} {'—' if rmse is None else f'{rmse:.4f}':>8}"


def print_summary(record: dict, path: object) -> None:
    """The table of a record written by :func:`dao_engine.evaluation.runner.evaluate_iter`."""
    print(
        f"{record['model']} on {record['dataset']}: {record['test_structures']} test crystals "
        f"({record['subset']}), {record['shots']} shots x {record['steps']} steps, "
        f"step_lr {record['step_lr']:g}"
    )
    oracle = f"{record['shots']}-shot (oracle)"
    print(f"{'metric':<20} {'match rate %':>12} {'RMSE':>8}")
    print(f"{'1-shot':<20} {_cell(record['match_rate'], record['rmse'])}")
    print(f"{oracle:<20} {_cell(record['match_rate_k'], record['rmse_k'])}")
    print(f"{'energy-selected':<20} {_cell(record['match_rate_energy'], record['rmse_energy'])}")
    v = record["validity"]
    print(
        f"validity of {v['shots']} samples: structural {v['structural']:.1f} %, "
        f"composition {v['composition']:.1f} %, both {v['both']:.1f} %"
    )
    rate = record["samples_per_s"]
    print(
        f"{'—' if rate is None else f'{rate:.2f}'} samples/s on {record['hardware']}; "
        f"wall {record['wall_s']:.1f} s"
    )
    for note in record["notes"]:
        print(f"note: {note}")
    print(f"wrote {path}")


def output_path(args: argparse.Namespace) -> Path:
    """``--out``, or ``benchmarks/results/<model>_<dataset>.json``; refused when it exists and
    ``--force`` is not given (committed results are cited by model cards)."""
    from dao_engine.evaluation.runner import dataset_family
    from dao_engine.validation import check_output_file

    if args.out:
        path = Path(args.out)
    else:
        family = dataset_family(args.data) if args.data else "references"
        path = Path("benchmarks") / "results" / f"{Path(args.checkpoint).stem}_{family}.json"
    return check_output_file(path, force=args.force)


def run(args: argparse.Namespace) -> int:
    from dao_engine.evaluation.runner import EvaluationRequest, EvaluationRun, evaluate_iter

    out = output_path(args)  # before any sampling: an existing result is not overwritten
    request = EvaluationRequest(
        checkpoint=args.checkpoint,
        dataset=args.data,
        shots=args.shots,
        limit=args.limit,
        subset_seed=args.subset_seed,
        device=args.device,
        batch_size=args.batch_size,
        processes=args.processes,
        out=str(out),
        command=_command(args),
        **sampling_arguments(args),
    )
    for item in evaluate_iter(request):
        if isinstance(item, EvaluationRun):
            print_summary(item.record, item.path)
            return 0
        if not args.quiet:
            _progress(item)
    raise DaoError("evaluation ended without a result")


def _command(args: argparse.Namespace) -> str:
    """The effective command line, defaults included (what the JSON record should say)."""
    parts = ["dao evaluate", str(args.checkpoint)]
    for key, value in vars(args).items():
        if key in ("command", "checkpoint", "quiet", "force") or value is None or callable(value):
            continue
        if key == "clip_lattice":  # a switch: written only when it is off
            parts += [] if value else ["--no-clip-lattice"]
            continue
        parts.append(f"--{key.replace('_', '-')} {value}")
    return " ".join(parts)
