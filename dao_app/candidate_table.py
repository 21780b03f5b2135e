"""The candidates table view: column order, compact rows and capped, elided column widths, so
the key columns fit a 1024-px window.

Visual order (the model's column numbers stay as they are): #, Formula, Source, then the key
columns Match, RMSE, T_c and the plausibility flag, then the relax-and-rank columns (hidden
until a candidate is ranked), then Space group, Rank, the DAO-P energy, V/atom and density.
Columns fit their contents; when they do not all fit the table's width, each is capped (never
narrower than its header) and longer cells are elided ("…") with the whole text in their
tooltip. The user can drag a column wider.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from dao_app.qt_models.candidates import (
    FLAG_COLUMN,
    MATCH_COLUMN,
    RANK_COLUMNS,
    RMSE_COLUMN,
    SOURCE_COLUMN,
    SPACE_GROUPS_COLUMN,
    TC_COLUMN,
)

#: model columns in the order they are shown (the rest follow in model order)
LEADING = (0, 1, SOURCE_COLUMN, MATCH_COLUMN, RMSE_COLUMN, TC_COLUMN, FLAG_COLUMN, *RANK_COLUMNS)
#: widest a column grows by itself, in average character widths (others: DEFAULT_CAP)
CAPS = {SOURCE_COLUMN: 18, TC_COLUMN: 23, SPACE_GROUPS_COLUMN: 22}
DEFAULT_CAP = 15
REFIT_DELAY_MS = 150  # results land in bursts (matches, T_c): refit once after a burst


def visual_order(column_count: int) -> list[int]:
    """The model columns in display order (see the module docstring)."""
    return [*LEADING, *(c for c in range(column_count) if c not in LEADING)]


def arrange_columns(table: QTableView) -> None:
    """Move the header's sections into :func:`visual_order`."""
    header = table.horizontalHeader()
    for position, column in enumerate(visual_order(header.count())):
        header.moveSection(header.visualIndex(column), position)


class ColumnFitter(QObject):
    """Fits the table's columns to their contents shortly after rows or values change or the
    table is resized; when they do not all fit the table's width, each is capped (see
    :data:`CAPS`)."""

    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self.table = table
        self.timer = QTimer(self, singleShot=True, interval=REFIT_DELAY_MS)
        self.timer.timeout.connect(self.fit)
        model: QAbstractItemModel = table.model()
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset,
                       model.dataChanged, model.layoutChanged):  # fmt: skip
            signal.connect(self.timer.start)
        table.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.table and event.type() == QEvent.Type.Resize:
            self.timer.start()
        return False

    def budget(self) -> int:
        """The width the columns have without scrolling sideways (with a vertical scroll bar,
        so that showing one never changes the answer)."""
        t = self.table
        return t.width() - 2 * t.frameWidth() - t.verticalScrollBar().sizeHint().width()

    def cap(self, column: int) -> int:
        """The largest width column ``column`` fits itself to, in pixels: its cap in
        characters, or its header's width when that is wider."""
        chars = CAPS.get(column, DEFAULT_CAP) * self.table.fontMetrics().averageCharWidth()
        return max(chars, self.table.horizontalHeader().sectionSizeHint(column))

    @Slot()
    def fit(self) -> None:
        table, header = self.table, self.table.horizontalHeader()
        shown = [c for c in range(header.count()) if not table.isColumnHidden(c)]
        natural = {c: max(table.sizeHintForColumn(c), header.sectionSizeHint(c)) for c in shown}
        fits = sum(natural.values()) <= self.budget()
        for column in shown:
            width = natural[column] if fits else min(natural[column], self.cap(column))
            header.resizeSection(column, width)


def make_candidate_table(model: QAbstractItemModel) -> QTableView:
    """The sortable, multi-selection table over ``model`` (the sorting proxy)."""
    table = QTableView(sortingEnabled=True, alternatingRowColors=True)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    table.setWordWrap(False)
    rows = table.verticalHeader()
    rows.hide()
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    rows.setDefaultSectionSize(table.fontMetrics().height() + 8)  # the style's rows are taller
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(False)
    header.setMinimumSectionSize(table.fontMetrics().averageCharWidth() * 3)
    table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    arrange_columns(table)
    table.column_fitter = ColumnFitter(table)  # type: ignore[attr-defined]
    table.column_fitter.fit()  # type: ignore[attr-defined]
    return table
