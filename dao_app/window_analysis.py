"""Lattice and XRD tabs and the candidate CSV export of the main window.

Both tabs follow the table's selection and are computed only while visible (switching to a tab
brings it up to date). Powder patterns are computed off the GUI thread and cached by
:class:`~dao_app.xrd_controller.XrdController`; a click never waits for pymatgen.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QFileDialog

from dao_app.qt_models.candidates import SORT_ROLE
from dao_app.widgets.lattice_panel import LatticePanel
from dao_app.widgets.xrd_plot import XrdPlot
from dao_app.xrd_controller import XrdController
from dao_engine import api

if TYPE_CHECKING:
    from dao_app.main_window import MainWindow

MISSING = ("—", "…")


class WindowAnalysisMixin:
    """Mixed into :class:`~dao_app.main_window.MainWindow`."""

    def _build_analysis(self: MainWindow) -> None:
        self.lattice_panel = LatticePanel()
        self.xrd = XrdPlot()
        self.xrd_patterns = XrdController(self)  # pymatgen's XRDCalculator off the GUI thread
        self.tabs.addTab(self.lattice_panel, "Lattice")
        self.tabs.addTab(self.xrd, "XRD")
        self._analysis_shown: dict[str, object] = {}  # tab → what it shows (uid, reference)

    def _connect_analysis(self: MainWindow) -> None:
        self.table.selectionModel().selectionChanged.connect(self._refresh_analysis)
        self.tabs.currentChanged.connect(self._refresh_analysis)
        self.matcher.reference_changed.connect(self._refresh_analysis)
        self.symprec.valueChanged.connect(self._refresh_analysis)
        self.display.dark_changed.connect(self.xrd.set_dark)
        self.xrd_patterns.ready.connect(self._on_xrd_ready)
        self.xrd_patterns.computing.connect(self.xrd.set_pending)
        self.xrd_patterns.failed.connect(self._on_xrd_failed)
        self.session.candidates.removed.connect(self._forget_patterns)
        self.session.candidates.reset.connect(self._forget_all_patterns)

    def _forget_all_patterns(self: MainWindow) -> None:
        """A new session: forget what the tabs show (cached patterns are keyed by crystal)."""
        self._forget_patterns()
        self._analysis_shown.clear()
        self._refresh_analysis()

    def _forget_patterns(self: MainWindow) -> None:
        self.xrd_patterns.forget({r.uid for r in self.session.candidates})

    @Slot()
    def _refresh_analysis(self: MainWindow) -> None:
        """Update the visible analysis tab when what it shows changed."""
        current = self.tabs.currentWidget()
        records = self.selected_records()
        record = records[0] if records else None
        uid = record.uid if record is not None else None
        if current is self.lattice_panel:
            key = (uid, self.symprec.value())
            if self._analysis_shown.get("lattice") != key:
                self._analysis_shown["lattice"] = key
                title = "" if record is None else f"<b>#{record.uid}</b> {record.formula}"
                self.lattice_panel.show_crystal(
                    record.crystal if record else None, title, self.symprec.value()
                )
        elif current is self.xrd:
            ref = self.session.reference
            key = (uid, id(ref))
            if self._analysis_shown.get("xrd") != key:
                self._analysis_shown["xrd"] = key
                self.xrd_patterns.request(record, ref)  # answers now, or soon via ready

    @Slot(object, object)
    def _on_xrd_ready(self: MainWindow, candidate: object, reference: object) -> None:
        self.xrd.set_patterns(candidate, reference)  # type: ignore[arg-type]

    @Slot(object)
    def _on_xrd_failed(self: MainWindow, exc: object) -> None:
        self._analysis_shown.pop("xrd", None)  # a later visit tries again
        self.xrd.set_patterns(None)
        self.errors.report(exc, "Powder pattern")  # type: ignore[arg-type]

    # --- CSV export ---------------------------------------------------------------------
    def candidates_csv(self: MainWindow) -> str:
        """The candidate table as CSV: the visible columns with their headers, rows in table
        order; numbers unformatted (full precision), missing values empty."""
        model = self.table.model()
        columns = [c for c in range(model.columnCount()) if not self.table.isColumnHidden(c)]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        horizontal = Qt.Orientation.Horizontal
        writer.writerow([model.headerData(c, horizontal) for c in columns])
        for row in range(model.rowCount()):
            writer.writerow([_csv_cell(model.index(row, c)) for c in columns])
        return out.getvalue()

    @Slot()
    def export_candidates_csv_dialog(self: MainWindow) -> None:
        if not len(self.session.candidates):
            self.statusBar().showMessage("No candidates to export.")
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export candidates as CSV", "candidates.csv", "CSV (*.csv)"
        )
        if path:
            self.export_candidates_csv(path)

    def export_candidates_csv(self: MainWindow, path: str | Path) -> Path | None:
        """Write :meth:`candidates_csv` to ``path`` atomically; None (reported) on failure."""
        try:
            written = api.write_text_atomic(path, self.candidates_csv())
        except OSError as exc:
            self.errors.report(exc, "CSV export")
            return None
        count = len(self.session.candidates)
        self.statusBar().showMessage(f"Exported {count} candidate(s) to {written}")
        return written


def _csv_cell(index) -> str:  # noqa: ANN001 - QModelIndex
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

