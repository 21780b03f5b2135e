"""Formula parsing, reduction and the atom lists handed to the sampler."""

from __future__ import annotations

import pytest

from dao_engine.crystal.composition import (
    Composition,
    default_z,
    parse_formula,
    species_for_formula,
    z_options,
)
from dao_engine.errors import CompositionError, DaoError
from tests.helpers.fixtures import cscl, nacl, si


@pytest.mark.parametrize(
    ("formula", "counts"),
    [
        ("CsV3Sb5", {"Cs": 1, "V": 3, "Sb": 5}),
        ("Zr16Rh8O4", {"Zr": 16, "Rh": 8, "O": 4}),
        ("Ca(OH)2", {"Ca": 1, "O": 2, "H": 2}),
        ("Mg3(PO4)2", {"Mg": 3, "P": 2, "O": 8}),
        ("K4[Fe(CN)6]", {"K": 4, "Fe": 1, "C": 6, "N": 6}),
        ("  Na Cl ", {"Na": 1, "Cl": 1}),
        ("Fe2.0O3", {"Fe": 2, "O": 3}),  # an integral decimal is still an integer count
        ("OHO", {"O": 2, "H": 1}),  # repeated elements are summed
        ("Co", {"Co": 1}),  # cobalt, not C + O
        ("CO", {"C": 1, "O": 1}),
    ],
)
def test_parse_counts(formula: str, counts: dict[str, int]) -> None:
    assert dict(parse_formula(formula).counts) == counts


def test_counts_keep_order_of_appearance() -> None:
    assert parse_formula("Zr16Rh8O4").elements == ("Zr", "Rh", "O")
    assert parse_formula("Mg3(PO4)2").formula == "Mg3P2O8"


def test_reduced_gives_formula_units() -> None:
    unit, z = parse_formula("Zr16Rh8O4").reduced()
    assert (unit.formula, z) == ("Zr4Rh2O", 4)
    assert parse_formula("CsV3Sb5").reduced() == (parse_formula("CsV3Sb5"), 1)


def test_composition_value_semantics() -> None:
    a, b = parse_formula("NaCl"), Composition({"Cl": 1, "Na": 1})
    assert a == b and hash(a) == hash(b)
    assert a["Na"] == 1 and a["O"] == 0 and len(a) == 2 and list(a) == ["Na", "Cl"]
    assert a.scaled(4).num_atoms == 8
    assert parse_formula(str(parse_formula("Ca(OH)2"))) == parse_formula("Ca(OH)2")


@pytest.mark.parametrize("crystal", [nacl(), cscl(), si()])
def test_crystal_formula_parses_back(crystal) -> None:
    comp = parse_formula(crystal.formula())
    assert sorted(comp.species()) == sorted(int(z) for z in crystal.species)


@pytest.mark.parametrize(
    "formula", ["(Ba0.5Sr0.5)TiO3", "Ba0.5Sr0.5TiO3", "Fe0.95O", "Li(Ni0.8Co0.2)O2", "Ca(OH)0.5"]
)
def test_disordered_compositions_are_refused(formula: str) -> None:
    with pytest.raises(CompositionError, match="disordered compositions are not supported"):
        parse_formula(formula)


@pytest.mark.parametrize(
    ("formula", "key_words"),
    [
        ("", "empty formula"),
        ("   \t", "empty formula"),
        ("Xx2O", "unknown element 'Xx'"),
        ("NaCL", "did you mean 'Cl'"),
        ("nacl", "capital letter"),
        ("NaCl!", "'!' (position 5) is not allowed - a shell character"),
        ("CuSO4·5H2O", "'·' (position 6) is not allowed; write element symbols"),
        ("Fe2+", "'Fe2+' is not a chemical formula: '+' (position 4)"),
        ("Ca(OH", "missing ')'"),
        ("Ca)OH", "')' (position 3) closes no bracket"),
        ("Fe0O", "zero count"),
        ("()2", "empty brackets"),
        ("(" * 20 + "Na" + ")" * 20, "nested deeper"),
        ("Na" + "1" * 400, "is larger than 1,000,000"),  # was OverflowError (float → inf)
        ("Na999999999999999999999999999999", "is larger than 1,000,000"),
        ("(Na1000)1000Cl", "more than 1,000,000 atoms"),
        ("Na\x1b[31mCl", "'\\x1b' (position 3) is not allowed"),  # no raw escape codes
    ],
)
def test_bad_formulas_name_the_bad_part(formula: str, key_words: str) -> None:
    with pytest.raises(CompositionError) as info:
        parse_formula(formula)
    message = str(info.value)
    assert key_words in message
    assert "\n" not in message
    assert isinstance(info.value, DaoError) and isinstance(info.value, ValueError)


