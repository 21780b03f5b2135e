"""One whole GPU job in one run: read compact arrays, train or resume until a wall-clock budget,
sample the test split, and write checkpoint, generated structures and a JSON log.

    python -m dao_engine.gpu_job --arrays gpu_data/perov_5 --out $OUT --minutes 8.5
    torchrun --nproc_per_node 4 -m dao_engine.gpu_job --arrays gpu_data/mp_20 --out out/ ...

``--arrays DIR`` holds ``train.npz``, ``test.npz`` and ``manifest.json`` (written on a CPU
machine by ``python -m dao_engine.jobs.prep``). Training resumes from ``--resume`` or, when
present, ``DIR/<name>.pt`` (copy the last run's ``<name>.pt`` there), so a model is trained
across several short runs on one schedule. Written to ``--out``: ``<name>.pt`` (resumable),
``<name>_fp16.pt`` (compact inference copy), ``generated_<k>shot.npz`` (NumPy arrays; match
them on a CPU with ``python -m dao_engine.jobs.evaluate_generated``) and ``job_log.json``.
Imports nothing that needs pymatgen, spglib or smact.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from dao_engine.cli.sampling_options import add_sampling_arguments, sampling_arguments
from dao_engine.errors import DaoError
from dao_engine.jobs.job import JobSettings, run_job
from dao_engine.sampling.settings import SamplingSettings


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m dao_engine.gpu_job", description=__doc__.splitlines()[0]
    )
    p.add_argument("--arrays", required=True, help="folder with train.npz, test.npz, manifest.json")
    p.add_argument("--out", default=os.environ.get("OUT", "out/gpu_job"), help="output folder")
    p.add_argument("--minutes", type=float, default=8.5, help="wall-clock budget of the whole job")
    p.add_argument("--sample-minutes", type=float, default=2.5, help="part kept for sampling")
    p.add_argument("--name", default=None, help="model name (default dao-g-<dataset>-gpu)")
    p.add_argument("--resume", default=None, help="checkpoint to continue (default DIR/<name>.pt)")
    p.add_argument("--no-train", action="store_true", help="only sample from the checkpoint")
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--width", type=int, default=128)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--max-atoms", type=int, default=None, help="default: the manifest's")
    p.add_argument(
        "--total-steps",
        type=int,
        default=None,
        help="schedule length over all runs (new model: 60000; resume: the checkpoint's)",
    )
    p.add_argument("--batch-size", type=int, default=256, help="crystals per step (per rank)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--energy-weight", type=float, default=0.0, help="> 0 trains DAO-P")
    p.add_argument("--log-every", type=int, default=200)
    p.add_argument("--checkpoint-every", type=int, default=2000)
    p.add_argument("--compile", choices=["auto", "on", "off"], default="auto")
    p.add_argument("--shots", default="1", help="comma-separated sampling passes, e.g. 1,20")
    add_sampling_arguments(p, "the protocol's value", seed_help="training and sampling seed")
    p.add_argument("--sample-batch", type=int, default=2048, help="structures per batch")
    p.add_argument("--limit", type=int, default=None, help="sample N test crystals only")
    p.add_argument("--subset-seed", type=int, default=0, help="seed of the --limit subset")
    p.add_argument("--device", default="auto")
    p.add_argument("--allow-large", action="store_true", help="allow checkpoints > 16 MiB")
    return p


def settings_from_args(args: argparse.Namespace, started: float) -> JobSettings:
    """The parsed command line as :class:`JobSettings` (the deadline counts from ``started``)."""
    shots = tuple(int(s) for s in str(args.shots).split(",") if s.strip())
    return JobSettings(
        arrays=Path(args.arrays),
        out=Path(args.out),
        deadline=started + 60.0 * args.minutes,
        started=started,
        sample_seconds=60.0 * args.sample_minutes if shots else 0.0,
        name=args.name,
        resume=None if args.resume is None else Path(args.resume),
        train=not args.no_train,
        layers=args.layers,
        width=args.width,
        heads=args.heads,
        max_atoms=args.max_atoms,
        total_steps=args.total_steps,
        batch_size=args.batch_size,
        lr=args.lr,
        warmup=args.warmup,
        energy_weight=args.energy_weight,
        log_every=args.log_every,
        checkpoint_every=args.checkpoint_every,
        compile=args.compile,
        shots=shots,
        sampling=SamplingSettings(**sampling_arguments(args)),
        sample_batch=args.sample_batch,
        limit=args.limit,
        subset_seed=args.subset_seed,
        seed=args.seed,
        device=args.device,
        allow_large=args.allow_large,
        command="python -m dao_engine.gpu_job " + " ".join(sys.argv[1:]),
    )


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (2 for bad input, 130 when interrupted)."""
    started = time.monotonic()
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    torch.backends.cuda.matmul.allow_tf32 = True
    try:
        run_job(settings_from_args(args, started))
    except DaoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; the last checkpoint and log were kept", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
