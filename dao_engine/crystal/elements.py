"""Element symbols and atomic numbers (Z = 1 … 100), without pymatgen."""

from __future__ import annotations

from dao_engine.errors import CompositionError

_SYMBOLS = (
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se "
    "Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy "
    "Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf "
    "Es Fm"
).split()

#: Largest atomic number the engine knows (Fm). Index 0 is reserved for padding.
MAX_ATOMIC_NUMBER = len(_SYMBOLS)
_Z_OF = {symbol: z for z, symbol in enumerate(_SYMBOLS, start=1)}


def atomic_number(symbol: str) -> int:
    """Return Z of an element symbol such as ``"Na"``; raise :class:`CompositionError` if unknown."""
    z = _Z_OF.get(symbol)
    if z is None:
        hint = ""
        if symbol.capitalize() in _Z_OF:
            hint = f" (did you mean '{symbol.capitalize()}'? symbols are case-sensitive)"
        raise CompositionError(f"unknown element '{symbol}'{hint}")
    return z


def element_symbol(z: int) -> str:
    """Return the symbol of atomic number ``z`` (1 … MAX_ATOMIC_NUMBER)."""
    if not 1 <= z <= MAX_ATOMIC_NUMBER:
        raise CompositionError(f"atomic number {z} is outside 1..{MAX_ATOMIC_NUMBER}")
    return _SYMBOLS[z - 1]


def is_element(symbol: str) -> bool:
    """True when ``symbol`` is a known element symbol (case-sensitive)."""
    return symbol in _Z_OF
