"""``dao train``: train a DAO-G model on named datasets, an arrays file, or structure files."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

import numpy as np
import torch

from dao_engine.cli.common import Subcommands
from dao_engine.errors import DatasetError
from dao_engine.model_card import git_commit, hardware_name, write_card
from dao_engine.training.energy import EnergyNormalisation


def add_parser(sub: Subcommands) -> None:
    p = sub.add_parser(
        "train", help="train (or resume) a DAO-G model, or DAO-P with --energy-weight"
    )
    p.add_argument("--data", help="comma-separated dataset names (see 'dao train --list')")
    p.add_argument(
        "--arrays", nargs="+", help="pre-processed .npz files written by the dataset tools"
    )
    p.add_argument("--structures", nargs="+", help="CIF/POSCAR/XYZ files to train on")
    p.add_argument("--list", action="store_true", help="list dataset names and exit")
    p.add_argument(
        "--exclude",
        default=None,
        help="comma-separated test sets to de-duplicate against (Algorithm 2), e.g. mp_20/test",
    )
    p.add_argument(
        "--out", default="runs/dao-g.pt", help="checkpoint to write (default runs/dao-g.pt)"
    )
    p.add_argument("--resume", action="store_true", help="continue from --out if it exists")
    p.add_argument(
        "--max-atoms", type=int, default=20, help="drop crystals with more atoms (default 20)"
    )
    p.add_argument(
        "--limit", type=int, default=None, help="read only the first N entries per dataset"
    )
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--steps", type=int, default=10_000, help="optimiser steps in all")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument(
        "--step-lr",
        type=float,
        default=None,
        help="corrector scale recorded for sampling (default: the CSP protocol's value when all "
        "--data names are of one family, e.g. 5e-7 for perov_5, else 1e-5)",
    )
    p.add_argument(
        "--energy-weight",
        type=float,
        default=0.0,
        help="> 0 trains DAO-P: adds the intermediate-energy loss (Eq. 10) with this weight",
    )
    p.add_argument(
        "--init", default=None, help="start from this checkpoint's weights (stage II / fine-tune)"
    )
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--compile", choices=["auto", "on", "off"], default="off")


def _load_crystals(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """All sources given (--data, --arrays, --structures) joined into one CrystalArrays."""
    from dao_engine.datasets.arrays import CrystalArrays

    parts, names = [], []
    if args.data:
        from dao_engine.datasets.registry import load_dataset

        for name in (n.strip() for n in args.data.split(",") if n.strip()):
            parts.append(load_dataset(name, limit=args.limit))
            names.append(name)
    for path in args.arrays or []:
        parts.append(CrystalArrays.load_npz(path))
        names.append(path)
    if args.structures:
        from dao_engine.io.structure_files import read_structure

        parts.append(CrystalArrays.from_crystals([read_structure(p) for p in args.structures]))
        names.append(f"{len(args.structures)} structure files")
    if not parts:
        raise DatasetError(
            "no training data: give --data NAMES, --arrays FILE.npz or --structures FILES"
        )
    return CrystalArrays.concatenate(parts), ",".join(names)


def _exclude(arrays, names: str):  # type: ignore[no-untyped-def]
    """Algorithm 2: drop training crystals duplicating any crystal of the named test sets."""
    from dao_engine.datasets.arrays import CrystalArrays
    from dao_engine.datasets.dedup import dedup_against_test
    from dao_engine.datasets.registry import load_dataset

    test = CrystalArrays.concatenate(
        [load_dataset(n.strip()) for n in names.split(",") if n.strip()]
    )
    kept, report = dedup_against_test(arrays, test, processes=2)
    return arrays.subset(kept), report.summary()


def run(args: argparse.Namespace) -> int:
    from dao_engine.diffusion.joint import JointDiffusion
    from dao_engine.models.crysformer import Crysformer, CrysformerConfig
    from dao_engine.models.loading import resolve_device
    from dao_engine.training.config import TrainConfig
    from dao_engine.training.data import training_set_from_arrays
    from dao_engine.training.loop import Trainer

    if args.list:
        from dao_engine.datasets.registry import list_datasets

        print("\n".join(list_datasets()))
        return 0
    arrays, source = _load_crystals(args)
    keep = [i for i, n in enumerate(arrays.num_atoms) if n <= args.max_atoms]
    if not keep:
        raise DatasetError(f"no crystal in {source} has ≤ {args.max_atoms} atoms")
    arrays = arrays.subset(keep)
    dedup_note = "none"
    if args.exclude:
        arrays, dedup_note = _exclude(arrays, args.exclude)
        dedup_note = f"Algorithm 2 against {args.exclude}: {dedup_note}"
        print(dedup_note)
    device = resolve_device(args.device)
    kind, norm = "dao-g", None
    data = training_set_from_arrays(arrays)
    if args.energy_weight > 0:
        kind = "dao-p"
        norm = EnergyNormalisation.from_values(arrays.energy)
        data.energy = torch.as_tensor(norm.normalise(arrays.energy), dtype=torch.float32)
        print(
            f"DAO-P: {int(np.isfinite(arrays.energy).sum())} of {len(arrays)} crystals have energy labels; {norm}"
        )
    model_cfg = CrysformerConfig(
        num_layers=args.layers,
        width=args.width,
        heads=args.heads,
        max_atoms=args.max_atoms,
        energy_head=kind == "dao-p",
    )
    train_cfg = TrainConfig(
        lr=args.lr,
        warmup_steps=args.warmup,
        total_steps=args.steps,
        batch_size=args.batch_size,
        seed=args.seed,
        compile=args.compile,
        energy_weight=args.energy_weight,
    )
    torch.manual_seed(args.seed)
    metadata = {
        "data": source,
        "structures": len(arrays),
        "cell_atoms": [int(min(arrays.num_atoms)), int(max(arrays.num_atoms))],
        "step_lr": args.step_lr if args.step_lr is not None else recorded_step_lr(args.data),
        "deduplication": dedup_note,
        "hardware": hardware_name(device.type, device.index or 0),
        "command": "dao " + " ".join(sys.argv[1:]),
        "commit": git_commit(),
    }
    trainer = Trainer(
        Crysformer(model_cfg),
        JointDiffusion(),
        data,
        train_cfg,
        device,
        kind=kind,
        metadata=metadata,
        energy_normalisation=norm.to_dict() if norm else None,
    )
    out = Path(args.out)
    if args.init and not (args.resume and out.is_file()):
        trainer.initialise_from(args.init)
        print(f"initialised weights from {args.init}")
    if args.resume and out.is_file():
        trainer.resume(out)
        print(f"resumed from {out} at step {trainer.step}")
    print(f"training on {len(data)} crystals ({source}) on {device}; checkpoint {out}")
    started = time.perf_counter()
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        _report(trainer.run(checkpoint_path=out))
    except KeyboardInterrupt:
        trainer.save(out)
        print(f"interrupted at step {trainer.step}; saved {out} (continue with --resume)")
        return 130
    card = write_card(out)
    print(
        f"done in {(time.perf_counter() - started) / 60:.1f} min; wrote {out} and its model card {card}"
    )
    return 0


def recorded_step_lr(data: str | None) -> float:
    """The corrector scale a model trained on ``data`` (comma-separated dataset names) should
    sample with: the protocol's value of their one family (``perov_5/train`` → 5e-7), else the
    default (several families, files, structures)."""
    from dao_engine.sampling.settings import DEFAULT_STEP_LR, STEP_LR

    families = {name.strip().split("/")[0] for name in (data or "").split(",") if name.strip()}
    if len(families) == 1 and (family := families.pop()) in STEP_LR:
        return STEP_LR[family]
    return DEFAULT_STEP_LR


def _interrupt(signum, frame) -> None:  # type: ignore[no-untyped-def]
    raise KeyboardInterrupt


def _report(events) -> None:  # type: ignore[no-untyped-def]
    for ev in events:
        print(
            f"step {ev.step}/{ev.total_steps} epoch {ev.epoch:.1f} loss {ev.loss:.4f} "
            f"({', '.join(f'{k} {v:.3f}' for k, v in ev.parts.items() if k != 'total')}) lr {ev.lr:.2e} "
            f"{ev.structures_per_s:.0f} structures/s ETA {ev.eta_s:.0f} s",
            flush=True,
        )
