"""Space groups and standard cells of a :class:`Crystal` (spglib; pymatgen for Niggli).

Tolerances: ``symprec`` is a distance in Å (two positions closer than this are "the same"),
``angle_tolerance`` in degrees. The defaults (0.1 Å, 5°) are loose on purpose: generated and
relaxed candidates are never exactly symmetric, and 0.1 Å is the usual tolerance for reporting
their space group.

Failure behaviour: spglib fails when atoms overlap within ``symprec`` or the lattice is
degenerate. :func:`space_group` then reports ``("P1", 1)`` (no symmetry found at this
tolerance), which is what a table of candidates should show; functions that must return a
cell (:func:`symmetrized`, :func:`primitive`, :func:`niggli`) raise :class:`SymmetryError`.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from dao_engine.crystal.structure import Crystal
from dao_engine.errors import DaoError

__all__ = ["SymmetryError", "space_group", "symmetrized", "primitive", "niggli"]

_log = logging.getLogger(__name__)
DEFAULT_SYMPREC = 0.1
DEFAULT_ANGLE_TOLERANCE = 5.0


class SymmetryError(DaoError, ValueError):
    """Symmetry analysis failed for a crystal (overlapping atoms, degenerate lattice, ...)."""


def space_group(
    crystal: Crystal,
    symprec: float = DEFAULT_SYMPREC,
    angle_tolerance: float = DEFAULT_ANGLE_TOLERANCE,
) -> tuple[str, int]:
    """International (Hermann–Mauguin) symbol and number, e.g. ``("Fm-3m", 225)``.

    Returns ``("P1", 1)`` when spglib cannot analyse the cell at this tolerance (logged at
    debug level); the symbol has no spaces, as spglib writes it.
    """
    _check_tolerances(symprec, angle_tolerance)
    import spglib

    dataset, reason = _call_spglib(
        spglib.get_symmetry_dataset,
        _cell(crystal),
        symprec=symprec,
        angle_tolerance=angle_tolerance,
    )
    if dataset is None:
        _log.debug("no space group for '%s' (%s); reporting P1", crystal.label, reason)
        return "P1", 1
    return str(dataset.international), int(dataset.number)


def symmetrized(
    crystal: Crystal,
    symprec: float = DEFAULT_SYMPREC,
    angle_tolerance: float = DEFAULT_ANGLE_TOLERANCE,
) -> Crystal:
    """The refined (idealised) conventional standard cell, as spglib ``standardize_cell``.

    Lattice lengths, angles and positions are made exactly symmetric; the number of atoms can
    change (a primitive fcc cell of 2 atoms becomes the 8-atom cubic cell). Label and
    properties are kept.
    """
    return _standardize(
        crystal, to_primitive=False, symprec=symprec, angle_tolerance=angle_tolerance
    )


def primitive(
    crystal: Crystal,
    symprec: float = DEFAULT_SYMPREC,
    angle_tolerance: float = DEFAULT_ANGLE_TOLERANCE,
) -> Crystal:
    """The standard primitive cell (idealised), e.g. 2 atoms for rock-salt NaCl."""
    return _standardize(
        crystal, to_primitive=True, symprec=symprec, angle_tolerance=angle_tolerance
    )


def niggli(crystal: Crystal, tolerance: float = 1e-5) -> Crystal:
    """The same crystal in its Niggli-reduced cell (same atoms, volume and positions).

    ``tolerance`` is pymatgen's relative tolerance of the reduction. Raises SymmetryError when
    the lattice cannot be reduced (for instance a degenerate, zero-volume lattice).
    """
    from pymatgen.core import Lattice

    if crystal.volume < 1e-6:
        raise SymmetryError(f"cannot Niggli-reduce '{crystal.label}': the cell has zero volume")
    try:
        reduced = Lattice(crystal.lattice).get_niggli_reduced_lattice(tol=tolerance)
    except Exception as exc:  # pymatgen raises bare ValueError/RuntimeError; keep one type
        raise SymmetryError(f"Niggli reduction of '{crystal.label}' failed: {exc}") from exc
    lattice = np.array(reduced.matrix)
    frac = crystal.cartesian @ np.linalg.inv(lattice)
    return Crystal(lattice, frac, crystal.species, crystal.label, dict(crystal.properties))


def _standardize(
    crystal: Crystal, to_primitive: bool, symprec: float, angle_tolerance: float
) -> Crystal:
    _check_tolerances(symprec, angle_tolerance)
    import spglib

    cell, reason = _call_spglib(
        spglib.standardize_cell,
        _cell(crystal),
        to_primitive=to_primitive,
        no_idealize=False,
        symprec=symprec,
        angle_tolerance=angle_tolerance,
    )
    if cell is None:
        kind = "primitive" if to_primitive else "conventional"
        raise SymmetryError(
            f"could not find the {kind} cell of '{crystal.label or crystal.formula()}' with "
            f"symprec={symprec} Å: {reason}; check for overlapping atoms or try a smaller symprec"
        )
    lattice, frac, numbers = cell
    return Crystal(
        np.array(lattice),
        np.array(frac),
        np.array(numbers),
        crystal.label,
        dict(crystal.properties),
    )


def _cell(crystal: Crystal) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """spglib's cell tuple; spglib also uses rows as lattice vectors."""
    return crystal.lattice, crystal.frac, crystal.species


def _call_spglib(function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, str]:
    """Call spglib and return (result or None, reason of failure).

    spglib ≥ 2.5 either returns None (old error handling, with a DeprecationWarning) or raises
    SpglibError; both become a None result with a reason here.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            result = function(*args, **kwargs)
    except Exception as exc:  # SpglibError or a TypeError from a malformed cell
        return None, str(exc).replace("\n", " ")
    if result is None:
        return None, "spglib found no consistent symmetry"
    return result, ""


def _check_tolerances(symprec: float, angle_tolerance: float) -> None:
    if not symprec > 0:
        raise SymmetryError(f"symprec must be a positive distance in Å, got {symprec}")
    if not (angle_tolerance > 0 or angle_tolerance == -1):
        raise SymmetryError(
            "angle_tolerance must be positive (degrees) or -1 (spglib default), "
            f"got {angle_tolerance}"
        )
