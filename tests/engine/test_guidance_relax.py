"""Energy guidance composes with the sampler; DAO-P relaxation lowers its energy and keeps cells valid."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dao_engine import api
from dao_engine.crystal.batch import CrystalBatch
from dao_engine.crystal.validity import validity_problem
from dao_engine.diffusion import JointDiffusion
from dao_engine.models.loading import load_model
from dao_engine.relax import RelaxConfig, relax_with_energy_model
from dao_engine.sampling import PCSampler, SamplerConfig, model_denoiser, model_energy
from tests.helpers.fixtures import nacl


def _volume_energy(lattice, frac, species, t):
    """Analytic 'energy': cell volume per atom / 10 Å³ (lower = denser)."""
    n = (species > 0).sum(1)
    return torch.det(lattice).abs() / n / 10.0


def _volumes(batch: CrystalBatch) -> torch.Tensor:
    return torch.det(batch.lattice).abs()


def test_guidance_with_an_analytic_energy_moves_samples_downhill():
    diffusion = JointDiffusion()
    alpha_bars = diffusion.lattice_schedule.alpha_bars

    def denoiser(lattice, frac, species, t):
        """Exact ε̂ for lattices L₀ ~ N(5·I, 0.5²) (a Gaussian data set); no coordinate score."""
        ab = alpha_bars[t][:, None, None].to(lattice.dtype)
        eps = (1 - ab).sqrt() * (lattice - ab.sqrt() * 5 * torch.eye(3)) / (ab * 0.25 + 1 - ab)
        return eps, torch.zeros_like(frac), None

    species = torch.full((64, 2), 11)
    plain = PCSampler(diffusion, denoiser, SamplerConfig(steps=50), energy_fn=_volume_energy)
    guided = PCSampler(
        diffusion, denoiser, SamplerConfig(steps=50, guidance=2.0), energy_fn=_volume_energy
    )
    a = plain.sample(species, torch.Generator().manual_seed(0))
    b = guided.sample(species, torch.Generator().manual_seed(0))
    assert float(_volumes(b).mean()) < 0.8 * float(_volumes(a).mean())


def test_zero_guidance_reproduces_unguided_sampling(tiny_dao_p):
    loaded = load_model(tiny_dao_p, "cpu")
    species = CrystalBatch.from_crystals([nacl()] * 3).species
    denoise = model_denoiser(loaded.model)
    unguided = PCSampler(loaded.diffusion, denoise, SamplerConfig(steps=20))
    with_energy = PCSampler(
        loaded.diffusion,
        denoise,
        SamplerConfig(steps=20, guidance=0.0),
        energy_fn=model_energy(loaded.model),
    )
    a = unguided.sample(species, torch.Generator().manual_seed(5))
    b = with_energy.sample(species, torch.Generator().manual_seed(5))
    torch.testing.assert_close(a.lattice, b.lattice, rtol=0, atol=0)
    torch.testing.assert_close(a.frac, b.frac, rtol=0, atol=0)


def test_guidance_lowers_predicted_energy(tiny_dao_p):
    base = dict(
        formula="NaCl", z=4, shots=16, steps=40, checkpoint=str(tiny_dao_p), device="cpu", seed=1
    )
    plain = api.predict(api.PredictRequest(**base))
    guided = api.predict(api.PredictRequest(**base, guidance=5.0))
    mean = lambda r: np.mean([c.energy_per_atom for c in r.candidates])  # noqa: E731
    assert mean(guided) < mean(plain)
    assert "toy strain energy" in plain.energy_label
    energies = [c.energy_per_atom for c in plain.candidates]
    assert energies == sorted(energies)  # ranked by predicted energy
    assert len(plain.energy_trajectories) == 16 and len(plain.energy_trajectories[0]) == 40


def _strain_energy(lattice, frac, species, t):
    """Analytic energy with its minimum at the NaCl cell edge: ((det L)^(1/3) − 5.64 Å)²."""
    return (torch.det(lattice).abs() ** (1 / 3) - 5.64) ** 2


def test_relaxation_finds_the_minimum_of_an_analytic_energy():
    batch = CrystalBatch.from_crystals([nacl(6.3), nacl(5.1), nacl(5.9)])
    result = relax_with_energy_model(
        batch, _strain_energy, RelaxConfig(max_iter=5, lr=1.0, steps=4)
    )
    edges = np.array([c.volume ** (1 / 3) for c in result.crystals])
    np.testing.assert_allclose(edges, 5.64, atol=0.01)
    assert torch.all(result.energy_after < result.energy_before)
    assert result.invalid == [None, None, None]
    for before, after in zip(
        batch.to_crystals(), result.crystals, strict=True
    ):  # positions stay on their sites
        np.testing.assert_allclose(after.frac, before.frac, atol=1e-6)


def test_dao_relaxation_never_raises_its_energy_and_keeps_cells_valid(tiny_dao_p):
    loaded = load_model(tiny_dao_p, "cpu")
    batch = CrystalBatch.from_crystals([nacl(6.3), nacl(5.1), nacl(5.9)])
    result = relax_with_energy_model(batch, model_energy(loaded.model), RelaxConfig(steps=3))
    assert torch.all(result.energy_after <= result.energy_before)
    assert float(result.energy_after.sum()) < float(result.energy_before.sum())
    assert result.invalid == [None, None, None]
    assert len(result.trajectory) >= 3 and all(torch.isfinite(e).all() for e in result.trajectory)


def test_validity_reports_collapse_and_overlap():
    squashed = nacl(5.64)
    collapsed = type(squashed)(squashed.lattice * 0.01, squashed.frac, squashed.species)
    assert "collapsed" in validity_problem(collapsed)
    crowded = type(squashed)(squashed.lattice * 0.1, squashed.frac, squashed.species)
    assert "overlapping" in validity_problem(crowded)
    assert validity_problem(squashed) is None


@pytest.mark.slow
def test_chgnet_relaxes_strained_nacl_back():
    pytest.importorskip("chgnet", reason="CHGNet (pip install chgnet) is not installed")
    from dao_engine.relax.chgnet_backend import relax_with_chgnet

    result = relax_with_chgnet(nacl(6.1), fmax=0.05, steps=200)
    a = result.crystal.volume ** (1 / 3)
    assert 5.6 <= a <= 5.7
    assert result.energies[-1] < result.energies[0] and result.invalid is None


def test_api_relax_crystal_with_dao_p(tiny_dao_p):
    out = api.relax_crystal(nacl(6.3), backend="dao", checkpoint=str(tiny_dao_p), steps=2)
    assert out.problem is None and len(out.energies) >= 2
    assert min(out.energies) <= out.energies[0] and "toy strain energy" in out.energy_label
