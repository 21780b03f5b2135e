"""DAO-P energy accuracy on a test split, and the effect of energy guidance on generated structures.

    python benchmarks/energy_and_guidance.py CHECKPOINT [--data mp_20/test] [--guidance 0 1 2]
        [--compositions 24] [--shots 4] [--steps 500] [--out benchmarks/results/NAME.json]

1. energy_mae: mean |predicted − DFT| formation energy per atom (eV/atom) of the DAO-P energy
   head at t = 0 on every test crystal with ≤ max_atoms atoms.
2. Guidance: for a fixed random subset of test compositions, sample with each strength s (same
   seeds), then report the DAO-P predicted energy per atom of the samples (t = 0), the fraction of
   structurally valid samples, and a CHGNet stability proxy: CHGNet energy per atom of the valid
   samples (eV/atom; lower is more stable; the same compositions for every s, so means compare).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.throughput import hardware  # noqa: E402
from dao_engine.crystal.batch import CrystalBatch  # noqa: E402
from dao_engine.crystal.validity import validity_problem  # noqa: E402
from dao_engine.datasets import load_dataset  # noqa: E402
from dao_engine.model_card import git_commit  # noqa: E402
from dao_engine.models.loading import load_model  # noqa: E402
from dao_engine.sampling import PCSampler, SamplerConfig, model_denoiser  # noqa: E402
from dao_engine.training.energy import EnergyNormalisation  # noqa: E402


def predicted_energies(model, norm: EnergyNormalisation, crystals, batch_size: int = 256) -> np.ndarray:
    out = []
    for start in range(0, len(crystals), batch_size):
        batch = CrystalBatch.from_crystals(crystals[start : start + batch_size])
        t0 = torch.zeros(batch.batch_size, dtype=torch.long)
        with torch.no_grad():
            e = model(batch.lattice, batch.frac, batch.species, t0).energy
        out.append(norm.to_physical(e.double().numpy()))
    return np.concatenate(out)


def energy_accuracy(loaded, norm, arrays) -> dict:
    keep = np.flatnonzero((arrays.num_atoms <= loaded.max_atoms) & np.isfinite(arrays.energy))
    crystals = [arrays.crystal(int(i)) for i in keep]
    started = time.perf_counter()
    pred = predicted_energies(loaded.model, norm, crystals)
    err = np.abs(pred - arrays.energy[keep])
    return {"n": int(len(keep)), "energy_mae": round(float(err.mean()), 4),
            "energy_median_ae": round(float(np.median(err)), 4),
            "baseline_mae_predict_mean": round(float(np.abs(arrays.energy[keep] - norm.mean).mean()), 4),
            "seconds": round(time.perf_counter() - started, 1)}


def guidance_effect(loaded, norm, arrays, args) -> list[dict]:
    rng = np.random.default_rng(args.subset_seed)
    small = np.flatnonzero(arrays.num_atoms <= min(loaded.max_atoms, args.max_sample_atoms))
    chosen = rng.choice(small, size=min(args.compositions, len(small)), replace=False)
    species = [arrays.crystal(int(i)).species.tolist() for i in chosen for _ in range(args.shots)]
    batch_species = CrystalBatch.from_species(species).species
    rows = []
    for s in args.guidance:
        sampler = PCSampler(loaded.diffusion, model_denoiser(loaded.model),
                            SamplerConfig(steps=args.steps, step_lr=1e-5, guidance=s))
        started = time.perf_counter()
        samples = sampler.sample(batch_species, torch.Generator().manual_seed(args.seed)).to_crystals()
        seconds = time.perf_counter() - started
        energies = predicted_energies(loaded.model, norm, samples)
        valid = [validity_problem(c) is None for c in samples]
        row = {"guidance": s, "samples": len(samples), "sampling_seconds": round(seconds, 1),
               "predicted_energy_mean": round(float(np.mean(energies)), 4),
               "valid_fraction": round(float(np.mean(valid)), 3)}
        try:
            from dao_engine.relax.chgnet_backend import chgnet_energies

            good = [c for c, ok in zip(samples, valid, strict=True) if ok]
            chg = np.array(chgnet_energies(good)) if good else np.array([np.nan])
            row["chgnet_energy_mean_valid"] = round(float(np.nanmean(chg)), 4)
        except Exception as exc:  # CHGNet absent: say so
            row["chgnet_note"] = f"CHGNet proxy unavailable: {exc}"
        rows.append(row)
        print(row, flush=True)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint")
    p.add_argument("--data", default="mp_20/test")
    p.add_argument("--guidance", type=float, nargs="+", default=[0.0, 1.0, 2.0])
    p.add_argument("--compositions", type=int, default=24)
    p.add_argument("--shots", type=int, default=4)
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--max-sample-atoms", type=int, default=12)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--subset-seed", type=int, default=0)
    p.add_argument("--out", default=None)
    args = p.parse_args()
    torch.set_num_threads(2)
    loaded = load_model(args.checkpoint, "cpu")
    norm = EnergyNormalisation.from_dict(loaded.energy_normalisation)
    if norm is None:
        raise SystemExit("this checkpoint has no energy head (DAO-G); use a DAO-P checkpoint")
    arrays = load_dataset(args.data)
    result = {
        "command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "commit": git_commit(), "hardware": hardware(torch.device("cpu")),
        "model": str(args.checkpoint), "model_train_minutes": loaded.metadata.get("train_minutes"),
        "data": args.data, "energy_label": f"{norm.label} ({norm.unit})",
        "accuracy": energy_accuracy(loaded, norm, arrays),
    }
    result["energy_mae"] = result["accuracy"]["energy_mae"]
    print(result["accuracy"], flush=True)
    result["guidance"] = {"compositions": args.compositions, "shots": args.shots, "steps": args.steps,
                          "subset_seed": args.subset_seed, "rows": guidance_effect(loaded, norm, arrays, args)}
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
