"""Undoable edits of the candidate list (QUndoStack commands)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QUndoCommand

from dao_app.state.candidates import CandidateList, CandidateRecord


class RemoveCandidates(QUndoCommand):
    """Remove candidates by uid; undo puts them back at their rows with all their data."""

    def __init__(self, candidates: CandidateList, uids: Iterable[int]) -> None:
        self.uids = sorted(set(uids))
        n = len(self.uids)
        super().__init__(f"Remove {n} candidate{'s' if n != 1 else ''}")
        self.candidates = candidates
        self.removed: list[tuple[int, CandidateRecord]] = []

    def redo(self) -> None:
        self.removed = self.candidates.remove_uids(self.uids)

    def undo(self) -> None:
        for _row, record in self.removed:
            record.match = (
                None  # the reference may have changed meanwhile; recomputed by the window
            )
        self.candidates.restore(self.removed)
        self.removed = []


class AddCandidates(QUndoCommand):
    """Add new candidate records (e.g. relaxed structures); undo removes them again."""

    def __init__(self, candidates: CandidateList, records: list[CandidateRecord], text: str):
        super().__init__(text)
        self.candidates = candidates
        self.records = list(records)
        self.removed: list[tuple[int, CandidateRecord]] = []
        self._added = False

    def redo(self) -> None:
        if not self._added:
            self.candidates.add(self.records)
            self._added = True
        else:
            for _row, record in self.removed:
                record.match = None  # recomputed by the window against the current reference
            self.candidates.restore(self.removed)
            self.removed = []

    def undo(self) -> None:
        self.removed = self.candidates.remove_uids(r.uid for r in self.records)
