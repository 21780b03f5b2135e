"""Prediction jobs: submit, cancel, the live preview, and the sampled candidates into the table.

Relax-and-rank results (:class:`~dao_app.state.jobs.RankedJob`) are handed on through
``ranked_finished``; the ranking controller turns them into rows.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from dao_app.controllers.candidates import CandidatesController
from dao_app.dialogs.errors import ErrorReporter
from dao_app.state.jobs import JobList, RankedJob
from dao_app.widgets.job_panel import JobPanel
from dao_app.widgets.predict_form import PredictForm
from dao_app.widgets.structure_view import StructureView
from dao_app.workers.predict import JobRunner
from dao_engine import api


class JobsController(QObject):
    """Runs the form's predictions on ``runner`` and shows their progress and results.

    ``clear_measurements`` and ``cancel_relaxations`` are what Esc tries first (each returns
    whether it did something). Signal: ``ranked_finished(job_id, RankedJob)``.
    """

    ranked_finished = Signal(int, object)

    def __init__(
        self,
        runner: JobRunner,
        jobs: JobList,
        form: PredictForm,
        job_panel: JobPanel,
        view: StructureView,
        candidates: CandidatesController,
        errors: ErrorReporter,
        show_message: Callable[[str], None],
        clear_measurements: Callable[[], bool],
        cancel_relaxations: Callable[[], int],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner, self.jobs, self.form = runner, jobs, form
        self.job_panel, self.view, self.candidates = job_panel, view, candidates
        self.errors, self.show_message = errors, show_message
        self._clear_measurements = clear_measurements
        self._cancel_relaxations = cancel_relaxations
        self.stale_jobs: set[int] = set()  # jobs of a session that was replaced
        form.predict_requested.connect(self.submit)
        runner.job_started.connect(self._on_job_started)
        runner.job_progress.connect(self._on_job_progress)
        runner.job_finished.connect(self._on_job_finished)
        runner.job_failed.connect(self._on_job_failed)
        runner.job_cancelled.connect(self._on_job_cancelled)

    # --- commands ------------------------------------------------------------------------
    @Slot(object)
    def submit(self, request: api.PredictRequest) -> int:
        """Queue a prediction (the form's Predict button lands here), with the form's
        relax-and-rank settings; returns the job id (0 when the settings are impossible)."""
        try:
            plan = self.form.relax_rank_plan()
        except api.DaoError as exc:
            self.errors.report(exc, "Relax and rank")
            return 0
        after = f"; then {plan.summary}" if plan else ""
        self.show_message(f"Queued: {request.formula}, {request.shots} shots{after}")
        return self.runner.submit(request, plan)  # job_started updates the message when it runs

    @Slot()
    def predict(self) -> None:
        """Predict ▸ Predict: the form's request, or why there is none yet."""
        if self.form.is_valid():
            self.form.request_prediction()
        else:
            self.show_message(f"Cannot predict yet: {self.form.problem}")

    @Slot()
    def cancel_job(self) -> None:
        """Esc: a measurement in a 3-D view is cleared first; otherwise the job is cancelled."""
        if self._clear_measurements():
            return
        if self.jobs.running() is None and self._cancel_relaxations():
            return  # no prediction running: Esc stops the relaxations
        self.job_panel.cancel_current()

    @Slot()
    def forget_running(self) -> None:
        """The session is being replaced: cancel its jobs and drop their late results."""
        self.stale_jobs |= {j.job_id for j in self.jobs.jobs if j.status.active}
        self.runner.cancel_all()

    # --- runner events -------------------------------------------------------------------
    @Slot(int)
    def _on_job_started(self, job_id: int) -> None:
        job = self.jobs.get(job_id)
        self._clear_preview()  # a previous (cancelled) job's last live frame goes
        self.show_message(f"{job.title if job else f'Job {job_id}'}: running")

    def _clear_preview(self) -> None:
        """Remove the live preview from the Candidate view (only while nothing is selected:
        a selected candidate is what the view shows then)."""
        if not self.candidates.selected_records():
            self.view.set_crystal(None, "Candidate")

    @Slot(int, object)
    def _on_job_progress(self, job_id: int, progress: api.PredictProgress) -> None:
        """Live preview: while nothing is selected, show shot 1 as it is being denoised."""
        if progress.frame and not self.candidates.selected_records():
            self.view.set_crystal(
                progress.frame[0],
                f"<b>Job {job_id}</b> · shot 1 · step "
                f"{progress.step}/{progress.total} (live preview)",
            )

    @Slot(int, object)
    def _on_job_finished(self, job_id: int, result: api.PredictionResult | RankedJob) -> None:
        if job_id in self.stale_jobs:
            return
        if isinstance(result, RankedJob):
            self.ranked_finished.emit(job_id, result)
            return
        model = Path(result.model_path).name
        c = self.candidates.candidates
        records = [
            c.new_record(
                cand.crystal,
                f"Job {job_id}",
                job_id=job_id,
                shot=cand.shot,
                rank=rank,
                energy_per_atom=cand.energy_per_atom,
                model=model,
                energy_label=result.energy_label or "",
            )
            for rank, cand in enumerate(result.candidates, start=1)
        ]
        self.candidates.add(records)
        self.show_message(
            f"Job {job_id}: {len(records)} candidates in {result.seconds:.1f} s ({model})"
        )

    @Slot(int, object)
    def _on_job_failed(self, job_id: int, exc: BaseException) -> None:
        self._clear_preview()
        self.errors.report(exc, f"Job {job_id}")

    @Slot(int)
    def _on_job_cancelled(self, job_id: int) -> None:
        self._clear_preview()
        self.show_message(f"Job {job_id} cancelled.")
