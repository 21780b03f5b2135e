"""Symmetrized CIF text that is proven to read back as the crystal it was made from.

pymatgen's ``CifWriter(symprec=...)`` analyses the structure twice: once to refine it and once
more, on the refined cell, to list the symmetry operations. The second analysis runs at the same
loose tolerance on an already idealised cell and can find a different group in a different
origin; the operations written (e.g. ``'-x, -y+22/39, -z'``) then do not belong to the sites
written, and the file reads back as another crystal (Na1Cl1 as NaCl2). Here the cell is refined
once with spglib (:func:`~dao_engine.crystal.symmetry.symmetrized`), the operations are listed
from that exact cell at a tight tolerance, and the text is read back (pymatgen and our reader)
and compared with what was meant. Anything that does not read back is written in P1 with a note.
"""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np

from dao_engine.crystal.structure import Crystal
from dao_engine.crystal.symmetry import SymmetryError, space_group, symmetrized
from dao_engine.io.convert import crystal_from_structure, structure_from_crystal

__all__ = ["WrittenCif", "build_cif", "readback_problem"]

_log = logging.getLogger(__name__)
#: Tolerance (Å) for listing the operations of an idealised cell: it is exactly symmetric.
EXACT_SYMPREC = 1e-3
#: Crystallographic translations are multiples of 1/24 in any standard setting (1/2 ... 1/8).
_TRANSLATION_GRID = 24
#: Cells looser than this (Å³ per atom) or with atoms closer than this (Å) are not symmetrized.
_MAX_VOLUME_PER_ATOM = 500.0
_MIN_DISTANCE = 0.5


@dataclass(frozen=True)
class WrittenCif:
    """CIF text plus what it holds.

    Attributes:
        text: the CIF.
        crystal: the cell the file holds (the refined conventional cell, or the input in P1).
        space_group: the (symbol, number) declared in the file.
        note: why a requested symmetrization was not used (the file is then P1), else None.
    """

    text: str
    crystal: Crystal
    space_group: tuple[str, int]
    note: str | None = None


def build_cif(
    crystal: Crystal, symmetrize: bool = True, symprec: float = 0.1, angle_tolerance: float = 5.0
) -> WrittenCif:
    """The CIF of ``crystal``: symmetrized when asked and proven to read back, else P1."""
    note = None
    if symmetrize:
        try:
            return _symmetrized_cif(crystal, symprec, angle_tolerance)
        except SymmetryError as exc:
            note = f"symmetry not used ({exc}); written in P1"
            _log.warning("%s: %s", crystal.label or crystal.formula(), note)
    text = _writer_text(crystal, None, note)
    problem = readback_problem(text, crystal, exact=True, match=False)
    if problem:  # the P1 text is the cell as is; a failure here means overlapping atoms
        _log.warning("%s: P1 CIF %s", crystal.label or crystal.formula(), problem)
    return WrittenCif(text, crystal, ("P1", 1), note)


def _symmetrized_cif(crystal: Crystal, symprec: float, angle_tolerance: float) -> WrittenCif:
    """Refine once, list operations of the exact cell, verify; SymmetryError on any failure."""
    volume = crystal.volume / crystal.num_atoms
    if not 0 < volume <= _MAX_VOLUME_PER_ATOM:
        raise SymmetryError(f"symmetry detection failed: implausible cell ({volume:.3g} Å³/atom)")
    closest = crystal.min_interatomic_distance()
    if closest < _MIN_DISTANCE:
        raise SymmetryError(f"symmetry detection failed: atoms only {closest:.3f} Å apart")
    if space_group(crystal, symprec, angle_tolerance)[1] == 1:  # nothing to gain: keep the cell
        return WrittenCif(_writer_text(crystal, None, None), crystal, ("P1", 1))
    refined = symmetrized(crystal, symprec=symprec, angle_tolerance=angle_tolerance)
    group = space_group(refined, symprec=EXACT_SYMPREC)
    text = _writer_text(refined, EXACT_SYMPREC, None)
    problem = _operations_problem(text) or readback_problem(text, refined, exact=True)
    problem = problem or readback_problem(text, crystal, exact=False)
    if problem:
        raise SymmetryError(f"the symmetrized CIF ({group[0]}) {problem}")
    return WrittenCif(text, refined.with_label(crystal.label), group)


