"""The sampling half of a GPU job: every test composition × ``shots``, batched by size, written
as a NumPy-only :class:`CrystalArrays` (no pymatgen: matching happens later on a CPU machine).

Generated structure s has ``ids[s] = "<test id>|<shot>"``, ``labels["ref_index"][s]`` (row of
the test split) and ``labels["shot"][s]`` (0-based), and ``energy[s]`` the model's predicted
energy per atom at t = 0 (eV/atom, DAO-P only; NaN otherwise). Non-finite samples are kept as
NaN rows so the evaluation counts them as misses.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.models.loading import LoadedModel
from dao_engine.sampling import PCSampler, SamplerConfig, model_denoiser
from dao_engine.training.energy import EnergyNormalisation

#: Langevin corrector scale per dataset family (DiffCSP; as ``dao evaluate``); carbon_24 1-shot 5e-6
STEP_LR = {"perov_5": 5e-7, "carbon_24": 5e-7, "mp_20": 1e-5, "mpts_52": 1e-5}


def protocol_step_lr(family: str, shots: int) -> float:
    """The corrector scale the CSP protocol uses for a dataset family (1e-5 when unknown)."""
    if family == "carbon_24" and shots == 1:
        return 5e-6
    return STEP_LR.get(family, 1e-5)


@dataclass(frozen=True)
class SampleSettings:
    """``shots`` per test crystal, ``steps`` reverse steps, ``batch_size`` structures per padded
    batch; ``deadline`` (``time.monotonic`` s, None = none): no new batch starts after it."""

    shots: int = 1
    steps: int = 1000
    step_lr: float = 1e-5
    batch_size: int = 1024
    seed: int = 0
    deadline: float | None = None
    compile: bool = False


def _jobs(test: CrystalArrays, shots: int) -> np.ndarray:
    """(S, 2) int64 (test row, shot), sorted by atom count so each batch has similar sizes."""
    rows = np.repeat(np.arange(len(test)), shots)
    shot = np.tile(np.arange(shots), len(test))
    order = np.lexsort((shot, rows, test.num_atoms[rows]))
    return np.stack([rows[order], shot[order]], axis=1)


def _species_batch(test: CrystalArrays, rows: np.ndarray) -> torch.Tensor:
    """(B, N_max) int64 atomic numbers of test rows ``rows``, 0-padded."""
    counts = test.num_atoms[rows]
    species = np.zeros((len(rows), int(counts.max())), dtype=np.int64)
    offsets = test.offsets
    for b, r in enumerate(rows):
        species[b, : counts[b]] = test.species[offsets[r] : offsets[r + 1]]
    return torch.from_numpy(species)


def _energies(loaded: LoadedModel, batch: CrystalBatch, autocast: bool) -> torch.Tensor | None:
    """Normalised energy (B,) at t = 0 from a DAO-P energy head, else None."""
    if loaded.model.energy_head is None or not loaded.energy_normalisation:
        return None
    t0 = torch.zeros(batch.batch_size, dtype=torch.long, device=batch.device)
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
        out = loaded.model(batch.lattice, batch.frac, batch.species, t0).energy
    return None if out is None else out.float()


def sample_test_split(
    loaded: LoadedModel, test: CrystalArrays, settings: SampleSettings
) -> tuple[CrystalArrays, dict[str, Any]]:
    """Sample ``settings.shots`` structures per test crystal; returns them and a JSON summary
    (structures, wall seconds, structures/s, which test rows are complete)."""
    device = loaded.device
    cuda = device.type == "cuda"
    net: torch.nn.Module = loaded.model
    if cuda and settings.compile:
        net = torch.compile(net, dynamic=True)  # type: ignore[assignment]
    config = SamplerConfig(steps=settings.steps, step_lr=settings.step_lr)
    sampler = PCSampler(loaded.diffusion, model_denoiser(net, autocast=cuda), config)
    generator = torch.Generator(device=device).manual_seed(settings.seed)
    jobs = _jobs(test, settings.shots)
    pieces: list[tuple[np.ndarray, torch.Tensor, torch.Tensor, torch.Tensor, Any]] = []
    started, stopped_early = time.monotonic(), False
    for start in range(0, len(jobs), settings.batch_size):
        if settings.deadline is not None and time.monotonic() >= settings.deadline:
            stopped_early = True
            break
        chunk = jobs[start : start + settings.batch_size]
        species = _species_batch(test, chunk[:, 0]).to(device)
        with torch.no_grad():
            out = sampler.sample(species, generator)
        energy = _energies(loaded, out, cuda)
        pieces.append((chunk, out.lattice.cpu(), out.frac.cpu(), species.cpu(), energy))
    wall = time.monotonic() - started
    norm = EnergyNormalisation.from_dict(loaded.energy_normalisation)
    generated = _pack(test, pieces, norm)
    done = _complete_rows(test, generated, settings.shots)
    summary = {
        "shots": settings.shots,
        "steps": settings.steps,
        "step_lr": settings.step_lr,
        "batch_size": settings.batch_size,
        "seed": settings.seed,
        "structures": len(generated),
        "test_structures": len(test),
        "complete_test_structures": int(done.sum()),
        "stopped_early": stopped_early,
        "wall_s": round(wall, 3),
        "structures_per_s": round(len(generated) / wall, 3) if wall > 0 else None,
    }
    generated.meta["sampling"] = json.dumps(summary)
    return generated, summary


def _pack(
    test: CrystalArrays, pieces: list[Any], norm: EnergyNormalisation | None
) -> CrystalArrays:
    """Unpad the sampled batches into one CrystalArrays (see the module docstring)."""
    if not pieces:
        return CrystalArrays.empty(("ref_index", "shot"))
    lattices, fracs, species_rows, rows, shots, energies = [], [], [], [], [], []
    for chunk, lattice, frac, species, energy in pieces:
        mask = (species > 0).numpy()
        lattices.append(lattice.numpy())
        fracs.append(frac.numpy()[mask])
        species_rows.append(species.numpy()[mask])
        rows.append(chunk[:, 0])
        shots.append(chunk[:, 1])
        if energy is None or norm is None:
            energies.append(np.full(len(chunk), np.nan))
        else:
            energies.append(np.asarray(norm.to_physical(energy.cpu().double().numpy())))
    row = np.concatenate(rows)
    shot = np.concatenate(shots)
    return CrystalArrays(
        lattice=np.concatenate(lattices),
        frac=np.concatenate(fracs),
        species=np.concatenate(species_rows),
        num_atoms=test.num_atoms[row],
        ids=np.array([f"{test.ids[r]}|{s}" for r, s in zip(row, shot, strict=True)]),
        energy=np.concatenate(energies),
        labels={"ref_index": row, "shot": shot},
        meta={},
    )


def _complete_rows(test: CrystalArrays, generated: CrystalArrays, shots: int) -> np.ndarray:
    """(M,) bool: test rows with all ``shots`` samples present."""
    if len(generated) == 0:
        return np.zeros(len(test), dtype=bool)
    counts = np.bincount(generated.labels["ref_index"].astype(np.int64), minlength=len(test))
    return counts >= shots
