"""The cell-size choice of the Predict form: formula units per cell (Z) and the atoms they give.

Each composition gets its own default Z (``api.default_z``), unless the user picked one for that
very composition; re-checking the same composition (another model read, a toggled option)
keeps what is shown.
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QComboBox

from dao_app.validation import FormulaCheck


class CellSizeBox(QComboBox):
    """Items "Z = z  (n atoms)" with data z, filled by :meth:`show_choices`."""

    def __init__(self) -> None:
        super().__init__(toolTip="Formula units per cell (Z) and the atom count it gives")
        self._user_z: dict[str, int] = {}  # reduced formula -> the Z the user picked for it
        self._check = FormulaCheck(False, "")
        self.activated.connect(self._chosen)

    @property
    def atoms(self) -> int | None:
        """Atoms in the cell of the chosen Z; None without a valid composition."""
        if not self._check.ok:
            return None
        return dict(self._check.z_choices).get(self.currentData())

    def show_choices(self, check: FormulaCheck) -> None:
        """List the Z values ``check`` allows and select the right one for its composition."""
        previous = self.currentData() if check.reduced == self._check.reduced else None
        self._check = check
        self.blockSignals(True)  # one currentIndexChanged below, not one per item
        self.clear()
        for z, atoms in check.z_choices:
            self.addItem(f"Z = {z}  ({atoms} atoms)", z)
        self.setCurrentIndex(-1)
        self.blockSignals(False)
        chosen = self._user_z.get(check.reduced)
        if chosen is not None and self.findData(chosen) >= 0:
            previous = chosen
        wanted = previous if self.findData(previous) >= 0 else check.default_z
        if wanted is not None:
            self.setCurrentIndex(self.findData(wanted))
        self.setEnabled(check.ok)

    def select(self, z: int, remember: bool = True) -> bool:
        """Select ``z`` if it is offered (as a user's pick when ``remember``); True if it was."""
        index = self.findData(z)
        if index < 0:
            return False
        self.setCurrentIndex(index)
        if remember:
            self._chosen(index)
        return True

    @Slot(int)
    def _chosen(self, index: int) -> None:
        """The user picked a Z: it sticks to this composition (and only to it)."""
        if self._check.ok and index >= 0:
            self._user_z[self._check.reduced] = self.itemData(index)
