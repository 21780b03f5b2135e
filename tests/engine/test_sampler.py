"""The predictor–corrector sampler, fed exact scores of known distributions, recovers them."""

from __future__ import annotations

import pytest
import torch

from dao_engine.crystal.batch import CrystalBatch
from dao_engine.diffusion import JointDiffusion, wrapped_normal_score
from dao_engine.errors import CancelledError, ConfigError
from dao_engine.sampling import PCSampler, SamplerConfig

MU = torch.tensor([[4.0, 0.0, 0.0], [1.0, 5.0, 0.0], [0.0, 0.5, 6.0]], dtype=torch.float64)
STD = 0.3
CENTRES = (0.2, 0.7)


def _analytic_denoiser(diffusion: JointDiffusion):
    """Exact ε̂_L for L_0 ~ N(μ, STD²) and exact negative score (÷√λ̄) for F_0 an equal mixture of
    two points on each axis (marginal: mixture of wrapped normals)."""
    lat, sig = diffusion.lattice_schedule, diffusion.sigma_schedule

    def denoise(lattice, frac, species, t):
        ab = lat.alpha_bars[t][:, None, None].to(lattice.dtype)
        var = ab * STD**2 + 1 - ab
        eps = (1 - ab).sqrt() * (lattice - ab.sqrt() * MU) / var
        sigma = sig.sigmas[t][:, None, None].to(frac.dtype)
        parts = []
        log_w = []
        for c in CENTRES:
            d = frac - c
            parts.append(wrapped_normal_score(d, sigma))
            shifted = d.unsqueeze(-1) + torch.arange(-10, 11, dtype=frac.dtype)
            log_w.append(torch.logsumexp(-(shifted**2) / (2 * sigma[..., None] ** 2), dim=-1))
        w = torch.softmax(torch.stack(log_w), dim=0)
        g = (w * torch.stack(parts)).sum(0)
        return eps, g / sig.lambda_bar[t][:, None, None].to(frac.dtype).sqrt(), None

    return denoise


@pytest.mark.parametrize("steps", [1000, 200])
def test_sampler_recovers_known_distribution(steps):
    diffusion = JointDiffusion()
    sampler = PCSampler(
        diffusion, _analytic_denoiser(diffusion), SamplerConfig(steps=steps, step_lr=1e-5)
    )
    species = torch.ones(1500, 1, dtype=torch.long)
    out = sampler.sample(species, torch.Generator().manual_seed(0))
    lattice = out.lattice.double()
    torch.testing.assert_close(lattice.mean(0), MU.to(lattice.dtype), atol=0.05, rtol=0)
    assert abs(float(lattice.std(0).mean()) - STD) < 0.04
    frac = out.frac.double().flatten()
    near = torch.stack([(frac - c + 0.5) % 1 - 0.5 for c in CENTRES]).abs()
    assert float(near.min(0).values.max()) < 0.03  # every coordinate sits on one of the two points
    share = float((near[0] < near[1]).double().mean())
    assert 0.45 < share < 0.55  # and the two modes are equally weighted


def test_wrong_centre_is_not_recovered():
    """Control: the same check fails for a point that is not in the distribution."""
    diffusion = JointDiffusion()
    sampler = PCSampler(diffusion, _analytic_denoiser(diffusion), SamplerConfig(steps=100))
    out = sampler.sample(torch.ones(200, 1, dtype=torch.long), torch.Generator().manual_seed(1))
    assert float(((out.frac - 0.45 + 0.5) % 1 - 0.5).abs().min()) > 0.1


def test_same_seed_same_result_and_cancel():
    diffusion = JointDiffusion()
    sampler = PCSampler(diffusion, _analytic_denoiser(diffusion), SamplerConfig(steps=20))
    species = torch.ones(4, 2, dtype=torch.long)
    a = sampler.sample(species, torch.Generator().manual_seed(7))
    b = sampler.sample(species, torch.Generator().manual_seed(7))
    torch.testing.assert_close(a.lattice, b.lattice)
    torch.testing.assert_close(a.frac, b.frac)
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 5

    with pytest.raises(CancelledError):
        list(sampler.iterate(species, torch.Generator().manual_seed(7), should_stop=stop))
    assert len(calls) == 6


def test_events_count_and_final_flag():
    diffusion = JointDiffusion()
    sampler = PCSampler(diffusion, _analytic_denoiser(diffusion), SamplerConfig(steps=10))
    events = list(
        sampler.iterate(torch.ones(2, 1, dtype=torch.long), torch.Generator().manual_seed(0))
    )
    assert [e.step for e in events] == list(range(1, 11))
    assert events[-1].final and not events[0].final and events[0].t == 1000


def test_bad_config_is_rejected():
    with pytest.raises(ConfigError):
        SamplerConfig(steps=0)
    sampler = PCSampler(
        JointDiffusion(), _analytic_denoiser(JointDiffusion()), SamplerConfig(guidance=1.0, steps=3)
    )
    with pytest.raises(ConfigError, match="energy model"):
        list(sampler.iterate(torch.ones(1, 1, dtype=torch.long)))


def test_clipped_lattice_update_equals_the_epsilon_form_inside_the_bound():
    """Written through x̂₀, the DDPM mean is algebraically the ε-form; clipping only acts when
    x̂₀ leaves the physical range."""
    diffusion = JointDiffusion()
    gen = torch.Generator().manual_seed(0)
    state = CrystalBatch(
        torch.randn(5, 3, 3, generator=gen, dtype=torch.float64) * 3,
        torch.rand(5, 4, 3, generator=gen, dtype=torch.float64),
        torch.ones(5, 4, dtype=torch.long),
    )
    eps = torch.randn(5, 3, 3, generator=gen, dtype=torch.float64)
    sched = diffusion.lattice_schedule
    for t, t_prev in [(300, 299), (50, 40), (2, 1)]:
        ab_t, ab_p = float(sched.alpha_bars[t]), float(sched.alpha_bars[t_prev])
        alpha = ab_t / ab_p
        args = (state, eps, ab_t, ab_p, alpha, 1 - alpha)
        clipped = PCSampler(diffusion, None, SamplerConfig(clip_lattice=True))._lattice_mean(*args)
        plain = PCSampler(diffusion, None, SamplerConfig(clip_lattice=False))._lattice_mean(*args)
        torch.testing.assert_close(clipped, plain)
    # Near T a 10 % error in ε̂ explodes the plain update but not the clipped one.
    ab_t, ab_p = float(sched.alpha_bars[1000]), float(sched.alpha_bars[999])
    alpha = ab_t / ab_p
    args = (state, 0.9 * state.lattice / (1 - ab_t) ** 0.5, ab_t, ab_p, alpha, 1 - alpha)
    plain = PCSampler(diffusion, None, SamplerConfig(clip_lattice=False))._lattice_mean(*args)
    clipped = PCSampler(diffusion, None, SamplerConfig(clip_lattice=True))._lattice_mean(*args)
    assert float(plain.abs().max()) > 5 * float(state.lattice.abs().max())
    assert float(clipped.abs().max()) <= float(state.lattice.abs().max()) + 1e-9
