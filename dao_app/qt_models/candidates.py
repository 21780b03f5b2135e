"""Table model over :class:`~dao_app.state.candidates.CandidateList` (a thin adapter).

Display text lives in ``Qt.DisplayRole``; the raw, sortable value in :data:`SORT_ROLE` (None
sorts last); the candidate uid in :data:`UID_ROLE`. Sort through a ``QSortFilterProxyModel``
with ``setSortRole(SORT_ROLE)`` (see :func:`sorting_proxy`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from dao_app.state.candidates import CandidateList, CandidateRecord
from dao_app.state.tc import TcStatus, tc_text, tc_tooltip
from dao_engine import api

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
UID_ROLE = Qt.ItemDataRole.UserRole + 2
DASH = "—"
_Index = QModelIndex | QPersistentModelIndex


def _energy(r: CandidateRecord) -> tuple[str, Any]:
    e = r.energy_per_atom
    return (DASH, None) if e is None else (f"{e:.3f}", e)


def _space_group(r: CandidateRecord) -> tuple[str, Any]:
    symbol, number = r.space_group
    return f"{symbol} ({number})", number


def _number(value: float, digits: int) -> tuple[str, Any]:
    if value is None or not math.isfinite(value):
        return DASH, None
    return f"{value:.{digits}f}", value


def _match(r: CandidateRecord) -> tuple[str, Any]:
    if r.match is None:
        return DASH, None
    return ("yes", 1) if r.match.matched else ("no match", 0)


def _rmse(r: CandidateRecord) -> tuple[str, Any]:
    if r.match is None or r.match.rmse is None:
        return DASH, None
    return f"{r.match.rmse:.4f}", r.match.rmse


def _tc(r: CandidateRecord) -> tuple[str, Any]:
    return (DASH, None) if r.tc is None else (tc_text(r.tc.tc), r.tc.tc)


#: (header, tooltip, (record) -> (text, sort value))
COLUMNS: list[tuple[str, str, Callable[[CandidateRecord], tuple[str, Any]]]] = [
    ("#", "Candidate number in this session", lambda r: (str(r.uid), r.uid)),
    ("Formula", "Formula of the cell", lambda r: (r.formula, r.formula)),
    (
        "Source",
        "Prediction job and shot, or the file it was imported from",
        lambda r: (
            r.source if r.shot is None else f"{r.source} · shot {r.shot}",
            (r.source, r.shot or 0),
        ),
    ),
    (
        "Rank",
        "Rank within its job by predicted energy (by shot while energies are unknown)",
        lambda r: (DASH if r.rank is None else str(r.rank), r.rank),
    ),
    (
        "E (eV/atom)",
        "Energy per atom predicted by the model; — when the model predicts none",
        _energy,
    ),
    ("Space group", "Detected with spglib at the tolerance shown above the table", _space_group),
    ("V/atom (Å³)", "Cell volume per atom", lambda r: _number(r.volume_per_atom, 2)),
    ("ρ (g/cm³)", "Mass density", lambda r: _number(r.density, 3)),
    ("Match", "Same structure as the reference? (pymatgen StructureMatcher)", _match),
    ("RMSE", "Normalised RMS displacement to the reference, for matches", _rmse),
    (
        "T_c (K)",
        "Superconducting critical temperature predicted from the structure by the T_c "
        "ensemble (geometric mean of its models); hover a cell for the spread and the model",
        _tc,
    ),
]
ENERGY_COLUMN = 4
MATCH_COLUMN = 8
RMSE_COLUMN = 9
TC_COLUMN = 10


class CandidateTableModel(QAbstractTableModel):
    """Adapts a CandidateList; rows follow the list, columns are :data:`COLUMNS`."""

    def __init__(self, candidates: CandidateList, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.candidates = candidates
        self.matching = False  # True while reference matches are being computed
        self.tc_status = TcStatus()  # what rows without a T_c say (set by the T_c controller)
        c = candidates
        c.inserting.connect(lambda a, b: self.beginInsertRows(QModelIndex(), a, b))
        c.inserted.connect(self.endInsertRows)
        c.removing.connect(lambda a, b: self.beginRemoveRows(QModelIndex(), a, b))
        c.removed.connect(self.endRemoveRows)
        c.resetting.connect(self.beginResetModel)
        c.reset.connect(self.endResetModel)
        c.updated.connect(self._rows_updated)

    def _rows_updated(self, first: int, last: int) -> None:
        self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))

    def set_matching(self, busy: bool) -> None:
        """Show "…" in the match columns while matches are computed."""
        self.matching = busy
        if self.rowCount():
            self.dataChanged.emit(
                self.index(0, MATCH_COLUMN), self.index(self.rowCount() - 1, RMSE_COLUMN)
            )

    def refresh_tc_column(self) -> None:
        """Repaint the T_c column after :attr:`tc_status` changed."""
        if self.rowCount():
            last = self.rowCount() - 1
            self.dataChanged.emit(self.index(0, TC_COLUMN), self.index(last, TC_COLUMN))

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.candidates)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def record(self, row: int) -> CandidateRecord:
        return self.candidates[row]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.candidates):
            return None
        record = self.candidates[index.row()]
        column = index.column()
        if role == UID_ROLE:
            return record.uid
        if role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE):
            if self.matching and record.match is None and column in (MATCH_COLUMN, RMSE_COLUMN):
                return "…" if role == Qt.ItemDataRole.DisplayRole else None
            if column == TC_COLUMN and record.tc is None and record.uid in self.tc_status.pending:
                return "…" if role == Qt.ItemDataRole.DisplayRole else None
            text, value = COLUMNS[column][2](record)
            return text if role == Qt.ItemDataRole.DisplayRole else value
        if role == Qt.ItemDataRole.TextAlignmentRole and column not in (1, 2, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(record, column)
        return None

    def _tooltip(self, record: CandidateRecord, column: int) -> str:
        if column in (MATCH_COLUMN, RMSE_COLUMN):
            tol = ", ".join(f"{k}={v:g}" for k, v in api.MATCHER_TOLERANCES.items())
            note = record.match.error if record.match is not None and record.match.error else ""
            return f"StructureMatcher({tol})" + (f"\n{note}" if note else "")
        if column == ENERGY_COLUMN and record.energy_label:
            return record.energy_label
        if column == TC_COLUMN:
            if record.tc is None:
                return self.tc_status.missing_reason()
            return tc_tooltip(record.tc, record.tc_label)
        return COLUMNS[column][1]

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,  # noqa: N802
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        if role == Qt.ItemDataRole.ToolTipRole:
            if section == ENERGY_COLUMN:
                return self.energy_header_tooltip()
            return COLUMNS[section][1]
        return None

    def energy_header_tooltip(self) -> str:
        """Which model(s) predicted the energies now in the table (each row's own in its
        cell tooltip)."""
        labels = sorted(
            {r.energy_label for r in self.candidates if r.energy_per_atom is not None} - {""}
        )
        if not labels:
            return COLUMNS[ENERGY_COLUMN][1]
        return "Energy per atom in this table:\n" + "\n".join(f"• {x}" for x in labels)


class _SortProxy(QSortFilterProxyModel):
    """Sorts by SORT_ROLE with missing values (None) last in ascending order."""

    def lessThan(self, left: _Index, right: _Index) -> bool:  # noqa: N802
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if a is None or b is None:
            return a is not None and b is None
        try:
            return bool(a < b)
        except TypeError:
            return str(a) < str(b)


def sorting_proxy(
    model: CandidateTableModel, parent: QObject | None = None
) -> QSortFilterProxyModel:
    """A proxy that sorts ``model`` by its raw values."""
    proxy = _SortProxy(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    return proxy
