"""The known-structure library: Materials Project crystals shipped as compact arrays.

The file (``resources/models/mp-known-library.npz``) is a :class:`CrystalArrays` written by
``python -m dao_engine.jobs.build_library``: the ``mp-`` crystals of the general training corpus,
which is de-duplicated against the MP-20 test split by id and by structure, so no test crystal
is in it. ``energy`` is the source's formation energy per atom (eV/atom; NaN where the source
has none). Structures are CC BY 4.0 (see :data:`ATTRIBUTION`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.errors import DaoError, DatasetError

LIBRARY_PATH = Path(__file__).resolve().parents[2] / "resources" / "models" / "mp-known-library.npz"
ATTRIBUTION = (
    "Known structures and templates: crystal structures from the Materials Project "
    "(materialsproject.org), licensed CC BY 4.0; A. Jain et al., APL Materials 1, 011002 (2013). "
    "Substitution likelihoods: pymatgen (Hautier et al., Inorg. Chem. 50, 656 (2011))."
)
#: reduced composition key: ((Z, count), ...) sorted by Z
FormulaKey = tuple[tuple[int, int], ...]
#: anonymous stoichiometry key: reduced counts, largest first (NaCl and KBr share (1, 1))
TypeKey = tuple[int, ...]


class LibraryError(DaoError):
    """The known-structure library is missing or unreadable."""


def reduced_counts(species: np.ndarray | list[int]) -> dict[int, int]:
    """Atomic number -> count in the reduced formula, e.g. Na4Cl4 -> {11: 1, 17: 1}."""
    values, counts = np.unique(np.asarray(species, dtype=np.int64), return_counts=True)
    divisor = math.gcd(*(int(c) for c in counts))
    return {int(z): int(c) // divisor for z, c in zip(values, counts, strict=True)}


def formula_key(counts: Mapping[int, int]) -> FormulaKey:
    return tuple(sorted((int(z), int(n)) for z, n in counts.items()))


def type_key(counts: Mapping[int, int]) -> TypeKey:
    return tuple(sorted((int(n) for n in counts.values()), reverse=True))


@dataclass(frozen=True)
class KnownLibrary:
    """The library with its look-up tables.

    Attributes:
        arrays: the crystals (``ids`` are material ids, ``energy`` formation energy eV/atom).
        by_formula: reduced composition -> indices of its crystals.
        by_type: anonymous stoichiometry -> indices of its crystals.
        counts: per crystal, its reduced counts (atomic number -> count).
    """

    arrays: CrystalArrays
    by_formula: dict[FormulaKey, list[int]]
    by_type: dict[TypeKey, list[int]]
    counts: list[dict[int, int]]

    @classmethod
    def from_arrays(cls, arrays: CrystalArrays) -> KnownLibrary:
        offsets = arrays.offsets
        counts = [
            reduced_counts(arrays.species[offsets[i] : offsets[i] + arrays.num_atoms[i]])
            for i in range(len(arrays))
        ]
        by_formula: dict[FormulaKey, list[int]] = {}
        by_type: dict[TypeKey, list[int]] = {}
        for i, c in enumerate(counts):
            by_formula.setdefault(formula_key(c), []).append(i)
            by_type.setdefault(type_key(c), []).append(i)
        return cls(arrays, by_formula, by_type, counts)

    def __len__(self) -> int:
        return len(self.arrays)


def fit_element_volumes(arrays: CrystalArrays) -> dict[int, float]:
    """Least-squares volume per atom (Å³) of every element: cell volume ≈ Σ n_e v_e (what
    ``dao_engine/data/element_volumes.json`` holds, fitted over the shipped library).

    Returns atomic number -> v_e, clipped to at least 2 Å³ (a few light elements are poorly
    determined)."""
    elements = np.unique(arrays.species)
    design = np.zeros((len(arrays), len(elements)))
    owner = np.repeat(np.arange(len(arrays)), arrays.num_atoms)
    np.add.at(design, (owner, np.searchsorted(elements, arrays.species)), 1.0)
    volumes = np.abs(np.linalg.det(arrays.lattice.astype(np.float64)))
    solution, *_ = np.linalg.lstsq(design, volumes, rcond=None)
    return {int(z): max(float(v), 2.0) for z, v in zip(elements, solution, strict=True)}


@lru_cache(maxsize=2)
def load_library(path: str | None = None) -> KnownLibrary:
    """The library at ``path`` (default: the shipped one), read once per process.

    Raises LibraryError with one line when the file is missing or corrupt."""
    where = Path(path) if path else LIBRARY_PATH
    if not where.is_file():
        raise LibraryError(
            f"the known-structure library '{where}' is missing; reinstall DAO Studio or rebuild "
            "it with 'python -m dao_engine.jobs.build_library' (sampling still works)"
        )
    try:
        arrays = CrystalArrays.load_npz(where)
    except DatasetError as exc:
        raise LibraryError(f"the known-structure library is unreadable: {exc}") from exc
    if len(arrays) == 0:
        raise LibraryError(f"the known-structure library '{where}' holds no crystals")
    return KnownLibrary.from_arrays(arrays)
