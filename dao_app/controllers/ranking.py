"""Relax-and-rank results: the ranked candidates of a job become table rows (relaxed
structures, polymorph, ΔE, space group before → after, where each came from)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QTableView

from dao_app.controllers.candidates import CandidatesController
from dao_app.qt_models.candidates import CHGNET_COLUMN, RANK_COLUMNS
from dao_app.state.candidates import CandidateList, CandidateRecord, RankInfo
from dao_app.state.jobs import BACKEND_NAMES, JobList, RankedJob
from dao_app.workers.predict import JobRunner
from dao_engine import api


def _dao_label(item: api.RankedCandidate, job: RankedJob) -> str:
    """Which model predicted a ranked candidate's DAO-P energy, and of which structure."""
    prediction = job.prediction
    unchanged = item.candidate.shot is not None and item.crystal is item.candidate.crystal
    if unchanged and prediction is not None and prediction.energy_label:
        return prediction.energy_label
    checkpoint = job.ranked.settings.checkpoint
    model = Path(checkpoint).name if checkpoint else api.default_model_path().name
    what = "relaxed structure" if item.relaxed else "structure"
    return f"DAO-P energy per atom of the {what}, predicted by {model} (eV/atom)"


def _rank_info(item: api.RankedCandidate, job: RankedJob) -> RankInfo:
    ranked = job.ranked
    s = ranked.settings
    return RankInfo(
        item.candidate.source,
        item.polymorph,
        item.members,
        item.delta_mev,
        item.chgnet_energy,
        item.space_group_before,
        item.space_group_after,
        item.relaxed,
        s.relax,
        s.rank,
        ranked.cancelled,
    )


def ranked_records(c: CandidateList, job_id: int, job: RankedJob) -> list[CandidateRecord]:
    """New table records for the ranked candidates of ``job``, polymorph 1 first."""
    model = Path(job.prediction.model_path).name if job.prediction else ""
    records = []
    for position, item in enumerate(job.ranked.candidates, start=1):
        cand = item.candidate
        extra: dict[str, object] = {"kind": cand.kind}
        if cand.material_id:
            extra["material_id"] = cand.material_id
        if item.relaxed:
            extra["unrelaxed"] = cand.crystal
        records.append(
            c.new_record(
                item.crystal,
                f"Job {job_id}",
                job_id=job_id,
                shot=cand.shot,
                rank=position,
                energy_per_atom=item.dao_energy,
                model=model if cand.shot is not None else "Materials Project library",
                energy_label=_dao_label(item, job) if item.dao_energy is not None else "",
                ranking=_rank_info(item, job),
                extra=extra,
            )
        )
    return records


def ranked_message(job_id: int, job: RankedJob, count: int) -> str:
    """The status-bar line after a ranked job, with its library warnings."""
    ranked = job.ranked
    s = ranked.settings
    relaxed = sum(c.relaxed for c in ranked.candidates)
    relax = (
        "not relaxed" if s.relax == "none" else f"{relaxed} relaxed with {BACKEND_NAMES[s.relax]}"
    )
    best = ranked.polymorphs[0] if ranked.polymorphs else None
    lead = f"; best {best.candidate.source}, {best.space_group_after}" if best else ""
    text = (
        f"Job {job_id}: {count} candidates ({relax}), {len(ranked.polymorphs)} polymorphs "
        f"ranked by {BACKEND_NAMES[s.rank]} energy{lead}; relax-and-rank {ranked.seconds:.1f} s"
    )
    if ranked.candidates and all(c.delta_mev is None for c in ranked.candidates):
        text += f" (no {BACKEND_NAMES[s.rank]} energies: no ΔE)"
    if ranked.cancelled:
        text += " — cancelled, the candidates done so far are kept"
    if job.warnings:
        text += f" — warning: {job.warnings[0]}"
    return text


class RankController(QObject):
    """Ranked jobs into rows, the runner's sampling/warning lines, and the visibility of the
    relax-and-rank columns (shown only while some candidate has been ranked)."""

    def __init__(
        self,
        runner: JobRunner,
        jobs: JobList,
        candidates: CandidatesController,
        table: QTableView,
        show_message: Callable[[str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.jobs, self.candidates, self.table = jobs, candidates, table
        self.show_message = show_message
        self.last_ranked: RankedJob | None = None  # the latest relax-and-rank result shown
        runner.job_sampled.connect(self._on_job_sampled)
        runner.job_warning.connect(self._on_job_warning)
        c = candidates.candidates
        for event in (c.inserted, c.removed, c.reset):
            event.connect(self.update_columns)
        self.update_columns()

    @Slot(int, object)
    def add_ranked(self, job_id: int, job: RankedJob) -> None:
        """The ranked candidates of a finished job become rows (polymorph 1 selected)."""
        records = ranked_records(self.candidates.candidates, job_id, job)
        message = ranked_message(job_id, job, len(records))
        self.last_ranked = job
        if not records:
            warning = f" — warning: {job.warnings[0]}" if job.warnings else ""
            self.show_message(f"Job {job_id}: no candidates to rank{warning}")
            return
        self.candidates.add(records)
        self.show_message(message)

    @Slot(int, object)
    def _on_job_sampled(self, job_id: int, result: api.PredictionResult) -> None:
        job = self.jobs.get(job_id)
        plan = job.plan if job is not None else None
        what = f"relaxing with {BACKEND_NAMES[plan.settings.relax]}" if plan else "ranking"
        if plan is not None and plan.settings.relax == "none":
            what = "ranking"
        self.show_message(
            f"Job {job_id}: {len(result.candidates)} samples in {result.seconds:.1f} s; {what}…"
        )

    @Slot(int, str)
    def _on_job_warning(self, job_id: int, line: str) -> None:
        """A library problem: one line in the status bar; sampling goes on."""
        self.show_message(f"Job {job_id}: warning: {line}")

    @Slot()
    def update_columns(self) -> None:
        """Show the relax-and-rank columns only while some candidate has been ranked."""
        c = self.candidates.candidates
        ranked = any(r.ranking is not None for r in c)
        chgnet = ranked or any("chgnet_energy" in r.extra for r in c)
        for column in RANK_COLUMNS:
            self.table.setColumnHidden(column, not (chgnet if column == CHGNET_COLUMN else ranked))