def test_non_string_formula() -> None:
    with pytest.raises(CompositionError, match="must be a string"):
        parse_formula(42)  # type: ignore[arg-type]


@pytest.mark.parametrize("counts", [{}, {"Na": 0}, {"Na": 1.5}, {"Na": True}, {"Qq": 1}])
def test_composition_validates_counts(counts: dict) -> None:
    with pytest.raises(CompositionError):
        Composition(counts)


def test_species_for_formula_z_of_reduced_formula() -> None:
    assert species_for_formula("NaCl", z=2) == [11, 11, 17, 17]
    assert len(species_for_formula("Zr16Rh8O4", z=1)) == 7
    assert len(species_for_formula("Zr16Rh8O4", z=2)) == 14


def test_species_for_formula_as_written_when_no_z() -> None:
    species = species_for_formula("Zr16Rh8O4")
    assert len(species) == 28
    assert species.count(40) == 16 and species.count(45) == 8 and species.count(8) == 4
    assert species[:16] == [40] * 16  # grouped by element in order of appearance


def test_species_for_formula_from_num_atoms() -> None:
    assert species_for_formula("Zr16Rh8O4", num_atoms=14) == species_for_formula("Zr4Rh2O", z=2)
    assert len(species_for_formula("CsV3Sb5", num_atoms=18, z=2)) == 18  # consistent is fine


def test_num_atoms_must_be_a_multiple() -> None:
    with pytest.raises(CompositionError, match="not a multiple of the 7 atoms") as info:
        species_for_formula("Zr16Rh8O4", num_atoms=15)
    assert "7, 14, 21" in str(info.value)


def test_z_and_num_atoms_must_agree() -> None:
    with pytest.raises(CompositionError, match="disagree"):
        species_for_formula("NaCl", z=2, num_atoms=8)


def test_max_atoms_suggests_smaller_z() -> None:
    with pytest.raises(CompositionError) as info:
        species_for_formula("Zr16Rh8O4", max_atoms=20)
    message = str(info.value)
    assert "at most 20 atoms" in message and "smaller Z" in message and "Z ≤ 2" in message


def test_max_atoms_when_even_one_unit_is_too_big() -> None:
    with pytest.raises(CompositionError, match="even one formula unit"):
        species_for_formula("C59N", z=1, max_atoms=20)


@pytest.mark.parametrize("z", [0, -1, 1.5, True])
def test_z_must_be_a_positive_integer(z) -> None:
    with pytest.raises(CompositionError, match="positive integer"):
        species_for_formula("NaCl", z=z)


@pytest.mark.parametrize(
    ("formula", "max_atoms", "expected"),
    [
        ("NaCl", 20, 4),  # 8 atoms, the conventional rock-salt cell
        ("CsV3Sb5", 20, 2),  # 9 atoms per unit -> 18
        ("Zr16Rh8O4", 20, 2),  # reduced Zr4Rh2O, 7 atoms -> 14
        ("NaCl", 6, 3),
        ("C59N", 20, 1),  # 60 atoms: nothing fits: 1, and species_for_formula reports the limit
    ],
)
def test_default_z_rule(formula: str, max_atoms: int, expected: int) -> None:
    assert default_z(formula, max_atoms) == expected


def test_z_options_lists_cells_up_to_max_atoms() -> None:
    assert z_options("NaCl", 8) == [(1, 2), (2, 4), (3, 6), (4, 8)]
    assert z_options("Zr16Rh8O4", 20) == [(1, 7), (2, 14)]
    assert z_options("C59N", 20) == []
