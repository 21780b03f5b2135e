"""Structure files: importing them as candidates, exporting candidates (structures or the
table as CSV) and saving the 3-D view as a PNG.

Each ``*_dialog`` method asks for a path and calls a plain method (``import_structures(paths)``,
``export_records(...)``) that tests and scripts call directly. Every failure is reported
through ``errors`` and leaves the session as it was.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QModelIndex, QObject, Qt, Slot
from PySide6.QtWidgets import QDoubleSpinBox, QFileDialog, QTableView, QWidget

from dao_app.controllers.candidates import CandidatesController
from dao_app.controllers.reference import STRUCTURE_FILTER
from dao_app.dialogs.errors import ErrorReporter
from dao_app.dialogs.export_dialog import ExportChoice, ExportDialog
from dao_app.qt_models.candidates import SORT_ROLE
from dao_app.state import export
from dao_app.state.candidates import CandidateRecord
from dao_app.state.jobs import JobList
from dao_app.widgets.structure_view import StructureView
from dao_engine import api

MISSING = ("—", "…")


def candidates_csv(table: QTableView) -> str:
    """The candidate table as CSV: the visible columns with their headers, rows in table
    order; numbers unformatted (full precision), missing values empty."""
    model = table.model()
    columns = [c for c in range(model.columnCount()) if not table.isColumnHidden(c)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    horizontal = Qt.Orientation.Horizontal
    writer.writerow([model.headerData(c, horizontal) for c in columns])
    for row in range(model.rowCount()):
        writer.writerow([_csv_cell(model.index(row, c)) for c in columns])
    return out.getvalue()


def _csv_cell(index: QModelIndex) -> str:
    text = index.data(Qt.ItemDataRole.DisplayRole)
    text = "" if text is None else str(text)
    if text in MISSING:
        return ""
    value = index.data(SORT_ROLE)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            float(text)
        except ValueError:
            return text  # a label ("yes", "Fm-3m (225)"): keep what is shown
        return repr(value) if isinstance(value, float) and math.isfinite(value) else str(value)
    return text


class FilesController(QObject):
    """See the module docstring. ``current_view`` is the 3-D view File ▸ Save 3-D View saves."""

    def __init__(
        self,
        candidates: CandidatesController,
        jobs: JobList,
        table: QTableView,
        symprec: QDoubleSpinBox,
        current_view: Callable[[], StructureView],
        errors: ErrorReporter,
        show_message: Callable[[str], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.candidates, self.jobs = candidates, jobs
        self.table, self.symprec = table, symprec
        self.current_view = current_view
        self.errors, self.show_message = errors, show_message
        self._dialog_parent = parent

    @property
    def _records(self) -> list[CandidateRecord]:
        return list(self.candidates.candidates)

    # --- import --------------------------------------------------------------------------
    @Slot()
    def import_structures_dialog(self) -> None:
        """File ▸ Import Structures as Candidates…"""
        paths, _ = QFileDialog.getOpenFileNames(
            self._dialog_parent, "Import structures", "", STRUCTURE_FILTER
        )
        if paths:
            self.import_structures(paths)

    def import_structures(self, paths: Sequence[str | Path]) -> list[int]:
        """Add every structure of the files as candidates; returns the new uids."""
        c = self.candidates.candidates
        records: list[CandidateRecord] = []
        for path in paths:
            try:
                crystals = api.read_structures(path)
            except (api.DaoError, OSError) as exc:
                self.errors.report(exc, f"Importing '{Path(path).name}'")
                continue
            records += [c.new_record(x, Path(path).name) for x in crystals]
        self.candidates.insert(records)
        return [r.uid for r in records]

    # --- structures ----------------------------------------------------------------------
    @Slot()
    def export_selected_dialog(self) -> None:
        """File ▸ Export Selected…"""
        self._export_dialog(self.candidates.selected_records())

    @Slot()
    def export_all_dialog(self) -> None:
        """File ▸ Export All…"""
        self._export_dialog(self._records)

    def _export_dialog(self, records: list[CandidateRecord]) -> None:
        if not records:
            self.show_message("Nothing to export: select candidates first.")
            return
        parent = self._dialog_parent
        dialog = ExportDialog(len(records), parent, ExportChoice(symprec=self.symprec.value()))
        if dialog.exec() != ExportDialog.DialogCode.Accepted:
            return
        choice = dialog.choice()
        if len(records) == 1:
            suffix = export.FORMATS[choice.fmt][0]
            target, _ = QFileDialog.getSaveFileName(
                parent,
                "Export structure",
                export.safe_name(records[0]) + suffix,
                export.file_filter(choice.fmt),
            )
        else:
            target = QFileDialog.getExistingDirectory(parent, "Export structures to folder")
        if target:
            self.export_records(records, choice, target)

    def export_records(
        self, records: Sequence[CandidateRecord], choice: ExportChoice, target: str | Path
    ) -> list[Path]:
        """One record → the file ``target``; several → files in the folder ``target``."""
        options = (choice.fmt, choice.symmetrize, choice.symprec, self.jobs)
        try:
            if len(records) == 1 and not Path(target).is_dir():
                paths = [export.export_one(records[0], target, *options)]
            else:
                paths = export.export_many(records, target, *options)
        except (api.DaoError, OSError) as exc:
            self.errors.report(exc, "Export")
            return []
        self.show_message(f"Exported {len(paths)} file(s) to {Path(paths[0]).parent}")
        return paths

    # --- table and view ------------------------------------------------------------------
    @Slot()
    def export_candidates_csv_dialog(self) -> None:
        """File ▸ Export Candidates as CSV…"""
        if not self._records:
            self.show_message("No candidates to export.")
            return
        path, _ = QFileDialog.getSaveFileName(
            self._dialog_parent, "Export candidates as CSV", "candidates.csv", "CSV (*.csv)"
        )
        if path:
            self.export_candidates_csv(path)

    def export_candidates_csv(self, path: str | Path) -> Path | None:
        """Write :func:`candidates_csv` to ``path`` atomically; None (reported) on failure."""
        try:
            written = api.write_text_atomic(path, candidates_csv(self.table))
        except OSError as exc:
            self.errors.report(exc, "CSV export")
            return None
        self.show_message(f"Exported {len(self._records)} candidate(s) to {written}")
        return written

    @Slot()
    def export_view_png_dialog(self) -> None:
        """File ▸ Save 3-D View as PNG…"""
        view = self.current_view()
        path, _ = QFileDialog.getSaveFileName(
            self._dialog_parent, "Save view as PNG", "structure.png", "PNG (*.png)"
        )
        if path:
            try:
                view.export_png(path)
            except (RuntimeError, OSError) as exc:
                self.errors.report(exc, "PNG export")
