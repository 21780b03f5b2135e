"""Is a crystal physically plausible? Shortest distance, volume per atom, lattice shape.

:func:`plausibility_problem` gives None for a plausible crystal, else one short reason. The
checks, in order:

1. degenerate lattice: volume per atom < 0.1 Å³, a lattice vector shorter than 0.5 Å, or
   V / (|a||b||c|) < 0.01 (two nearly parallel vectors or a flat cell);
2. exploded cell: more than :data:`MAX_VOLUME_PER_ATOM` Å³ per atom;
3. atoms too close: some pair (periodic images included) nearer than
   :data:`DISTANCE_FACTOR` × (r_i + r_j), r the atomic radius of ``element_descriptors.json``
   (pymatgen's empirical radii; 1.5 Å where missing);
4. volume per atom outside :data:`VOLUME_BAND` × the composition estimate Σ n_e v_e / N, with
   v_e from ``element_volumes.json`` (a least-squares fit of V_cell = Σ n_e v_e over Materials
   Project crystals) or, for elements it lacks, the molar volume in ``element_descriptors.json``.

Calibration (measured on the shared data sets; thresholds chosen so relaxed ambient-pressure
crystals are essentially never flagged; the target was < 0.5 % of mp_20/val):

* mp_20/val, 9,047 relaxed Materials Project crystals: 6 flagged (0.066 %), all for volume
  (vacuum-padded layered or molecular cells such as Li2S8 at 9.3 × the estimate); none
  degenerate, exploded or too close. Smallest d / (r_i + r_j) 0.642 (0.1 % quantile 0.685;
  factor 0.65 would flag 0.011 %, 0.70 0.17 %). Volume ratio 0.64–9.3 (quantiles 0.1 % 0.70,
  50 % 0.985, 99.9 % 2.23); the band [0.5, 2.0] would flag 0.19 %.
* mp_20/test (9,046): 0.033 % flagged, all volume; perov_5/val (3,787) and carbon_24/val
  (2,032): none (smallest distance ratios 0.647 and 0.870, volume ratios 0.56–1.58, 0.52–0.86).
* supercon3d/sc_s (1,016): 7.3 % flagged, nearly all hydrides computed at 100–300 GPa
  (H3S, LaH10: 0.2–0.4 × the ambient-pressure estimate) plus a few entries with coincident
  atoms. The estimate is an ambient-pressure one, so high-pressure phases are flagged and the
  reason says so.

The volume fit used Materials Project crystals that may include mp_20's. Contacts are sought
among each atom's 32 nearest neighbours in the 27 cells around the origin, so an extremely
skewed (but not degenerate) cell may hide one.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources

import numpy as np

from dao_engine.crystal.elements import element_symbol
from dao_engine.crystal.structure import Crystal

__all__ = [
    "DISTANCE_FACTOR",
    "MAX_VOLUME_PER_ATOM",
    "VOLUME_BAND",
    "estimated_volume_per_atom",
    "plausibility_problem",
]

#: Atoms nearer than this × (r_i + r_j) overlap.
DISTANCE_FACTOR = 0.6
#: Allowed range of (volume per atom) / (composition estimate).
VOLUME_BAND = (0.4, 2.5)
#: A cell this loose (Å³ per atom) is a failed sample, not a crystal.
MAX_VOLUME_PER_ATOM = 500.0
MIN_VOLUME_PER_ATOM = 0.1  # Å³
MIN_VECTOR_LENGTH = 0.5  # Å
MIN_ORTHOGONALITY = 0.01  # V / (|a||b||c|); 1 for orthogonal vectors
DEFAULT_RADIUS = 1.5  # Å, for elements without a tabulated radius
NEIGHBOURS = 32  # nearest neighbours of each atom searched for a too-close contact
_SHIFTS = np.array([[i, j, k] for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)])


@lru_cache(maxsize=1)
def _descriptors() -> dict[int, dict]:
    text = resources.files("dao_engine.data").joinpath("element_descriptors.json").read_text()
    return {int(e["Z"]): e for e in json.loads(text)["elements"]}


@lru_cache(maxsize=1)
def _radii() -> dict[int, float]:
    """Atomic radius (Å) by atomic number."""
    table = _descriptors().items()
    return {z: float(e["atomic_radius"]) for z, e in table if e.get("atomic_radius")}


@lru_cache(maxsize=1)
def _volumes() -> dict[int, float]:
    """Volume per atom (Å³) by atomic number: the fitted table first, molar volumes after."""
    volumes = {
        z: float(e["molar_volume"]) / 0.60221  # cm³/mol → Å³/atom
        for z, e in _descriptors().items()
        if e.get("molar_volume")
    }
    fitted = resources.files("dao_engine.data").joinpath("element_volumes.json")
    if fitted.is_file():
        for key, value in json.loads(fitted.read_text())["volumes"].items():
            if value and float(value) > 0:
                volumes[int(key)] = float(value)
    return volumes


def _radius(z: int) -> float:
    return _radii().get(int(z), DEFAULT_RADIUS)


def estimated_volume_per_atom(species: np.ndarray) -> float | None:
    """Composition estimate Σ v_e / N in Å³/atom; None when an element has no volume."""
    table = _volumes()
    values = [table.get(int(z)) for z in species]
    return None if any(v is None for v in values) else float(np.mean(values))


def _closest_contact(
    crystal: Crystal, factor: float = DISTANCE_FACTOR
) -> tuple[int, int, float, float] | None:
    """The pair (i, j, distance Å, radii sum Å) with the smallest d / (r_i + r_j) below
    ``factor`` among each atom's :data:`NEIGHBOURS` nearest neighbours, images (−1, 0, 1)³
    included; None when no pair is that near. Vectorised; memory and time grow as N log N."""
    from scipy.spatial import cKDTree

    n = crystal.num_atoms
    radii = np.array([_radius(z) for z in crystal.species])
    images = ((crystal.frac[None, :, :] + _SHIFTS[:, None, :]) @ crystal.lattice).reshape(-1, 3)
    k = min(NEIGHBOURS + 1, len(images))
    cutoff = factor * 2 * float(radii.max())
    dist, index = cKDTree(images).query(crystal.cartesian, k=k, distance_upper_bound=cutoff)
    dist, index = dist.reshape(n, k), index.reshape(n, k)
    found = index < len(images)  # a missing neighbour has index len(images), distance inf
    found &= index != (13 * n + np.arange(n))[:, None]  # the atom itself: zero shift, image 13
    j = np.where(found, index, 0) % n
    ratio = np.where(found, dist / (radii[:, None] + radii[j]), np.inf)
    i, col = np.unravel_index(int(np.argmin(ratio)), ratio.shape)
    if not ratio[i, col] < factor:
        return None
    i, j_ = int(i), int(j[i, col])
    return min(i, j_), max(i, j_), float(dist[i, col]), float(radii[i] + radii[j_])


def plausibility_problem(crystal: Crystal) -> str | None:
    """None when ``crystal`` is plausible, else one short reason (see the module docstring)."""
    n = crystal.num_atoms
    volume = crystal.volume
    lengths = np.linalg.norm(crystal.lattice, axis=1)
    if not (math.isfinite(volume) and np.isfinite(lengths).all()):
        return "degenerate lattice (non-finite)"
    if volume / n < MIN_VOLUME_PER_ATOM:
        return f"degenerate lattice (volume {volume:.1f} Å³)"
    if lengths.min() < MIN_VECTOR_LENGTH:
        return f"degenerate lattice (a lattice vector is {lengths.min():.2f} Å long)"
    shape = volume / float(np.prod(lengths))
    if shape < MIN_ORTHOGONALITY:
        return f"degenerate lattice (nearly parallel vectors, V/(|a||b||c|) = {shape:.3f})"
    if volume / n > MAX_VOLUME_PER_ATOM:
        return f"exploded cell ({volume / n:.3g} Å³/atom)"
    contact = _closest_contact(crystal)
    if contact is not None:
        i, j, d, radii_sum = contact
        a, b = element_symbol(int(crystal.species[i])), element_symbol(int(crystal.species[j]))
        return (
            f"atoms {a}–{b} {d:.2f} Å apart "
            f"(< {DISTANCE_FACTOR:g} × their radii sum {radii_sum:.2f} Å)"
        )
    estimate = estimated_volume_per_atom(crystal.species)
    if estimate is not None:
        ratio = volume / n / estimate
        if not VOLUME_BAND[0] <= ratio <= VOLUME_BAND[1]:
            return (
                f"volume {volume / n:.1f} Å³/atom is {ratio:.2f} × the ambient-pressure "
                f"composition estimate {estimate:.0f} Å³/atom"
            )
    return None
