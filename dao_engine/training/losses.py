"""Training objectives: the CSP diffusion loss (Eq. 3–4); DAO-P adds the energy loss (Eq. 10)."""

from __future__ import annotations

import torch

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.diffusion.joint import JointDiffusion


def intermediate_energy_loss(
    predicted: torch.Tensor, target: torch.Tensor, beta: float = 1.0
) -> torch.Tensor:
    """L_IEP = mean (exp(−f) − exp(−β E₀))² (Eq. 10) over entries with a finite target.

    Its minimiser over f for a given noised input is −log E[exp(−β E₀) | M_t] (Appendix 3.1).
    predicted, target: (B,) normalised energies.
    """
    known = torch.isfinite(target)
    if not bool(known.any()):
        return predicted.sum() * 0.0
    f = predicted.float()[known]
    return ((torch.exp(-f) - torch.exp(-beta * target.float()[known])) ** 2).mean()


def csp_loss(
    model: torch.nn.Module,
    diffusion: JointDiffusion,
    clean: CrystalBatch,
    generator: torch.Generator | None = None,
    energy: torch.Tensor | None = None,
    energy_weight: float = 0.0,
) -> dict[str, torch.Tensor]:
    """Noise ``clean`` at random t, run the model, and return the loss parts and their sum ("total").

    With ``energy_weight > 0`` and labels ``energy`` (B,) (normalised, NaN = missing) the
    intermediate-energy loss L_IEP = (exp(−f) − exp(−E₀))² (Eq. 10, β = 1) is added.
    """
    t = diffusion.sample_timesteps(clean.batch_size, clean.device, generator)
    noised = diffusion.noise(clean, t, generator)
    out = model(noised.batch.lattice, noised.batch.frac, noised.batch.species, t)
    parts = diffusion.losses(out.eps_lattice, out.score_frac, noised)
    total = parts["lattice"] + parts["frac"]
    if energy_weight > 0 and energy is not None and out.energy is not None:
        parts["energy"] = intermediate_energy_loss(out.energy, energy)
        total = total + energy_weight * parts["energy"]
    parts["total"] = total
    return parts
