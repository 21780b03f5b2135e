"""Known crystals as :class:`~dao_engine.crystal.Crystal`, built from textbook lattice constants.

All are conventional cubic cells (rows of ``lattice`` are a, b, c in Å):
    nacl()  rock salt NaCl, Fm-3m (225), a = 5.64 Å, 8 atoms (Na4Cl4)
    cscl()  caesium chloride, Pm-3m (221), a = 4.12 Å, 2 atoms
    si()    diamond Si, Fd-3m (227), a = 5.431 Å, 8 atoms
"""

from __future__ import annotations

import numpy as np

from dao_engine.crystal.structure import Crystal

_FCC = np.array([[0.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0]])


def _cubic(a: float, frac: np.ndarray, species: list[int], label: str) -> Crystal:
    return Crystal(lattice=np.eye(3) * a, frac=frac, species=np.array(species), label=label)


def nacl(a: float = 5.64) -> Crystal:
    """Rock salt: Na on the fcc sites (4a), Cl shifted by (1/2, 0, 0) (4b)."""
    frac = np.vstack([_FCC, (_FCC + [0.5, 0.0, 0.0]) % 1.0])
    return _cubic(a, frac, [11] * 4 + [17] * 4, "NaCl")


def cscl(a: float = 4.12) -> Crystal:
    """CsCl: Cs at the corner (1a), Cl at the body centre (1b)."""
    frac = np.array([[0.0, 0.0, 0.0], [0.5, 0.5, 0.5]])
    return _cubic(a, frac, [55, 17], "CsCl")


def si(a: float = 5.431) -> Crystal:
    """Diamond Si: fcc lattice with a two-atom basis (0, 0, 0) and (1/4, 1/4, 1/4) (8a)."""
    frac = np.vstack([_FCC, _FCC + 0.25])
    return _cubic(a, frac, [14] * 8, "Si")


def csv3sb5(a: float = 5.4949, c: float = 9.3085, z: float = 0.74217) -> Crystal:
    """Kagome CsV3Sb5, P6/mmm (191), from published Wyckoff sites (Ortiz et al. 2019):
    Cs 1a, V 3g, Sb1 1b, Sb2 4h (z); 9 atoms, hexagonal a = 5.4949 Å, c = 9.3085 Å."""
    lattice = np.array([[a, 0.0, 0.0], [-a / 2, a * np.sqrt(3) / 2, 0.0], [0.0, 0.0, c]])
    frac = np.array(
        [
            [0.0, 0.0, 0.0],
            [0.5, 0.0, 0.5],
            [0.0, 0.5, 0.5],
            [0.5, 0.5, 0.5],
            [0.0, 0.0, 0.5],
            [1 / 3, 2 / 3, z],
            [2 / 3, 1 / 3, z],
            [2 / 3, 1 / 3, 1 - z],
            [1 / 3, 2 / 3, 1 - z],
        ]
    )
    return Crystal(lattice, frac, np.array([55, 23, 23, 23, 51, 51, 51, 51, 51]), "CsV3Sb5")
