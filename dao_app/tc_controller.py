"""Every candidate's (and the reference's) predicted T_c, computed off the GUI thread.

New rows are picked up from the candidate list's events (jobs, relaxations, imports, opened
sessions), so no caller has to remember to ask. Results land on the GUI thread through
:class:`~dao_app.workers.tasks.TaskRunner`; answers that belong to a replaced session, an
older model or a switched-off setting are dropped (generation counter).

Sessions keep the values they were saved with (and the label of the model that made them). When
T_c prediction is on and the model can be read, rows of an opened session are recomputed (cheap),
so the column shows the model in use; otherwise the saved values stay, their tooltips naming the
model that made them.
Any failure (missing, corrupt or foreign file) marks the model unusable until the setting is
toggled or another file is chosen: one message, and "—" with the reason in the column.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from dao_app.qt_models.candidates import CandidateTableModel
from dao_app.state.candidates import CandidateList, CandidateRecord
from dao_app.state.tc import TcStatus
from dao_app.workers.tasks import TaskRunner
from dao_engine import api

#: T_c heads are tiny (well under a second for ~20 cells on CPU); CPU leaves a GPU to predictions.
DEVICE = "cpu"
REFERENCE_UID = -1  # the reference travels with the candidates under this key


def _predict(
    path: Path, pairs: list[tuple[int, api.Crystal]]
) -> tuple[api.TcModelInfo, dict[int, api.TcPrediction], dict[int, api.TcDomain | None]]:
    """Pool thread: the model's description, T_c (K) by uid and each crystal's distance to
    the training set (None for every uid when the model has no domain data)."""
    info = api.tc_model_info(path)
    crystals = [crystal for _, crystal in pairs]
    values = api.predict_tc(crystals, path, DEVICE)
    domains = api.tc_domain(crystals, path, DEVICE)
    uids = [uid for uid, _ in pairs]
    return (
        info,
        dict(zip(uids, values, strict=True)),
        dict(zip(uids, domains if domains is not None else [None] * len(uids), strict=True)),
    )


class TcController(QObject):
    """See the module docstring.

    Signals: ``updated()`` when values land; ``problem_found(str)`` once when the model cannot
    be used; ``reference_tc_changed()``.
    """

    updated = Signal()
    problem_found = Signal(str)
    reference_tc_changed = Signal()

    def __init__(
        self,
        candidates: CandidateList,
        model: CandidateTableModel,
        enabled: bool,
        model_path: str = "",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.candidates, self.model = candidates, model
        self.status: TcStatus = model.tc_status
        self.status.enabled = enabled
        self.model_path = model_path  # "" means the shipped model (or $DAO_TC_MODEL)
        self.reference: api.Crystal | None = None
        self.reference_tc: api.TcPrediction | None = None
        self.tasks = TaskRunner(self)
        self.tasks.finished.connect(self._on_predicted)
        self.tasks.failed.connect(self._on_failed)
        self._generation = self._reference_generation = 0
        self._first_new = 0
        candidates.inserting.connect(self._on_inserting)
        candidates.inserted.connect(self._on_inserted)
        candidates.resetting.connect(self._drop_pending)
        candidates.reset.connect(self.refresh)

    # --- configuration ---------------------------------------------------------------------
    @property
    def path(self) -> Path:
        """The ensemble file in use."""
        return Path(self.model_path) if self.model_path else api.default_tc_model_path()

    def set_enabled(self, enabled: bool) -> None:
        """Switch prediction on (retrying a failed model) or off (dropping pending work)."""
        self.status.enabled = enabled
        self.status.problem = ""
        self._drop_pending()
        self.refresh()

    def set_model_path(self, path: str) -> None:
        """Use another ensemble file ("" = shipped); every row is recomputed with it."""
        self.model_path = path
        self.status.problem, self.status.info = "", None
        self._drop_pending()
        self.refresh()

    def set_reference(self, crystal: api.Crystal | None) -> None:
        """Predict the reference's T_c too (None removes it)."""
        self.reference, self.reference_tc = crystal, None
        self._reference_generation += 1
        self.reference_tc_changed.emit()
        if crystal is not None:
            self.predict([], with_reference=True)

    # --- work ------------------------------------------------------------------------------
    @Slot()
    def refresh(self) -> None:
        """Queue every row (and the reference) that lacks a current T_c."""
        self.predict(list(self.candidates), with_reference=self.reference_tc is None)

    def predict(self, records: Sequence[CandidateRecord], with_reference: bool = False) -> None:
        """Compute T_c for ``records`` without one from the current model (no-op when off)."""
        if not self.status.enabled or self.status.problem:
            self.model.refresh_tc_column()
            return
        label = self.status.info.label if self.status.info else None
        pairs = [
            (r.uid, r.crystal)
            for r in records
            if r.uid not in self.status.pending
            and (r.tc is None or r.tc_label != label or r.uid not in self.status.domain)
        ]
        if with_reference and self.reference is not None:
            pairs.append((REFERENCE_UID, self.reference))
        if not pairs:
            return
        self.status.pending |= {uid for uid, _ in pairs}
        key = f"{self._generation}:{self._reference_generation}"
        self.tasks.start(key, _predict, self.path, pairs)
        self.model.refresh_tc_column()

    @Slot()
    def _drop_pending(self) -> None:
        self._generation += 1
        self.status.pending.clear()
        self.status.domain.clear()

    def _on_inserting(self, first: int, _last: int) -> None:
        self._first_new = first

    def _on_inserted(self) -> None:
        count = len(self.candidates)
        self.predict([self.candidates[i] for i in range(self._first_new, count)])

    def _current(self, key: str) -> tuple[bool, bool]:
        generation, reference = key.split(":")
        return generation == str(self._generation), reference == str(self._reference_generation)

    @Slot(str, object)
    def _on_predicted(self, key: str, result: object) -> None:
        current, reference_current = self._current(key)
        if not current:
            return
        info, values, domains = result  # type: ignore[misc]
        self.status.info = info
        self.status.domain.update(domains)
        ref = values.pop(REFERENCE_UID, None)
        self.status.pending -= set(values) | {REFERENCE_UID}
        self.candidates.set_tc(values, info.label)
        if ref is not None and reference_current:
            self.reference_tc = ref
            self.reference_tc_changed.emit()
        self.model.refresh_tc_column()
        self.updated.emit()

    @Slot(str, object)
    def _on_failed(self, key: str, exc: object) -> None:
        if not self._current(key)[0]:
            return
        first = not self.status.problem
        self.status.problem = str(exc) or type(exc).__name__
        self.status.pending.clear()
        self.model.refresh_tc_column()
        self.updated.emit()
        if first:
            self.problem_found.emit(self.status.problem)

    def shutdown(self) -> None:
        self.tasks.wait(60000)
