"""``dao relax-dataset``: §4.3.2's dataset relaxation: the entries with E_hull in
(0.08, 0.5] eV/atom are relaxed with DAO-P (the stage II input), the rest kept."""

from __future__ import annotations

import argparse

import numpy as np
import torch

from dao_engine.cli.common import Subcommands
from dao_engine.errors import ConfigError, DatasetError


def add_parser(sub: Subcommands) -> None:
    d = sub.add_parser(
        "relax-dataset", help="relax the unstable entries of a dataset with DAO-P (stage II input)"
    )
    d.add_argument("checkpoint", help="DAO-P checkpoint (stage I)")
    src = d.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", help="dataset name with an E_hull label")
    src.add_argument("--arrays", help="a CrystalArrays .npz with an E_hull label")
    d.add_argument("--ehull-label", default="energy_above_hull")
    d.add_argument("--min", type=float, default=0.08, dest="ehull_min")
    d.add_argument("--max", type=float, default=0.5, dest="ehull_max")
    d.add_argument("--batch-size", type=int, default=64)
    d.add_argument("--out", required=True, help="output .npz (CrystalArrays)")


def _energy_fn(checkpoint: str | None):  # type: ignore[no-untyped-def]
    from dao_engine.models.energy_head import has_energy_head
    from dao_engine.prediction import get_model
    from dao_engine.sampling import model_energy

    loaded = get_model(checkpoint, "cpu")
    if not has_energy_head(loaded):
        raise ConfigError(
            f"'{loaded.path.name}' is a {loaded.kind.upper()} model without an energy head; "
            "relaxation needs a DAO-P (energy) checkpoint"
        )
    return loaded, model_energy(loaded.model)


def run(args: argparse.Namespace) -> int:
    from dao_engine.crystal.batch import CrystalBatch
    from dao_engine.datasets import load_dataset
    from dao_engine.datasets.arrays import CrystalArrays
    from dao_engine.relax import RelaxConfig, relax_with_energy_model

    arrays = CrystalArrays.load_npz(args.arrays) if args.arrays else load_dataset(args.data)
    if args.ehull_label not in arrays.labels:
        raise DatasetError(
            f"'{args.data or args.arrays}' has no '{args.ehull_label}' label; available: {sorted(arrays.labels)}"
        )
    ehull = arrays.labels[args.ehull_label]
    chosen = np.flatnonzero((ehull > args.ehull_min) & (ehull <= args.ehull_max))
    _, energy = _energy_fn(args.checkpoint)
    crystals = arrays.crystals()
    replaced, rejected = 0, 0
    for start in range(0, len(chosen), args.batch_size):
        idx = chosen[start : start + args.batch_size]
        with torch.no_grad():
            batch = CrystalBatch.from_crystals([crystals[i] for i in idx])
        result = relax_with_energy_model(batch, energy, RelaxConfig())
        lowered = (result.energy_after < result.energy_before).tolist()
        for i, relaxed, bad, moved in zip(
            idx, result.crystals, result.invalid, lowered, strict=True
        ):
            if bad:
                rejected += 1
                continue
            if not moved:
                continue
            old = crystals[i]
            crystals[i] = type(old)(
                relaxed.lattice, relaxed.frac, old.species, old.label, dict(old.properties)
            )
            replaced += 1
        print(f"relaxed {min(start + args.batch_size, len(chosen))}/{len(chosen)}", flush=True)
    out = CrystalArrays.from_crystals(crystals)
    out.labels.update(arrays.labels)
    out.meta.update({**arrays.meta, "relaxed_with": str(args.checkpoint), "relaxed": str(replaced)})
    path = out.save_npz(args.out)
    print(
        f"{len(chosen)} of {len(arrays)} entries have E_hull in ({args.ehull_min}, {args.ehull_max}]: "
        f"{replaced} relaxed to a lower DAO-P energy, {rejected} invalid results kept unrelaxed; wrote {path}"
    )
    return 0
