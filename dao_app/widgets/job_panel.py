"""Job list with the running job's progress bar, ETA and Cancel (sampling steps, then the
candidates relaxed by relax-and-rank)."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from dao_app.qt_models.jobs import JobTableModel, format_seconds
from dao_app.state.jobs import JobRecord, JobStatus
from dao_app.workers.predict import JobRunner
from dao_engine import api


def end_text(job: JobRecord) -> str:
    """E.g. ``Job 2: NaCl, 4 shots: cancelled`` (the note in parentheses only when it adds
    something: not "cancelled (cancelled)")."""
    note = job.message.strip()
    extra = f" ({note})" if note and note.lower() != job.status.value else ""
    return f"{job.title}: {job.status.value}{extra}"


class JobPanel(QWidget):
    """Shows the JobRunner's queue; Cancel stops the running job (or the selected queued one)."""

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.model = JobTableModel(runner.jobs, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.progress = QProgressBar(textVisible=True)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.eta = QLabel("No prediction running.")
        self.cancel_button = QPushButton("Cancel", toolTip="Stop the running job (Esc)")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_current)
        self._shown: int | None = None  # the job whose progress the bar shows

        row = QHBoxLayout()
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.eta)
        layout.addWidget(self.table, 1)

        runner.job_started.connect(self._on_started)
        runner.job_progress.connect(self._on_progress)
        runner.job_sampled.connect(self._on_sampled)
        runner.job_rank_progress.connect(self._on_rank_progress)
        runner.job_finished.connect(self._on_finished)
        runner.job_failed.connect(self._on_finished)
        runner.job_cancelled.connect(self._on_cancelled)
        runner.idle.connect(self._on_idle)

    @Slot()
    def cancel_current(self) -> None:
        """Cancel the selected queued job, else the running one."""
        rows = self.table.selectionModel().selectedRows()
        for index in rows:
            job = self.runner.jobs.jobs[index.row()]
            if job.status is JobStatus.QUEUED:
                self.runner.cancel(job.job_id)
                return
        running = self.runner.jobs.running()
        if running is not None:
            self.runner.cancel(running.job_id)
            self.eta.setText(f"Stopping {running.title}…")

    @Slot(int)
    def _on_started(self, job_id: int) -> None:
        job = self.runner.jobs.get(job_id)
        self._shown = job_id
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        self.progress.setRange(0, 0)  # busy indicator while the model loads
        self.cancel_button.setEnabled(True)
        self.eta.setText(f"{job.title if job else 'Job'}: loading the model…")

    @Slot(int, object)
    def _on_progress(self, job_id: int, progress: api.PredictProgress) -> None:
        job = self.runner.jobs.get(job_id)
        if self.progress.maximum() != progress.total:
            self.progress.setRange(0, progress.total)
        self.progress.setValue(progress.step)
        self.progress.setFormat("step %v / %m  (%p%)")
        if job is not None and job.message != "stopping…":
            self.eta.setText(
                f"{job.title}: {format_seconds(progress.elapsed_s)} elapsed, "
                f"about {format_seconds(progress.eta_s)} left"
            )

    @Slot(int, object)
    def _on_sampled(self, job_id: int, _result: object) -> None:
        job = self.runner.jobs.get(job_id)
        self.progress.setRange(0, 0)  # busy while the relaxation model loads
        if job is not None and job.message != "stopping…":
            self.eta.setText(f"{job.title}: sampled; relaxing the candidates…")

    @Slot(int, object)
    def _on_rank_progress(self, job_id: int, progress: api.RelaxProgress) -> None:
        job = self.runner.jobs.get(job_id)
        if self.progress.maximum() != progress.total:
            self.progress.setRange(0, progress.total)
        self.progress.setValue(progress.done)
        self.progress.setFormat("relaxed %v / %m  (%p%)")
        if job is None or job.message == "stopping…":
            return
        if progress.done >= progress.total:
            self.eta.setText(f"{job.title}: ranking polymorphs…")
            return
        relax = job.plan.settings.relax if job.plan else "none"
        name = {"chgnet": "CHGNet", "dao": "DAO-P"}.get(relax)
        verb = f"relaxing with {name}" if name else "checking"
        self.eta.setText(
            f"{job.title}: {verb}, {progress.current} done; "
            f"{format_seconds(progress.elapsed_s)} elapsed, "
            f"about {format_seconds(progress.eta_s)} left"
        )

    @Slot(int, object)
    def _on_finished(self, job_id: int, _payload: object) -> None:
        self._show_end(job_id)

    @Slot(int)
    def _on_cancelled(self, job_id: int) -> None:
        self._show_end(job_id)

    def _show_end(self, job_id: int) -> None:
        job = self.runner.jobs.get(job_id)
        if job is not None:
            self.eta.setText(end_text(job))
        if job is not None and job.status is JobStatus.FINISHED:
            self.progress.setRange(0, max(job.total, 1))
            self.progress.setValue(job.total)
        elif job is None or job.job_id == self._shown:  # cancelled/failed: no stale progress
            self.reset_progress()

    def reset_progress(self) -> None:
        """An empty bar (no busy indicator, no steps of a job that ended)."""
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")

    @Slot()
    def _on_idle(self) -> None:
        self.cancel_button.setEnabled(False)
        if self.progress.maximum() == 0:
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
