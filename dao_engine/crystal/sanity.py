"""Physical sanity of a crystal read from a file: a real cell, within limits, no overlapping atoms.

Every structure that enters the engine from outside (CIF, POSCAR, XYZ) passes
:func:`check_crystal`; the limits are :class:`StructureLimits` (defaults sized for the models and
for the app's analysis, overridable per call or with ``DAO_MAX_ATOMS``, ``DAO_MAX_CELL_EDGE``,
``DAO_MAX_FILE_MB`` in the environment).
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass

import numpy as np

from dao_engine.crystal.elements import element_symbol
from dao_engine.crystal.structure import Crystal, nearest_pair
from dao_engine.errors import StructureParseError, StructureWarning

__all__ = ["StructureLimits", "check_cell_parameters", "check_crystal", "closest_pair"]


@dataclass(frozen=True)
class StructureLimits:
    """Bounds on what a structure file may hold.

    Attributes:
        max_bytes: file size (after gzip decompression).
        max_atoms: atoms per cell (the models take ≤ 40; references for matching may be larger).
        max_edge: longest lattice vector, Å.
        max_volume: cell volume, Å³.
        min_distance: atoms closer than this (Å) give a :class:`StructureWarning` naming the
            pair (never a silent fix); 0 disables.
    """

    max_bytes: int = 50_000_000
    max_atoms: int = 2_000
    max_edge: float = 1_000.0
    max_volume: float = 1e7
    min_distance: float = 0.5

    @classmethod
    def from_env(cls) -> StructureLimits:
        """Defaults, with ``DAO_MAX_ATOMS``, ``DAO_MAX_CELL_EDGE`` and ``DAO_MAX_FILE_MB`` applied."""
        base = cls()
        try:
            atoms = int(os.environ.get("DAO_MAX_ATOMS", base.max_atoms))
            edge = float(os.environ.get("DAO_MAX_CELL_EDGE", base.max_edge))
            megabytes = float(os.environ.get("DAO_MAX_FILE_MB", base.max_bytes / 1e6))
        except ValueError as exc:
            raise StructureParseError(
                f"a DAO_MAX_* environment variable is not a number: {exc}"
            ) from None
        return cls(int(megabytes * 1e6), atoms, edge, max(base.max_volume, edge**3 / 1e3))


def check_cell_parameters(params: tuple[float, ...], where: str) -> None:
    """Refuse lattice parameters that describe no cell: lengths ≤ 0, angles outside (0°, 180°)
    or a combination of angles with no positive volume."""
    a, b, c, alpha, beta, gamma = params
    for name, value in (("a", a), ("b", b), ("c", c)):
        if not (math.isfinite(value) and value > 0):
            raise StructureParseError(
                f"{where}: cell length {name} = {value:g} Å; it must be a finite number > 0"
            )
    for name, value in (("alpha", alpha), ("beta", beta), ("gamma", gamma)):
        if not (math.isfinite(value) and 0 < value < 180):
            raise StructureParseError(
                f"{where}: cell angle {name} = {value:g}°; it must lie strictly between 0 and 180"
            )
    ca, cb, cg = (math.cos(math.radians(x)) for x in (alpha, beta, gamma))
    if 1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg <= 1e-10:
        raise StructureParseError(
            f"{where}: the cell angles {alpha:g}°, {beta:g}°, {gamma:g}° enclose no volume"
        )


def check_crystal(crystal: Crystal, where: str, limits: StructureLimits | None = None) -> Crystal:
    """Return ``crystal`` when it is a physical cell within ``limits``; StructureParseError names
    the value and what to do. Overlapping atoms are reported, not refused: a
    :class:`StructureWarning` names the pair and ``crystal.properties["sanity_warning"]`` keeps
    the text (the app shows it as a flag)."""
    limits = limits or StructureLimits.from_env()
    if crystal.num_atoms > limits.max_atoms:
        raise StructureParseError(
            f"{where}: {crystal.num_atoms} atoms; at most {limits.max_atoms} are supported "
            "(set DAO_MAX_ATOMS to raise the limit)"
        )
    _check_lattice(crystal, where, limits)
    if limits.min_distance > 0:
        pair = closest_pair(crystal, limits.min_distance)
        if pair is not None:
            i, j, d = pair
            first = f"atom {i + 1} ({element_symbol(int(crystal.species[i]))})"
            second = (
                "its own periodic image"
                if i == j
                else f"atom {j + 1} ({element_symbol(int(crystal.species[j]))})"
            )
            message = (
                f"{where}: {first} is only {d:.3f} Å from {second} (< {limits.min_distance} Å); "
                "check for a duplicated atom or wrong coordinates"
            )
            crystal.properties["sanity_warning"] = message
            warnings.warn(message, StructureWarning, stacklevel=2)
    return crystal


def _check_lattice(crystal: Crystal, where: str, limits: StructureLimits) -> None:
    lengths = np.linalg.norm(crystal.lattice, axis=1)
    volume = float(np.linalg.det(crystal.lattice))
    if not lengths.min() > 1e-6 or not abs(volume) > 1e-6:
        raise StructureParseError(f"{where}: the lattice is degenerate (volume {volume:.3g} Å³)")
    if lengths.max() > limits.max_edge:
        raise StructureParseError(
            f"{where}: a lattice vector is {lengths.max():.4g} Å long; at most "
            f"{limits.max_edge:g} Å is accepted (set DAO_MAX_CELL_EDGE to raise the limit)"
        )
    if abs(volume) > limits.max_volume:
        raise StructureParseError(
            f"{where}: the cell volume is {abs(volume):.4g} Å³; at most {limits.max_volume:.3g} Å³ "
            "is accepted (set DAO_MAX_CELL_EDGE to raise the limit)"
        )


def closest_pair(crystal: Crystal, threshold: float) -> tuple[int, int, float] | None:
    """The closest pair of atoms (i ≤ j, distance Å) when nearer than ``threshold``, else None.

    Periodic images within one cell in each direction are included (an atom near its own image
    counts as i == j). Memory is linear in the atom count (see :func:`nearest_pair`), also when
    many atoms sit on one spot.
    """
    pair = nearest_pair(crystal.lattice, crystal.frac)
    return pair if pair is not None and pair[2] < threshold else None