def _writer_text(crystal: Crystal, symprec: float | None, note: str | None) -> str:
    """pymatgen's CIF text of ``crystal`` as is (``refine_struct=False``), our header."""
    from pymatgen.io.cif import CifWriter

    from dao_engine.io.cif import block_name

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # non-unique labels etc. are cosmetic here
        writer = CifWriter(
            structure_from_crystal(crystal),
            symprec=symprec,
            angle_tolerance=5.0,
            refine_struct=False,
        )
    for block in writer.cif_file.data.values():
        block.header = block_name(crystal)
    comment = f"# {crystal.label or crystal.formula()} written by DAO Studio"
    writer.cif_file.comment = comment + (f"\n# {note}" if note else "")
    return str(writer)


def _operations_problem(text: str) -> str | None:
    """None when every listed operation is crystallographic (integer rotation, translation on
    the 1/24 grid), else the first offending operation."""
    from pymatgen.core.operations import SymmOp
    from pymatgen.io.cif import CifParser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for block in CifParser.from_str(text)._cif.data.values():
            for xyz in block.data.get("_symmetry_equiv_pos_as_xyz", []):
                op = SymmOp.from_xyz_str(str(xyz))
                grid = op.translation_vector * _TRANSLATION_GRID
                rot = op.rotation_matrix
                on_grid = np.allclose(grid, np.round(grid), atol=1e-4)
                if not (on_grid and np.allclose(rot, np.round(rot))):
                    return f"lists a non-crystallographic operation '{xyz}'"
    return None


def readback_problem(text: str, meant: Crystal, exact: bool, match: bool = True) -> str | None:
    """None when ``text`` reads back (pymatgen and our reader) as ``meant``, else what differs.

    ``exact``: the same atom count and species counts are required, and the structure must
    match; otherwise (``meant`` is the unsymmetrized input) the reduced composition and a
    StructureMatcher match are enough. ``match=False`` compares compositions only (for cells
    too loose or too large to match safely).
    """
    try:
        readers = _read_back(text)
    except Exception as exc:  # any parser failure means the file is not what we meant
        return f"could not be read back ({type(exc).__name__}: {exc})"
    for who, read in readers:
        problem = _difference(read, meant, exact, match)
        if problem:
            return f"reads back in {who} as {problem}"
    return None


def _read_back(text: str) -> list[tuple[str, Crystal]]:
    from pymatgen.io.cif import CifParser

    from dao_engine.io.cif import parse_cif

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        structure = CifParser.from_str(text).parse_structures(primitive=False, on_error="raise")[0]
    ours = parse_cif(text).crystals[0]
    return [("pymatgen", crystal_from_structure(structure)), ("our reader", ours)]


def _difference(read: Crystal, meant: Crystal, exact: bool, match: bool) -> str | None:
    """What differs between the read-back crystal and the meant one (None: the same)."""
    if exact and Counter(read.species.tolist()) != Counter(meant.species.tolist()):
        return f"{read.formula()} ({read.num_atoms} atoms) instead of {meant.formula()}"
    if not exact and read.formula(reduced=True) != meant.formula(reduced=True):
        return f"{read.formula()} instead of {meant.formula()}"
    if not match:
        return None
    from pymatgen.analysis.structure_matcher import StructureMatcher

    matcher = StructureMatcher(primitive_cell=not exact, scale=False, attempt_supercell=True)
    if not matcher.fit(structure_from_crystal(read), structure_from_crystal(meant)):
        return "a different structure (no StructureMatcher match)"
    return None
