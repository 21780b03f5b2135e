"""Chemical formulas without pymatgen: ``CsV3Sb5``, ``Zr16Rh8O4``, ``Ca(OH)2``, ``Mg3(PO4)2``.

Only *ordered* compositions are understood: every count is a positive integer. Fractional
amounts (``(Ba0.5Sr0.5)TiO3``) describe a disordered solid solution, which the generative
model cannot place on sites, so they raise :class:`~dao_engine.errors.CompositionError`.

Vocabulary used below:
    formula unit (f.u.)  the *reduced* formula, e.g. Zr4Rh2O for ``Zr16Rh8O4``;
    Z                    number of formula units in the unit cell (Zr16Rh8O4 is Z = 4).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from math import gcd

from dao_engine.crystal.elements import atomic_number
from dao_engine.crystal.formula_parser import MAX_FORMULA_ATOMS, FormulaParser
from dao_engine.errors import CompositionError

__all__ = [
    "MAX_FORMULA_ATOMS",
    "Composition",
    "parse_formula",
    "species_for_formula",
    "default_z",
    "z_options",
]

#: Largest Z that :func:`default_z` proposes (conventional cells rarely need more).
DEFAULT_MAX_Z = 4


@dataclass(frozen=True)
class Composition:
    """Integer atom counts per element symbol, in order of first appearance.

    Attributes:
        counts: element symbol -> number of atoms (positive int). Equality ignores order.
    """

    counts: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        counts = dict(self.counts)
        if not counts:
            raise CompositionError("a composition needs at least one element")
        for symbol, n in counts.items():
            atomic_number(symbol)  # raises CompositionError for unknown symbols
            if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
                raise CompositionError(f"count of '{symbol}' must be a positive integer, got {n!r}")
        object.__setattr__(self, "counts", counts)

    def __hash__(self) -> int:
        return hash(frozenset(self.counts.items()))

    @classmethod
    def from_formula(cls, formula: str) -> Composition:
        """Parse a formula string; see :func:`parse_formula`."""
        return parse_formula(formula)

    def __getitem__(self, symbol: str) -> int:
        return self.counts.get(symbol, 0)

    def __iter__(self) -> Iterator[str]:
        return iter(self.counts)

    def __len__(self) -> int:
        return len(self.counts)

    def __str__(self) -> str:
        return self.formula

    @property
    def formula(self) -> str:
        """Formula in order of appearance with counts of 1 omitted, e.g. ``Zr16Rh8O4``."""
        return "".join(s if n == 1 else f"{s}{n}" for s, n in self.counts.items())

    @property
    def elements(self) -> tuple[str, ...]:
        return tuple(self.counts)

    @property
    def num_atoms(self) -> int:
        """Total number of atoms."""
        return sum(self.counts.values())

    def reduced(self) -> tuple[Composition, int]:
        """Return (reduced composition, number of formula units), e.g. Zr16Rh8O4 -> (Zr4Rh2O, 4)."""
        divisor = 0
        for n in self.counts.values():
            divisor = gcd(divisor, n)
        return Composition({s: n // divisor for s, n in self.counts.items()}), divisor

    def scaled(self, factor: int) -> Composition:
        """This composition with every count multiplied by a positive integer ``factor``."""
        _check_positive_int(factor, "factor")
        return Composition({s: n * factor for s, n in self.counts.items()})

    def species(self) -> list[int]:
        """Atomic numbers of all atoms, grouped by element in order of appearance."""
        return [atomic_number(s) for s, n in self.counts.items() for _ in range(n)]


def parse_formula(formula: str) -> Composition:
    """Parse ``formula`` into a :class:`Composition` (counts as written, not reduced).

    Grammar: a sequence of ``Element[count]`` and ``(group)[count]`` (also ``[...]``, ``{...}``),
    nested up to 8 levels; spaces between parts are ignored. Raises CompositionError (one line)
    naming the bad part for an empty formula, a shell character such as ``;`` or ``$`` (named
    before anything else), an unknown element, an unexpected character, unbalanced brackets, a
    zero count, a fractional (disordered) amount or more than :data:`MAX_FORMULA_ATOMS` atoms.
    See :mod:`dao_engine.crystal.formula_parser`.
    """
    if not isinstance(formula, str):
        raise CompositionError(f"a formula must be a string, got {type(formula).__name__}")
    if not formula.strip():
        raise CompositionError("empty formula; type a composition such as 'NaCl' or 'CsV3Sb5'")
    return Composition(FormulaParser(formula).parse())


def species_for_formula(
    formula: str,
    z: int | None = None,
    num_atoms: int | None = None,
    max_atoms: int | None = None,
) -> list[int]:
    """Atomic numbers of a unit cell with the composition of ``formula``.

    Args:
        formula: e.g. ``"NaCl"`` or ``"Zr16Rh8O4"``.
        z: number of formula units of the *reduced* formula. When both ``z`` and ``num_atoms``
            are None the formula is used as written (Zr16Rh8O4 -> 28 atoms, Z = 4).
        num_atoms: alternative to ``z``: the total number of atoms, which must be a multiple
            of the atoms per reduced formula unit.
        max_atoms: largest cell the model supports; a larger cell raises CompositionError.

    Returns:
        list of Z·n atomic numbers, grouped by element in order of appearance
        (NaCl, z=2 -> [11, 11, 17, 17]).
    """
    comp = parse_formula(formula)
    unit, written_z = comp.reduced()
    cell_z = _resolve_z(unit, written_z, z, num_atoms)
    if max_atoms is not None:
        _check_positive_int(max_atoms, "max_atoms")
        total = unit.num_atoms * cell_z
        if total > max_atoms:
            raise CompositionError(_too_many_atoms(unit, cell_z, max_atoms))
    return unit.scaled(cell_z).species()


def default_z(formula: str, max_atoms: int = 20) -> int:
    """A sensible default number of formula units for ``formula``.

    Rule: the largest Z ≤ 4 (:data:`DEFAULT_MAX_Z`) whose cell has at most ``max_atoms`` atoms;
    1 when even Z = 1 exceeds ``max_atoms`` (then :func:`species_for_formula` reports the limit).
    Examples with max_atoms = 20: NaCl -> 4 (8 atoms), CsV3Sb5 -> 2 (18), Zr16Rh8O4 -> 2 (14).
    """
    _check_positive_int(max_atoms, "max_atoms")
    per_unit = parse_formula(formula).reduced()[0].num_atoms
    return max(1, min(DEFAULT_MAX_Z, max_atoms // per_unit))


def z_options(formula: str, max_atoms: int) -> list[tuple[int, int]]:
    """All (Z, number of atoms) with Z ≥ 1 and at most ``max_atoms`` atoms; [] if none fits."""
    _check_positive_int(max_atoms, "max_atoms")
    per_unit = parse_formula(formula).reduced()[0].num_atoms
    return [(z, z * per_unit) for z in range(1, max_atoms // per_unit + 1)]


def _resolve_z(unit: Composition, written_z: int, z: int | None, num_atoms: int | None) -> int:
    """Number of reduced formula units from the explicit ``z``, ``num_atoms`` or the formula."""
    per_unit = unit.num_atoms
    from_atoms = None
    if num_atoms is not None:
        _check_positive_int(num_atoms, "num_atoms")
        if num_atoms % per_unit:
            multiples = ", ".join(str(per_unit * k) for k in range(1, 5))
            raise CompositionError(
                f"num_atoms={num_atoms} is not a multiple of the {per_unit} atoms in one formula "
                f"unit of {unit.formula}; choose one of {multiples}, ..."
            )
        from_atoms = num_atoms // per_unit
    if z is not None:
        _check_positive_int(z, "Z")
        if from_atoms is not None and from_atoms != z:
            raise CompositionError(
                f"Z={z} and num_atoms={num_atoms} disagree for {unit.formula} "
                f"(Z={z} means {z * per_unit} atoms); give only one of them"
            )
        return z
    return from_atoms if from_atoms is not None else written_z


def _too_many_atoms(unit: Composition, z: int, max_atoms: int) -> str:
    per_unit = unit.num_atoms
    head = (
        f"{unit.formula} with Z={z} has {per_unit * z} atoms, "
        f"but the model supports at most {max_atoms} atoms"
    )
    largest = max_atoms // per_unit
    if largest == 0:
        return f"{head}, and even one formula unit is too large"
    return f"{head}; choose a smaller Z (Z ≤ {largest} gives {largest * per_unit} atoms)"


def _check_positive_int(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CompositionError(f"{name} must be a positive integer, got {value!r}")
