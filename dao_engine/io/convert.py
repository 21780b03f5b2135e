"""Conversions between :class:`~dao_engine.crystal.Crystal` and pymatgen ``Structure``.

pymatgen is imported lazily so that the tensor code (models, diffusion, training) runs where
pymatgen is absent, e.g. on a GPU machine that only has torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dao_engine.crystal.structure import Crystal
from dao_engine.errors import StructureParseError

if TYPE_CHECKING:
    from pymatgen.core import Structure


def crystal_from_structure(structure: Structure, label: str = "") -> Crystal:
    """Convert an *ordered* pymatgen Structure; partial occupancy raises StructureParseError."""
    if not structure.is_ordered:
        raise StructureParseError(
            f"'{label or structure.composition.reduced_formula}' has partial occupancy "
            "(a disordered structure); only ordered crystals are supported — "
            "pick one ordered configuration first"
        )
    species = np.array([site.specie.Z for site in structure], dtype=np.int64)
    return Crystal(
        lattice=np.array(structure.lattice.matrix),
        frac=np.array(structure.frac_coords),
        species=species,
        label=label,
    )


def structure_from_crystal(crystal: Crystal) -> Structure:
    """A pymatgen Structure with the same lattice (rows), species and fractional coordinates."""
    from pymatgen.core import Element, Lattice, Structure

    return Structure(
        Lattice(crystal.lattice),
        [Element.from_Z(int(z)) for z in crystal.species],
        crystal.frac,
        coords_are_cartesian=False,
    )
