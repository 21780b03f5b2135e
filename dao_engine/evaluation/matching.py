"""Structure matching of the CSP protocol: pymatgen ``StructureMatcher(stol=0.5, ltol=0.3,
angle_tol=10)`` (other arguments at their defaults) and its ``get_rms_dist``.

The RMS distance is pymatgen's: the root-mean-square site displacement after the best
superposition, divided by (V/n)^(1/3) (V the cell volume, n the number of sites), so it is
dimensionless. Pairs are matched in a process pool (spawned workers that import only NumPy and
pymatgen); crystals travel to the workers as plain arrays.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dao_engine.errors import ConfigError

if TYPE_CHECKING:
    from dao_engine.crystal.structure import Crystal

#: The protocol's matcher settings (DiffCSP, CDVAE).
MATCHER_SETTINGS: dict[str, float] = {"stol": 0.5, "ltol": 0.3, "angle_tol": 10.0}

#: (lattice (3, 3) Å rows, frac (N, 3), species (N,) atomic numbers)
_Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]

_MATCHER: Any = None  # one StructureMatcher per process

#: Cells beyond these are not given to StructureMatcher (a 1e9 Å cell grew it to 23 GB).
MAX_MATCH_ATOMS = 500
MAX_MATCH_EDGE = 1_000.0  # Å
MAX_MATCH_VOLUME_PER_ATOM = 1_000.0  # Å³


@dataclass(frozen=True)
class MatchOutcome:
    """``rms``: normalised RMS distance when the pair matches, else None. ``error``: the
    exception the matcher raised, if any (the pair then counts as a miss, as in DiffCSP)."""

    rms: float | None
    error: str | None = None

    @property
    def matched(self) -> bool:
        return self.rms is not None


def _arrays(crystal: Crystal) -> _Arrays:
    return (crystal.lattice, crystal.frac, crystal.species)


def _structure(arrays: _Arrays) -> Any:
    from pymatgen.core import Element, Lattice, Structure

    lattice, frac, species = arrays
    return Structure(Lattice(lattice), [Element.from_Z(int(z)) for z in species], frac)


def _matcher() -> Any:
    global _MATCHER
    if _MATCHER is None:
        from pymatgen.analysis.structure_matcher import StructureMatcher

        settings = MATCHER_SETTINGS
        _MATCHER = StructureMatcher(
            stol=settings["stol"], ltol=settings["ltol"], angle_tol=settings["angle_tol"]
        )
    return _MATCHER


def matching_refusal(lattice: np.ndarray, num_atoms: int) -> str | None:
    """None when a cell can go to StructureMatcher, else why not (its memory and time grow
    without bound on huge or absurd cells: more than :data:`MAX_MATCH_ATOMS` atoms, a lattice
    vector over :data:`MAX_MATCH_EDGE` Å, more than :data:`MAX_MATCH_VOLUME_PER_ATOM` Å³ per
    atom, or a non-finite or degenerate lattice). Checked in microseconds, before pymatgen."""
    lattice = np.asarray(lattice, dtype=float)
    if num_atoms < 1:
        return "an empty cell cannot be matched"
    if num_atoms > MAX_MATCH_ATOMS:
        return f"{num_atoms} atoms; matching is limited to {MAX_MATCH_ATOMS} atoms per cell"
    if not np.isfinite(lattice).all():
        return "the lattice has non-finite entries"
    edge = float(np.linalg.norm(lattice, axis=1).max())
    if edge > MAX_MATCH_EDGE:
        return f"a lattice vector is {edge:.3g} Å long; matching is limited to {MAX_MATCH_EDGE:g} Å"
    volume = abs(float(np.linalg.det(lattice))) / num_atoms
    if not volume > 0:
        return "the lattice is degenerate (zero volume)"
    if volume > MAX_MATCH_VOLUME_PER_ATOM:
        return (
            f"{volume:.3g} Å³ per atom; matching is limited to "
            f"{MAX_MATCH_VOLUME_PER_ATOM:g} Å³ per atom"
        )
    return None


def _match_arrays(pair: tuple[_Arrays, _Arrays]) -> MatchOutcome:
    """Worker: match one (prediction, reference) pair; a cell refused by
    :func:`matching_refusal` is a miss with that reason, without calling pymatgen."""
    for lattice, _frac, species in pair:
        reason = matching_refusal(lattice, len(species))
        if reason:
            return MatchOutcome(None, f"not matched: {reason}")
    try:
        result = _matcher().get_rms_dist(_structure(pair[0]), _structure(pair[1]))
    except Exception as exc:  # noqa: BLE001 — a matcher failure is a miss, reported by the caller
        return MatchOutcome(None, f"{type(exc).__name__}: {exc}"[:200])
    return MatchOutcome(None if result is None else float(result[0]))


def match_pair(prediction: Crystal, reference: Crystal) -> MatchOutcome:
    """Match one prediction against its reference in this process."""
    return _match_arrays((_arrays(prediction), _arrays(reference)))


def rms_distance(prediction: Crystal, reference: Crystal) -> float | None:
    """Normalised RMS distance when ``prediction`` matches ``reference``, else None."""
    return match_pair(prediction, reference).rms


def iter_matches(
    pairs: Sequence[tuple[Crystal, Crystal] | None], processes: int = 2, chunksize: int = 4
) -> Iterator[MatchOutcome]:
    """Match (prediction, reference) pairs, yielding outcomes in the order of ``pairs``.

    A None entry (an invalid prediction) yields a miss without matching. ``processes`` ≤ 1
    matches in this process; more spawns a pool of that many workers.
    """
    if processes < 0:
        raise ConfigError(f"processes must be ≥ 0, got {processes}")
    jobs = [(_arrays(p[0]), _arrays(p[1])) for p in pairs if p is not None]
    if processes <= 1 or len(jobs) <= 1:
        outcomes: Iterator[MatchOutcome] = map(_match_arrays, jobs)
        yield from _interleave(pairs, outcomes)
        return
    context = multiprocessing.get_context("spawn")  # no fork of a process holding torch threads
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        yield from _interleave(pairs, pool.map(_match_arrays, jobs, chunksize=max(1, chunksize)))


def _interleave(
    pairs: Sequence[object | None], outcomes: Iterator[MatchOutcome]
) -> Iterator[MatchOutcome]:
    for pair in pairs:
        yield MatchOutcome(None) if pair is None else next(outcomes)


def match_all(
    pairs: Sequence[tuple[Crystal, Crystal] | None], processes: int = 2
) -> list[MatchOutcome]:
    """:func:`iter_matches` collected into a list."""
    return list(iter_matches(pairs, processes))
