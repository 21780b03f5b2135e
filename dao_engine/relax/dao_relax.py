"""Relaxation by L-BFGS on DAO-P's predicted energy at t = 0 (§4.3.2).

The lattice (B, 3, 3) Å and fractional coordinates (B, N, 3) of a whole batch are optimised
together (the summed energy gives each crystal its own gradient); coordinates are wrapped after
every outer step. The best state seen per crystal is returned, so the energy it minimises never
goes up; collapsed cells and overlapping atoms are reported, not returned as if fine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.crystal.structure import Crystal
from dao_engine.crystal.validity import validity_problem
from dao_engine.diffusion.wrapped_normal import wrap
from dao_engine.errors import ConfigError

#: (lattice, frac, species, t) → normalised energy (B,)
EnergyFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class RelaxConfig:
    """``torch.optim.LBFGS`` settings (paper: max_iter = 5, lr = 1.0) and outer steps."""

    max_iter: int = 5
    lr: float = 1.0
    steps: int = 1
    line_search: str | None = None

    def __post_init__(self) -> None:
        if self.max_iter < 1 or self.steps < 1 or self.lr <= 0:
            raise ConfigError(f"invalid relaxation settings: {self}")
        if self.line_search not in (None, "strong_wolfe"):
            raise ConfigError(
                f"line_search must be None or 'strong_wolfe', got {self.line_search!r}"
            )


@dataclass(frozen=True)
class RelaxResult:
    """crystals: relaxed structures; energy_before/after: (B,) normalised energies; trajectory:
    energies (B,) at every energy evaluation; invalid: per crystal None or the reason."""

    crystals: list[Crystal]
    energy_before: torch.Tensor
    energy_after: torch.Tensor
    trajectory: list[torch.Tensor]
    invalid: list[str | None]


def relax_with_energy_model(
    batch: CrystalBatch, energy_fn: EnergyFn, config: RelaxConfig | None = None
) -> RelaxResult:
    """Minimise ``energy_fn`` at t = 0 over lattice and coordinates of every crystal in ``batch``."""
    config = config or RelaxConfig()
    lattice = batch.lattice.detach().clone().requires_grad_(True)
    frac = batch.frac.detach().clone().requires_grad_(True)
    mask = batch.mask[..., None].to(frac.dtype)
    t0 = torch.zeros(batch.batch_size, dtype=torch.long, device=batch.device)
    optimiser = torch.optim.LBFGS(
        [lattice, frac], lr=config.lr, max_iter=config.max_iter, line_search_fn=config.line_search
    )
    trajectory: list[torch.Tensor] = []

    def energies(lat: torch.Tensor, fr: torch.Tensor) -> torch.Tensor:
        return energy_fn(lat, fr * mask, batch.species, t0)

    with torch.no_grad():
        start = energies(lattice, frac).detach()
    best = {
        "energy": start.clone(),
        "lattice": lattice.detach().clone(),
        "frac": frac.detach().clone(),
    }

    def keep_best(e: torch.Tensor) -> None:
        """Remember, per crystal, the lowest-energy state seen at any evaluation."""
        better = torch.isfinite(e) & (e < best["energy"])
        best["energy"] = torch.where(better, e, best["energy"])
        best["lattice"][better] = lattice.detach()[better]
        best["frac"][better] = (wrap(frac.detach()) * mask)[better]

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        e = energies(lattice, frac)
        trajectory.append(e.detach().clone())
        keep_best(e.detach())
        total = e.sum()
        total.backward()
        return total

    for _ in range(config.steps):
        optimiser.step(closure)
        with torch.no_grad():
            frac.copy_(wrap(frac) * mask)
            keep_best(energies(lattice, frac))
    best_e, best_l, best_f = best["energy"], best["lattice"], best["frac"]
    relaxed = CrystalBatch(best_l, best_f, batch.species).to_crystals()
    invalid = [validity_problem(c) for c in relaxed]
    return RelaxResult(relaxed, start, best_e, trajectory, invalid)
