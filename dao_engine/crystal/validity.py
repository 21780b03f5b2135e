"""Is a candidate crystal OK? One naming for every check in the engine:

* ``*_problem(crystal) -> str | None``: None when the crystal passes, else one short reason;
* ``is_*(crystal) -> bool``: True when it passes (``*_problem(crystal) is None``).

(A ``check_*`` function, e.g. :func:`dao_engine.crystal.sanity.check_crystal` or those of
:mod:`dao_engine.validation`, is another thing: it raises on input that must be refused.)

=========================== ===================================================================
:func:`validity_problem`    the CSP protocol's structural validity (CDVAE / DiffCSP
                            ``eval_utils``): a finite lattice with no vector shorter than
                            :data:`MIN_LATTICE_LENGTH`, volume ≥ :data:`MIN_VOLUME` Å³, no two
                            atoms closer than :data:`MIN_DISTANCE` Å. Used by the benchmark, the
                            relaxations (a result that fails it is refused) and matching.
:func:`plausibility_problem` physical plausibility (distances against atomic radii, volume
                            against the composition's, lattice shape); see
                            :mod:`dao_engine.crystal.plausibility`.
:func:`candidate_problem`   plausibility, then validity: what a predicted candidate's
                            ``problem`` is (the app's and ``dao predict``'s "implausible: ...").
:func:`is_valid`            ``validity_problem(crystal) is None``.
:func:`is_plausible`        ``candidate_problem(crystal) is None``.
=========================== ===================================================================
"""

from __future__ import annotations

import numpy as np

from dao_engine.crystal.plausibility import plausibility_problem
from dao_engine.crystal.structure import Crystal

__all__ = [
    "MIN_DISTANCE",
    "MIN_LATTICE_LENGTH",
    "MIN_VOLUME",
    "candidate_problem",
    "is_plausible",
    "is_valid",
    "plausibility_problem",
    "validity_problem",
]

MIN_DISTANCE = 0.5  # Å: closer atoms count as overlapping
MIN_VOLUME = 0.1  # Å³: smaller cells count as collapsed
#: A lattice vector shorter than this (Å) makes the lattice degenerate.
MIN_LATTICE_LENGTH = 1e-6


def validity_problem(
    crystal: Crystal, min_distance: float = MIN_DISTANCE, min_volume: float = MIN_VOLUME
) -> str | None:
    """None when ``crystal`` is structurally valid (the CSP protocol's test), else the reason:
    degenerate lattice, collapsed cell or overlapping atoms."""
    lengths = np.linalg.norm(crystal.lattice, axis=1)
    if not np.isfinite(crystal.lattice).all() or (lengths < MIN_LATTICE_LENGTH).any():
        return f"degenerate lattice (vector lengths {', '.join(f'{x:.3g}' for x in lengths)} Å)"
    volume = crystal.volume
    if not volume == volume or volume < min_volume:  # NaN-safe
        return f"collapsed (degenerate) cell (volume {volume:.3g} Å³)"
    distance = crystal.min_interatomic_distance()
    if distance < min_distance:
        return f"overlapping atoms ({distance:.2f} Å apart, minimum {min_distance} Å)"
    return None


def candidate_problem(crystal: Crystal) -> str | None:
    """None for a plausible candidate, else the reason: physical plausibility (degenerate or
    exploded cell, atoms closer than their radii allow, volume far from the composition's; see
    :mod:`dao_engine.crystal.plausibility`), then the protocol's :func:`validity_problem`."""
    return plausibility_problem(crystal) or validity_problem(crystal)


def is_valid(crystal: Crystal) -> bool:
    """True when ``crystal`` passes the CSP protocol's structural validity."""
    return validity_problem(crystal) is None


def is_plausible(crystal: Crystal) -> bool:
    """True when ``crystal`` is a plausible candidate (:func:`candidate_problem` is None)."""
    return candidate_problem(crystal) is None
