"""Relax-and-rank: one step after sampling that turns many candidates into ranked polymorphs.

Every candidate is relaxed ("chgnet": FIRE with CHGNet forces and stress; "dao": L-BFGS on the
DAO-P energy; "none": kept as it is), the results are grouped into distinct polymorphs with the
CSP StructureMatcher, and the polymorphs are ranked by the ranking energy ("chgnet": CHGNet
energy per atom of the relaxed cell; "dao": the DAO-P energy). Implausible structures rank last.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from dao_engine.crystal.structure import Crystal
from dao_engine.crystal.symmetry import space_group
from dao_engine.crystal.validity import candidate_problem
from dao_engine.errors import ConfigError
from dao_engine.events import StopCheck
from dao_engine.ranking.polymorphs import group_polymorphs, same_structure
from dao_engine.ranking.sources import SourcedCandidate

RELAX_BACKENDS = ("none", "chgnet", "dao")
RANK_ENERGIES = ("chgnet", "dao")
#: space-group tolerance (Å) of the before/after columns
SYMPREC = 0.1


@dataclass(frozen=True)
class RelaxRankSettings:
    """relax: "none" | "chgnet" | "dao"; rank: "chgnet" | "dao"; chgnet_steps / fmax (eV/Å):
    the FIRE limits; checkpoint: the DAO-P model for "dao" (None = the shipped one);
    library_first: the polymorph of the library's best candidate ranks first, the others by
    energy (on the validation slice, first 59 compositions: top-1 69.5 % vs 64.4 % by energy
    alone, top-5 88.1 % vs 86.4 %; docs/reports/csp_sources.md)."""

    relax: str = "chgnet"
    rank: str = "chgnet"
    chgnet_steps: int = 200
    fmax: float = 0.05
    checkpoint: str | None = None
    library_first: bool = True

    def __post_init__(self) -> None:
        if self.relax not in RELAX_BACKENDS:
            raise ConfigError(f"unknown relaxation {self.relax!r}; use {', '.join(RELAX_BACKENDS)}")
        if self.rank not in RANK_ENERGIES:
            raise ConfigError(f"unknown ranking {self.rank!r}; use {', '.join(RANK_ENERGIES)}")
        if self.chgnet_steps < 1:
            raise ConfigError(f"CHGNet relaxation needs ≥ 1 step, got {self.chgnet_steps}")
        if not self.fmax > 0:
            raise ConfigError(f"fmax must be > 0 eV/Å, got {self.fmax}")


@dataclass(frozen=True)
class RankedCandidate:
    """A candidate after relax-and-rank.

    Attributes:
        candidate: the input (source, DAO-P energy before relaxation, original crystal).
        crystal: the relaxed structure (the input's when not relaxed).
        relaxed: True when a relaxation ran to its end for it.
        chgnet_energy: CHGNet energy per atom (eV/atom) of ``crystal``, or None.
        dao_energy: DAO-P energy per atom (eV/atom) of ``crystal``, or None.
        space_group_before / space_group_after: e.g. "Fm-3m (225)" at :data:`SYMPREC`.
        polymorph: 1-based rank of its polymorph; members: candidates in that polymorph.
        delta_mev: its energy above the lowest plausible one (meV/atom), or None.
        problem: None when plausible after relaxation, else why not.
    """

    candidate: SourcedCandidate
    crystal: Crystal
    relaxed: bool
    chgnet_energy: float | None
    dao_energy: float | None
    space_group_before: str
    space_group_after: str
    polymorph: int = 0
    members: int = 1
    delta_mev: float | None = None
    problem: str | None = None


@dataclass(frozen=True)
class RelaxProgress:
    """``done`` of ``total`` candidates relaxed; seconds so far and (estimated) left."""

    done: int
    total: int
    elapsed_s: float
    eta_s: float
    current: str


@dataclass(frozen=True)
class RankedResult:
    """Candidates ranked: polymorph 1 first, within a polymorph the lowest energy first.
    ``cancelled``: the run was stopped; unrelaxed candidates then keep their input structure."""

    candidates: list[RankedCandidate]
    settings: RelaxRankSettings
    seconds: float
    cancelled: bool

    @property
    def polymorphs(self) -> list[RankedCandidate]:
        """The best member of every polymorph, in rank order."""
        seen: set[int] = set()
        best = []
        for c in self.candidates:
            if c.polymorph not in seen:
                seen.add(c.polymorph)
                best.append(c)
        return best


def _symbol(crystal: Crystal) -> str:
    try:
        name, number = space_group(crystal, symprec=SYMPREC)
    except Exception:  # noqa: BLE001 — a degenerate cell has no space group to show
        return "?"
    return f"{name} ({number})"


class _Latch:
    """A stop check that stays True once the wrapped one said True (asked no more after)."""

    def __init__(self, stop: StopCheck) -> None:
        self._stop = stop
        self.set = False

    def __call__(self) -> bool:
        self.set = self.set or bool(self._stop())
        return self.set


def _relaxed_iter(
    candidates: Sequence[SourcedCandidate], settings: RelaxRankSettings, stop: StopCheck
) -> Iterator[tuple[int, Crystal | None]]:
    """``(index, relaxed crystal)`` per candidate as each finishes; None for an implausible one
    (never relaxed), a cancelled one and a collapsing CHGNet cell (the input is kept). CHGNet
    relaxes all plausible candidates together, one batched force evaluation per FIRE step."""
    todo = [i for i, c in enumerate(candidates) if c.problem is None]
    yield from ((i, None) for i, c in enumerate(candidates) if c.problem is not None)
    if settings.relax == "chgnet":
        from dao_engine.relax.chgnet_backend import relax_many_with_chgnet_iter

        crystals = [candidates[i].crystal for i in todo]
        batch = relax_many_with_chgnet_iter(
            crystals, settings.fmax, settings.chgnet_steps, should_stop=stop
        )
        for k, out in batch:
            collapsed = (out.invalid or "").startswith("CHGNet relaxation stopped")
            yield todo[k], None if stop() or collapsed else out.crystal
    elif settings.relax == "dao":
        from dao_engine.relaxation_api import relax_crystal

        for i in todo:
            yield (
                i,
                None
                if stop()
                else relax_crystal(candidates[i].crystal, "dao", settings.checkpoint).crystal,
            )
    else:
        yield from ((i, None if stop() else candidates[i].crystal) for i in todo)


def relax_and_rank_iter(
    candidates: Sequence[SourcedCandidate],
    settings: RelaxRankSettings | None = None,
    should_stop: StopCheck | None = None,
    match: Callable[[Crystal, Crystal], bool] = same_structure,
) -> Iterator[RelaxProgress | RankedResult]:
    """Yield a :class:`RelaxProgress` as each candidate finishes, then one :class:`RankedResult`.

    ``should_stop`` (checked within CHGNet relaxations after every batched force evaluation, and
    between DAO relaxations) ends the relaxations; what is done is kept and still ranked."""
    settings = settings or RelaxRankSettings()
    stop = _Latch(should_stop or (lambda: False))
    started = time.perf_counter()
    relaxed: list[tuple[Crystal, bool]] = [(c.crystal, False) for c in candidates]
    for done, (i, result) in enumerate(_relaxed_iter(candidates, settings, stop), start=1):
        if result is not None:
            relaxed[i] = (result, True)
        elapsed = time.perf_counter() - started
        left = 0.0 if stop.set else (len(candidates) - done) * elapsed / done
        yield RelaxProgress(done, len(candidates), elapsed, left, candidates[i].source)
    cancelled = stop()
    yield rank(candidates, relaxed, settings, match, time.perf_counter() - started, cancelled)


def rank(
    candidates: Sequence[SourcedCandidate],
    relaxed: Sequence[tuple[Crystal, bool]],
    settings: RelaxRankSettings,
    match: Callable[[Crystal, Crystal], bool] = same_structure,
    seconds: float = 0.0,
    cancelled: bool = False,
) -> RankedResult:
    """Energies, polymorph groups and the ranking of relaxed candidates."""
    crystals = [c for c, _ in relaxed]
    problems = [candidate_problem(c) for c in crystals]
    chgnet = _chgnet_energies(crystals, problems) if settings.rank == "chgnet" else None
    dao = _dao_energies(candidates, relaxed, problems, settings)
    items = [
        RankedCandidate(
            cand,
            crystal,
            done,
            None if chgnet is None else chgnet[i],
            dao[i],
            _symbol(cand.crystal),
            _symbol(crystal) if done else _symbol(cand.crystal),
            problem=problems[i],
        )
        for i, (cand, (crystal, done)) in enumerate(zip(candidates, relaxed, strict=True))
    ]
    energy = [(c.chgnet_energy if settings.rank == "chgnet" else c.dao_energy) for c in items]
    ranked = _grouped(items, energy, match)
    if settings.library_first:
        ranked = _library_best_first(ranked, candidates)
    return RankedResult(ranked, settings, seconds, cancelled)


def _library_best_first(
    ranked: list[RankedCandidate], candidates: Sequence[SourcedCandidate]
) -> list[RankedCandidate]:
    """Move the polymorph of the first plausible library candidate (in the library's own order)
    to rank 1; the other polymorphs keep their energy order behind it."""
    order = [c for c in candidates if c.kind != "dao"]
    by_input = {id(c.candidate): c for c in ranked}
    pinned = next(
        (by_input[id(c)] for c in order if id(c) in by_input and by_input[id(c)].problem is None),
        None,
    )
    if pinned is None or pinned.polymorph == 1:
        return ranked

    def new_rank(p: int) -> int:
        return 1 if p == pinned.polymorph else p + (1 if p < pinned.polymorph else 0)

    moved = [replace(c, polymorph=new_rank(c.polymorph)) for c in ranked]
    return sorted(moved, key=lambda c: (c.polymorph, _sort_energy(c.delta_mev, c.problem)))


def _sort_energy(value: float | None, problem: str | None) -> tuple[bool, float]:
    bad = problem is not None or value is None or not math.isfinite(value)
    return (bad, math.inf if bad or value is None else value)


def _grouped(
    items: list[RankedCandidate],
    energy: list[float | None],
    match: Callable[[Crystal, Crystal], bool],
) -> list[RankedCandidate]:
    order = sorted(range(len(items)), key=lambda i: _sort_energy(energy[i], items[i].problem))
    plausible = [i for i in order if items[i].problem is None]
    labels = dict(
        zip(plausible, group_polymorphs([items[i].crystal for i in plausible], match), strict=False)
    )
    for i in order:
        labels.setdefault(i, len(set(labels.values())) + i)  # implausible: each on its own
    best = {}
    for i in order:
        best.setdefault(labels[i], _sort_energy(energy[i], items[i].problem))
    ranks = {label: r for r, label in enumerate(sorted(best, key=lambda k: best[k]), start=1)}
    sizes = {label: list(labels.values()).count(label) for label in best}
    lowest = next((energy[i] for i in plausible if energy[i] is not None), None)
    out = []
    for i in order:
        delta = None
        if lowest is not None and energy[i] is not None and items[i].problem is None:
            delta = 1000.0 * (float(energy[i]) - lowest)
        out.append(
            replace(items[i], polymorph=ranks[labels[i]], members=sizes[labels[i]], delta_mev=delta)
        )
    return sorted(out, key=lambda c: (c.polymorph, _sort_energy(c.delta_mev, c.problem)))


def _chgnet_energies(crystals: list[Crystal], problems: list[str | None]) -> list[float | None]:
    from dao_engine.relax.chgnet_backend import chgnet_energies

    todo = [i for i, p in enumerate(problems) if p is None]
    values: list[float | None] = [None] * len(crystals)
    for i, e in zip(
        todo, chgnet_energies([crystals[i] for i in todo]) if todo else [], strict=False
    ):
        values[i] = e
    return values


def _dao_energies(
    candidates: Sequence[SourcedCandidate],
    relaxed: Sequence[tuple[Crystal, bool]],
    problems: list[str | None],
    settings: RelaxRankSettings,
) -> list[float | None]:
    """DAO-P energy of each final structure: the input's for an unchanged sample, else
    predicted with the shipped (or ``settings.checkpoint``) DAO-P when it fits the model."""
    from dao_engine.ranking.dao_energy import dao_energies

    return dao_energies(candidates, relaxed, problems, settings.checkpoint)
