"""The Lattice and XRD tabs.

Both tabs follow the table's selection and are computed only while visible (switching to a tab
brings it up to date). Powder patterns are computed off the GUI thread and cached by
:class:`~dao_app.xrd_controller.XrdController`; a click never waits for pymatgen.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QDoubleSpinBox, QTabWidget

from dao_app.controllers.candidates import CandidatesController
from dao_app.dialogs.errors import ErrorReporter
from dao_app.match_controller import MatchController
from dao_app.widgets.display_options import DisplayOptions
from dao_app.widgets.lattice_panel import LatticePanel
from dao_app.widgets.xrd_plot import XrdPlot
from dao_app.xrd_controller import XrdController


class AnalysisController(QObject):
    """Keeps ``lattice_panel`` and ``xrd`` (tabs of ``tabs``) on the selected candidate."""

    def __init__(
        self,
        tabs: QTabWidget,
        lattice_panel: LatticePanel,
        xrd: XrdPlot,
        patterns: XrdController,
        candidates: CandidatesController,
        matcher: MatchController,
        symprec: QDoubleSpinBox,
        display: DisplayOptions,
        errors: ErrorReporter,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.tabs, self.lattice_panel, self.xrd, self.patterns = tabs, lattice_panel, xrd, patterns
        self.candidates, self.session, self.symprec = candidates, matcher.session, symprec
        self.errors = errors
        self._shown: dict[str, object] = {}  # tab → what it shows (uid, reference)
        candidates.selection_changed.connect(self.refresh)
        tabs.currentChanged.connect(self.refresh)
        matcher.reference_changed.connect(self.refresh)
        symprec.valueChanged.connect(self.refresh)
        display.dark_changed.connect(xrd.set_dark)
        patterns.ready.connect(self._on_ready)
        patterns.computing.connect(xrd.set_pending)
        patterns.failed.connect(self._on_failed)
        self.session.candidates.removed.connect(self._forget_patterns)
        self.session.candidates.reset.connect(self._forget_all_patterns)

    def _forget_all_patterns(self) -> None:
        """A new session: forget what the tabs show (cached patterns are keyed by crystal)."""
        self._forget_patterns()
        self._shown.clear()
        self.refresh()

    def _forget_patterns(self) -> None:
        self.patterns.forget({r.uid for r in self.session.candidates})

    @Slot()
    def refresh(self) -> None:
        """Update the visible analysis tab when what it shows changed."""
        current = self.tabs.currentWidget()
        record = self.candidates.current()
        uid = record.uid if record is not None else None
        if current is self.lattice_panel:
            key = (uid, self.symprec.value())
            if self._shown.get("lattice") != key:
                self._shown["lattice"] = key
                title = "" if record is None else f"<b>#{record.uid}</b> {record.formula}"
                self.lattice_panel.show_crystal(
                    record.crystal if record else None, title, self.symprec.value()
                )
        elif current is self.xrd:
            ref = self.session.reference
            key = (uid, id(ref))
            if self._shown.get("xrd") != key:
                self._shown["xrd"] = key
                self.patterns.request(record, ref)  # answers now, or soon via ready

    @Slot(object, object)
    def _on_ready(self, candidate: object, reference: object) -> None:
        self.xrd.set_patterns(candidate, reference)  # type: ignore[arg-type]

    @Slot(object)
    def _on_failed(self, exc: object) -> None:
        self._shown.pop("xrd", None)  # a later visit tries again
        self.xrd.set_patterns(None)
        self.errors.report(exc, "Powder pattern")  # type: ignore[arg-type]
