"""File handling of the main window: reference, import, export, drag and drop, help.

Each ``*_dialog`` method asks for a path and calls a plain method (``open_reference(path)``,
``export_records(...)``) that tests and scripts call directly. Every failure is reported
through ``self.errors`` and leaves the session as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox

from dao_app import window_actions
from dao_app.dialogs.export_dialog import ExportChoice, ExportDialog
from dao_app.state import export
from dao_app.state.candidates import CandidateRecord
from dao_engine import api

if TYPE_CHECKING:
    from dao_app.main_window import MainWindow

STRUCTURE_FILTER = (
    "Structures (*.cif *.vasp *.poscar POSCAR* CONTCAR* *.xyz *.extxyz);;All files (*)"
)


class WindowFilesMixin:
    """Mixed into :class:`~dao_app.main_window.MainWindow` (uses its widgets and controllers)."""

    # --- reference and import ----------------------------------------------------------------
    @Slot()
    def open_reference_dialog(self: MainWindow) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open reference structure", "", STRUCTURE_FILTER
        )
        if path:
            self.open_reference(path)

    def open_reference(self: MainWindow, path: str | Path) -> bool:
        try:
            self.matcher.load_reference(path)
        except (api.DaoError, OSError) as exc:
            self.errors.report(exc, f"Opening '{Path(path).name}'")
            return False
        self.settings.add_recent(path)
        self.sessions.recent_changed.emit(self.settings.recent_files())
        self.sessions.mark_dirty()
        return True

    @Slot()
    def clear_reference(self: MainWindow) -> None:
        self.matcher.set_reference(None)
        self.sessions.mark_dirty()

    @Slot()
    def _on_reference_changed(self: MainWindow) -> None:
        ref = self.session.reference
        self.reference_view.setVisible(ref is not None)
        if ref is not None:
            symbol, number = api.space_group(ref.crystal, symprec=self.session.candidates.symprec)
            self.reference_view.set_crystal(
                ref.crystal,
                f"<b>Reference</b> {ref.crystal.formula()} · {symbol} ({number}) · "
                f"{Path(ref.path).name}",
            )
        else:
            self.reference_view.set_crystal(None, "Reference")
        self._update_reference_label()

    def _update_reference_label(self: MainWindow) -> None:
        ref = self.session.reference
        tol = ", ".join(f"{k}={v:g}" for k, v in api.MATCHER_TOLERANCES.items())
        if ref is None:
            text = "No reference loaded (Ctrl+R or drop a CIF/POSCAR) — match and RMSE stay empty."
        else:
            text = (
                f"Reference <b>{Path(ref.path).name or ref.crystal.formula()}</b>: "
                f"matched with StructureMatcher({tol}); RMSE normalised by (V/N)<sup>1/3</sup>"
            )
            tc = self.tc.reference_tc
            if tc is not None:
                text += (
                    f" · predicted T<sub>c</sub> ≈ {tc.tc:.3g} K "
                    f"({tc.tc_low:.3g}–{tc.tc_high:.3g} K, T<sub>c</sub> tab)"
                )
        self.reference_label.setText(text)

    @Slot()
    def import_structures_dialog(self: MainWindow) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Import structures", "", STRUCTURE_FILTER)
        if paths:
            self.import_structures(paths)

    def import_structures(self: MainWindow, paths: Sequence[str | Path]) -> list[int]:
        """Add every structure of the files as candidates; returns the new uids."""
        c = self.session.candidates
        records: list[CandidateRecord] = []
        for path in paths:
            try:
                crystals = api.read_structures(path)
            except (api.DaoError, OSError) as exc:
                self.errors.report(exc, f"Importing '{Path(path).name}'")
                continue
            records += [c.new_record(x, Path(path).name) for x in crystals]
        c.add(records)
        self.matcher.match(records)
        return [r.uid for r in records]

    # --- export -----------------------------------------------------------------------------
    def _export_choice(self: MainWindow, count: int) -> ExportChoice | None:
        dialog = ExportDialog(count, self, ExportChoice(symprec=self.symprec.value()))
        return dialog.choice() if dialog.exec() == ExportDialog.DialogCode.Accepted else None

    @Slot()
    def export_selected_dialog(self: MainWindow) -> None:
        self._export_dialog(self.selected_records())

    @Slot()
    def export_all_dialog(self: MainWindow) -> None:
        self._export_dialog(list(self.session.candidates))

    def _export_dialog(self: MainWindow, records: list[CandidateRecord]) -> None:
        if not records:
            self.statusBar().showMessage("Nothing to export: select candidates first.")
            return
        choice = self._export_choice(len(records))
        if choice is None:
            return
        if len(records) == 1:
            suffix = export.FORMATS[choice.fmt][0]
            target, _ = QFileDialog.getSaveFileName(
                self,
                "Export structure",
                export.safe_name(records[0]) + suffix,
                export.file_filter(choice.fmt),
            )
        else:
            target = QFileDialog.getExistingDirectory(self, "Export structures to folder")
        if target:
            self.export_records(records, choice, target)

    def export_records(
        self: MainWindow,
        records: Sequence[CandidateRecord],
        choice: ExportChoice,
        target: str | Path,
    ) -> list[Path]:
        """One record → the file ``target``; several → files in the folder ``target``."""
        try:
            if len(records) == 1 and not Path(target).is_dir():
                paths = [
                    export.export_one(
                        records[0],
                        target,
                        choice.fmt,
                        choice.symmetrize,
                        choice.symprec,
                        self.session.jobs,
                    )
                ]
            else:
                paths = export.export_many(
                    records,
                    target,
                    choice.fmt,
                    choice.symmetrize,
                    choice.symprec,
                    self.session.jobs,
                )
        except (api.DaoError, OSError) as exc:
            self.errors.report(exc, "Export")
            return []
        self.statusBar().showMessage(f"Exported {len(paths)} file(s) to {Path(paths[0]).parent}")
        return paths

    @Slot()
    def export_view_png_dialog(self: MainWindow) -> None:
        view = self.trajectory.view if self.tabs.currentWidget() is self.trajectory else self.view
        path, _ = QFileDialog.getSaveFileName(
            self, "Save view as PNG", "structure.png", "PNG (*.png)"
        )
        if path:
            try:
                view.export_png(path)
            except (RuntimeError, OSError) as exc:
                self.errors.report(exc, "PNG export")

    # --- drag and drop ------------------------------------------------------------------------
    def dragEnterEvent(self: Any, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self: Any, event: QDropEvent) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_path(paths[0])
            if len(paths) > 1:
                self.import_structures(paths[1:])

    # --- help -----------------------------------------------------------------------------------
    @Slot()
    def show_shortcuts(self: MainWindow) -> None:
        window_actions.show_shortcuts(self)

    def about_text(self: MainWindow) -> str:
        """The About box (rich text), with the known-structure library's attribution."""
        return (
            "<b>DAO Studio</b><br>Crystal structure prediction with DAO-G "
            "(Crysformer + joint diffusion).<br>Structures are matched with pymatgen "
            "StructureMatcher; space groups by spglib. Relax-and-rank relaxes with CHGNet "
            "(or the DAO-P energy).<br><br><small>"
            f"{escape(api.LIBRARY_ATTRIBUTION)}</small>"
        )

    @Slot()
    def show_about(self: MainWindow) -> None:
        QMessageBox.about(self, "About DAO Studio", self.about_text())
