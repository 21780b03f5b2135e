"""Crysformer symmetry: invariant features/energy, equivariant ε̂_L, permutation-equivariant ε̂_F."""

from __future__ import annotations

import pytest
import torch

from dao_engine.models import Crysformer, CrysformerConfig
from tests.helpers.invariance import permute_atoms, random_orthogonal, rotate_lattice, translate

TOL = dict(rtol=1e-9, atol=1e-9)


@pytest.fixture(scope="module")
def model() -> Crysformer:
    torch.manual_seed(0)
    m = Crysformer(
        CrysformerConfig(num_layers=2, width=32, heads=4, edge_width=16, energy_head=True)
    )
    return m.double().eval()


@pytest.fixture
def inputs(generator):
    b, n = 3, 5
    lattice = torch.randn(b, 3, 3, generator=generator, dtype=torch.float64) * 3 + 4 * torch.eye(
        3, dtype=torch.float64
    )
    frac = torch.rand(b, n, 3, generator=generator, dtype=torch.float64)
    species = torch.randint(1, 90, (b, n), generator=generator)
    species[2, 3:] = 0  # a padded crystal
    frac[2, 3:] = 0
    t = torch.tensor([1, 500, 1000])
    return lattice, frac, species, t


@pytest.mark.parametrize("reflect", [False, True])
def test_rotation(model, inputs, generator, reflect):
    lattice, frac, species, t = inputs
    q = random_orthogonal(generator, reflect=reflect)
    a, b = model(lattice, frac, species, t), model(rotate_lattice(lattice, q), frac, species, t)
    torch.testing.assert_close(b.crystal_feature, a.crystal_feature, **TOL)
    torch.testing.assert_close(b.energy, a.energy, **TOL)
    torch.testing.assert_close(b.score_frac, a.score_frac, **TOL)
    torch.testing.assert_close(b.eps_lattice, rotate_lattice(a.eps_lattice, q), **TOL)


def test_permutation(model, inputs):
    lattice, frac, species, t = inputs
    perm = torch.tensor([4, 2, 0, 1, 3])
    keep = slice(0, 2)  # crystals without padding
    a = model(lattice[keep], frac[keep], species[keep], t[keep])
    f2, s2 = permute_atoms(frac[keep], species[keep], perm)
    b = model(lattice[keep], f2, s2, t[keep])
    torch.testing.assert_close(b.score_frac, a.score_frac[:, perm], **TOL)
    torch.testing.assert_close(b.eps_lattice, a.eps_lattice, **TOL)
    torch.testing.assert_close(b.energy, a.energy, **TOL)


def test_periodic_translation(model, inputs, generator):
    lattice, frac, species, t = inputs
    shift = torch.rand(3, generator=generator, dtype=torch.float64) + torch.tensor(
        [0.0, 1.0, -2.0], dtype=torch.float64
    )
    mask = (species > 0)[..., None]
    a = model(lattice, frac, species, t)
    b = model(lattice, translate(frac, shift) * mask, species, t)
    torch.testing.assert_close(b.score_frac, a.score_frac, **TOL)
    torch.testing.assert_close(b.eps_lattice, a.eps_lattice, **TOL)
    torch.testing.assert_close(b.energy, a.energy, **TOL)


def test_padding_does_not_change_real_atoms(model, inputs):
    lattice, frac, species, t = inputs
    a = model(lattice[2:], frac[2:, :3], species[2:, :3], t[2:])
    b = model(lattice[2:], frac[2:], species[2:], t[2:])
    torch.testing.assert_close(b.score_frac[:, :3], a.score_frac, **TOL)
    assert torch.all(b.score_frac[:, 3:] == 0)
    torch.testing.assert_close(b.energy, a.energy, **TOL)


def test_outputs_depend_on_geometry(model, inputs):
    """Control for the tests above: a non-symmetry change (strain, moving one atom) changes outputs."""
    lattice, frac, species, t = inputs
    a = model(lattice, frac, species, t)
    strained = lattice * torch.tensor([1.1, 1.0, 1.0], dtype=torch.float64)[:, None]
    moved = frac.clone()
    moved[:, 0] = (moved[:, 0] + 0.17) % 1
    assert not torch.allclose(model(strained, frac, species, t).energy, a.energy)
    assert not torch.allclose(model(lattice, moved, species, t).score_frac, a.score_frac)


def test_energy_gradients_finite(model, inputs):
    lattice, frac, species, t = inputs
    lattice = lattice.clone().requires_grad_(True)
    frac = frac.clone().requires_grad_(True)
    energy = model(lattice, frac, species, t).energy
    gl, gf = torch.autograd.grad(energy.sum(), [lattice, frac])
    assert torch.isfinite(gl).all() and torch.isfinite(gf).all() and gl.abs().sum() > 0


def test_fast_attention_equals_eq6_with_edge_projections_on_every_pair():
    """The factorised edge terms (layers.InvariantAttention.forward) are Eq. 6 itself."""
    from dao_engine.models.layers import InvariantAttention

    torch.manual_seed(3)
    attention = InvariantAttention(width=32, heads=4, edge_width=12).double()
    with torch.no_grad():
        attention.edge.bias.normal_()  # a non-zero edge bias is part of the identity
    h = torch.randn(3, 7, 32, dtype=torch.double, requires_grad=True)
    edges = torch.randn(3, 7, 7, 12, dtype=torch.double)
    mask = torch.ones(3, 7, dtype=torch.bool)
    mask[1, 5:] = False
    fast = attention(h, edges, mask)
    slow = attention.reference_forward(h, edges, mask)
    torch.testing.assert_close(fast, slow, rtol=1e-10, atol=1e-10)
    (g_fast,) = torch.autograd.grad(fast.square().sum(), h)
    (g_slow,) = torch.autograd.grad(slow.square().sum(), h)
    torch.testing.assert_close(g_fast, g_slow, rtol=1e-10, atol=1e-10)
    assert not torch.allclose(fast, attention(h, edges.flip(2), mask))  # edges matter
