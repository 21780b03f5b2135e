"""Energy guidance on the Predict form: a check box and the strength s, usable only when an
energy model (a DAO-P generator or a separate energy model) can predict energies."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QHBoxLayout, QWidget

GUIDANCE_TIP = (
    "Steer sampling towards low predicted energy (needs an energy model: a DAO-P generator "
    "or a separate energy model)"
)
NO_ENERGY_TIP = (
    "No energy model: this generator has no energy head; choose an energy model (DAO-P) "
    "below, or a DAO-P generator, to use energy guidance"
)


class GuidanceRow(QWidget):
    """``guided`` (QCheckBox) and ``guidance`` (QDoubleSpinBox, s ≥ 0) side by side."""

    def __init__(self) -> None:
        super().__init__()
        self.has_energy = False
        self.guided = QCheckBox("Energy guidance", toolTip=GUIDANCE_TIP)
        self.guidance = QDoubleSpinBox(
            minimum=0.0,
            maximum=100.0,
            singleStep=0.5,
            value=1.0,
            decimals=2,
            toolTip="Guidance strength s (0 = unguided)",
        )
        self.guided.toggled.connect(self.refresh)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.guided)
        row.addWidget(self.guidance, 1)

    def set_has_energy(self, has_energy: bool) -> None:
        """Enable guidance only when energies can be predicted."""
        self.has_energy = has_energy
        self.refresh()

    @property
    def active(self) -> bool:
        """Guidance is used only with a model that predicts energies."""
        return self.has_energy and self.guided.isChecked() and self.guidance.value() > 0

    @property
    def strength(self) -> float:
        """The s a request gets: the spin's value when active, else 0."""
        return self.guidance.value() if self.active else 0.0

    def stored_strength(self) -> float:
        """What a session stores: the chosen s when the box is ticked, else 0."""
        return self.guidance.value() if self.guided.isChecked() else 0.0

    def restore(self, strength: float) -> None:
        """Tick the box for s > 0 and show that s."""
        self.guided.setChecked(strength > 0)
        if strength > 0:
            self.guidance.setValue(float(strength))

    @Slot()
    def refresh(self) -> None:
        self.guided.setEnabled(self.has_energy)
        self.guidance.setEnabled(self.has_energy and self.guided.isChecked())
        self.guided.setToolTip(GUIDANCE_TIP if self.has_energy else NO_ENERGY_TIP)
