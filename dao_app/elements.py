"""Element colours and radii for the 3-D views (Qt-free).

Colour schemes:
    "vesta"       VESTA's default element colours;
    "jmol"        Jmol's (CPK-like) colours;
    "colorblind"  the Okabe–Ito palette, which stays distinguishable under the common forms of
                  colour-vision deficiency. Its eight colours are handed out to the elements
                  *present in the structure* in order of atomic number, so any structure with
                  up to eight elements gets eight unambiguous colours (beyond that they repeat).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from dao_app.element_table import ELEMENTS

SCHEMES: dict[str, str] = {"vesta": "VESTA", "jmol": "Jmol", "colorblind": "Colour-blind safe"}

#: Okabe & Ito (2008) palette, most distinct first (black last: it vanishes on a dark background).
OKABE_ITO: tuple[tuple[int, int, int], ...] = (
    (230, 159, 0),  # orange
    (86, 180, 233),  # sky blue
    (0, 158, 115),  # bluish green
    (240, 228, 66),  # yellow
    (0, 114, 178),  # blue
    (213, 94, 0),  # vermillion
    (204, 121, 167),  # reddish purple
    (153, 153, 153),  # grey (instead of black)
)

_BY_Z = {row[0]: row for row in ELEMENTS}
_BY_SYMBOL = {row[1]: row for row in ELEMENTS}


def symbol(z: int) -> str:
    """Element symbol of atomic number ``z`` ("X" when unknown)."""
    row = _BY_Z.get(int(z))
    return row[1] if row else "X"


def atomic_number(sym: str) -> int:
    """Atomic number of a symbol; 0 when unknown."""
    row = _BY_SYMBOL.get(sym)
    return row[0] if row else 0


def display_radius(z: int) -> float:
    """Atomic radius in Å used to size spheres (before the user's scale factor)."""
    row = _BY_Z.get(int(z))
    return float(row[4]) if row else 1.5


def covalent_radius(z: int) -> float:
    """Covalent radius in Å, for bond detection."""
    row = _BY_Z.get(int(z))
    return float(row[5]) if row else 1.5


def colour_map(species: Iterable[int], scheme: str = "vesta") -> dict[int, tuple[int, int, int]]:
    """RGB (0–255) per atomic number present in ``species`` for ``scheme`` (see module doc).

    Raises ValueError for an unknown scheme name.
    """
    present = sorted({int(z) for z in species})
    if scheme == "colorblind":
        return {z: OKABE_ITO[i % len(OKABE_ITO)] for i, z in enumerate(present)}
    if scheme not in ("vesta", "jmol"):
        raise ValueError(f"unknown colour scheme {scheme!r}; choose one of {sorted(SCHEMES)}")
    column = 2 if scheme == "vesta" else 3
    return {z: tuple(_BY_Z[z][column]) if z in _BY_Z else (200, 200, 200) for z in present}


def colours(species: np.ndarray, scheme: str = "vesta") -> np.ndarray:
    """(N, 3) uint8 RGB for each atom of ``species`` (N,)."""
    table = colour_map(species, scheme)
    return np.array([table[int(z)] for z in species], dtype=np.uint8).reshape(-1, 3)


def hex_colour(rgb: tuple[int, int, int]) -> str:
    """``#rrggbb`` for an RGB triple (0–255)."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)
