"""View controls of the main window: display options, dark background, camera, playback."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Slot

from dao_app.scene import SceneOptions
from dao_app.widgets.structure_view import StructureView

if TYPE_CHECKING:
    from dao_app.main_window import MainWindow


class WindowViewMixin:
    """Mixed into :class:`~dao_app.main_window.MainWindow`."""

    @Slot(object)
    def _on_display_options(self: MainWindow, options: SceneOptions) -> None:
        for view in self.all_views():
            view.set_options(options)
        self.polymorphs.set_style(options, self.display.dark.isChecked())

    @Slot(bool)
    def set_dark(self: MainWindow, dark: bool) -> None:
        for view in self.all_views():
            view.set_dark(dark)
        self.trajectory.plot.set_dark(dark)
        self.tc_panel.plot.set_dark(dark)
        self.polymorphs.set_style(self.display.options(), dark)
        self.actions_by_name["toggle_dark"].setChecked(dark)
        if self.display.dark.isChecked() != dark:
            self.display.dark.setChecked(dark)

    @Slot()
    def toggle_dark(self: MainWindow) -> None:
        self.set_dark(not self.display.dark.isChecked())

    @Slot()
    def reset_camera(self: MainWindow) -> None:
        for view in self.all_views():
            view.reset_camera()

    @Slot()
    def toggle_measure(self: MainWindow) -> None:
        """Measure distances/angles in the candidate view (View ▸ Measure, M)."""
        self.tabs.setCurrentIndex(0)
        self.view.measure_button.toggle()

    def clear_measurements(self: MainWindow) -> bool:
        """Esc: clear picked atoms, else switch measuring off; True when a view did either."""
        views = [v for v in self.all_views() if v.measure.active]
        if any(v.measure.clear() for v in views):
            return True
        for view in views:
            view.measure_button.setChecked(False)
        return bool(views)

    @Slot(str)
    def _on_measured(self: MainWindow, text: str) -> None:
        if text:
            self.statusBar().showMessage(text)
        else:
            self.statusBar().clearMessage()

    @Slot()
    def toggle_playback(self: MainWindow) -> None:
        self.trajectory.set_playing(not self.trajectory.timer.isActive())

    def all_views(self: MainWindow) -> list[StructureView]:
        return [self.view, self.reference_view, self.trajectory.view]
