"""The DAO Studio main window: predict form and jobs (left), candidates table (top), and the
Structure / Polymorphs / Trajectory / T_c / Lattice / XRD tabs (bottom).

The window builds the widgets and the controllers of :mod:`dao_app.controllers` (each owns one
concern and is given only what it needs), wires them together and builds the menus
(:mod:`dao_app.menus`). ``interactive=False`` opens no dialogs (tests, scripts).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QUndoStack
from PySide6.QtWidgets import (
    QDockWidget,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from dao_app import menus
from dao_app.candidate_table import make_candidate_table
from dao_app.controllers.analysis import AnalysisController
from dao_app.controllers.candidates import CandidatesController
from dao_app.controllers.files import FilesController
from dao_app.controllers.jobs import JobsController
from dao_app.controllers.ranking import RankController
from dao_app.controllers.reference import REFERENCE_EMPTY, ReferenceController
from dao_app.controllers.relax import RelaxController
from dao_app.controllers.session_files import SessionFilesController
from dao_app.controllers.tc_tab import TcTabController, make_tc_controller
from dao_app.controllers.views import ViewsController
from dao_app.dialogs.errors import ErrorReporter
from dao_app.match_controller import MatchController
from dao_app.qt_models.candidates import CandidateTableModel, sorting_proxy
from dao_app.settings import AppSettings
from dao_app.state.session import Session
from dao_app.widgets.display_options import DisplayOptions
from dao_app.widgets.elided_label import ElidedLabel
from dao_app.widgets.form_scroll import FormScroll
from dao_app.widgets.job_panel import JobPanel
from dao_app.widgets.lattice_panel import LatticePanel
from dao_app.widgets.polymorph_panel import PolymorphPanel
from dao_app.widgets.predict_form import PredictForm
from dao_app.widgets.structure_view import StructureView
from dao_app.widgets.tc_panel import TcPanel
from dao_app.widgets.trajectory_panel import TrajectoryPanel
from dao_app.widgets.xrd_plot import XrdPlot
from dao_app.window_size import default_window_size
from dao_app.workers.predict import JobRunner
from dao_app.workers.tasks import TaskRunner
from dao_app.xrd_controller import XrdController
from dao_engine import api


class MainWindow(QMainWindow):
    """See the module docstring."""

    candidates_added = Signal(list)  # uids of new candidates (jobs, relaxations)

    def __init__(self, settings: AppSettings | None = None, interactive: bool = True) -> None:
        super().__init__()
        self.setWindowTitle("DAO Studio")
        self.setAcceptDrops(True)
        self.interactive = interactive
        self.settings = settings or AppSettings()
        self.session = Session()
        self.errors = ErrorReporter(self, interactive)
        self.undo_stack = QUndoStack(self)
        self.runner = JobRunner(self.session.jobs, self)
        self.relax_tasks = TaskRunner(self)  # relaxations, one at a time, off the GUI thread
        self.model = CandidateTableModel(self.session.candidates, self)
        self.matcher = MatchController(self.session, self.model, self)
        self.tc = make_tc_controller(self.settings, self.session.candidates, self.model, self)
        self.xrd_patterns = XrdController(self)  # pymatgen's XRDCalculator off the GUI thread
        self._build_left()
        self._build_top()
        self._build_tabs()
        self._build_status_bar()
        self._build_controllers()
        self._build_menus()
        self._connect()
        self.sessions.recent_changed.emit(self.settings.recent_files())
        self.display.set_scheme(str(self.settings.get("scheme", "vesta")))
        if self.settings.get("dark", False):
            self.views.set_dark(True)
        self.resize(default_window_size())
        self.statusBar().showMessage("Type a composition and press Predict.")

    # --- widgets -------------------------------------------------------------------------
    def _build_left(self) -> None:
        """The Predict dock: the form (scrolling in a short window), Predict, the jobs."""
        self.form = PredictForm()
        self.job_panel = JobPanel(self.runner)
        left = QWidget()
        layout = QVBoxLayout(left)
        layout.addWidget(FormScroll(self.form))
        layout.addWidget(self.form.predict_button)  # below the scroll: always in view
        layout.addWidget(self.job_panel, 1)
        dock = QDockWidget("Predict", self, objectName="predict_dock")
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        dock.setWidget(left)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.display = DisplayOptions()
        toolbar = QToolBar("Display", objectName="display_toolbar")
        toolbar.addWidget(self.display)
        self.addToolBar(toolbar)

    def _build_top(self) -> None:
        """The reference line, the symmetry tolerance and the candidate table."""
        self.proxy = sorting_proxy(self.model, self)
        self.table = make_candidate_table(self.proxy)  # key columns first, capped widths
        self.reference_label = ElidedLabel()  # one line; the whole text in its tooltip
        self.symprec = QDoubleSpinBox(
            minimum=0.001,
            maximum=1.0,
            singleStep=0.01,
            decimals=3,
            value=api.DEFAULT_SYMPREC,
            suffix=" Å",
            keyboardTracking=False,
        )
        self.symprec.setToolTip("Space-group tolerance (spglib symprec)")
        bar = QHBoxLayout()
        bar.addWidget(self.reference_label, 1)
        bar.addWidget(QLabel("Symmetry tolerance"))
        bar.addWidget(self.symprec)
        self._top = QWidget()
        layout = QVBoxLayout(self._top)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)

    def _build_tabs(self) -> None:
        """The tabs below the table, and the splitter that shares the height with it."""
        self.view = StructureView("Candidate")
        self.reference_view = StructureView("Reference", empty_text=REFERENCE_EMPTY)
        views = QSplitter(Qt.Orientation.Horizontal)
        views.addWidget(self.view)
        views.addWidget(self.reference_view)
        self.reference_view.hide()
        self.polymorphs = PolymorphPanel()
        self.trajectory = TrajectoryPanel()
        self.tc_panel = TcPanel()
        self.lattice_panel = LatticePanel()
        self.xrd = XrdPlot()
        self.tabs = QTabWidget()
        for widget, title in (
            (views, "Structure"),
            (self.polymorphs, "Polymorphs"),
            (self.trajectory, "Trajectory"),
            (self.tc_panel, "Tc"),
            (self.lattice_panel, "Lattice"),
            (self.xrd, "XRD"),
        ):
            self.tabs.addTab(widget, title)
        split = QSplitter(Qt.Orientation.Vertical, childrenCollapsible=False)
        split.addWidget(self._top)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 2)  # 2 : 3 at any height: 8 table rows fit a 700-px window
        split.setStretchFactor(1, 3)
        split.setSizes([380, 570])
        self.setCentralWidget(split)

    def _build_status_bar(self) -> None:
        """The relaxations' progress bar and Cancel button (shown while they run)."""
        self.relax_progress = QProgressBar(maximumWidth=180, textVisible=True)
        self.relax_progress.hide()
        self.relax_cancel = QPushButton("Cancel", toolTip="Stop the relaxations (Esc)")
        self.relax_cancel.hide()
        self.statusBar().addPermanentWidget(self.relax_progress)
        self.statusBar().addPermanentWidget(self.relax_cancel)

    # --- controllers ---------------------------------------------------------------------
    def _build_controllers(self) -> None:
        """The controllers, in the order their slots should run on shared signals."""
        s, errors, say = self.session, self.errors, self.statusBar().showMessage
        self.candidates = CandidatesController(
            s.candidates, self.table, self.proxy, self.model, self.matcher, self.undo_stack, self
        )
        plots = [self.trajectory.plot, self.tc_panel.plot]
        self.views = ViewsController(
            self.display, self.view, self.reference_view, self.trajectory, self.polymorphs,
            self.tabs, plots, self.candidates, s.jobs, say, self,
        )  # fmt: skip
        self.relax = RelaxController(
            self.relax_tasks, self.form, self.candidates, self.relax_progress, self.relax_cancel,
            errors, say, self,
        )  # fmt: skip
        self.jobs = JobsController(
            self.runner, s.jobs, self.form, self.job_panel, self.view, self.candidates, errors,
            say, self.views.clear_measurements, self.relax.cancel_relaxations, self,
        )  # fmt: skip
        self.ranking = RankController(self.runner, s.jobs, self.candidates, self.table, say, self)
        self.reference = ReferenceController(
            s, self.settings, self.matcher, self.tc, self.reference_view, self.reference_label,
            self.symprec, errors, self,
        )  # fmt: skip
        self.tc_tab = TcTabController(
            self.tc, self.tc_panel, self.settings, self.candidates, self.matcher, errors, say, self
        )
        self.analysis = AnalysisController(
            self.tabs, self.lattice_panel, self.xrd, self.xrd_patterns, self.candidates,
            self.matcher, self.symprec, self.display, errors, self,
        )  # fmt: skip
        self.files = FilesController(
            self.candidates, s.jobs, self.table, self.symprec, self.views.current_view, errors,
            say, self,
        )  # fmt: skip
        self.session_files = SessionFilesController(
            s, self.settings, self.form, self.symprec, self.matcher, self.candidates.select_uids,
            self.reference.open_reference, errors, say, self, self.interactive,
        )  # fmt: skip
        self.sessions = self.session_files.store

    def _build_menus(self) -> None:
        targets = menus.MenuTargets(
            self, self.session_files, self.reference, self.files, self.candidates, self.jobs,
            self.relax, self.tc_tab, self.views,
        )  # fmt: skip
        built = menus.build_menus(
            self.menuBar(), menus.menu_entries(targets), self.undo_stack, self
        )
        self.actions_by_name = built.actions
        self.recent_menu = menus.RecentMenu(
            built.recent, self.session_files.open_path, self.session_files.clear_recent
        )
        self.actions_by_name["toggle_tc"].setChecked(self.tc.status.enabled)

    def _connect(self) -> None:
        """What one controller tells another, and what marks the session unsaved."""
        actions = self.actions_by_name
        self.views.dark_changed.connect(actions["toggle_dark"].setChecked)
        self.tc_tab.enabled_changed.connect(actions["toggle_tc"].setChecked)
        self.jobs.ranked_finished.connect(self.ranking.add_ranked)
        self.candidates.added.connect(self.candidates_added)
        for replaced in (
            self.jobs.forget_running,
            self.relax.drop_running,
            self.undo_stack.clear,
            self.views.clear_session_views,
        ):
            self.session_files.replacing.connect(replaced)
        self.reference.recent_changed.connect(self.sessions.recent_changed)
        self.sessions.recent_changed.connect(self.recent_menu.update)
        c = self.session.candidates
        for edited in (self.candidates.edited, self.reference.edited, c.inserted, c.removed,
                       c.reset):  # fmt: skip
            edited.connect(self.sessions.mark_dirty)
        self.trajectory.export_failed.connect(
            lambda exc: self.errors.report(exc, "Animation export")
        )
        self.trajectory.export_message.connect(self.statusBar().showMessage)

    # --- scripting -----------------------------------------------------------------------
    def select_uids(self, uids: Sequence[int]) -> None:
        """Select these candidates in the table (see :class:`CandidatesController`)."""
        self.candidates.select_uids(uids)

    def import_structures(self, paths: Sequence[str | Path]) -> list[int]:
        """Add every structure of the files as candidates; returns the new uids."""
        return self.files.import_structures(paths)

    # --- drag and drop -------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        """Files may be dropped on the window."""
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        """The first file opens (session or reference); further ones are imported."""
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.session_files.open_path(paths[0])
            if len(paths) > 1:
                self.files.import_structures(paths[1:])

    # --- closing -------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Ask about unsaved changes, stop every background thread, keep the display settings."""
        if not self.session_files.confirm_discard():
            event.ignore()
            return
        if not self.sessions.dirty or self.interactive:  # saved or knowingly discarded
            self.sessions.discard_autosave()
        self.sessions.timer.stop()
        self.trajectory.set_playing(False)
        self.runner.shutdown()
        self.matcher.shutdown()
        self.tc.shutdown()
        self.relax.shutdown()
        self.form.shutdown()
        self.xrd_patterns.shutdown()
        self.polymorphs.close_view()
        for view in self.views.all_views():
            view.close_view()
        self.settings.set("scheme", self.display.scheme.currentData())
        self.settings.set("dark", self.display.dark.isChecked())
        self.settings.sync()
        super().closeEvent(event)
