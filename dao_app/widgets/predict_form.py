"""The Predict form: composition with inline validation, cell size, sampling settings, model.

Emits ``predict_requested(api.PredictRequest)``. The chosen checkpoint is read in the
background (``model_checked`` tells when) to learn how many atoms the model holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from dao_app.validation import FALLBACK_MAX_ATOMS, FormulaCheck, check_formula
from dao_app.workers.tasks import TaskRunner
from dao_engine import api

_ERROR_STYLE = "color: #c62828;"
_GUIDANCE_TIP = (
    "Steer sampling towards low predicted energy (needs a model with an energy head, DAO-P)"
)
_OK_STYLE = "color: palette(mid);"


def _probe_model(checkpoint: str | None) -> tuple[int, str, bool]:
    """(max atoms, description, has an energy head) of a checkpoint; raises CheckpointError."""
    loaded = api.get_model(checkpoint, "cpu")
    has_energy = (
        loaded.kind == "dao-p"
        and getattr(loaded.model, "energy_head", None) is not None
        and loaded.energy_normalisation is not None
    )
    energy = " · predicts energies" if has_energy else ""
    return (
        loaded.max_atoms,
        f"{loaded.kind.upper()} · up to {loaded.max_atoms} atoms{energy}",
        has_energy,
    )


class PredictForm(QWidget):
    """See the module docstring. ``values()``/``set_values()`` round-trip the inputs."""

    predict_requested = Signal(object)
    model_checked = Signal(bool)  # True when the chosen model could be read

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.max_atoms: int | None = None
        self.has_energy = False
        self.model_error = ""
        self._check = FormulaCheck(False, "")
        self._tasks = TaskRunner(self)
        self._tasks.finished.connect(self._on_model_read)
        self._tasks.failed.connect(self._on_model_failed)
        self._build()
        self.formula.textChanged.connect(self._validate)
        self.set_checkpoint(None)
        self._validate()

    def _build(self) -> None:
        self.formula = QLineEdit(placeholderText="e.g. NaCl, CsV3Sb5, Zr16Rh8O4")
        self.formula.setClearButtonEnabled(True)
        self.formula.returnPressed.connect(self.request_prediction)
        self.formula_message = QLabel(wordWrap=True)
        self.z_box = QComboBox(toolTip="Formula units per cell (Z) and the atom count it gives")
        self.shots = self._spin(1, 100, 20, "Independent samples (shots) to draw")
        self.steps = self._spin(1, 1000, 1000, "Reverse-diffusion steps (1000 = full quality)")
        self.seed = self._spin(0, 2**31 - 1, 0, "Random seed: the same seed repeats a prediction")
        self.keep_every = self._spin(
            0,
            1000,
            20,
            "Store a frame every k steps for the animation (0 = only the final structures)",
        )
        self.guided = QCheckBox("Energy guidance", toolTip=_GUIDANCE_TIP)
        self.guidance = QDoubleSpinBox(
            minimum=0.0,
            maximum=100.0,
            singleStep=0.5,
            value=1.0,
            decimals=2,
            toolTip="Guidance strength s (0 = unguided)",
        )
        self.guided.toggled.connect(self._guidance_changed)
        self.device = QComboBox(toolTip="auto: a CUDA GPU when present, else the CPU")
        self.device.addItems(api.available_devices())
        self.model = QComboBox(toolTip="The DAO-G model that generates structures")
        self.model_button = QToolButton(
            text="Open…", toolTip="Use a checkpoint made by 'dao train'"
        )
        self.model_button.clicked.connect(self._open_checkpoint)
        self.model.activated.connect(self._model_chosen)
        self.model_message = QLabel(wordWrap=True)
        self.predict_button = QPushButton("Predict", toolTip="Start predicting (Ctrl+Return)")
        self.predict_button.clicked.connect(self.request_prediction)

        form = QFormLayout()
        form.addRow("Composition", self.formula)
        form.addRow("", self.formula_message)
        form.addRow("Cell size", self.z_box)
        form.addRow("Shots", self.shots)
        form.addRow("Steps", self.steps)
        form.addRow("Seed", self.seed)
        form.addRow("Frames every", self.keep_every)
        guidance_row = QHBoxLayout()
        guidance_row.addWidget(self.guided)
        guidance_row.addWidget(self.guidance, 1)
        form.addRow("", guidance_row)
        form.addRow("Device", self.device)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(self.model_button)
        form.addRow("Model", model_row)
        form.addRow("", self.model_message)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.predict_button)

    @staticmethod
    def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
        spin = QSpinBox(minimum=low, maximum=high, value=value, toolTip=tip)
        spin.setAccelerated(True)
        return spin

    # --- model -------------------------------------------------------------------------
    @property
    def checkpoint(self) -> str | None:
        """The chosen checkpoint path; None = the shipped default model."""
        data = self.model.currentData()
        return str(data) if data else None

    def set_checkpoint(self, path: str | Path | None) -> None:
        """Choose a checkpoint (None = the shipped default) and read it in the background."""
        if self.model.count() == 0:
            self.model.addItem(f"Shipped default ({api.default_model_path().name})", None)
        if path is not None:
            path = str(path)
            row = self.model.findData(path)
            if row < 0:
                self.model.addItem(Path(path).name, path)
                row = self.model.count() - 1
                self.model.setItemData(row, path, Qt.ItemDataRole.ToolTipRole)
            self.model.setCurrentIndex(row)
        else:
            self.model.setCurrentIndex(0)
        self._model_chosen()

    @Slot()
    def _model_chosen(self) -> None:
        self.max_atoms, self.model_error, self.has_energy = None, "", False
        self._guidance_changed()
        self.model_message.setText("reading the model…")
        self.model_message.setStyleSheet(_OK_STYLE)
        self._tasks.start(str(self.checkpoint), _probe_model, self.checkpoint)
        self._validate()

    @Slot(str, object)
    def _on_model_read(self, key: str, value: Any) -> None:
        if key != str(self.checkpoint):
            return  # answer about a model no longer chosen
        self.max_atoms, description, self.has_energy = value
        self._guidance_changed()
        self.model_message.setText(description)
        self.model_message.setStyleSheet(_OK_STYLE)
        self._validate()
        self.model_checked.emit(True)

    @Slot(str, object)
    def _on_model_failed(self, key: str, exc: Any) -> None:
        if key != str(self.checkpoint):
            return
        self.model_error = str(exc)
        self.model_message.setText(f"{self.model_error[:1].upper()}{self.model_error[1:]}")
        self.model_message.setStyleSheet(_ERROR_STYLE)
        self._validate()
        self.model_checked.emit(False)

    @Slot()
    def _open_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a DAO-G checkpoint", "", "PyTorch checkpoints (*.pt *.pth);;All files (*)"
        )
        if path:
            self.set_checkpoint(path)

    def shutdown(self, msecs: int = 10000) -> bool:
        """Wait for a model read in progress (window closing); True when none is left."""
        return self._tasks.wait(msecs)

    @property
    def guidance_active(self) -> bool:
        """Guidance is used only with a model that predicts energies."""
        return self.has_energy and self.guided.isChecked() and self.guidance.value() > 0

    @Slot()
    def _guidance_changed(self) -> None:
        self.guided.setEnabled(self.has_energy)
        self.guidance.setEnabled(self.has_energy and self.guided.isChecked())
        self.guided.setToolTip(
            _GUIDANCE_TIP
            if self.has_energy
            else "This model has no energy head, so it cannot "
            "guide sampling; open a DAO-P checkpoint to use energy guidance"
        )

    # --- composition -----------------------------------------------------------------
    @Slot()
    def _validate(self) -> None:
        previous = self.z_box.currentData()
        self._check = check_formula(self.formula.text(), self.max_atoms or FALLBACK_MAX_ATOMS)
        self.formula_message.setText(self._check.message)
        self.formula_message.setStyleSheet(_OK_STYLE if self._check.ok else _ERROR_STYLE)
        self.z_box.clear()
        for z, atoms in self._check.z_choices:
            self.z_box.addItem(f"Z = {z}  ({atoms} atoms)", z)
        wanted = previous if self.z_box.findData(previous) >= 0 else self._check.default_z
        if wanted is not None:
            self.z_box.setCurrentIndex(self.z_box.findData(wanted))
        self.z_box.setEnabled(self._check.ok)
        self.predict_button.setEnabled(self.is_valid())

    def is_valid(self) -> bool:
        """True when the inputs make a prediction request."""
        return self._check.ok and not self.model_error

    @property
    def problem(self) -> str:
        """Why Predict is disabled ("" when it is enabled)."""
        if not self._check.ok:
            return self._check.message
        return self.model_error

    def request(self) -> api.PredictRequest:
        """The request the current inputs describe (raises ``api.ConfigError`` if invalid)."""
        steps = self.steps.value()
        return api.PredictRequest(
            formula=self.formula.text().strip(),
            z=self.z_box.currentData(),
            shots=self.shots.value(),
            steps=steps,
            seed=self.seed.value(),
            device=self.device.currentText(),
            checkpoint=self.checkpoint,
            keep_every=min(self.keep_every.value(), steps),
            guidance=self.guidance.value() if self.guidance_active else 0.0,
        )

    @Slot()
    def request_prediction(self) -> None:
        """Emit ``predict_requested`` when the inputs are valid."""
        if self.is_valid():
            self.predict_requested.emit(self.request())

    # --- session -----------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """The inputs as plain values (stored in sessions)."""
        return {
            "formula": self.formula.text(),
            "z": self.z_box.currentData(),
            "shots": self.shots.value(),
            "steps": self.steps.value(),
            "seed": self.seed.value(),
            "keep_every": self.keep_every.value(),
            "device": self.device.currentText(),
            "checkpoint": self.checkpoint,
            "guidance": self.guidance.value() if self.guided.isChecked() else 0.0,
        }

    def set_values(self, values: dict[str, Any]) -> None:
        """Restore :meth:`values` (unknown keys and out-of-range numbers are ignored/clamped)."""
        for name in ("shots", "steps", "seed", "keep_every"):
            if isinstance(values.get(name), int):
                getattr(self, name).setValue(values[name])
        guidance = values.get("guidance")
        if isinstance(guidance, (int, float)):
            self.guided.setChecked(guidance > 0)
            if guidance > 0:
                self.guidance.setValue(float(guidance))
        if values.get("device") in api.available_devices():
            self.device.setCurrentText(values["device"])
        if values.get("checkpoint") and Path(values["checkpoint"]).is_file():
            self.set_checkpoint(values["checkpoint"])
        self.formula.setText(str(values.get("formula", "")))
        if values.get("z") is not None and self.z_box.findData(values["z"]) >= 0:
            self.z_box.setCurrentIndex(self.z_box.findData(values["z"]))
