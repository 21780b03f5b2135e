"""T_c in the window: the T_c tab, the Predict ▸ Predict T_c toggle and the model choice.

Settings: ``predict_tc`` (bool; on by default when the T_c model file exists) and ``tc_model``
(a path; "" means the shipped ``dao-tc-ensemble-cpu.pt`` or ``$DAO_TC_MODEL``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QWidget

from dao_app.controllers.candidates import CandidatesController
from dao_app.dialogs.errors import ErrorReporter
from dao_app.match_controller import MatchController
from dao_app.qt_models.candidates import CandidateTableModel
from dao_app.settings import AppSettings
from dao_app.state.candidates import CandidateList
from dao_app.tc_controller import TcController
from dao_app.widgets.tc_panel import TcPanel
from dao_engine import api

TC_MODEL_FILTER = "T_c ensembles (*.pt);;All files (*)"


def make_tc_controller(
    settings: AppSettings,
    candidates: CandidateList,
    model: CandidateTableModel,
    parent: QObject | None = None,
) -> TcController:
    """The window's T_c controller, configured from the user's settings."""
    path = str(settings.get("tc_model", "") or "")
    file = Path(path) if path else api.default_tc_model_path()
    enabled = bool(settings.get("predict_tc", file.is_file()))
    return TcController(candidates, model, enabled, path, parent)


class TcTabController(QObject):
    """Keeps the T_c tab on the selection and applies the user's T_c choices to ``tc``.

    Signal: ``enabled_changed(bool)`` when T_c prediction is switched on or off (the menu's
    check mark follows it).
    """

    enabled_changed = Signal(bool)

    def __init__(
        self,
        tc: TcController,
        panel: TcPanel,
        settings: AppSettings,
        candidates: CandidatesController,
        matcher: MatchController,
        errors: ErrorReporter,
        show_message: Callable[[str], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.tc, self.panel, self.settings = tc, panel, settings
        self.candidates, self.matcher = candidates, matcher
        self.errors, self.show_message = errors, show_message
        self._dialog_parent = parent
        self._chosen_by_user = False  # report a broken file in a dialog only when chosen
        tc.updated.connect(self.refresh_panel)
        tc.problem_found.connect(self._on_problem)
        tc.reference_tc_changed.connect(self.refresh_panel)
        candidates.selection_changed.connect(self.refresh_panel)
        matcher.reference_changed.connect(self._on_reference)

    @Slot()
    def refresh_panel(self) -> None:
        """The T_c tab for the selected candidates and the reference."""
        self.panel.show_tc(self.candidates.selected_records(), self.tc.reference_tc, self.tc.status)

    @Slot()
    def _on_reference(self) -> None:
        ref = self.matcher.session.reference
        self.tc.set_reference(ref.crystal if ref else None)

    @Slot(str)
    def _on_problem(self, message: str) -> None:
        """One message per model, not one per candidate; the column says "—" and why."""
        self.show_message(f"T_c not predicted: {message}")
        if self._chosen_by_user:
            self.errors.report(api.CheckpointError(message), "Loading the T_c model")
        self.refresh_panel()

    @Slot(bool)
    def set_tc_enabled(self, enabled: bool) -> None:
        """Predict ▸ Predict T_c (saved in the settings)."""
        self.enabled_changed.emit(enabled)
        self.settings.set("predict_tc", enabled)
        self._chosen_by_user = False
        self.tc.set_enabled(enabled)
        self.refresh_panel()
        state = "on" if enabled else "off"
        self.show_message(f"T_c prediction {state} ({self.tc.path.name})")

    @Slot()
    def choose_tc_model_dialog(self) -> None:
        """Predict ▸ Choose T_c Model…"""
        path, _ = QFileDialog.getOpenFileName(
            self._dialog_parent, "Choose a T_c model", "", TC_MODEL_FILTER
        )
        if path:
            self.set_tc_model(path)

    @Slot()
    def use_default_tc_model(self) -> None:
        """Predict ▸ Use Shipped T_c Model."""
        self.set_tc_model("")

    def set_tc_model(self, path: str | Path) -> None:
        """Use another T_c ensemble ("" = shipped); switches T_c prediction on."""
        path = str(path)
        self.settings.set("tc_model", path)
        self._chosen_by_user = bool(path)
        self.enabled_changed.emit(True)
        self.settings.set("predict_tc", True)
        self.tc.status.enabled = True
        self.tc.set_model_path(path)
        self.refresh_panel()
        self.show_message(f"T_c model: {self.tc.path}")
