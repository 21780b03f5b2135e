"""What a VESTA or ASE user expects to read off a crystal: the lattice and the Wyckoff sites.

:func:`lattice_summary` gives a, b, c (Å), α, β, γ (°), the volume (Å³) and the space group of
the cell in one of four settings: "as given", "conventional" (spglib's refined standard cell),
"primitive" (spglib's standard primitive cell) and "niggli" (the same atoms in the
Niggli-reduced cell). :func:`site_table` lists one row per symmetry-distinct site (spglib
``equivalent_atoms``) with its Wyckoff position written with the multiplicity of the
conventional cell ("4a") and its site-symmetry symbol ("m-3m").

When spglib finds no symmetry at ``symprec`` (overlapping atoms, ...), the crystal is reported
as P1 with every atom its own site ("1a", site symmetry "1") rather than raising.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np

from dao_engine.crystal.elements import element_symbol
from dao_engine.crystal.structure import Crystal
from dao_engine.crystal.symmetry import (
    DEFAULT_SYMPREC,
    SymmetryError,
    niggli,
    primitive,
    space_group,
    symmetrized,
)

__all__ = [
    "LATTICE_SETTINGS",
    "LatticeSummary",
    "Site",
    "cell_in_setting",
    "lattice_summary",
    "site_table",
]

#: The cell settings :func:`lattice_summary` understands, in menu order.
LATTICE_SETTINGS = ("as given", "conventional", "primitive", "niggli")


@dataclass(frozen=True)
class LatticeSummary:
    """Lattice parameters of one cell: lengths in Å, angles in degrees, volume in Å³."""

    setting: str
    a: float
    b: float
    c: float
    alpha: float
    beta: float
    gamma: float
    volume: float
    num_atoms: int
    space_group_symbol: str
    space_group_number: int

    @property
    def space_group(self) -> str:
        """E.g. ``"Fm-3m (225)"``."""
        return f"{self.space_group_symbol} ({self.space_group_number})"


@dataclass(frozen=True)
class Site:
    """One symmetry-distinct site of the cell as given.

    Attributes:
        element: chemical symbol; index: 0-based index of the representative atom.
        frac: fractional coordinates (x, y, z) of that atom in the cell as given.
        wyckoff: multiplicity (in the conventional cell) and Wyckoff letter, e.g. "4a".
        site_symmetry: the site-symmetry symbol, e.g. "m-3m" (spglib, oriented).
        count: atoms of this site in the cell as given.
    """

    element: str
    index: int
    frac: tuple[float, float, float]
    wyckoff: str
    site_symmetry: str
    count: int


def cell_in_setting(crystal: Crystal, setting: str, symprec: float = DEFAULT_SYMPREC) -> Crystal:
    """The crystal in ``setting`` (one of :data:`LATTICE_SETTINGS`).

    Raises SymmetryError for an unknown setting or when spglib cannot build the cell.
    """
    key = setting.strip().lower()
    if key == "as given":
        return crystal
    if key == "conventional":
        return symmetrized(crystal, symprec=symprec)
    if key == "primitive":
        return primitive(crystal, symprec=symprec)
    if key == "niggli":
        return niggli(crystal)
    raise SymmetryError(f"unknown cell setting '{setting}'; choose one of {LATTICE_SETTINGS}")


def lattice_summary(
    crystal: Crystal, setting: str = "as given", symprec: float = DEFAULT_SYMPREC
) -> LatticeSummary:
    """a, b, c, α, β, γ, V and the space group of ``crystal`` in ``setting``.

    The space group is that of the crystal (the same in every setting).
    """
    cell = cell_in_setting(crystal, setting, symprec)
    a, b, c, alpha, beta, gamma = cell.lattice_parameters()
    symbol, number = space_group(crystal, symprec=symprec)
    return LatticeSummary(
        setting.strip().lower(),
        *(a, b, c, alpha, beta, gamma),
        cell.volume,
        cell.num_atoms,
        symbol,
        number,
    )


def site_table(crystal: Crystal, symprec: float = DEFAULT_SYMPREC) -> list[Site]:
    """One :class:`Site` per symmetry-distinct atom of ``crystal``, in order of first atom."""
    dataset = _dataset(crystal, symprec)
    n = crystal.num_atoms
    if dataset is None:
        equivalent = np.arange(n)
        letters = ["a"] * n
        symbols = ["1"] * n
        multiplicity = Counter({i: 1 for i in range(n)})
        scale = 1.0
    else:
        equivalent = np.asarray(dataset.equivalent_atoms)
        letters = list(dataset.wyckoffs)
        symbols = [s or "1" for s in dataset.site_symmetry_symbols]
        multiplicity = Counter(equivalent.tolist())
        # Wyckoff multiplicities refer to the conventional cell; the cell as given may be
        # primitive (fewer atoms) or a supercell (more).
        conventional = len(dataset.std_types)
        scale = conventional / n
    sites = []
    for index in sorted(set(equivalent.tolist())):
        count = multiplicity[index]
        mult = max(1, int(round(count * scale)))
        sites.append(
            Site(
                element=element_symbol(int(crystal.species[index])),
                index=int(index),
                frac=tuple(float(x) for x in crystal.frac[index]),  # type: ignore[arg-type]
                wyckoff=f"{mult}{letters[index]}",
                site_symmetry=symbols[index],
                count=int(count),
            )
        )
    return sites


def _dataset(crystal: Crystal, symprec: float):  # noqa: ANN202 - spglib's dataset type
    import spglib

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return spglib.get_symmetry_dataset(
                (crystal.lattice, crystal.frac, crystal.species), symprec=symprec
            )
    except Exception:  # SpglibError: no symmetry at this tolerance
        return None
