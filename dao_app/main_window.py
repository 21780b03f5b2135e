"""The DAO Studio main window: predict form and jobs (left), candidates table (top), and the
Structure / Polymorphs / Trajectory / T_c tabs (bottom). Files and sessions are in
:mod:`dao_app.window_files`; menus in :mod:`dao_app.window_actions`.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent, QUndoStack
from PySide6.QtWidgets import (
    QDockWidget,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from dao_app import window_actions
from dao_app.candidate_table import make_candidate_table
from dao_app.commands import RemoveCandidates
from dao_app.dialogs.errors import ErrorReporter
from dao_app.match_controller import MatchController
from dao_app.qt_models.candidates import UID_ROLE, CandidateTableModel, sorting_proxy
from dao_app.session_controller import SessionController
from dao_app.settings import AppSettings
from dao_app.state.candidates import CandidateRecord
from dao_app.state.session import Session
from dao_app.widgets.display_options import DisplayOptions
from dao_app.widgets.elided_label import ElidedLabel
from dao_app.widgets.form_scroll import FormScroll
from dao_app.widgets.job_panel import JobPanel
from dao_app.widgets.polymorph_panel import PolymorphPanel
from dao_app.widgets.predict_form import PredictForm
from dao_app.widgets.structure_view import StructureView
from dao_app.widgets.trajectory_panel import TrajectoryPanel
from dao_app.window_analysis import WindowAnalysisMixin
from dao_app.window_files import WindowFilesMixin
from dao_app.window_jobs import WindowJobsMixin
from dao_app.window_rank import WindowRankMixin
from dao_app.window_relax import RelaxTicket, WindowRelaxMixin
from dao_app.window_session import WindowSessionMixin
from dao_app.window_size import default_window_size
from dao_app.window_tc import WindowTcMixin, make_tc_controller
from dao_app.window_view import WindowViewMixin
from dao_app.workers.predict import JobRunner
from dao_app.workers.tasks import TaskRunner
from dao_engine import api


class MainWindow(
    WindowJobsMixin,
    WindowRankMixin,
    WindowRelaxMixin,
    WindowFilesMixin,
    WindowSessionMixin,
    WindowTcMixin,
    WindowViewMixin,
    WindowAnalysisMixin,
    QMainWindow,
):
    """See the module docstring. ``interactive=False`` opens no dialogs (tests)."""

    candidates_added = Signal(list)  # uids of new candidates

    def __init__(self, settings: AppSettings | None = None, interactive: bool = True) -> None:
        super().__init__()
        self.setWindowTitle("DAO Studio")
        self.setAcceptDrops(True)
        self.interactive = interactive
        self.settings = settings or AppSettings()
        self.session = Session()
        self.stale_jobs: set[int] = set()  # jobs of a session that was replaced
        self.errors = ErrorReporter(self, interactive)
        self.undo_stack = QUndoStack(self)
        self.runner = JobRunner(self.session.jobs, self)
        self.model = CandidateTableModel(self.session.candidates, self)
        self.matcher = MatchController(self.session, self.model, self)
        self.tc = make_tc_controller(self.settings, self.model, self)  # T_c column and tab
        self.relax_tasks = TaskRunner(self)  # relaxations, one at a time, off the GUI thread
        self._relax_tickets: dict[str, RelaxTicket] = {}
        self._relax_counter = self._relax_generation = 0
        self._relax_total = self._relax_done = 0
        self.last_ranked = None  # the latest RankedJob (relax-and-rank result) shown
        self.sessions = SessionController(
            self.session, self.settings, self._collect_session, self._apply_session, self
        )
        self._build_widgets()
        self._build_tc()
        self._build_analysis()  # Lattice and XRD tabs
        self.actions_by_name = window_actions.build_menus(self)
        self._connect()
        self._connect_tc()
        self._connect_analysis()
        self.sessions.recent_changed.emit(self.settings.recent_files())
        self.display.set_scheme(str(self.settings.get("scheme", "vesta")))
        if self.settings.get("dark", False):
            self.set_dark(True)
        self.resize(default_window_size())
        self.statusBar().showMessage("Type a composition and press Predict.")

    # --- construction --------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.form = PredictForm()
        self.job_panel = JobPanel(self.runner)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(FormScroll(self.form))  # scrolls in a short window
        left_layout.addWidget(self.form.predict_button)  # below the scroll: always in view
        left_layout.addWidget(self.job_panel, 1)
        dock = QDockWidget("Predict", self, objectName="predict_dock")
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        dock.setWidget(left)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)

        self.display = DisplayOptions()
        toolbar = QToolBar("Display", objectName="display_toolbar")
        toolbar.addWidget(self.display)
        self.addToolBar(toolbar)

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
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(4, 4, 4, 0)
        top_layout.addLayout(bar)
        top_layout.addWidget(self.table, 1)

        self.view = StructureView("Candidate")
        self.reference_view = StructureView(
            "Reference",
            empty_text=(
                "No reference: File ▸ Open Reference… (Ctrl+R) or drop a CIF/POSCAR on the window."
            ),
        )
        views = QSplitter(Qt.Orientation.Horizontal)
        views.addWidget(self.view)
        views.addWidget(self.reference_view)
        self.reference_view.hide()
        self.polymorphs = PolymorphPanel()
        self.trajectory = TrajectoryPanel()
        self.tabs = QTabWidget()
        self.tabs.addTab(views, "Structure")
        self.tabs.addTab(self.polymorphs, "Polymorphs")
        self.tabs.addTab(self.trajectory, "Trajectory")
        split = QSplitter(Qt.Orientation.Vertical, childrenCollapsible=False)
        split.addWidget(top)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 2)  # 2 : 3 at any height: 8 table rows fit a 700-px window
        split.setStretchFactor(1, 3)
        split.setSizes([380, 570])
        self.setCentralWidget(split)
        self.relax_progress = QProgressBar(maximumWidth=180, textVisible=True)
        self.relax_progress.hide()
        self.statusBar().addPermanentWidget(self.relax_progress)
        self._update_reference_label()

    def _connect(self) -> None:
        self.form.predict_requested.connect(self.submit)
        self.runner.job_started.connect(self._on_job_started)
        self.runner.job_progress.connect(self._on_job_progress)
        self.runner.job_sampled.connect(self._on_job_sampled)
        self.runner.job_warning.connect(self._on_job_warning)
        self.runner.job_finished.connect(self._on_job_finished)
        self.runner.job_failed.connect(self._on_job_failed)
        self.runner.job_cancelled.connect(self._on_job_cancelled)
        self.relax_tasks.finished.connect(self._on_relaxed)
        self.relax_tasks.failed.connect(self._on_relax_failed)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.display.options_changed.connect(self._on_display_options)
        for view in self.all_views():
            view.measured.connect(self._on_measured)
        self.display.dark_changed.connect(self.set_dark)
        self.symprec.valueChanged.connect(self._on_symprec)
        self.matcher.reference_changed.connect(self._on_reference_changed)
        self.undo_stack.indexChanged.connect(self._on_undo_index)
        self.sessions.recent_changed.connect(
            lambda paths: window_actions.update_recent_menu(self, paths)
        )
        self.sessions.dirty_changed.connect(self._update_title)
        self.trajectory.export_failed.connect(
            lambda exc: self.errors.report(exc, "Animation export")
        )
        self.trajectory.export_message.connect(self.statusBar().showMessage)
        c = self.session.candidates
        for event in (c.inserted, c.removed, c.reset):
            event.connect(self.sessions.mark_dirty)
            event.connect(self._update_rank_columns)
        self._update_rank_columns()

    # --- selection and views -----------------------------------------------------------------
    def selected_records(self) -> list[CandidateRecord]:
        """Selected candidates in table order."""
        rows = sorted(self.table.selectionModel().selectedRows(), key=lambda i: i.row())
        found = (self.session.candidates.by_uid(i.data(UID_ROLE)) for i in rows)
        return [r for r in found if r is not None]

    def select_uids(self, uids: list[int]) -> None:
        """Select these candidates in the table (the first becomes current)."""
        selection = self.table.selectionModel()
        selection.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for uid in uids:
            row = self.session.candidates.index_of(uid)
            if row >= 0:
                index = self.proxy.mapFromSource(self.model.index(row, 0))
                selection.select(index, flags)
                self.table.scrollTo(index)

    @Slot()
    def _on_selection(self) -> None:
        records = self.selected_records()
        record = records[0] if records else None
        if record is None:
            self.view.set_crystal(None, "Candidate")
            return
        symbol, number = record.space_group
        self.view.set_crystal(
            record.crystal,
            f"<b>#{record.uid}</b> {record.formula} · {symbol} ({number}) · {record.source_text}",
        )
        self._show_trajectory(record)  # its sampling, or why there is none

    @Slot()
    def select_all(self) -> None:
        self.table.selectAll()

    @Slot()
    def remove_selected(self) -> None:
        uids = [r.uid for r in self.selected_records()]
        if uids:
            self.undo_stack.push(RemoveCandidates(self.session.candidates, uids))

    @Slot()
    def _on_undo_index(self) -> None:
        self.matcher.match([r for r in self.session.candidates if r.match is None])

    @Slot()
    def compare_selected(self) -> None:
        records = self.selected_records()
        if len(records) < 2:
            self.statusBar().showMessage("Select two or more candidates to compare.")
            return
        self.polymorphs.set_records(records)
        self.tabs.setCurrentWidget(self.polymorphs)

    @Slot(float)
    def _on_symprec(self, value: float) -> None:
        self.session.candidates.set_symprec(value)
        self._update_reference_label()

    # --- closing ---------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.confirm_discard():
            event.ignore()
            return
        if not self.sessions.dirty or self.interactive:  # saved or knowingly discarded
            self.sessions.discard_autosave()
        self.sessions.timer.stop()
        self.trajectory.set_playing(False)
        self.runner.shutdown()
        self.matcher.shutdown()
        self.tc.shutdown()
        self.relax_tasks.wait(120000)
        self.form.shutdown()
        self.xrd_patterns.shutdown()
        self.polymorphs.close_view()
        for view in self.all_views():
            view.close_view()
        self.settings.set("scheme", self.display.scheme.currentData())
        self.settings.set("dark", self.display.dark.isChecked())
        self.settings.sync()
        super().closeEvent(event)

