"""Command line of :mod:`dao_engine.datasets.teacher`: label a dataset and perturbed copies with
CHGNet on the formation-energy scale, write the corpus (.npz) and a CHGNet-vs-DFT report (JSON).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.datasets.perturb import PERTURBED, RELAXED_TOWARD, perturbed_copies
from dao_engine.datasets.reference_energies import ReferenceEnergies
from dao_engine.datasets.teacher import chgnet_agreement, teacher_energies, teacher_labels
from dao_engine.io.atomic import write_text_atomic


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m dao_engine.datasets.teacher",
        description="Label a dataset and perturbed copies with CHGNet on the formation-energy "
        "scale and measure CHGNet-vs-DFT agreement.",
    )
    p.add_argument("--data", required=True, help="registered dataset, e.g. mp_20/val")
    p.add_argument("--limit", type=int, default=None, help="first N crystals of --data")
    p.add_argument("--copies", type=int, default=2, help="perturbed copies per crystal")
    p.add_argument(
        "--strain", type=float, default=0.05, help="largest strain component (0.05 = ±5 %%)"
    )
    p.add_argument("--displacement", type=float, default=0.05, help="σ of atom displacements, Å")
    p.add_argument("--toward", type=float, default=0.5, help="relaxed-toward fraction; 0 = none")
    p.add_argument(
        "--fit-data",
        default="mp_20/train_first1000",
        help="labelled dataset for μ when --data has no formation-energy labels",
    )
    p.add_argument("--fit-limit", type=int, default=400)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=None, help="corpus .npz (originals + copies)")
    p.add_argument("--report", type=Path, default=None, help="agreement JSON")
    return p


def run(args: argparse.Namespace, argv: Sequence[str] | None) -> int:
    from dao_engine.datasets.registry import load_dataset

    generator = np.random.default_rng(args.seed)
    arrays = load_dataset(args.data, limit=args.limit)
    started = time.perf_counter()
    label = arrays.meta.get("energy_label", "")
    if "form" not in label.lower():  # absolute or other-reference energies: not this scale
        print(
            f"note: '{args.data}' energy '{label or 'none'}' is not a formation energy; ignoring it"
        )
        arrays = dataclasses.replace(arrays, energy=np.full(len(arrays), np.nan))
    copies = perturbed_copies(
        arrays,
        args.copies,
        generator=generator,
        strain=args.strain,
        displacement=args.displacement,
        toward=args.toward or None,
    )
    print(f"{len(arrays)} crystals + {len(copies.arrays)} copies; CHGNet energies ...", flush=True)
    progress = _printer("CHGNet")
    e_all = teacher_energies(CrystalArrays.concatenate([arrays, copies.arrays]), progress=progress)
    e_orig, e_copy = e_all[: len(arrays)], e_all[len(arrays) :]
    teacher_seconds = time.perf_counter() - started
    reference = None
    if not np.isfinite(arrays.energy).all():
        reference = _fit_reference(args, arrays, e_orig)
    corpus = teacher_labels(arrays, copies, e_orig, e_copy, reference)
    report: dict[str, object] = {
        "command": "python -m dao_engine.datasets.teacher "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "commit": _commit(),
        "hardware": _hardware(),
        "data": args.data,
        "energy": "formation energy per atom, eV/atom",
        "counts": {
            "originals": len(arrays),
            "copies": len(copies.arrays),
            "labelled_dft": int(np.isfinite(arrays.energy).sum()),
            "corpus_finite_energy": int(np.isfinite(corpus.energy).sum()),
        },
        "perturbation": copies.arrays.meta["perturbation"],
        "chgnet_seconds": round(teacher_seconds, 1),
        "copy_minus_original_chgnet_eV_per_atom": {
            name: _spread((e_copy - e_orig[copies.source])[copies.kind == code])
            for name, code in (("perturbed", PERTURBED), ("relaxed_toward", RELAXED_TOWARD))
        },
    }
    if np.isfinite(arrays.energy).sum() >= 4:
        report["agreement"] = chgnet_agreement(arrays, generator=generator, teacher=e_orig)
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=2))
    if args.out is not None:
        print(f"wrote {corpus.save_npz(args.out)}")
    if args.report is not None:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(args.report, json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.report}")
    return 0


def _fit_reference(
    args: argparse.Namespace, arrays: CrystalArrays, e_orig: np.ndarray
) -> ReferenceEnergies:
    from dao_engine.datasets.registry import load_dataset

    labelled = np.isfinite(arrays.energy)
    fit = load_dataset(args.fit_data, limit=args.fit_limit)
    e_fit = teacher_energies(fit, progress=_printer(f"CHGNet on {args.fit_data}"))
    both = CrystalArrays.concatenate([arrays.subset(labelled), fit])
    totals = np.concatenate([e_orig[labelled], e_fit])
    return ReferenceEnergies.fit(both, totals, both.energy)


def _printer(what: str) -> Callable[[int, int], None]:
    return lambda done, total: print(f"  {what}: {done}/{total}", flush=True)


def _spread(values: np.ndarray) -> dict[str, float]:
    return (
        {
            "mean": round(float(np.mean(values)), 4),
            "median": round(float(np.median(values)), 4),
            "p90": round(float(np.quantile(values, 0.9)), 4),
        }
        if len(values)
        else {}
    )


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _hardware() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {torch.get_num_threads()} torch threads (CPU)"
