"""The candidate table's selection and the undoable adding and removing of candidate rows."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QItemSelectionModel, QObject, QSortFilterProxyModel, Signal, Slot
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QTableView

from dao_app.commands import AddCandidates, RemoveCandidates
from dao_app.match_controller import MatchController
from dao_app.qt_models.candidates import UID_ROLE, CandidateTableModel
from dao_app.state.candidates import CandidateList, CandidateRecord


class CandidatesController(QObject):
    """Selection of the candidate table and new rows from jobs and relaxations.

    Signals: ``added(list)`` with the uids of rows added by :meth:`add` (jobs, relaxations);
    ``edited()`` whenever it changed the session; ``selection_changed()``.
    """

    added = Signal(list)
    edited = Signal()
    selection_changed = Signal()

    def __init__(
        self,
        candidates: CandidateList,
        table: QTableView,
        proxy: QSortFilterProxyModel,
        model: CandidateTableModel,
        matcher: MatchController,
        undo_stack: QUndoStack,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.candidates = candidates
        self.table, self.proxy, self.model = table, proxy, model
        self.matcher = matcher
        self.undo_stack = undo_stack
        table.selectionModel().selectionChanged.connect(self.selection_changed)
        undo_stack.indexChanged.connect(self._on_undo_index)

    # --- selection -----------------------------------------------------------------------
    def selected_records(self) -> list[CandidateRecord]:
        """Selected candidates in table order."""
        rows = sorted(self.table.selectionModel().selectedRows(), key=lambda i: i.row())
        found = (self.candidates.by_uid(i.data(UID_ROLE)) for i in rows)
        return [r for r in found if r is not None]

    def current(self) -> CandidateRecord | None:
        """The first selected candidate (what the views show), or None."""
        records = self.selected_records()
        return records[0] if records else None

    def select_uids(self, uids: Sequence[int]) -> None:
        """Select these candidates in the table (the first becomes current)."""
        selection = self.table.selectionModel()
        selection.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for uid in uids:
            row = self.candidates.index_of(uid)
            if row >= 0:
                index = self.proxy.mapFromSource(self.model.index(row, 0))
                selection.select(index, flags)
                self.table.scrollTo(index)

    @Slot()
    def select_all(self) -> None:
        """Edit ▸ Select All Candidates."""
        self.table.selectAll()

    # --- editing -------------------------------------------------------------------------
    def add(self, records: list[CandidateRecord], undo_text: str = "") -> None:
        """Add new rows (undoable when ``undo_text`` is given), match them against the
        reference, select the first and announce them through ``added``."""
        if undo_text:
            self.undo_stack.push(AddCandidates(self.candidates, records, undo_text))
        else:
            self.candidates.add(records)
        self.matcher.match(records)
        self.edited.emit()
        self.select_uids([records[0].uid])
        self.added.emit([r.uid for r in records])

    def insert(self, records: list[CandidateRecord]) -> None:
        """Add rows (imports) without selecting or announcing them; they are matched."""
        self.candidates.add(records)
        self.matcher.match(records)

    @Slot()
    def remove_selected(self) -> None:
        """Edit ▸ Remove Selected Candidates (undoable)."""
        uids = [r.uid for r in self.selected_records()]
        if uids:
            self.undo_stack.push(RemoveCandidates(self.candidates, uids))

    @Slot()
    def _on_undo_index(self) -> None:
        """Rows put back by undo or redo are matched against the current reference."""
        self.matcher.match([r for r in self.candidates if r.match is None])
