"""Prediction jobs in the main window: submit, cancel, live preview, results into the table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Slot

from dao_app.state.candidates import CandidateRecord
from dao_app.state.jobs import RankedJob
from dao_app.widgets.trajectory_panel import no_trajectory_reason
from dao_engine import api

if TYPE_CHECKING:
    from dao_app.main_window import MainWindow


class WindowJobsMixin:
    """Mixed into :class:`~dao_app.main_window.MainWindow`."""

    @Slot(object)
    def submit(self: MainWindow, request: api.PredictRequest) -> int:
        """Queue a prediction (the form's Predict button lands here), with the form's
        relax-and-rank settings; returns the job id (0 when the settings are impossible)."""
        try:
            plan = self.form.relax_rank_plan()
        except api.DaoError as exc:
            self.errors.report(exc, "Relax and rank")
            return 0
        after = f"; then {plan.summary}" if plan else ""
        self.statusBar().showMessage(f"Queued: {request.formula}, {request.shots} shots{after}")
        return self.runner.submit(request, plan)  # job_started updates the message when it runs

    @Slot()
    def predict(self: MainWindow) -> None:
        if self.form.is_valid():
            self.form.request_prediction()
        else:
            self.statusBar().showMessage(f"Cannot predict yet: {self.form.problem}")

    @Slot()
    def cancel_job(self: MainWindow) -> None:
        """Esc: a measurement in a 3-D view is cleared first; otherwise the job is cancelled."""
        if self.clear_measurements():
            return
        if self.session.jobs.running() is None and self.cancel_relaxations():
            return  # no prediction running: Esc stops the relaxations
        self.job_panel.cancel_current()

    @Slot(int)
    def _on_job_started(self: MainWindow, job_id: int) -> None:
        job = self.session.jobs.get(job_id)
        self._clear_preview()  # a previous (cancelled) job's last live frame goes
        self.statusBar().showMessage(f"{job.title if job else f'Job {job_id}'}: running")

    def _clear_preview(self: MainWindow) -> None:
        """Remove the live preview from the Candidate view (only while nothing is selected:
        a selected candidate is what the view shows then)."""
        if not self.selected_records():
            self.view.set_crystal(None, "Candidate")

    @Slot(int, object)
    def _on_job_progress(self: MainWindow, job_id: int, progress: api.PredictProgress) -> None:
        """Live preview: while nothing is selected, show shot 1 as it is being denoised."""
        if progress.frame and not self.selected_records():
            self.view.set_crystal(
                progress.frame[0],
                f"<b>Job {job_id}</b> · shot 1 · step "
                f"{progress.step}/{progress.total} (live preview)",
            )

    @Slot(int, object)
    def _on_job_finished(
        self: MainWindow, job_id: int, result: api.PredictionResult | RankedJob
    ) -> None:
        if job_id in self.stale_jobs:
            return
        if isinstance(result, RankedJob):
            self._add_ranked(job_id, result)
            return
        model = Path(result.model_path).name
        c = self.session.candidates
        records = [
            c.new_record(
                cand.crystal,
                f"Job {job_id}",
                job_id=job_id,
                shot=cand.shot,
                rank=rank,
                energy_per_atom=cand.energy_per_atom,
                model=model,
                energy_label=getattr(result, "energy_label", None) or "",
            )
            for rank, cand in enumerate(result.candidates, start=1)
        ]
        c.add(records)
        self.matcher.match(records)
        self.sessions.mark_dirty()
        self.select_uids([records[0].uid])
        self.candidates_added.emit([r.uid for r in records])
        self.statusBar().showMessage(
            f"Job {job_id}: {len(records)} candidates in {result.seconds:.1f} s ({model})"
        )

    @Slot(int, object)
    def _on_job_failed(self: MainWindow, job_id: int, exc: BaseException) -> None:
        self._clear_preview()
        self.errors.report(exc, f"Job {job_id}")

    @Slot(int)
    def _on_job_cancelled(self: MainWindow, job_id: int) -> None:
        self._clear_preview()
        self.statusBar().showMessage(f"Job {job_id} cancelled.")

    def _show_trajectory(self: MainWindow, record: CandidateRecord) -> None:
        """The Trajectory tab for the selected candidate: its job's sampling, or why there is
        none (relaxed copy, library structure, imported file)."""
        output = self.session.jobs.outputs.get(record.job_id) if record.job_id else None
        if record.ranking is not None and record.shot is None:
            output = None  # a library structure has no sampling trajectory
        if output is None:
            self.trajectory.show_shot(None, 1, no_trajectory_reason(record))
        elif output is not self.trajectory.output or (record.shot or 1) != self.trajectory.shot:
            self.trajectory.show_shot(output, record.shot or 1)
