"""Noise schedules (method.md: "Forward (noising) processes", T = 1000).

Both schedules are indexed by t = 0 … T; index 0 is the clean data (ᾱ_0 = 1, σ_0 = 0).
"""

from __future__ import annotations

import functools
import math

import torch

from dao_engine.diffusion.wrapped_normal import score_second_moment


class CosineLatticeSchedule:
    """DDPM cosine schedule on the lattice (s = 0.008), β_t clipped to [1e-4, 0.9999].

    Tensors (float64, length T + 1): ``betas``, ``alphas``, ``alpha_bars`` and the posterior
    variance ``posterior_var`` σ'_t² = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t) used by Algorithm 1.
    """

    def __init__(self, timesteps: int = 1000, s: float = 0.008) -> None:
        self.timesteps = timesteps
        steps = torch.arange(timesteps + 1, dtype=torch.float64)
        f = torch.cos(((steps / timesteps) + s) / (1 + s) * math.pi / 2) ** 2
        alpha_bar_raw = f / f[0]
        betas = 1 - alpha_bar_raw[1:] / alpha_bar_raw[:-1]
        betas = torch.clamp(betas, 1e-4, 0.9999)
        self.betas = torch.cat([torch.zeros(1, dtype=torch.float64), betas])
        self.alphas = 1 - self.betas
        self.alpha_bars = torch.cumprod(self.alphas, dim=0)
        prev = torch.cat([torch.ones(1, dtype=torch.float64), self.alpha_bars[:-1]])
        var = self.betas * (1 - prev) / (1 - self.alpha_bars).clamp_min(1e-12)
        var[0] = 0.0
        self.posterior_var = var


class GeometricSigmaSchedule:
    """σ_t geometric from σ_1 = ``sigma_begin`` to σ_T = ``sigma_end``; σ_0 = 0.

    ``lambda_bar[t]`` = E[g(d; σ_t)²] for d ∼ WN(0, σ_t), computed by quadrature (deterministic);
    the coordinate loss regresses g/√λ̄_t (Eq. 4's λ_t).
    """

    def __init__(
        self, timesteps: int = 1000, sigma_begin: float = 0.005, sigma_end: float = 0.5
    ) -> None:
        self.timesteps = timesteps
        ratios = torch.linspace(0, 1, timesteps, dtype=torch.float64)
        sig = sigma_begin * (sigma_end / sigma_begin) ** ratios
        self.sigmas = torch.cat([torch.zeros(1, dtype=torch.float64), sig])
        self.lambda_bar = _cached_lambda_bar(timesteps, sigma_begin, sigma_end).clone()


@functools.lru_cache(maxsize=8)
def _cached_lambda_bar(timesteps: int, sigma_begin: float, sigma_end: float) -> torch.Tensor:
    """λ̄_t for t = 0 … T (λ̄_0 = 1 is a placeholder: t = 0 is never trained on); cached per process."""
    ratios = torch.linspace(0, 1, timesteps, dtype=torch.float64)
    sig = sigma_begin * (sigma_end / sigma_begin) ** ratios
    return torch.cat([torch.ones(1, dtype=torch.float64), score_second_moment(sig)])
