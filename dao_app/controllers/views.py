"""The 3-D views and what they show: the selected candidate (and its sampling trajectory),
display options, dark background, camera, measuring, playback and the polymorph comparison."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QTabWidget

from dao_app.controllers.candidates import CandidatesController
from dao_app.scene import SceneOptions
from dao_app.state.candidates import CandidateRecord
from dao_app.state.jobs import JobList
from dao_app.widgets.display_options import DisplayOptions
from dao_app.widgets.plot_canvas import PlotCanvas
from dao_app.widgets.polymorph_panel import PolymorphPanel
from dao_app.widgets.structure_view import StructureView
from dao_app.widgets.trajectory_panel import TrajectoryPanel, no_trajectory_reason


class ViewsController(QObject):
    """``view`` shows the selected candidate; ``reference_view`` and the trajectory's view
    follow the same display options. ``plots`` follow the dark background.

    Signal: ``dark_changed(bool)`` after the background changed (the menu's check mark).
    """

    dark_changed = Signal(bool)

    def __init__(
        self,
        display: DisplayOptions,
        view: StructureView,
        reference_view: StructureView,
        trajectory: TrajectoryPanel,
        polymorphs: PolymorphPanel,
        tabs: QTabWidget,
        plots: Sequence[PlotCanvas],
        candidates: CandidatesController,
        jobs: JobList,
        show_message: Callable[[str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.display, self.view, self.reference_view = display, view, reference_view
        self.trajectory, self.polymorphs, self.tabs = trajectory, polymorphs, tabs
        self.plots = list(plots)
        self.candidates, self.jobs = candidates, jobs
        self.show_message = show_message
        candidates.selection_changed.connect(self._on_selection)
        display.options_changed.connect(self._on_display_options)
        display.dark_changed.connect(self.set_dark)
        for v in self.all_views():
            v.measured.connect(self._on_measured)

    def all_views(self) -> list[StructureView]:
        """Every 3-D structure view of the window."""
        return [self.view, self.reference_view, self.trajectory.view]

    def current_view(self) -> StructureView:
        """The view File ▸ Save 3-D View saves: the trajectory's on its tab, else the candidate."""
        on_trajectory = self.tabs.currentWidget() is self.trajectory
        return self.trajectory.view if on_trajectory else self.view

    # --- the selection -------------------------------------------------------------------
    @Slot()
    def _on_selection(self) -> None:
        record = self.candidates.current()
        if record is None:
            self.view.set_crystal(None, "Candidate")
            return
        symbol, number = record.space_group
        self.view.set_crystal(
            record.crystal,
            f"<b>#{record.uid}</b> {record.formula} · {symbol} ({number}) · {record.source_text}",
        )
        self._show_trajectory(record)  # its sampling, or why there is none

    def _show_trajectory(self, record: CandidateRecord) -> None:
        """The Trajectory tab for the selected candidate: its job's sampling, or why there is
        none (relaxed copy, library structure, imported file)."""
        output = self.jobs.outputs.get(record.job_id) if record.job_id else None
        if record.ranking is not None and record.shot is None:
            output = None  # a library structure has no sampling trajectory
        if output is None:
            self.trajectory.show_shot(None, 1, no_trajectory_reason(record))
        elif output is not self.trajectory.output or (record.shot or 1) != self.trajectory.shot:
            self.trajectory.show_shot(output, record.shot or 1)

    @Slot()
    def compare_selected(self) -> None:
        """View ▸ Compare Selected: the Polymorphs tab for two or more candidates."""
        records = self.candidates.selected_records()
        if len(records) < 2:
            self.show_message("Select two or more candidates to compare.")
            return
        self.polymorphs.set_records(records)
        self.tabs.setCurrentWidget(self.polymorphs)

    @Slot()
    def clear_session_views(self) -> None:
        """A new session: no trajectory, no comparison."""
        self.trajectory.show_shot(None)
        self.polymorphs.set_records([])

    # --- display -------------------------------------------------------------------------
    @Slot(object)
    def _on_display_options(self, options: SceneOptions) -> None:
        for v in self.all_views():
            v.set_options(options)
        self.polymorphs.set_style(options, self.display.dark.isChecked())

    @Slot(bool)
    def set_dark(self, dark: bool) -> None:
        """Dark or light background in every view and plot."""
        for v in self.all_views():
            v.set_dark(dark)
        for plot in self.plots:
            plot.set_dark(dark)
        self.polymorphs.set_style(self.display.options(), dark)
        self.dark_changed.emit(dark)
        if self.display.dark.isChecked() != dark:
            self.display.dark.setChecked(dark)

    @Slot()
    def toggle_dark(self) -> None:
        """View ▸ Dark Background."""
        self.set_dark(not self.display.dark.isChecked())

    @Slot()
    def reset_camera(self) -> None:
        """View ▸ Reset Camera."""
        for v in self.all_views():
            v.reset_camera()

    @Slot()
    def toggle_playback(self) -> None:
        """View ▸ Play / Pause Trajectory."""
        self.trajectory.set_playing(not self.trajectory.timer.isActive())

    # --- measuring -----------------------------------------------------------------------
    @Slot()
    def toggle_measure(self) -> None:
        """Measure distances/angles in the candidate view (View ▸ Measure, M)."""
        self.tabs.setCurrentIndex(0)
        self.view.measure_button.toggle()

    def clear_measurements(self) -> bool:
        """Esc: clear picked atoms, else switch measuring off; True when a view did either."""
        views = [v for v in self.all_views() if v.measure.active]
        if any(v.measure.clear() for v in views):
            return True
        for v in views:
            v.measure_button.setChecked(False)
        return bool(views)

    @Slot(str)
    def _on_measured(self, text: str) -> None:
        self.show_message(text)  # "" clears the message
