"""Proof that a POSCAR or extended-XYZ text reads back as the crystals it was made from.

These formats hold the cell as is (no symmetry, no refinement), so the text read back by our
own reader must give the same species in the same order, the same lattice vectors and the
same positions, up to the rounding of the printed decimals. Anything else is a bug in a writer:
:func:`check_readback` raises :class:`~dao_engine.errors.WriteBackError` before the text is
written anywhere. (CIFs have their own check with symmetry, in :mod:`dao_engine.io.cif_symmetry`.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from dao_engine.crystal.structure import Crystal
from dao_engine.errors import WriteBackError

__all__ = ["LATTICE_TOLERANCE", "POSITION_TOLERANCE", "check_readback", "crystal_difference"]

#: Largest difference (Å) accepted in a lattice vector component, plus 1e-9 of the cell's scale.
LATTICE_TOLERANCE = 1e-6
#: Largest displacement (Å) accepted for an atom (modulo lattice vectors), plus 1e-9 of the scale.
POSITION_TOLERANCE = 1e-5


def check_readback(read: Callable[[], list[Crystal]], meant: Sequence[Crystal], fmt: str) -> None:
    """Raise WriteBackError unless ``read()`` gives ``meant``, crystal by crystal.

    ``read`` parses the text about to be written (with our reader); ``fmt`` ("POSCAR", "XYZ")
    only words the message.
    """
    name = _name(meant[0]) if meant else "nothing"
    try:
        crystals = read()
    except Exception as exc:  # any reader failure means the text is not what we meant
        raise WriteBackError(
            f"the {fmt} text of {name} cannot be read back ({_one_line(exc)}); "
            "not written - this is a bug in DAO Studio's writer, please report it"
        ) from exc
    if len(crystals) != len(meant):
        raise WriteBackError(
            f"the {fmt} text of {name} reads back as {len(crystals)} frames instead of "
            f"{len(meant)}; not written - this is a bug in DAO Studio's writer, please report it"
        )
    for index, (got, want) in enumerate(zip(crystals, meant, strict=True)):
        problem = crystal_difference(got, want)
        if problem:
            frame = f" (frame {index + 1})" if len(meant) > 1 else ""
            raise WriteBackError(
                f"the {fmt} text of {_name(want)}{frame} reads back with {problem}; not "
                "written - this is a bug in DAO Studio's writer, please report it"
            )


def crystal_difference(read: Crystal, meant: Crystal) -> str | None:
    """What differs between ``read`` and ``meant`` (None: the same within the tolerances):
    species (count and order) exactly, lattice vectors and positions modulo the lattice."""
    if Counter(read.species.tolist()) != Counter(meant.species.tolist()):
        return f"composition {read.formula()} instead of {meant.formula()}"
    if not np.array_equal(read.species, meant.species):
        return "the atoms in another order"
    scale = 1e-9 * max(1.0, float(np.abs(meant.lattice).max()))
    lattice_error = float(np.abs(read.lattice - meant.lattice).max())
    if not lattice_error <= LATTICE_TOLERANCE + scale:
        return f"lattice vectors {lattice_error:.3g} Å off"
    shift = read.frac - meant.frac
    shift -= np.round(shift)  # an atom moved by a whole lattice vector is the same atom
    moved = np.linalg.norm(shift @ meant.lattice, axis=1)
    worst = int(np.argmax(moved))
    if not moved[worst] <= POSITION_TOLERANCE + scale:
        return f"atom {worst + 1} moved by {moved[worst]:.3g} Å"
    return None


def _name(crystal: Crystal) -> str:
    label = " ".join(crystal.label.split())
    return f"'{label}'" if label else crystal.formula()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
