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
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.models.energy_head import energy_model_for
from dao_engine.models.loading import LoadedModel
from dao_engine.sampling.run import SampledBatch, sample_batch, sampler_config
from dao_engine.sampling.settings import SamplingSettings, sampling_fields


@dataclass(frozen=True)
class SampleSettings(SamplingSettings):
    """``shots`` per test crystal, ``batch_size`` structures per padded batch; ``deadline``
    (``time.monotonic`` s, None = none): no new batch starts after it; ``compile``: sample
    with ``torch.compile`` on CUDA. The sampling fields (steps, step_lr, guidance, ...;
    keywords only) are :class:`SamplingSettings`'; ``step_lr`` None = the model's value (the
    job passes the protocol's)."""

    shots: int = 1
    batch_size: int = 1024
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


def sample_test_split(
    loaded: LoadedModel, test: CrystalArrays, settings: SampleSettings
) -> tuple[CrystalArrays, dict[str, Any]]:
    """Sample ``settings.shots`` structures per test crystal; returns them and a JSON summary
    (structures, wall seconds, structures/s, which test rows are complete)."""
    device = loaded.device
    network = _network(loaded, settings.compile)
    sampling = settings.sampling_settings()
    energy = energy_model_for(loaded, sampling.guidance)
    generator = torch.Generator(device=device).manual_seed(settings.seed)
    jobs = _jobs(test, settings.shots)
    pieces: list[tuple[np.ndarray, SampledBatch]] = []
    started, stopped_early = time.monotonic(), False
    for start in range(0, len(jobs), settings.batch_size):
        if settings.deadline is not None and time.monotonic() >= settings.deadline:
            stopped_early = True
            break
        chunk = jobs[start : start + settings.batch_size]
        species = _species_batch(test, chunk[:, 0]).to(device)
        sampled = sample_batch(loaded, species, sampling, generator, energy, None, network)
        pieces.append((chunk, replace(sampled, batch=sampled.batch.to("cpu"))))
    wall = time.monotonic() - started
    generated = _pack(test, pieces)
    done = _complete_rows(test, generated, settings.shots)
    summary = {
        "shots": settings.shots,
        **sampling_fields(sampler_config(loaded, sampling)),  # steps, step_lr (resolved), seed, ...
        "batch_size": settings.batch_size,
        "structures": len(generated),
        "test_structures": len(test),
        "complete_test_structures": int(done.sum()),
        "stopped_early": stopped_early,
        "wall_s": round(wall, 3),
        "structures_per_s": round(len(generated) / wall, 3) if wall > 0 else None,
    }
    generated.meta["sampling"] = json.dumps(summary)
    return generated, summary


def _network(loaded: LoadedModel, compile_on_cuda: bool) -> torch.nn.Module:
    """The denoising network: ``loaded.model``, or its ``torch.compile`` d copy on CUDA."""
    if compile_on_cuda and loaded.device.type == "cuda":
        return torch.compile(loaded.model, dynamic=True)  # type: ignore[return-value]
    return loaded.model


def _pack(test: CrystalArrays, pieces: list[tuple[np.ndarray, SampledBatch]]) -> CrystalArrays:
    """Unpad the sampled batches into one CrystalArrays (see the module docstring)."""
    if not pieces:
        return CrystalArrays.empty(("ref_index", "shot"))
    lattices, fracs, species_rows, rows, shots, energies = [], [], [], [], [], []
    for chunk, sampled in pieces:
        batch = sampled.batch
        species = batch.species.cpu().numpy()
        mask = species > 0
        lattices.append(batch.lattice.cpu().numpy())
        fracs.append(batch.frac.cpu().numpy()[mask])
        species_rows.append(species[mask])
        rows.append(chunk[:, 0])
        shots.append(chunk[:, 1])
        missing = np.full(len(chunk), np.nan)
        energies.append(missing if sampled.energies is None else sampled.energies)
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
