"""Distances and angles between atoms picked in a 3-D view (Qt-free, pyvista-free).

Which positions are measured (the convention the views follow):

* **One cell drawn** (supercell 1×1×1): the drawn atoms stand for an infinite crystal, so every
  vector between picks is taken under the **minimum-image convention**: the shortest of all
  periodic images, with the lattice of the cell as drawn (as given, conventional, primitive or
  Niggli). Two atoms on opposite faces are then the neighbours they really are. Picking two
  drawn copies of one atom (e.g. two corners of the cell) would give 0 Å; that case is reported
  as the lattice translation between the copies instead.
* **A supercell drawn** (any repeat > 1): the user sees a finite block and picks particular
  atoms in it, so the **displayed positions** are measured as drawn (plain Euclidean geometry).

Conventions: lattice rows are a, b, c in Å; Cartesian = fractional · lattice; distances in Å,
angles in degrees.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Below this (Å) two picks are the same atom, or copies of it one lattice vector apart.
SAME_ATOM = 1e-6
_IMAGES = np.array(list(itertools.product((-1, 0, 1), repeat=3)), dtype=float)


def minimum_image(vector: np.ndarray, lattice: np.ndarray) -> np.ndarray:
    """The shortest periodic image of a Cartesian ``vector`` (3,) Å in the cell ``lattice`` (3, 3).

    The fractional vector is first wrapped to [-0.5, 0.5), then the 27 neighbouring images are
    searched, which finds the true minimum image for the (reduced, not extremely skewed) cells a
    viewer shows, including the obtuse cells where wrapping alone is wrong.
    """
    lattice = np.asarray(lattice, dtype=float)
    frac = np.asarray(vector, dtype=float) @ np.linalg.inv(lattice)
    frac -= np.floor(frac + 0.5)
    candidates = (frac[None, :] + _IMAGES) @ lattice
    return candidates[int(np.argmin(np.einsum("ij,ij->i", candidates, candidates)))]


def separation(a: np.ndarray, b: np.ndarray, lattice: np.ndarray | None = None) -> np.ndarray:
    """Cartesian vector (3,) Å from ``a`` to ``b``; the minimum image when ``lattice`` is given."""
    vector = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    return vector if lattice is None else minimum_image(vector, lattice)


def distance(a: np.ndarray, b: np.ndarray, lattice: np.ndarray | None = None) -> float:
    """Distance in Å between Cartesian points ``a`` and ``b`` (minimum image with a lattice)."""
    return float(np.linalg.norm(separation(a, b, lattice)))


def angle(
    a: np.ndarray, vertex: np.ndarray, c: np.ndarray, lattice: np.ndarray | None = None
) -> float:
    """Angle a–vertex–c in degrees (0–180); NaN when an arm has zero length.

    With ``lattice`` each arm is the minimum image of the vector from ``vertex``.
    """
    u, v = separation(vertex, a, lattice), separation(vertex, c, lattice)
    nu, nv = float(np.linalg.norm(u)), float(np.linalg.norm(v))
    if nu < SAME_ATOM or nv < SAME_ATOM:
        return math.nan
    cosine = float(np.clip(np.dot(u, v) / (nu * nv), -1.0, 1.0))
    return math.degrees(math.acos(cosine))


@dataclass(frozen=True)
class Measurement:
    """The result of 2 or 3 picks.

    Attributes:
        kind: "distance" or "angle".
        value: Å for a distance, degrees for an angle (NaN when undefined).
        text: what the user reads, e.g. ``"Na1–Cl5: 2.820 Å"``.
        path: (2, 3) or (3, 3) Cartesian points in Å of the line to draw: from the first pick
            to the (image of the) second for a distance; arm end, vertex, arm end for an angle.
            Arm ends may be periodic images that are not drawn.
        periodic: True when the minimum-image convention was used.
    """

    kind: str
    value: float
    text: str
    path: np.ndarray
    periodic: bool


def _name(names: Sequence[str], index: int) -> str:
    return names[index] if index < len(names) else f"atom {index}"


def measure(
    positions: np.ndarray,
    picks: Sequence[int],
    lattice: np.ndarray | None = None,
    names: Sequence[str] = (),
) -> Measurement | None:
    """Measure the picked atoms: 2 picks → distance, 3 picks → angle (at the middle pick).

    Args:
        positions: (M, 3) Cartesian positions of the drawn atoms, Å.
        picks: indices into ``positions``, in the order picked.
        lattice: (3, 3) Å for the minimum-image convention, None to measure as drawn.
        names: display names of the drawn atoms (e.g. ``"Na1"``), for the text.

    Returns None for fewer than 2 picks. Raises ValueError for more than 3 picks.
    """
    if len(picks) > 3:
        raise ValueError(f"a measurement takes 2 or 3 atoms, got {len(picks)}")
    if len(picks) < 2:
        return None
    pts = np.asarray(positions, dtype=float)[list(picks)]
    label = "–".join(_name(names, i) for i in picks)
    periodic = lattice is not None
    if len(picks) == 2:
        vector = separation(pts[0], pts[1], lattice)
        length = float(np.linalg.norm(vector))
        if length < SAME_ATOM:  # two copies of one atom: report the drawn lattice translation
            drawn = distance(pts[0], pts[1])
            text = f"{label}: {drawn:.3f} Å (copies of one atom, a lattice translation)"
            return Measurement("distance", drawn, text, pts.copy(), False)
        path = np.stack([pts[0], pts[0] + vector])
        return Measurement("distance", length, f"{label}: {length:.3f} Å", path, periodic)
    arm_a = separation(pts[1], pts[0], lattice)
    arm_c = separation(pts[1], pts[2], lattice)
    value = angle(pts[0], pts[1], pts[2], lattice)
    shown = "undefined (two picks are copies of one atom)" if math.isnan(value) else f"{value:.2f}°"
    path = np.stack([pts[1] + arm_a, pts[1], pts[1] + arm_c])
    return Measurement("angle", value, f"{label}: {shown}", path, periodic)


def nearest_atom(
    point: np.ndarray, positions: np.ndarray, radii: np.ndarray, slack: float = 0.25
) -> int | None:
    """Index of the drawn atom whose sphere surface is nearest a picked 3-D ``point`` (Å).

    A pick lands on a sphere's surface; the atom is the one minimising |point − centre| − radius.
    Returns None when no sphere surface lies within ``slack`` Å (a click on a bond or the box).
    """
    if len(positions) == 0:
        return None
    gap = np.linalg.norm(np.asarray(positions) - np.asarray(point), axis=1) - np.asarray(radii)
    best = int(np.argmin(gap))
    return best if gap[best] <= slack else None
