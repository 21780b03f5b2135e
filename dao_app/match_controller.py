"""The reference structure and every candidate's match/RMSE against it, computed off-thread."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from dao_app.qt_models.candidates import CandidateTableModel
from dao_app.state.candidates import CandidateRecord
from dao_app.state.session import Reference, Session
from dao_app.workers.tasks import TaskRunner
from dao_engine import api


def _match_all(
    pairs: list[tuple[int, api.Crystal]], reference: api.Crystal
) -> dict[int, api.MatchResult]:
    return {uid: api.match(crystal, reference) for uid, crystal in pairs}


class MatchController(QObject):
    """Sets the session's reference and keeps the candidates' match columns up to date.

    Signals: ``reference_changed()``; ``matches_updated()`` each time results land.
    """

    reference_changed = Signal()
    matches_updated = Signal()

    def __init__(
        self, session: Session, model: CandidateTableModel, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.model = model
        self.tasks = TaskRunner(self)
        self.tasks.finished.connect(self._on_matched)
        self.tasks.failed.connect(self._on_failed)
        self._generation = 0

    @property
    def busy(self) -> bool:
        return self.tasks.pending > 0

    def load_reference(self, path: str | Path) -> api.Crystal:
        """Read a CIF/POSCAR/XYZ file as the reference; raises the engine's StructureParseError."""
        crystal = api.read_structure(path)
        self.set_reference(crystal, str(path))
        return crystal

    def set_reference(self, crystal: api.Crystal | None, path: str = "") -> None:
        """Use ``crystal`` as the reference (None removes it) and recompute all matches."""
        self._generation += 1
        self.session.reference = None if crystal is None else Reference(crystal, path)
        self.session.candidates.clear_matches()
        self.reference_changed.emit()
        if crystal is not None:
            self.match(list(self.session.candidates))

    def match(self, records: Sequence[CandidateRecord]) -> None:
        """Compare ``records`` with the reference in the background (no-op without one)."""
        ref = self.session.reference
        if ref is None or not records:
            return
        pairs = [(r.uid, r.crystal) for r in records]
        self.model.set_matching(True)
        self.tasks.start(str(self._generation), _match_all, pairs, ref.crystal)

    @Slot(str, object)
    def _on_matched(self, key: str, results: object) -> None:
        if key == str(self._generation):
            self.session.candidates.set_matches(results)  # type: ignore[arg-type]
        self._settle()

    @Slot(str, object)
    def _on_failed(self, key: str, exc: object) -> None:
        if key == str(self._generation):
            failed = api.MatchResult(False, None, f"matching failed: {exc}")
            self.session.candidates.set_matches(
                {r.uid: failed for r in self.session.candidates if r.match is None}
            )
        self._settle()

    def _settle(self) -> None:
        if not self.busy:
            self.model.set_matching(False)
        self.matches_updated.emit()

    def shutdown(self) -> None:
        self.tasks.wait()
