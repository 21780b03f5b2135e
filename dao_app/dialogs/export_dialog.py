"""Export options: format, symmetrized or P1 CIF, symmetry tolerance."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QWidget,
)

from dao_app.state.export import FORMATS


@dataclass(frozen=True)
class ExportChoice:
    fmt: str = "cif"
    symmetrize: bool = True
    symprec: float = 0.1


class ExportDialog(QDialog):
    """Asks how to write the structures; ``choice()`` after ``exec()`` returns Accepted."""

    def __init__(
        self, count: int, parent: QWidget | None = None, initial: ExportChoice = ExportChoice()
    ) -> None:  # noqa: B008
        super().__init__(parent)
        self.setWindowTitle(f"Export {count} structure{'s' if count != 1 else ''}")
        self.fmt = QComboBox()
        for key, (_suffix, label) in FORMATS.items():
            self.fmt.addItem(label, key)
        self.fmt.setCurrentIndex(max(0, self.fmt.findData(initial.fmt)))
        self.symmetrize = QCheckBox(
            "Symmetrize (detect the space group; P1 when unchecked)", checked=initial.symmetrize
        )
        self.symprec = QDoubleSpinBox(
            minimum=0.001,
            maximum=1.0,
            singleStep=0.01,
            decimals=3,
            value=initial.symprec,
            suffix=" Å",
        )
        self.symprec.setToolTip("Symmetry tolerance: positions closer than this are 'the same'")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Format", self.fmt)
        form.addRow("", self.symmetrize)
        form.addRow("Tolerance", self.symprec)
        form.addRow(buttons)
        self.fmt.currentIndexChanged.connect(self._format_changed)
        self._format_changed()

    def _format_changed(self) -> None:
        is_cif = self.fmt.currentData() == "cif"
        self.symmetrize.setEnabled(is_cif)
        self.symprec.setEnabled(is_cif)

    def choice(self) -> ExportChoice:
        return ExportChoice(
            self.fmt.currentData(), self.symmetrize.isChecked(), self.symprec.value()
        )
