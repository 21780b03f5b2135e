"""Relax-and-rank results in the main window: the ranked candidates of a job become table rows
(relaxed structures, polymorph, ΔE, space group before → after, where each came from)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Slot

from dao_app.qt_models.candidates import CHGNET_COLUMN, RANK_COLUMNS
from dao_app.state.candidates import CandidateRecord, RankInfo
from dao_app.state.jobs import BACKEND_NAMES, RankedJob
from dao_engine import api

if TYPE_CHECKING:
    from dao_app.main_window import MainWindow


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


def ranked_records(
    window: MainWindow, job_id: int, job: RankedJob
) -> list[CandidateRecord]:
    """New table records for the ranked candidates of ``job``, polymorph 1 first."""
    ranked = job.ranked
    s = ranked.settings
    model = Path(job.prediction.model_path).name if job.prediction else ""
    c = window.session.candidates
    records = []
    for position, item in enumerate(ranked.candidates, start=1):
        cand = item.candidate
        info = RankInfo(
            cand.source,
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
                ranking=info,
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


class WindowRankMixin:
    """Mixed into :class:`~dao_app.main_window.MainWindow`."""

    def _add_ranked(self: MainWindow, job_id: int, job: RankedJob) -> None:
        records = ranked_records(self, job_id, job)
        message = ranked_message(job_id, job, len(records))
        self.last_ranked = job
        if not records:
            self.statusBar().showMessage(f"Job {job_id}: no candidates to rank" + (
                f" — warning: {job.warnings[0]}" if job.warnings else ""
            ))
            return
        self.session.candidates.add(records)
        self.matcher.match(records)
        self.sessions.mark_dirty()
        self.select_uids([records[0].uid])
        self.candidates_added.emit([r.uid for r in records])
        self.statusBar().showMessage(message)

    @Slot(int, object)
    def _on_job_sampled(self: MainWindow, job_id: int, result: api.PredictionResult) -> None:
        job = self.session.jobs.get(job_id)
        plan = job.plan if job is not None else None
        what = f"relaxing with {BACKEND_NAMES[plan.settings.relax]}" if plan else "ranking"
        if plan is not None and plan.settings.relax == "none":
            what = "ranking"
        self.statusBar().showMessage(
            f"Job {job_id}: {len(result.candidates)} samples in {result.seconds:.1f} s; {what}…"
        )

    @Slot(int, str)
    def _on_job_warning(self: MainWindow, job_id: int, line: str) -> None:
        """A library problem: one line in the status bar; sampling goes on."""
        self.statusBar().showMessage(f"Job {job_id}: warning: {line}")

    def _update_rank_columns(self: MainWindow) -> None:
        """Show the relax-and-rank columns only while some candidate has been ranked."""
        ranked = any(r.ranking is not None for r in self.session.candidates)
        chgnet = ranked or any("chgnet_energy" in r.extra for r in self.session.candidates)
        for column in RANK_COLUMNS:
            self.table.setColumnHidden(column, not (chgnet if column == CHGNET_COLUMN else ranked))
