"""The list of candidate structures shown in the results table (plain Python, no Qt).

Every structural change is announced twice, before and after, so a Qt model adapter can call
``beginInsertRows``/``endInsertRows`` at the right moments: ``inserting(first, last)`` then
``inserted()``, ``removing(first, last)`` then ``removed()``, ``resetting()`` then ``reset()``;
``updated(first, last)`` announces changed values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dao_app.state.events import Event
from dao_engine import api


@dataclass(frozen=True)
class RankInfo:
    """What relax-and-rank found for one candidate (see ``api.RankedCandidate``).

    Attributes:
        origin: where the candidate came from: "DAO sample 3", "known mp-22862",
            "template from mp-2400 (NaS)".
        polymorph: 1-based rank of its polymorph; members: candidates that fell into it.
        delta_mev: ranking energy above the lowest plausible candidate (meV/atom), or None.
        chgnet_energy: CHGNet energy per atom (eV/atom) of the final structure, or None.
        space_group_before / space_group_after: e.g. "Fm-3m (225)" (spglib, 0.1 Å).
        relaxed: a relaxation ran to its end; relax / rank: the backends ("chgnet", "dao",
            "none") of the run; cancelled: the run was stopped before every candidate relaxed.
    """

    origin: str
    polymorph: int
    members: int
    delta_mev: float | None
    chgnet_energy: float | None
    space_group_before: str
    space_group_after: str
    relaxed: bool
    relax: str
    rank: str
    cancelled: bool = False

    @property
    def kind(self) -> str:
        """ "dao", "known" or "template"."""
        if self.origin.startswith("DAO sample"):
            return "dao"
        return "known" if self.origin.startswith("known") else "template"


@dataclass
class CandidateRecord:
    """One row: a structure plus what we know about it.

    Attributes:
        uid: unique within the session (never reused).
        crystal: the structure (``api.Crystal``).
        source: where it came from ("Job 1", a file name, ...).
        job_id: the prediction job that made it, or None for imported structures.
        shot: 1-based shot index within its job, or None.
        rank: position within its job by predicted energy (by shot while energies are unknown).
        energy_per_atom: predicted energy in eV/atom, or None when the model predicts none.
        model: which model generated it (file name), "" for imported structures.
        energy_label: what the energy is and which model predicted it ("" when none).
        space_group: (symbol, number) at the list's current ``symprec``.
        match: comparison with the reference, None when no reference or not yet computed.
        tc: predicted superconducting T_c (K, with the ensemble spread), None when not predicted.
        tc_label: which T_c model predicted ``tc`` (file and feature model).
        problem: why the structure is physically implausible (atoms too close for their radii,
            volume far from the composition's, degenerate or exploded cell), "" when plausible;
            derived for every record, whatever its source.
        ranking: relax-and-rank results (polymorph, ΔE, space groups), None when not ranked;
            ``crystal`` is then the relaxed structure and ``extra["unrelaxed"]`` the input.
    """

    uid: int
    crystal: api.Crystal
    source: str
    job_id: int | None = None
    shot: int | None = None
    rank: int | None = None
    energy_per_atom: float | None = None
    model: str = ""
    energy_label: str = ""
    space_group: tuple[str, int] = ("P1", 1)
    volume_per_atom: float = math.nan
    density: float = math.nan
    match: api.MatchResult | None = None
    tc: api.TcPrediction | None = None
    tc_label: str = ""
    problem: str = ""
    ranking: RankInfo | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def formula(self) -> str:
        return self.crystal.formula()

    @property
    def source_text(self) -> str:
        """The Source column: ``Job 1 · shot 3``, ``Job 2 · known mp-22862``, ``file.cif``."""
        if self.ranking is not None:
            return f"{self.source} · {self.ranking.origin}"
        return self.source if self.shot is None else f"{self.source} · shot {self.shot}"

    @property
    def name(self) -> str:
        """Short name for titles and file names, e.g. ``NaCl #3``."""
        return f"{self.crystal.formula(reduced=True)} #{self.uid}"


class CandidateList:
    """Ordered candidates with change events; see the module docstring."""

    def __init__(self, symprec: float = api.DEFAULT_SYMPREC) -> None:
        self.records: list[CandidateRecord] = []
        self.symprec = symprec
        self._next_uid = 1
        self.inserting, self.inserted = Event(), Event()
        self.removing, self.removed = Event(), Event()
        self.resetting, self.reset = Event(), Event()
        self.updated = Event()

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> CandidateRecord:
        return self.records[index]

    def __iter__(self):  # noqa: ANN204
        return iter(self.records)

    def by_uid(self, uid: int) -> CandidateRecord | None:
        return next((r for r in self.records if r.uid == uid), None)

    def index_of(self, uid: int) -> int:
        """Row of ``uid``; -1 when absent."""
        return next((i for i, r in enumerate(self.records) if r.uid == uid), -1)

    def new_record(self, crystal: api.Crystal, source: str, **kwargs: object) -> CandidateRecord:
        """A record with a fresh uid and its derived columns (space group, volume, density,
        plausibility)."""
        record = CandidateRecord(self._next_uid, crystal, source, **kwargs)  # type: ignore[arg-type]
        self._next_uid += 1
        self._derive(record)
        return record

    def _derive(self, record: CandidateRecord) -> None:
        crystal = record.crystal
        record.space_group = api.space_group(crystal, symprec=self.symprec)
        record.volume_per_atom = api.volume_per_atom(crystal)
        record.density = api.density(crystal)
        record.problem = api.candidate_problem(crystal) or ""  # "" = plausible

    def add(self, records: Sequence[CandidateRecord]) -> None:
        """Append records (from :meth:`new_record`)."""
        if not records:
            return
        first = len(self.records)
        self.inserting.emit(first, first + len(records) - 1)
        self.records.extend(records)
        self._next_uid = max(self._next_uid, max(r.uid for r in records) + 1)
        self.inserted.emit()

    def remove_uids(self, uids: Iterable[int]) -> list[tuple[int, CandidateRecord]]:
        """Remove the given records; returns [(row, record)] by ascending row (see restore)."""
        wanted = set(uids)
        removed = [(i, r) for i, r in enumerate(self.records) if r.uid in wanted]
        for row, _ in reversed(removed):
            self.removing.emit(row, row)
            del self.records[row]
            self.removed.emit()
        return removed

    def restore(self, removed: Sequence[tuple[int, CandidateRecord]]) -> None:
        """Put back what :meth:`remove_uids` returned, at the same rows."""
        for row, record in sorted(removed, key=lambda item: item[0]):
            row = min(row, len(self.records))
            self.inserting.emit(row, row)
            self.records.insert(row, record)
            self.inserted.emit()

    def replace_all(self, records: Sequence[CandidateRecord]) -> None:
        """Replace every record (opening a session)."""
        self.resetting.emit()
        self.records = list(records)
        self._next_uid = max([r.uid for r in records], default=0) + 1
        self.reset.emit()

    def set_symprec(self, symprec: float) -> None:
        """Recompute every space group at a new tolerance (Å)."""
        self.symprec = symprec
        for record in self.records:
            record.space_group = api.space_group(record.crystal, symprec=symprec)
        self._announce_all()

    def set_matches(self, matches: dict[int, api.MatchResult | None]) -> None:
        """Store match results by uid (uids no longer present are ignored)."""
        for record in self.records:
            if record.uid in matches:
                record.match = matches[record.uid]
        self._announce_all()

    def set_tc(self, values: dict[int, api.TcPrediction], label: str) -> None:
        """Store T_c predictions (K) by uid, all made by the model ``label``."""
        for record in self.records:
            if record.uid in values:
                record.tc, record.tc_label = values[record.uid], label
        self._announce_all()

    def clear_matches(self) -> None:
        for record in self.records:
            record.match = None
        self._announce_all()

    def _announce_all(self) -> None:
        if self.records:
            self.updated.emit(0, len(self.records) - 1)
