"""Table model over the plain-Python :class:`~dao_app.state.jobs.JobList`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from dao_app.state.jobs import JobList, JobRecord

_Index = QModelIndex | QPersistentModelIndex
JOB_ID_ROLE = Qt.ItemDataRole.UserRole + 1


def format_seconds(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``, ``1 h 02 min``."""
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


def _progress(job: JobRecord) -> str:
    if job.status.value == "running" and job.total:
        what = "relaxed " if job.phase == "relax" else ""
        return f"{what}{job.step}/{job.total} · ETA {format_seconds(job.eta_s)}"
    return job.message or ""


COLUMNS = ("Job", "Status", "Progress")


class JobTableModel(QAbstractTableModel):
    """One row per job: title, status, progress / ETA or the outcome."""

    def __init__(self, jobs: JobList, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        jobs.added.connect(self._added)
        jobs.changed.connect(self._changed)

    def _added(self, row: int) -> None:
        self.beginInsertRows(QModelIndex(), row, row)
        self.endInsertRows()

    def _changed(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.jobs)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.jobs):
            return None
        job = self.jobs.jobs[index.row()]
        if role == JOB_ID_ROLE:
            return job.job_id
        if role == Qt.ItemDataRole.DisplayRole:
            return (job.title, job.status.value, _progress(job))[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            r = job.request
            generator = Path(r.checkpoint).name if r.checkpoint else "shipped default"
            energy = Path(r.energy_checkpoint).name if r.energy_checkpoint else "same as generator"
            plan = f"\nafter sampling: {job.plan.summary}" if job.plan else ""
            warnings = "".join(f"\nwarning: {w}" for w in job.warnings)
            return (
                f"{r.formula}: Z={r.z or 'as written'}, {r.shots} shots, {r.steps} steps, "
                f"seed {r.seed}, device {r.device}\nmodel {generator}, energies: {energy}"
                f"{plan}{warnings}\n{job.message}"
            ).strip()
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,  # noqa: N802
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None
