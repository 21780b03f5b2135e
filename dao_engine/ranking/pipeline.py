"""The candidate list of one composition from every source the user switched on.

:func:`library_sources` finds known structures and templates in the shipped library (a missing
or unreadable library, or elements without substitution data, are warnings, one line each, and
sampling goes on); :func:`gather` joins them with the DAO samples of a prediction.
"""

from __future__ import annotations

from dataclasses import dataclass

from dao_engine.errors import ConfigError
from dao_engine.prediction import PredictionResult
from dao_engine.ranking.sources import SourcedCandidate, from_library, from_prediction

#: library candidates per composition by default (distinct structures, best first)
DEFAULT_LIBRARY_LIMIT = 5


@dataclass(frozen=True)
class SourceSwitches:
    """Which sources feed the candidate list: DAO samples, known structures (same composition
    in the library), substitution templates; ``library_limit`` distinct library structures."""

    samples: bool = True
    known: bool = True
    templates: bool = True
    library_limit: int = DEFAULT_LIBRARY_LIMIT

    def __post_init__(self) -> None:
        if not 0 <= self.library_limit <= 100:
            raise ConfigError(f"library candidates must be 0 … 100, got {self.library_limit}")

    @property
    def uses_library(self) -> bool:
        return self.library_limit > 0 and (self.known or self.templates)


def chgnet_available() -> bool:
    """True when the ``chgnet`` package can be imported (relax-and-rank's default then)."""
    import importlib.util

    return importlib.util.find_spec("chgnet") is not None


def library_sources(
    formula: str, switches: SourceSwitches = SourceSwitches(), library_path: str | None = None
) -> tuple[list[SourcedCandidate], list[str]]:
    """(known structures and templates for ``formula``, best first; warnings, one line each).

    Needs no model, so callers run it before sampling (and know every output file name)."""
    from dao_engine.crystal.composition import parse_formula
    from dao_engine.known.library import LibraryError
    from dao_engine.known.substitution import missing_substitution_data

    if not switches.uses_library:
        return [], []
    warnings: list[str] = []
    missing = missing_substitution_data(parse_formula(formula).elements)
    if missing and switches.templates:
        warnings.append(
            f"no substitution data for {', '.join(missing)}: templates keep those elements "
            "only where the library crystal has them"
        )
    found: list[SourcedCandidate] = []
    try:
        found = from_library(
            formula, switches.library_limit, switches.known, switches.templates, library_path
        )
    except LibraryError as exc:
        warnings.append(str(exc))
    else:
        if not found:
            warnings.append(f"the library has no structure of {formula}'s stoichiometry")
    return found, warnings


def gather(
    library: list[SourcedCandidate], prediction: PredictionResult | None
) -> list[SourcedCandidate]:
    """Library candidates first (best first), then the samples in the prediction's order."""
    return list(library) + (from_prediction(prediction) if prediction else [])


def file_name(candidate: SourcedCandidate, formula: str) -> str:
    """The CIF name of a candidate: ``NaCl_shot003.cif`` or ``NaCl_mp-22862.cif``."""
    from dao_engine.crystal.composition import parse_formula

    reduced = parse_formula(formula).reduced()[0].formula
    if candidate.shot is not None:
        return f"{reduced}_shot{candidate.shot:03d}.cif"
    return f"{reduced}_{candidate.material_id}.cif"
