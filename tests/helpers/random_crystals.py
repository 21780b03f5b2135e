"""Random valid crystals for read-back tests: a real cell in a random orientation, 1-20 atoms of
any element, no two atoms (or periodic images) closer than ``min_distance``."""

from __future__ import annotations

import numpy as np

from dao_engine.crystal.elements import MAX_ATOMIC_NUMBER
from dao_engine.crystal.structure import Crystal, nearest_pair


def lattice_from_parameters(
    a: float, b: float, c: float, alpha: float, beta: float, gamma: float
) -> np.ndarray:
    """Rows a, b, c (Å) for the given lengths and angles (degrees): a along x, b in the xy plane."""
    al, be, ga = np.radians([alpha, beta, gamma])
    cx = c * np.cos(be)
    cy = c * (np.cos(al) - np.cos(be) * np.cos(ga)) / np.sin(ga)
    cz = np.sqrt(c * c - cx * cx - cy * cy)
    return np.array([[a, 0.0, 0.0], [b * np.cos(ga), b * np.sin(ga), 0.0], [cx, cy, cz]])


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random proper rotation (det = +1)."""
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def random_crystal(
    rng: np.random.Generator, max_atoms: int = 20, min_distance: float = 1.0, label: str = ""
) -> Crystal:
    """A random crystal of 1..max_atoms atoms, atoms at least ``min_distance`` Å apart."""
    while True:
        lengths = rng.uniform(3.0, 10.0, size=3)
        angles = rng.uniform(65.0, 115.0, size=3)
        try:
            lattice = lattice_from_parameters(*lengths, *angles)
        except FloatingPointError:
            continue
        if np.isfinite(lattice).all() and abs(np.linalg.det(lattice)) > 1.0:
            break
    lattice = lattice @ random_rotation(rng).T
    frac = _spread_atoms(rng, lattice, int(rng.integers(1, max_atoms + 1)), min_distance)
    species = rng.integers(1, MAX_ATOMIC_NUMBER + 1, size=len(frac))
    return Crystal(lattice, frac, species, label)


def _spread_atoms(
    rng: np.random.Generator, lattice: np.ndarray, wanted: int, min_distance: float
) -> np.ndarray:
    """Up to ``wanted`` fractional positions, added one by one where they keep the distance."""
    frac = rng.random((1, 3))
    for _ in range(50 * wanted):
        if len(frac) == wanted:
            break
        trial = np.vstack([frac, rng.random((1, 3))])
        pair = nearest_pair(lattice, trial)
        if pair is None or pair[2] >= min_distance:
            frac = trial
    return frac
