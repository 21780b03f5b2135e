"""Toolbar controls shared by all 3-D views: colours, supercell, bonds, cell, labels, background."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from dao_app import elements
from dao_app.scene import CELLS, SceneOptions


class DisplayOptions(QWidget):
    """Emits ``options_changed(SceneOptions)`` and ``dark_changed(bool)``."""

    options_changed = Signal(object)
    dark_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scheme = QComboBox(toolTip="Element colours")
        for key, label in elements.SCHEMES.items():
            self.scheme.addItem(label, key)
        self.cell_kind = QComboBox(
            toolTip="Draw the cell as given or in a standard setting (spglib, 0.1 Å)"
        )
        for key, label in CELLS.items():
            self.cell_kind.addItem(label, key)
        self.repeats = [
            QSpinBox(minimum=1, maximum=4, value=1, toolTip=f"Repeat along {axis}")
            for axis in "abc"
        ]
        self.bonds = QCheckBox("Bonds", checked=True)
        self.cell = QCheckBox("Box", checked=True, toolTip="Draw the unit-cell box")
        self.labels = QCheckBox("Labels", checked=False)
        self.dark = QCheckBox("Dark", checked=False, toolTip="Dark background (Ctrl+D)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(QLabel("Colours"))
        layout.addWidget(self.scheme)
        layout.addWidget(QLabel("Cell"))
        layout.addWidget(self.cell_kind)
        layout.addWidget(QLabel("Supercell"))
        for i, spin in enumerate(self.repeats):
            if i:
                layout.addWidget(QLabel("×"))
            layout.addWidget(spin)
        for box in (self.bonds, self.cell, self.labels, self.dark):
            layout.addWidget(box)
        layout.addStretch(1)
        self.scheme.currentIndexChanged.connect(self._emit)
        self.cell_kind.currentIndexChanged.connect(self._emit)
        for spin in self.repeats:
            spin.valueChanged.connect(self._emit)
        for box in (self.bonds, self.cell, self.labels):
            box.toggled.connect(self._emit)
        self.dark.toggled.connect(self.dark_changed)

    def options(self) -> SceneOptions:
        return SceneOptions(
            scheme=self.scheme.currentData(),
            supercell=(self.repeats[0].value(), self.repeats[1].value(), self.repeats[2].value()),
            show_bonds=self.bonds.isChecked(),
            show_cell=self.cell.isChecked(),
            show_labels=self.labels.isChecked(),
            cell=self.cell_kind.currentData(),
        )

    def set_scheme(self, key: str) -> None:
        row = self.scheme.findData(key)
        if row >= 0:
            self.scheme.setCurrentIndex(row)

    @Slot()
    def _emit(self) -> None:
        self.options_changed.emit(self.options())
