"""The superconductor data of the DAO study (§2.5, Appendix 2.3): SuperCon and SuperCon3D
read into datasets (the catalogue's ``supercon3d/sc_s`` is :func:`sc_s_loader`). It lives in
:mod:`dao_engine.datasets` so the catalogue needs nothing from :mod:`dao_engine.superconductors`
(which imports this module, never the reverse).

* **SC-s**: the ordered SuperCon3D entries (ICSD structures with experimental T_c), reduced to
  their primitive cells. ICSD-derived: train on them, never ship them.
* **SC-ns**: SuperCon compositions (``SuperCon_11949.csv``) with integer stoichiometry whose
  reduced formula has no ordered structure in SuperCon3D (748 entries, as in the paper).
* The three **case studies** (CsV3Sb5, Zr4Pd2O, Zr4Rh2O) are removed from both, by composition
  (same element set and atom fractions within :data:`COMPOSITION_TOLERANCE`) and by structure
  (Algorithm 2 against the reference cells).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dao_engine.crystal.composition import Composition, parse_formula
from dao_engine.crystal.elements import element_symbol
from dao_engine.crystal.structure import Crystal
from dao_engine.datasets import readers as rd
from dao_engine.datasets.arrays import CrystalArrays
from dao_engine.datasets.parsing import ReadReport
from dao_engine.errors import CompositionError, DaoError

#: Experimental T_c (K) of the three held-out case studies, keyed by reduced formula.
CASE_STUDY_TC = {"CsV3Sb5": 2.30, "Zr4Pd2O": 2.73, "Zr4Rh2O": 3.73}
#: Largest atom-fraction difference at which a composition counts as a case study's.
COMPOSITION_TOLERANCE = 0.02
SUPERCON_TABLE = "supercon3d/SuperCon_11949.csv"


def composition_of_species(species: Iterable[int]) -> Composition:
    """The reduced :class:`Composition` of a list of atomic numbers."""
    counts: dict[str, int] = {}
    for z in species:
        symbol = element_symbol(int(z))
        counts[symbol] = counts.get(symbol, 0) + 1
    return Composition(counts).reduced()[0]


def _fractions(composition: Composition) -> dict[str, float]:
    total = composition.num_atoms
    return {s: n / total for s, n in composition.counts.items()}


def case_study_of(composition: Composition) -> str | None:
    """The case study (reduced formula) this composition is, or is within tolerance of."""
    mine = _fractions(composition)
    for formula in CASE_STUDY_TC:
        theirs = _fractions(parse_formula(formula))
        if set(mine) == set(theirs) and all(
            abs(mine[s] - theirs[s]) <= COMPOSITION_TOLERANCE for s in mine
        ):
            return formula
    return None


def parse_ordered_formula(formula: str) -> Composition | None:
    """Reduced composition of an integer-stoichiometry formula; None for doped/fractional ones."""
    text = formula.strip()
    try:
        return parse_formula(_drop_integer_decimals(text)).reduced()[0]
    except CompositionError:
        return None


def _drop_integer_decimals(text: str) -> str:
    """'Nb3Sn1.0' -> 'Nb3Sn1' (SuperCon writes some integer counts with a decimal point)."""
    return re.sub(r"(\d+)\.0+(?![0-9])", r"\1", text)


@dataclass(frozen=True)
class CompositionEntry:
    """One SC-ns row: reduced composition, experimental T_c (K) and SuperCon family."""

    composition: Composition
    tc: float
    family: str
    source_formula: str


@dataclass
class ScNsReport:
    """How the SC-ns list was built (counts of rows dropped for each reason)."""

    n_rows: int = 0
    fractional: int = 0
    has_structure: int = 0
    case_study: list[str] = field(default_factory=list)
    non_positive_tc: int = 0
    kept: int = 0


def sc_ns_entries(
    root: Path, structured: Sequence[Composition]
) -> tuple[list[CompositionEntry], ScNsReport]:
    """SC-ns: ordered SuperCon compositions without a structure among ``structured``."""
    known = set(structured)
    report = ScNsReport()
    entries: list[CompositionEntry] = []
    for row in rd.iter_csv_rows(root / SUPERCON_TABLE):
        report.n_rows += 1
        composition = parse_ordered_formula(row["Formula"])
        tc = rd.to_float(row["Tc"])
        if composition is None:
            report.fractional += 1
        elif composition in known:
            report.has_structure += 1
        elif case_study_of(composition):
            report.case_study.append(row["Formula"])
        elif not tc > 0:
            report.non_positive_tc += 1
        else:
            entries.append(
                CompositionEntry(composition, tc, row["Materials_family"], row["Formula"])
            )
    report.kept = len(entries)
    return entries, report


def drop_case_study_compositions(arrays: CrystalArrays) -> tuple[CrystalArrays, list[str]]:
    """Remove crystals whose composition is a case study's; returns (kept, removed ids)."""
    keep, removed = [], []
    for i, crystal in enumerate(arrays.crystals()):
        if case_study_of(composition_of_species(crystal.species)):
            removed.append(str(arrays.ids[i]))
        else:
            keep.append(i)
    return arrays.subset(keep), removed


def to_primitive_cells(crystals: Sequence[Crystal]) -> list[Crystal]:
    """Each crystal in its standard primitive cell (unchanged where spglib finds none)."""
    from dao_engine.crystal.symmetry import primitive

    out = []
    for crystal in crystals:
        try:
            reduced = primitive(crystal)
        except DaoError:
            reduced = crystal
        if reduced.num_atoms > crystal.num_atoms or reduced.num_atoms == 0:
            reduced = crystal
        out.append(
            Crystal(
                reduced.lattice, reduced.frac, reduced.species, crystal.label, crystal.properties
            )
        )
    return out


def sc_s_loader(root: Path, limit: int | None, processes: int) -> tuple[CrystalArrays, ReadReport]:
    """SC-s: ordered SuperCon3D in primitive cells, without the case studies, T_c > 0 K."""
    from dao_engine.datasets.dedup import dedup_against_test
    from dao_engine.datasets.loaders import reference_loader, supercon3d_loader

    arrays, report = supercon3d_loader(True)(root, limit, processes)
    arrays = CrystalArrays.from_crystals(to_primitive_cells(arrays.crystals()), meta=arrays.meta)
    arrays, by_composition = drop_case_study_compositions(arrays)
    references, _ = reference_loader(root, None, 1)
    kept, dedup = dedup_against_test(arrays, references)
    arrays = arrays.subset(kept)
    positive = np.flatnonzero(arrays.labels["tc"] > 0)
    arrays = arrays.subset(positive)
    arrays.meta["exclusion"] = (
        f"case studies removed by composition: {by_composition or 'none'}; "
        f"by structure: {dedup.summary()}"
    )
    return arrays, report
