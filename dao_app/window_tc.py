"""T_c in the main window: the T_c tab, the Predict ▸ Predict T_c toggle and the model choice.

Settings: ``predict_tc`` (bool; on by default when the T_c model file exists) and ``tc_model``
(a path; "" means the shipped ``dao-tc-ensemble-cpu.pt`` or ``$DAO_TC_MODEL``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFileDialog

from dao_app.qt_models.candidates import CandidateTableModel
from dao_app.settings import AppSettings
from dao_app.tc_controller import TcController
from dao_app.widgets.tc_panel import TcPanel
from dao_engine import api

if TYPE_CHECKING:
    from dao_app.main_window import MainWindow

TC_MODEL_FILTER = "T_c ensembles (*.pt);;All files (*)"


def make_tc_controller(
    settings: AppSettings, model: CandidateTableModel, window: MainWindow
) -> TcController:
    """The window's T_c controller, configured from the user's settings."""
    path = str(settings.get("tc_model", "") or "")
    file = Path(path) if path else api.default_tc_model_path()
    enabled = bool(settings.get("predict_tc", file.is_file()))
    return TcController(window.session.candidates, model, enabled, path, window)


class WindowTcMixin:
    """Mixed into :class:`~dao_app.main_window.MainWindow`; uses ``self.tc``."""

    def _build_tc(self: MainWindow) -> None:
        self.tc_panel = TcPanel()
        self.tabs.addTab(self.tc_panel, "Tc")
        self._tc_chosen_by_user = False  # report a broken file in a dialog only when chosen

    def _connect_tc(self: MainWindow) -> None:
        action = self.actions_by_name["toggle_tc"]
        action.setCheckable(True)
        action.setChecked(self.tc.status.enabled)
        self.tc.updated.connect(self._refresh_tc_panel)
        self.tc.problem_found.connect(self._on_tc_problem)
        self.tc.reference_tc_changed.connect(self._on_reference_tc)
        self.table.selectionModel().selectionChanged.connect(self._refresh_tc_panel)
        self.matcher.reference_changed.connect(self._on_reference_for_tc)

    @Slot()
    def _refresh_tc_panel(self: MainWindow) -> None:
        self.tc_panel.show_tc(self.selected_records(), self.tc.reference_tc, self.tc.status)

    @Slot()
    def _on_reference_for_tc(self: MainWindow) -> None:
        ref = self.session.reference
        self.tc.set_reference(ref.crystal if ref else None)

    @Slot()
    def _on_reference_tc(self: MainWindow) -> None:
        self._update_reference_label()
        self._refresh_tc_panel()

    @Slot(str)
    def _on_tc_problem(self: MainWindow, message: str) -> None:
        """One message per model, not one per candidate; the column says "—" and why."""
        self.statusBar().showMessage(f"T_c not predicted: {message}")
        if self._tc_chosen_by_user:
            self.errors.report(api.CheckpointError(message), "Loading the T_c model")
        self._refresh_tc_panel()

    @Slot()
    def toggle_tc(self: MainWindow) -> None:
        self.set_tc_enabled(self.actions_by_name["toggle_tc"].isChecked())

    def set_tc_enabled(self: MainWindow, enabled: bool) -> None:
        """Predict ▸ Predict T_c (saved in the settings)."""
        self.actions_by_name["toggle_tc"].setChecked(enabled)
        self.settings.set("predict_tc", enabled)
        self._tc_chosen_by_user = False
        self.tc.set_enabled(enabled)
        self._refresh_tc_panel()
        state = "on" if enabled else "off"
        self.statusBar().showMessage(f"T_c prediction {state} ({self.tc.path.name})")

    @Slot()
    def choose_tc_model_dialog(self: MainWindow) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a T_c model", "", TC_MODEL_FILTER)
        if path:
            self.set_tc_model(path)

    @Slot()
    def use_default_tc_model(self: MainWindow) -> None:
        self.set_tc_model("")

    def set_tc_model(self: MainWindow, path: str | Path) -> None:
        """Use another T_c ensemble ("" = shipped); switches T_c prediction on."""
        path = str(path)
        self.settings.set("tc_model", path)
        self._tc_chosen_by_user = bool(path)
        self.actions_by_name["toggle_tc"].setChecked(True)
        self.settings.set("predict_tc", True)
        self.tc.status.enabled = True
        self.tc.set_model_path(path)
        self._refresh_tc_panel()
        self.statusBar().showMessage(f"T_c model: {self.tc.path}")
