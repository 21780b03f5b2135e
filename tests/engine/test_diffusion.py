"""Closed-form checks of the diffusion parts: wrapped-normal score, λ̄, schedules, forward process."""

from __future__ import annotations

import math

import torch

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.diffusion import CosineLatticeSchedule, GeometricSigmaSchedule, JointDiffusion, wrap
from dao_engine.diffusion.wrapped_normal import (
    score_second_moment,
    wrapped_normal_log_density,
    wrapped_normal_score,
)


def _explicit_log_density(d: torch.Tensor, sigma: float, images: int = 30) -> torch.Tensor:
    """log Σ_k exp(−(d+k)²/2σ²), written as a plain sum so autograd differentiates it."""
    total = torch.zeros_like(d)
    for k in range(-images, images + 1):
        total = total + torch.exp(-((d + k) ** 2) / (2 * sigma**2))
    return torch.log(total)


def test_score_matches_autograd_of_explicit_image_sum():
    for sigma in (0.05, 0.1, 0.3, 0.5, 0.9):  # the plain sum underflows below ~0.04
        d = torch.linspace(-1.3, 1.3, 101, dtype=torch.float64, requires_grad=True)
        (grad,) = torch.autograd.grad(_explicit_log_density(d, sigma).sum(), d)
        got = wrapped_normal_score(d.detach(), torch.tensor(sigma, dtype=torch.float64))
        torch.testing.assert_close(got, -grad, rtol=1e-6, atol=1e-6 / sigma**2)


def test_score_is_periodic_and_odd():
    d = torch.rand(200, dtype=torch.float64)
    sigma = torch.tensor(0.2, dtype=torch.float64)
    torch.testing.assert_close(wrapped_normal_score(d, sigma), wrapped_normal_score(d + 3, sigma))
    torch.testing.assert_close(wrapped_normal_score(-d, sigma), -wrapped_normal_score(d, sigma))


def test_lambda_bar_limits():
    # Small σ: the wrapped normal is a normal, so E[g²] = E[d²]/σ⁴ = 1/σ².
    small = score_second_moment(torch.tensor([0.005, 0.02], dtype=torch.float64))
    torch.testing.assert_close(
        small, 1 / torch.tensor([0.005, 0.02], dtype=torch.float64) ** 2, rtol=1e-6, atol=0
    )
    # Large σ: nearly uniform, the score vanishes: first Fourier mode gives E[g²] ≈ 8π² e^{-4π²σ²}.
    sigma = 0.5
    approx = 8 * math.pi**2 * math.exp(-4 * math.pi**2 * sigma**2)
    got = float(score_second_moment(torch.tensor([sigma], dtype=torch.float64)))
    assert abs(got - approx) / approx < 0.01


def test_lambda_bar_agrees_with_monte_carlo():
    sigma = 0.15
    gen = torch.Generator().manual_seed(0)
    d = wrap(sigma * torch.randn(400_000, generator=gen, dtype=torch.float64))
    mc = (wrapped_normal_score(d, torch.tensor(sigma, dtype=torch.float64)) ** 2).mean()
    exact = score_second_moment(torch.tensor([sigma], dtype=torch.float64))[0]
    assert abs(float(mc) - float(exact)) / float(exact) < 0.01


def test_log_density_normalises_to_gaussian_constant():
    sigma = 0.3
    d = torch.linspace(-0.5, 0.5, 20001, dtype=torch.float64)[:-1]
    p = wrapped_normal_log_density(d, torch.tensor(sigma, dtype=torch.float64)).exp()
    integral = float(p.sum() / len(d))
    assert abs(integral - sigma * math.sqrt(2 * math.pi)) < 1e-8


def test_cosine_schedule_shape():
    sched = CosineLatticeSchedule(1000)
    assert sched.alpha_bars[0] == 1.0
    assert torch.all(sched.alpha_bars[1:] < sched.alpha_bars[:-1])
    assert float(sched.alpha_bars[-1]) < 1e-3
    assert float(sched.betas[1:].min()) >= 1e-4 and float(sched.betas.max()) <= 0.9999


def test_sigma_schedule_is_geometric():
    sig = GeometricSigmaSchedule(1000).sigmas
    assert sig[0] == 0 and abs(float(sig[1]) - 0.005) < 1e-12 and abs(float(sig[-1]) - 0.5) < 1e-12
    ratios = sig[2:] / sig[1:-1]
    torch.testing.assert_close(ratios, torch.full_like(ratios, float(ratios[0])))


def test_forward_noise_statistics(generator):
    diffusion = JointDiffusion()
    b = 4000
    clean = CrystalBatch(
        lattice=torch.eye(3).expand(b, 3, 3) * 4.0,
        frac=torch.full((b, 1, 3), 0.25),
        species=torch.ones(b, 1, dtype=torch.long),
    )
    t = torch.full((b,), 300)
    noised = diffusion.noise(clean, t, generator)
    ab = float(diffusion.lattice_schedule.alpha_bars[300])
    recon = (noised.batch.lattice - ab**0.5 * clean.lattice) / (1 - ab) ** 0.5
    torch.testing.assert_close(recon, noised.eps_lattice, rtol=1e-4, atol=1e-4)
    assert noised.batch.frac.min() >= 0 and noised.batch.frac.max() < 1
    # The normalised target has unit second moment by construction of λ̄.
    assert abs(float((noised.target_frac**2).mean()) - 1.0) < 0.05
