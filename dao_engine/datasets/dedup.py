"""Remove training crystals that duplicate a test crystal (the DAO paper's Algorithm 2).

A training crystal is dropped when a test crystal has the same id, or when it has the same
reduced formula and pymatgen's ``StructureMatcher(stol=0.1, ltol=0.3, angle_tol=10)`` matches
the two. The test set is grouped by reduced formula, so only same-formula pairs are compared.
"""

from __future__ import annotations

import multiprocessing
from collections import defaultdict
from dataclasses import dataclass, field
from functools import reduce
from math import gcd
from typing import Any

import numpy as np

from dao_engine.crystal.elements import element_symbol
from dao_engine.datasets.arrays import CrystalArrays

FormulaKey = tuple[tuple[int, int], ...]
#: (train index, lattice (3, 3) Å, frac (N, 3), species (N,))
_Task = tuple[int, np.ndarray, np.ndarray, np.ndarray]


@dataclass
class DedupReport:
    """Which training crystals were dropped and why."""

    n_train: int
    n_test: int
    dropped_by_id: list[str] = field(default_factory=list)
    dropped_by_structure: list[tuple[str, str]] = field(default_factory=list)  # (train, test) ids
    n_comparisons: int = 0

    @property
    def n_dropped(self) -> int:
        return len(self.dropped_by_id) + len(self.dropped_by_structure)

    def summary(self) -> str:
        return (
            f"kept {self.n_train - self.n_dropped} of {self.n_train} training crystals: "
            f"dropped {len(self.dropped_by_id)} by id and {len(self.dropped_by_structure)} "
            f"by structure ({self.n_comparisons} StructureMatcher comparisons "
            f"against {self.n_test} test crystals)"
        )


def formula_key(species: np.ndarray) -> FormulaKey:
    """Reduced composition as sorted ``((Z, count), ...)``; NaCl and Na4Cl4 give the same key."""
    z, counts = np.unique(np.asarray(species, dtype=np.int64), return_counts=True)
    divisor = reduce(gcd, (int(c) for c in counts), 0) or 1
    return tuple((int(a), int(c) // divisor) for a, c in zip(z, counts, strict=True))


class _MatchState:
    """Test crystals grouped by formula, their pymatgen structures (built lazily) and a matcher."""

    def __init__(self, test: CrystalArrays, matcher_kwargs: dict[str, Any]) -> None:
        from pymatgen.analysis.structure_matcher import StructureMatcher

        self.test = test
        self.groups: dict[FormulaKey, list[int]] = defaultdict(list)
        offsets = test.offsets
        for j in range(len(test)):
            self.groups[formula_key(test.species[offsets[j] : offsets[j + 1]])].append(j)
        self.matcher = StructureMatcher(**matcher_kwargs)
        self._structures: dict[int, Any] = {}

    def structure(self, j: int) -> Any:
        if j not in self._structures:
            self._structures[j] = _to_structure(*_arrays_of(self.test, j))
        return self._structures[j]

    def match(self, task: _Task) -> tuple[int, int, int]:
        """(train index, index of the first matching test crystal or -1, comparisons made)."""
        i, lattice, frac, species = task
        candidates = self.groups.get(formula_key(species), [])
        if not candidates:
            return i, -1, 0
        structure = _to_structure(lattice, frac, species)
        for n, j in enumerate(candidates, start=1):
            if self.matcher.fit(structure, self.structure(j)):
                return i, j, n
        return i, -1, len(candidates)


def _arrays_of(arrays: CrystalArrays, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    start, stop = arrays.offsets[i], arrays.offsets[i + 1]
    return (
        arrays.lattice[i].astype(np.float64),
        arrays.frac[start:stop].astype(np.float64),
        arrays.species[start:stop].astype(np.int64),
    )


def _to_structure(lattice: np.ndarray, frac: np.ndarray, species: np.ndarray) -> Any:
    from pymatgen.core import Lattice, Structure

    return Structure(Lattice(lattice), [element_symbol(int(z)) for z in species], frac)


_WORKER_STATE: _MatchState | None = None


def _init_worker(test: CrystalArrays, matcher_kwargs: dict[str, Any]) -> None:
    global _WORKER_STATE
    _WORKER_STATE = _MatchState(test, matcher_kwargs)


def _match_in_worker(task: _Task) -> tuple[int, int, int]:
    if _WORKER_STATE is None:  # pragma: no cover - the pool initializer always runs first
        raise RuntimeError("dedup worker used without its initializer")
    return _WORKER_STATE.match(task)


def dedup_against_test(
    train: CrystalArrays,
    test: CrystalArrays,
    *,
    stol: float = 0.1,
    ltol: float = 0.3,
    angle_tol: float = 10.0,
    processes: int = 1,
    mp_context: str | None = None,
) -> tuple[np.ndarray, DedupReport]:
    """Indices of the training crystals to keep (ascending int64) and a :class:`DedupReport`.

    ``processes > 1`` runs the StructureMatcher comparisons in a process pool (start method
    ``mp_context``, platform default when None). Only training crystals whose reduced formula
    occurs in ``test`` are compared.
    """
    report = DedupReport(n_train=len(train), n_test=len(test))
    test_ids = set(test.ids.tolist())
    keep = np.ones(len(train), dtype=bool)
    state_kwargs = {"stol": stol, "ltol": ltol, "angle_tol": angle_tol}
    test_keys = {
        formula_key(test.species[a:b])
        for a, b in zip(test.offsets[:-1], test.offsets[1:], strict=True)
    }
    tasks: list[_Task] = []
    for i, train_id in enumerate(train.ids.tolist()):
        if train_id in test_ids:
            keep[i] = False
            report.dropped_by_id.append(train_id)
            continue
        lattice, frac, species = _arrays_of(train, i)
        if formula_key(species) in test_keys:
            tasks.append((i, lattice, frac, species))
    if tasks:
        if processes > 1 and len(tasks) > 1:
            ctx = multiprocessing.get_context(mp_context)
            with ctx.Pool(processes, _init_worker, (test, state_kwargs)) as pool:
                results = list(pool.imap(_match_in_worker, tasks, chunksize=8))
        else:
            state = _MatchState(test, state_kwargs)
            results = [state.match(t) for t in tasks]
        for i, j, n in results:
            report.n_comparisons += n
            if j >= 0:
                keep[i] = False
                report.dropped_by_structure.append((str(train.ids[i]), str(test.ids[j])))
    return np.flatnonzero(keep).astype(np.int64), report
