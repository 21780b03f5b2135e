"""Table model over :class:`~dao_app.state.candidates.CandidateList` (a thin adapter).

Display text lives in ``Qt.DisplayRole``; the raw, sortable value in :data:`SORT_ROLE` (None
sorts last); the candidate uid in :data:`UID_ROLE`. The "Plausible" column shows "ok" or "⚠"
with the reason (``CandidateRecord.problem``) in its tooltip; a flagged row's T_c carries "⚠"
and its tooltip starts with "structure implausible: …". The last four columns (Polymorph,
ΔE, E CHGNet, space group before → after) are filled for candidates that went through
relax-and-rank (``CandidateRecord.ranking``) and show "—" otherwise. Sort through a
``QSortFilterProxyModel`` with ``setSortRole(SORT_ROLE)`` (see :func:`sorting_proxy`).
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
from dao_app.state.tc import ASSUMPTION, EXTRAPOLATION_MARK, TcStatus, tc_text, tc_tooltip
from dao_engine import api

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
UID_ROLE = Qt.ItemDataRole.UserRole + 2
DASH = "—"
WARNING = "⚠"
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
    if r.tc is None:
        return DASH, None
    return tc_text(r.tc.tc) + (f" {WARNING}" if r.problem else ""), r.tc.tc


def _plausible(r: CandidateRecord) -> tuple[str, Any]:
    return (WARNING, 0) if r.problem else ("ok", 1)


def _polymorph(r: CandidateRecord) -> tuple[str, Any]:
    k = r.ranking
    if k is None:
        return DASH, None
    delta = math.inf if k.delta_mev is None else k.delta_mev
    return f"{k.polymorph} ({k.members})", (k.polymorph, delta)


def _delta(r: CandidateRecord) -> tuple[str, Any]:
    k = r.ranking
    if k is None or k.delta_mev is None:
        return DASH, None
    return f"{k.delta_mev:.1f}", k.delta_mev


def _chgnet(r: CandidateRecord) -> tuple[str, Any]:
    k = r.ranking
    energy = k.chgnet_energy if k is not None else r.extra.get("chgnet_energy")
    if not isinstance(energy, (int, float)) or not math.isfinite(energy):
        return DASH, None
    return f"{energy:.4f}", energy


def _space_groups(r: CandidateRecord) -> tuple[str, Any]:
    k = r.ranking
    if k is None:
        return DASH, None
    return f"{k.space_group_before} → {k.space_group_after}", k.space_group_after


#: relax / rank backend names in tooltips
MODEL_NAMES = {"chgnet": "CHGNet", "dao": "DAO-P", "none": "no relaxation"}


#: (header, tooltip, (record) -> (text, sort value))
COLUMNS: list[tuple[str, str, Callable[[CandidateRecord], tuple[str, Any]]]] = [
    ("#", "Candidate number in this session", lambda r: (str(r.uid), r.uid)),
    ("Formula", "Formula of the cell", lambda r: (r.formula, r.formula)),
    (
        "Source",
        "Prediction job and shot (with relax-and-rank: DAO sample, known structure or "
        "substitution template from the Materials Project library), or the imported file",
        lambda r: (r.source_text, (r.source, r.shot or 0, r.source_text)),
    ),
    (
        "Rank",
        "Rank within its job: plausible structures first, each group by predicted energy "
        "(by shot while energies are unknown)",
        lambda r: (DASH if r.rank is None else str(r.rank), r.rank),
    ),
    (
        "E DAO-P (eV/atom)",
        "Energy per atom predicted by the DAO-P energy model; — when the model predicts none",
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
        "ensemble (geometric mean of its models); hover a cell for the spread and the model. "
        + ASSUMPTION
        + " Values for structures far from the training set (beyond 95% of the training "
        "crystals' feature distance) are marked 'extrapolation'.",
        _tc,
    ),
    (
        "Plausible",
        "Physical plausibility: shortest distance against the atomic radii, volume per atom "
        "against the composition's estimate, lattice shape; hover a ⚠ for the reason",
        _plausible,
    ),
    (
        "Polymorph",
        "Relax-and-rank: rank of the distinct polymorph this candidate relaxed into (1 = lowest "
        "energy) and, in parentheses, how many candidates fell into it",
        _polymorph,
    ),
    (
        "ΔE (meV/atom)",
        "Relax-and-rank: energy above the lowest plausible candidate of its run, in the "
        "ranking energy (CHGNet or DAO-P; hover a cell)",
        _delta,
    ),
    (
        "E CHGNet (eV/atom)",
        "CHGNet energy per atom of the relaxed structure (not comparable with DAO-P energies)",
        _chgnet,
    ),
    (
        "Space group before → after",
        "Relax-and-rank: space group of the candidate before and after relaxation (spglib, 0.1 Å)",
        _space_groups,
    ),
]
SOURCE_COLUMN = 2
ENERGY_COLUMN = 4
MATCH_COLUMN = 8
RMSE_COLUMN = 9
TC_COLUMN = 10
FLAG_COLUMN = 11
POLYMORPH_COLUMN = 12
DELTA_COLUMN = 13
CHGNET_COLUMN = 14
SPACE_GROUPS_COLUMN = 15
#: the relax-and-rank columns (hidden by the window while no candidate is ranked)
RANK_COLUMNS = (POLYMORPH_COLUMN, DELTA_COLUMN, CHGNET_COLUMN, SPACE_GROUPS_COLUMN)
_LEFT_ALIGNED = (1, 2, 5, SPACE_GROUPS_COLUMN)


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
            if column == TC_COLUMN and role == Qt.ItemDataRole.DisplayRole and record.tc:
                domain = self.tc_status.domain.get(record.uid)
                if domain is not None and domain.extrapolation:
                    text += f" ({EXTRAPOLATION_MARK})"
            return text if role == Qt.ItemDataRole.DisplayRole else value
        if role == Qt.ItemDataRole.TextAlignmentRole and column == FLAG_COLUMN:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.TextAlignmentRole and column not in _LEFT_ALIGNED:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(record, column)
        return None

    def _tooltip(self, record: CandidateRecord, column: int) -> str:
        if column in (MATCH_COLUMN, RMSE_COLUMN):
            tol = ", ".join(f"{k}={v:g}" for k, v in api.MATCHER_TOLERANCES.items())
            note = record.match.error if record.match is not None and record.match.error else ""
            return f"StructureMatcher({tol})" + (f"\n{note}" if note else "")
        if column == SOURCE_COLUMN:  # the cell may be elided: its whole text first
            return f"{record.source_text}\n{COLUMNS[column][1]}"
        if column == ENERGY_COLUMN and record.energy_label:
            return record.energy_label
        if column == TC_COLUMN:
            if record.tc is None:
                return self.tc_status.missing_reason()
            warning = f"structure implausible: {record.problem}\n" if record.problem else ""
            domain = self.tc_status.domain.get(record.uid)
            return warning + tc_tooltip(record.tc, record.tc_label, domain)
        if column == FLAG_COLUMN:
            return record.problem or "plausible: distances, volume per atom, lattice are physical"
        if column in RANK_COLUMNS and record.ranking is not None:
            return _rank_tooltip(record, column)
        if column == CHGNET_COLUMN and "chgnet_energy" in record.extra:
            return (
                "CHGNet energy per atom of this structure, relaxed with CHGNet (Predict ▸ "
                "Relax selected); eV/atom, not comparable with DAO-P energies"
            )
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


def _rank_tooltip(record: CandidateRecord, column: int) -> str:
    k = record.ranking
    assert k is not None
    relax = MODEL_NAMES.get(k.relax, k.relax)
    rank = MODEL_NAMES.get(k.rank, k.rank)
    state = (
        f"relaxed with {relax}"
        if k.relaxed
        else ("not relaxed (relaxation off)" if k.relax == "none" else "not relaxed")
    )
    if k.cancelled and not k.relaxed and k.relax != "none":
        state += " (the run was cancelled)"
    if column == DELTA_COLUMN:
        if k.delta_mev is None:
            return f"no {rank} energy (implausible structure or none predicted)"
        return (
            f"{rank} energy per atom above the lowest plausible candidate: "
            f"{k.delta_mev:.1f} meV/atom"
        )
    if column == POLYMORPH_COLUMN:
        return (
            f"{k.origin}: polymorph {k.polymorph} of the run (ranked by {rank} energy), "
            f"{k.members} candidate{'s' if k.members != 1 else ''} in it; {state}"
        )
    if column == SPACE_GROUPS_COLUMN:
        return f"{k.space_group_before} before, {k.space_group_after} after; {state}"
    return "CHGNet energy per atom of this structure (eV/atom); " + state


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
