"""A single ordered crystal: lattice rows, fractional coordinates, atomic numbers.

Convention used everywhere in the engine: **rows** of ``lattice`` are the lattice vectors
a, b, c in Å, and Cartesian positions are ``frac @ lattice`` (X = F·L, row convention).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from math import gcd
from typing import Any

import numpy as np

from dao_engine.crystal.elements import element_symbol
from dao_engine.errors import StructureParseError

#: Above this many atoms, distance checks use a KD-tree instead of all pairs (O(N²) memory).
BRUTE_FORCE_ATOMS = 64

_SHIFTS = np.array([[i, j, k] for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)])


def nearest_pair(lattice: np.ndarray, frac: np.ndarray) -> tuple[int, int, float] | None:
    """The closest two atoms (i ≤ j, distance Å) over periodic images (−1, 0, 1)³, or None for
    an empty cell; an atom near its own image counts as i == j. Memory and time grow as N log N
    (a KD-tree over the 27 images, two nearest neighbours per atom)."""
    from scipy.spatial import cKDTree

    n = len(frac)
    if n == 0:
        return None
    images = ((frac[None, :, :] + _SHIFTS[:, None, :]) @ lattice).reshape(-1, 3)
    dist, index = cKDTree(images).query(frac @ lattice, k=2)
    first_is_self = index[:, 0] == 13 * n + np.arange(n)  # the zero shift is image 13
    d = np.where(first_is_self, dist[:, 1], dist[:, 0])
    j = np.where(first_is_self, index[:, 1], index[:, 0]) % n
    i = int(np.argmin(d))
    return min(i, int(j[i])), max(i, int(j[i])), float(d[i])


@dataclass(frozen=True, eq=False)
class Crystal:
    """An ordered periodic crystal.

    Attributes:
        lattice: (3, 3) float64, Å; rows are lattice vectors.
        frac: (N, 3) float64 fractional coordinates, wrapped to [0, 1).
        species: (N,) int64 atomic numbers.
        label: free-form name (file name, material id, "shot 3", ...).
        properties: scalar labels such as ``{"energy_per_atom": -1.2}`` (eV/atom).
    """

    lattice: np.ndarray
    frac: np.ndarray
    species: np.ndarray
    label: str = ""
    properties: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        lattice = np.asarray(self.lattice, dtype=np.float64).reshape(3, 3)
        frac = np.asarray(self.frac, dtype=np.float64).reshape(-1, 3)
        species = np.asarray(self.species, dtype=np.int64).reshape(-1)
        if len(frac) != len(species):
            raise StructureParseError(
                f"{len(frac)} coordinates but {len(species)} species in crystal '{self.label}'"
            )
        if len(species) == 0:
            raise StructureParseError(f"crystal '{self.label}' has no atoms")
        if not (np.isfinite(lattice).all() and np.isfinite(frac).all()):
            raise StructureParseError(
                f"crystal '{self.label}' has non-finite lattice or coordinates"
            )
        object.__setattr__(self, "lattice", lattice)
        object.__setattr__(self, "frac", frac - np.floor(frac))
        object.__setattr__(self, "species", species)

    @property
    def num_atoms(self) -> int:
        return int(len(self.species))

    @property
    def volume(self) -> float:
        """Cell volume in Å³ (absolute value of det L)."""
        return float(abs(np.linalg.det(self.lattice)))

    @property
    def cartesian(self) -> np.ndarray:
        """(N, 3) Cartesian positions in Å."""
        return self.frac @ self.lattice

    @property
    def symbols(self) -> list[str]:
        return [element_symbol(int(z)) for z in self.species]

    def lattice_parameters(self) -> tuple[float, float, float, float, float, float]:
        """(a, b, c) in Å and (α, β, γ) in degrees."""
        a, b, c = (float(np.linalg.norm(v)) for v in self.lattice)
        va, vb, vc = self.lattice

        def angle(u: np.ndarray, v: np.ndarray) -> float:
            cos = float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))
            return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))

        return a, b, c, angle(vb, vc), angle(va, vc), angle(va, vb)

    def formula(self, reduced: bool = False) -> str:
        """Hill-like formula in order of first appearance, e.g. ``Na4Cl4`` or ``NaCl`` (reduced)."""
        counts = Counter(self.symbols)
        divisor = 0
        for n in counts.values():
            divisor = gcd(divisor, n)
        if not reduced:
            divisor = 1
        parts = []
        for symbol, n in counts.items():
            k = n // divisor
            parts.append(symbol if k == 1 else f"{symbol}{k}")
        return "".join(parts)

    def with_label(self, label: str) -> Crystal:
        return Crystal(self.lattice, self.frac, self.species, label, dict(self.properties))

    def min_interatomic_distance(self) -> float:
        """Smallest distance in Å between two atoms, over periodic images (−1, 0, 1)³.

        Up to :data:`BRUTE_FORCE_ATOMS` atoms all pairs are compared (memory ~ 650·N² bytes);
        above, a KD-tree (:func:`nearest_pair`) keeps memory linear in N.
        """
        if self.num_atoms > BRUTE_FORCE_ATOMS:
            pair = nearest_pair(self.lattice, self.frac)
            return float("inf") if pair is None else pair[2]
        shifts = np.array([[i, j, k] for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)])
        delta = self.frac[None, :, :] - self.frac[:, None, :]
        delta -= np.round(delta)
        images = (delta[:, :, None, :] + shifts[None, None]) @ self.lattice
        dist = np.linalg.norm(images, axis=-1)
        n = self.num_atoms
        dist[np.arange(n), np.arange(n), 13] = np.inf  # the atom itself (zero shift)
        return float(dist.min()) if np.isfinite(dist).any() else float("inf")
