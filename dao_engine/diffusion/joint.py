"""Forward noising of crystals and the CSP losses, Eq. (1)–(4).

Lattice: L_t = √ᾱ_t L_0 + √(1 − ᾱ_t) ε_L. Coordinates: F_t = w(F_0 + σ_t ε_F), target
g(σ_t ε_F; σ_t)/√λ̄_t. One t per crystal, drawn uniformly from {1, …, T}.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.diffusion.schedules import CosineLatticeSchedule, GeometricSigmaSchedule
from dao_engine.diffusion.wrapped_normal import wrap, wrapped_normal_score
from dao_engine.errors import ConfigError


@dataclass(frozen=True)
class DiffusionConfig:
    """Hyper-parameters of the joint diffusion (DiffCSP defaults)."""

    timesteps: int = 1000
    cosine_s: float = 0.008
    sigma_begin: float = 0.005
    sigma_end: float = 0.5

    def __post_init__(self) -> None:
        if self.timesteps < 2:
            raise ConfigError(f"timesteps must be ≥ 2, got {self.timesteps}")
        if not 0 < self.sigma_begin < self.sigma_end <= 1:
            raise ConfigError(
                f"need 0 < sigma_begin < sigma_end ≤ 1, got {self.sigma_begin}, {self.sigma_end}"
            )


@dataclass(frozen=True)
class NoisedBatch:
    """A noised batch M_t and the regression targets.

    Attributes:
        batch: the noised crystals (lattice L_t, coordinates F_t).
        t: (B,) int64 timesteps in 1 … T.
        eps_lattice: (B, 3, 3) the Gaussian noise ε_L (target of the lattice head).
        target_frac: (B, N, 3) g(σ_t ε_F; σ_t)/√λ̄_t (target of the coordinate head).
    """

    batch: CrystalBatch
    t: torch.Tensor
    eps_lattice: torch.Tensor
    target_frac: torch.Tensor


class JointDiffusion:
    """Schedules plus the forward process and losses of the joint lattice/coordinate diffusion."""

    def __init__(self, config: DiffusionConfig | None = None) -> None:
        self.config = config or DiffusionConfig()
        c = self.config
        self.lattice_schedule = CosineLatticeSchedule(c.timesteps, c.cosine_s)
        self.sigma_schedule = GeometricSigmaSchedule(c.timesteps, c.sigma_begin, c.sigma_end)

    @property
    def timesteps(self) -> int:
        return self.config.timesteps

    def coefficients(self, t: torch.Tensor, dtype: torch.dtype) -> dict[str, torch.Tensor]:
        """Schedule values at integer timesteps ``t`` (any shape), on ``t``'s device."""
        idx = t.long().cpu()
        lat, sig = self.lattice_schedule, self.sigma_schedule
        values = {
            "alpha_bar": lat.alpha_bars[idx],
            "beta": lat.betas[idx],
            "alpha": lat.alphas[idx],
            "posterior_var": lat.posterior_var[idx],
            "sigma": sig.sigmas[idx],
            "lambda_bar": sig.lambda_bar[idx],
        }
        return {k: v.to(device=t.device, dtype=dtype) for k, v in values.items()}

    def sample_timesteps(
        self, batch_size: int, device: torch.device, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """(B,) uniform integers in 1 … T."""
        return torch.randint(
            1, self.timesteps + 1, (batch_size,), device=device, generator=generator
        )

    def noise(
        self, clean: CrystalBatch, t: torch.Tensor, generator: torch.Generator | None = None
    ) -> NoisedBatch:
        """Sample M_t ~ q(M_t | M_0) for each crystal at its timestep ``t`` (B,)."""
        dtype = clean.lattice.dtype
        co = self.coefficients(t, dtype)
        eps_l = torch.randn(
            clean.lattice.shape, generator=generator, device=clean.device, dtype=dtype
        )
        eps_f = torch.randn(clean.frac.shape, generator=generator, device=clean.device, dtype=dtype)
        ab = co["alpha_bar"][:, None, None]
        lattice_t = ab.sqrt() * clean.lattice + (1 - ab).sqrt() * eps_l
        sigma = co["sigma"][:, None, None]
        displacement = sigma * eps_f
        frac_t = wrap(clean.frac + displacement)
        score = wrapped_normal_score(displacement, sigma)
        target = score / co["lambda_bar"][:, None, None].sqrt()
        mask = clean.mask[..., None].to(dtype)
        noised = CrystalBatch(lattice_t, frac_t * mask, clean.species)
        return NoisedBatch(noised, t, eps_l, target * mask)

    @staticmethod
    def losses(
        pred_eps_lattice: torch.Tensor, pred_frac: torch.Tensor, noised: NoisedBatch
    ) -> dict[str, torch.Tensor]:
        """Eq. (3) and (4): mean squared errors over lattice entries and over real atoms' coordinates."""
        loss_l = ((pred_eps_lattice.float() - noised.eps_lattice.float()) ** 2).mean()
        mask = noised.batch.mask[..., None].float()
        sq = (pred_frac.float() - noised.target_frac.float()) ** 2 * mask
        loss_f = sq.sum() / (mask.sum() * 3).clamp_min(1.0)
        return {"lattice": loss_l, "frac": loss_f}
