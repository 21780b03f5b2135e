"""Candidates of one composition from every source, in one type.

Sources: DAO samples (``shot`` k of a :class:`~dao_engine.prediction.PredictionResult`), known
structures and substitution templates from the shipped library (:mod:`dao_engine.known`).
"""

from __future__ import annotations

from dataclasses import dataclass

from dao_engine.crystal.structure import Crystal
from dao_engine.crystal.validity import candidate_problem
from dao_engine.prediction import PredictionResult


@dataclass(frozen=True)
class SourcedCandidate:
    """One candidate before relaxation.

    Attributes:
        crystal: the structure.
        source: where it comes from, e.g. "DAO sample 3", "known mp-22862",
            "template from mp-23193 (KCl)".
        dao_energy: DAO-P predicted energy per atom (eV/atom), or None.
        problem: None when plausible, else why not.
        shot: the DAO sample index (1-based), None for library candidates.
        material_id: the library crystal's id, None for DAO samples.
    """

    crystal: Crystal
    source: str
    dao_energy: float | None = None
    problem: str | None = None
    shot: int | None = None
    material_id: str | None = None

    @property
    def kind(self) -> str:
        """ "dao", "known" or "template"."""
        if self.shot is not None:
            return "dao"
        return "known" if self.source.startswith("known") else "template"


def from_prediction(result: PredictionResult) -> list[SourcedCandidate]:
    """The DAO samples of ``result``, in its order."""
    return [
        SourcedCandidate(
            c.crystal, f"DAO sample {c.shot}", c.energy_per_atom, c.problem, shot=c.shot
        )
        for c in result.candidates
    ]


def from_library(
    formula: str,
    limit: int = 5,
    known: bool = True,
    templates: bool = True,
    library_path: str | None = None,
) -> list[SourcedCandidate]:
    """Up to ``limit`` distinct known structures and templates for ``formula``, best first.

    Raises :class:`~dao_engine.known.library.LibraryError` when the library is unreadable."""
    from dao_engine.known.library import load_library
    from dao_engine.known.templates import library_candidates

    if limit <= 0 or not (known or templates):
        return []
    found = library_candidates(load_library(library_path), formula, limit, known, templates)
    return [
        SourcedCandidate(
            c.crystal, c.source, None, candidate_problem(c.crystal), material_id=c.material_id
        )
        for c in found
    ]
