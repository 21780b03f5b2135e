"""The Lattice tab: a, b, c, α, β, γ, V and space group of a cell setting, and its Wyckoff sites.

The setting combo chooses the cell: as given, conventional (spglib's refined standard cell),
primitive (standard primitive) or Niggli-reduced. The site table lists one row per
symmetry-distinct site of that cell: element, fractional x, y, z, Wyckoff position (with the
multiplicity of the conventional cell, "4a") and site-symmetry symbol (spglib, "m-3m").
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dao_engine import api

EMPTY_TEXT = "Select a candidate to see its lattice and Wyckoff sites."
#: (label, api setting) of the setting combo
SETTINGS = [(s.capitalize() if s != "niggli" else "Niggli", s) for s in api.LATTICE_SETTINGS]
LATTICE_ROWS = [
    ("a", "Å"),
    ("b", "Å"),
    ("c", "Å"),
    ("α", "°"),
    ("β", "°"),
    ("γ", "°"),
    ("V", "Å³"),
    ("Atoms", ""),
    ("Space group", ""),
]
SITE_HEADERS = ["Element", "x", "y", "z", "Wyckoff", "Site symmetry", "Atoms in cell"]


def _table(columns: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(columns)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    rows = table.verticalHeader()
    rows.hide()
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    rows.setDefaultSectionSize(table.fontMetrics().height() + 8)  # nine rows fit a short window
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _item(text: str, right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class LatticePanel(QWidget):
    """``show_crystal(crystal, title, symprec)``; None clears. Emits ``setting_changed``."""

    setting_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.crystal: api.Crystal | None = None
        self.symprec = api.DEFAULT_SYMPREC
        self.summary: api.LatticeSummary | None = None
        self.sites: list[api.Site] = []
        self.title = QLabel(EMPTY_TEXT, textFormat=Qt.TextFormat.RichText, wordWrap=True)
        self.setting = QComboBox()
        for label, key in SETTINGS:
            self.setting.addItem(label, key)
        self.setting.setToolTip(
            "Cell of the table: as given, conventional standard (spglib), standard primitive, "
            "or Niggli-reduced"
        )
        self.note = QLabel(wordWrap=True)
        self.note.hide()
        self.lattice = _table(["Parameter", "Value", "Unit"])
        self.lattice.setRowCount(len(LATTICE_ROWS))
        for row, (name, unit) in enumerate(LATTICE_ROWS):
            self.lattice.setItem(row, 0, _item(name))
            self.lattice.setItem(row, 1, _item("—", right=True))
            self.lattice.setItem(row, 2, _item(unit))
        self.site_table = _table(SITE_HEADERS)
        bar = QHBoxLayout()
        bar.addWidget(self.title, 1)
        bar.addWidget(QLabel("Cell"))
        bar.addWidget(self.setting)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.lattice)
        split.addWidget(self.site_table)
        split.setStretchFactor(1, 1)  # extra width goes to the sites
        split.setSizes([300, 600])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.note)
        layout.addWidget(split, 1)
        self.setting.currentIndexChanged.connect(self._on_setting)

    def current_setting(self) -> str:
        return str(self.setting.currentData())

    def set_setting(self, setting: str) -> None:
        """Choose a setting by its api name ("primitive", ...)."""
        self.setting.setCurrentIndex(self.setting.findData(setting))

    def _on_setting(self) -> None:
        self._refresh()
        self.setting_changed.emit(self.current_setting())

    def show_crystal(
        self, crystal: api.Crystal | None, title: str = "", symprec: float = api.DEFAULT_SYMPREC
    ) -> None:
        self.crystal = crystal
        self.symprec = symprec
        self.title.setText(title if crystal is not None else EMPTY_TEXT)
        self._refresh()

    def value(self, name: str) -> str:
        """The displayed value of a lattice row ("a", "V", "Space group", ...)."""
        row = [n for n, _ in LATTICE_ROWS].index(name)
        return self.lattice.item(row, 1).text()

    def _refresh(self) -> None:
        self.note.hide()
        self.summary, self.sites = None, []
        if self.crystal is not None:
            cell = self.crystal
            setting = self.current_setting()
            try:
                cell = api.cell_in_setting(self.crystal, setting, self.symprec)
                self.summary = api.lattice_summary(cell, "as given", self.symprec)
            except api.SymmetryError as exc:
                self.note.setText(f"⚠ {exc}; showing the cell as given")
                self.note.show()
                cell = self.crystal
                self.summary = api.lattice_summary(cell, "as given", self.symprec)
            self.summary = replace(self.summary, setting=setting)
            self.sites = api.site_table(cell, self.symprec)
        self._fill_lattice()
        self._fill_sites()

    def _fill_lattice(self) -> None:
        s = self.summary
        values = (
            ["—"] * len(LATTICE_ROWS)
            if s is None
            else [
                f"{s.a:.4f}",
                f"{s.b:.4f}",
                f"{s.c:.4f}",
                f"{s.alpha:.3f}",
                f"{s.beta:.3f}",
                f"{s.gamma:.3f}",
                f"{s.volume:.3f}",
                str(s.num_atoms),
                s.space_group,
            ]
        )
        for row, text in enumerate(values):
            self.lattice.item(row, 1).setText(text)

    def _fill_sites(self) -> None:
        self.site_table.setRowCount(len(self.sites))
        for row, site in enumerate(self.sites):
            cells = [
                _item(site.element),
                *(_item(f"{x:.5f}", right=True) for x in site.frac),
                _item(site.wyckoff),
                _item(site.site_symmetry),
                _item(str(site.count), right=True),
            ]
            for column, item in enumerate(cells):
                self.site_table.setItem(row, column, item)
