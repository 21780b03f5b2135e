"""Space groups of known crystals, their invariance, and the standard cells."""

from __future__ import annotations

import numpy as np
import pytest

from dao_engine.crystal.structure import Crystal
from dao_engine.crystal.symmetry import (
    SymmetryError,
    niggli,
    primitive,
    space_group,
    symmetrized,
)
from tests.helpers.fixtures import cscl, nacl, si

KNOWN = [(nacl, "Fm-3m", 225), (si, "Fd-3m", 227), (cscl, "Pm-3m", 221)]
# A unimodular integer matrix (det = 1): a change of cell basis that keeps the lattice.
SKEW = np.array([[1, 1, 0], [0, 1, 0], [1, 2, 1]])


def rotated(crystal: Crystal, seed: int = 0) -> Crystal:
    """Rigid rotation of the lattice vectors (rows: L -> L Qᵀ); fractional coordinates unchanged."""
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return Crystal(crystal.lattice @ q.T, crystal.frac, crystal.species, crystal.label)


def permuted(crystal: Crystal, seed: int = 1) -> Crystal:
    perm = np.random.default_rng(seed).permutation(crystal.num_atoms)
    return Crystal(crystal.lattice, crystal.frac[perm], crystal.species[perm], crystal.label)


def translated(crystal: Crystal, shift=(0.13, 0.71, 0.37)) -> Crystal:
    return Crystal(crystal.lattice, crystal.frac + np.asarray(shift), crystal.species)


def rebased(crystal: Crystal, m: np.ndarray = SKEW) -> Crystal:
    """Same crystal in another cell: L' = M L, so F' = F M⁻¹ (Cartesian positions unchanged)."""
    return Crystal(m @ crystal.lattice, crystal.frac @ np.linalg.inv(m), crystal.species)


def supercell(crystal: Crystal, n: int = 2) -> Crystal:
    shifts = np.array([[i, 0, 0] for i in range(n)])
    frac = ((crystal.frac[None, :, :] + shifts[:, None, :]) / [n, 1, 1]).reshape(-1, 3)
    lattice = crystal.lattice * np.array([[n], [1], [1]])
    return Crystal(lattice, frac, np.tile(crystal.species, n))


def noisy(crystal: Crystal, sigma: float, seed: int = 2) -> Crystal:
    """Gaussian displacement of every atom, sigma in Å."""
    cart = crystal.cartesian + np.random.default_rng(seed).normal(
        scale=sigma, size=(crystal.num_atoms, 3)
    )
    return Crystal(crystal.lattice, cart @ np.linalg.inv(crystal.lattice), crystal.species)


@pytest.mark.parametrize(("make", "symbol", "number"), KNOWN)
def test_known_space_groups(make, symbol: str, number: int) -> None:
    assert space_group(make()) == (symbol, number)


@pytest.mark.parametrize(("make", "symbol", "number"), KNOWN)
@pytest.mark.parametrize("transform", [rotated, permuted, translated, rebased, supercell])
def test_space_group_is_invariant(make, symbol: str, number: int, transform) -> None:
    assert space_group(transform(make())) == (symbol, number)


def test_tolerance_decides_on_noisy_crystals() -> None:
    shaken = noisy(nacl(), sigma=0.01)
    assert space_group(shaken, symprec=0.1) == ("Fm-3m", 225)
    assert space_group(shaken, symprec=1e-4)[1] < 225


def test_symmetrized_idealises_a_noisy_crystal() -> None:
    ideal = symmetrized(noisy(nacl(), sigma=0.01))
    assert space_group(ideal, symprec=1e-5) == ("Fm-3m", 225)
    a, b, c, alpha, beta, gamma = ideal.lattice_parameters()
    assert a == pytest.approx(b) == pytest.approx(c)
    assert a == pytest.approx(5.64, abs=0.02)
    assert (alpha, beta, gamma) == pytest.approx((90.0, 90.0, 90.0))
    assert ideal.formula() == "Na4Cl4"


@pytest.mark.parametrize(("make", "atoms"), [(nacl, 2), (si, 2), (cscl, 2)])
def test_primitive_cells(make, atoms: int) -> None:
    conventional = make()
    prim = primitive(rebased(supercell(conventional)))
    assert prim.num_atoms == atoms
    ratio = conventional.num_atoms // atoms
    assert prim.volume == pytest.approx(conventional.volume / ratio, rel=1e-6)
    assert space_group(prim) == space_group(conventional)


@pytest.mark.parametrize(("make", "symbol", "number"), KNOWN)
def test_symmetrized_primitive_is_the_conventional_cell(make, symbol, number) -> None:
    conventional = make()
    back = symmetrized(primitive(conventional))
    assert back.num_atoms == conventional.num_atoms
    assert back.lattice_parameters() == pytest.approx(conventional.lattice_parameters(), abs=1e-8)
    assert space_group(back) == (symbol, number)


def test_niggli_is_independent_of_the_starting_cell() -> None:
    start = primitive(nacl())
    a = niggli(start)
    b = niggli(rebased(start))
    assert a.lattice_parameters() == pytest.approx(b.lattice_parameters(), abs=1e-8)
    assert b.volume == pytest.approx(start.volume)
    assert b.formula() == start.formula()
    assert space_group(b) == ("Fm-3m", 225)
    assert b.min_interatomic_distance() == pytest.approx(start.min_interatomic_distance())
    # the reduced fcc cell: three vectors of length a/√2 at 60°
    assert b.lattice_parameters()[:3] == pytest.approx([5.64 / np.sqrt(2)] * 3)


def test_labels_and_properties_are_kept() -> None:
    crystal = Crystal(nacl().lattice, nacl().frac, nacl().species, "shot 3", {"energy": -1.5})
    for result in (symmetrized(crystal), primitive(crystal), niggli(crystal)):
        assert result.label == "shot 3" and result.properties == {"energy": -1.5}


def overlapping() -> Crystal:
    base = nacl()
    frac = np.vstack([base.frac, [[0.0005, 0.0, 0.0]]])
    return Crystal(base.lattice, frac, [*base.species, 11], "overlap")


def test_space_group_reports_p1_when_spglib_fails() -> None:
    assert space_group(overlapping()) == ("P1", 1)


@pytest.mark.parametrize("function", [symmetrized, primitive])
def test_cells_raise_a_domain_error_when_spglib_fails(function) -> None:
    with pytest.raises(SymmetryError, match="overlapping atoms"):
        function(overlapping())


def test_niggli_of_a_flat_cell() -> None:
    flat = Crystal(np.array([[4.0, 0, 0], [0, 4.0, 0], [8.0, 0, 0]]), [[0, 0, 0]], [11], "flat")
    with pytest.raises(SymmetryError, match="zero volume"):
        niggli(flat)


@pytest.mark.parametrize(("symprec", "angle"), [(0.0, 5.0), (-0.1, 5.0), (0.1, 0.0)])
def test_tolerances_are_checked(symprec: float, angle: float) -> None:
    with pytest.raises(SymmetryError, match="must be (a )?positive"):
        space_group(nacl(), symprec=symprec, angle_tolerance=angle)
