"""The Predict form: composition with inline validation, cell size, sampling settings, models.

Emits ``predict_requested(api.PredictRequest)``. Two model choices (see
:mod:`dao_app.widgets.model_picker`): the generator, and the energy model that guides sampling
and ranks/labels energies ("Same as generator" by default). Each chosen checkpoint is read in
the background (``model_checked`` / ``energy_model_checked`` tell when) to learn how many atoms
the generator holds and whether energies can be predicted.

"Relax and rank" (:class:`~dao_app.widgets.relax_rank_box.RelaxRankBox`, on by default)
describes what the job does after sampling (:meth:`PredictForm.relax_rank_plan`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from dao_app.state.jobs import RelaxRankPlan
from dao_app.widgets.relax_rank_box import RelaxRankBox
from dao_app.validation import FALLBACK_MAX_ATOMS, FormulaCheck, check_formula
from dao_app.widgets.model_picker import ERROR_STYLE, OK_STYLE, ModelPicker
from dao_app.workers.tasks import TaskRunner
from dao_engine import api

_GUIDANCE_TIP = (
    "Steer sampling towards low predicted energy (needs an energy model: a DAO-P generator "
    "or a separate energy model)"
)


class PredictForm(QWidget):
    """See the module docstring. ``values()``/``set_values()`` round-trip the inputs."""

    predict_requested = Signal(object)
    model_checked = Signal(bool)  # True when the chosen generator could be read
    energy_model_checked = Signal(bool)  # True when the chosen energy model is usable

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._check = FormulaCheck(False, "")
        self._tasks = TaskRunner(self)  # reads both models, one at a time
        self._build()
        self.formula.textChanged.connect(self._validate)
        for picker, signal in (
            (self.model, self.model_checked),
            (self.energy_model, self.energy_model_checked),
        ):
            picker.changed.connect(self._models_changed)
            picker.checked.connect(self._models_changed)
            picker.checked.connect(signal)
        self.set_checkpoint(None)
        self.set_energy_checkpoint(None)
        self._validate()

    def _build(self) -> None:
        self.formula = QLineEdit(placeholderText="e.g. NaCl, CsV3Sb5, Zr16Rh8O4")
        self.formula.setClearButtonEnabled(True)
        self.formula.returnPressed.connect(self.request_prediction)
        self.formula_message = QLabel(wordWrap=True)
        self.z_box = QComboBox(toolTip="Formula units per cell (Z) and the atom count it gives")
        self._user_z: dict[str, int] = {}  # reduced formula -> the Z the user picked for it
        self.z_box.activated.connect(self._z_chosen)
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
        self.model = ModelPicker("generator", self._tasks)
        self.model_message = self.model.message
        self.energy_model = ModelPicker("energy", self._tasks)
        self._build_relax_rank()
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
        form.addRow("Model", self.model)
        form.addRow("Energy model", self.energy_model)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.rank_group)
        layout.addWidget(self.predict_button)

    def _build_relax_rank(self) -> None:
        self.rank_group = RelaxRankBox(self._spin)
        self.rank_group.changed.connect(self._validate)

    def relax_rank_plan(self) -> RelaxRankPlan | None:
        """What the job does after sampling; None when "Relax and rank" is off."""
        return self.rank_group.plan(self.energy_source)

    @property
    def rank_problem(self) -> str:
        """Why the relax-and-rank settings cannot run ("" when they can)."""
        return self.rank_group.problem

    @staticmethod
    def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
        spin = QSpinBox(minimum=low, maximum=high, value=value, toolTip=tip)
        spin.setAccelerated(True)
        return spin

    # --- models ------------------------------------------------------------------------
    @property
    def checkpoint(self) -> str | None:
        """The chosen generator checkpoint; None = the shipped default model."""
        return self.model.checkpoint

    @property
    def energy_checkpoint(self) -> str | None:
        """The chosen energy model; None = the generator's own energy head."""
        return self.energy_model.checkpoint

    @property
    def energy_source(self) -> str | None:
        """The checkpoint whose energy head labels energies (and relaxes with DAO-P)."""
        return self.energy_checkpoint or self.checkpoint

    def set_checkpoint(self, path: str | Path | None) -> None:
        """Choose the generator (None = the shipped default) and read it in the background."""
        self.model.set_checkpoint(path)

    def set_energy_checkpoint(self, path: str | Path | None) -> None:
        """Choose the energy model (None = same as generator) and read it in the background."""
        self.energy_model.set_checkpoint(path)

    @property
    def max_atoms(self) -> int | None:
        """Largest cell of the generator, once it has been read."""
        return self.model.info.max_atoms if self.model.info else None

    @property
    def has_energy(self) -> bool:
        """Energies can be predicted: by a usable energy model, else the generator's head."""
        if self.energy_checkpoint is not None:
            return self.energy_model.info is not None
        return self.model.info is not None and self.model.info.has_energy

    @property
    def model_error(self) -> str:
        """Why a chosen model cannot be used ("" when both can)."""
        if self.model.error:
            return self.model.error
        return f"Energy model: {self.energy_model.error}" if self.energy_model.error else ""

    @Slot()
    def _models_changed(self) -> None:
        if hasattr(self, "relax"):
            self.rank_group.allow_dao_energy(self.has_energy)
        if self.energy_checkpoint is None and self.model.info is not None:
            info = self.model.info
            self.energy_model.show_note(
                f"Same as generator: {info.name} predicts the energies (eV/atom)"
                if info.has_energy
                else f"{info.name} has no energy head, so no energies and no guidance; "
                "choose an energy model (DAO-P) here to get both"
            )
        self._guidance_changed()
        self._validate()

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
            else "No energy model: this generator has no energy head; choose an energy "
            "model (DAO-P) below, or a DAO-P generator, to use energy guidance"
        )

    # --- composition -----------------------------------------------------------------
    @Slot(int)
    def _z_chosen(self, index: int) -> None:
        """The user picked a Z: it sticks to this composition (and only to it)."""
        if self._check.ok and index >= 0:
            self._user_z[self._check.reduced] = self.z_box.itemData(index)

    @Slot()
    def _validate(self) -> None:
        previous = self.z_box.currentData()
        before = self._check.reduced
        self._check = check_formula(self.formula.text(), self.max_atoms or FALLBACK_MAX_ATOMS)
        self.formula_message.setText(self._check.message)
        self.formula_message.setStyleSheet(OK_STYLE if self._check.ok else ERROR_STYLE)
        self.z_box.clear()
        for z, atoms in self._check.z_choices:
            self.z_box.addItem(f"Z = {z}  ({atoms} atoms)", z)
        # Each composition gets its own default Z, unless the user chose one for it; the same
        # composition (another model read, a toggled option) keeps what was shown.
        chosen = self._user_z.get(self._check.reduced)
        if self._check.reduced != before:
            previous = None
        if chosen is not None and self.z_box.findData(chosen) >= 0:
            previous = chosen
        wanted = previous if self.z_box.findData(previous) >= 0 else self._check.default_z
        if wanted is not None:
            self.z_box.setCurrentIndex(self.z_box.findData(wanted))
        self.z_box.setEnabled(self._check.ok)
        self.predict_button.setEnabled(self.is_valid())

    def is_valid(self) -> bool:
        """True when the inputs make a prediction request."""
        return self._check.ok and not self.model_error and not self.rank_problem

    @property
    def problem(self) -> str:
        """Why Predict is disabled ("" when it is enabled)."""
        if not self._check.ok:
            return self._check.message
        return self.model_error or self.rank_problem

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
            energy_checkpoint=self.energy_checkpoint,
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
            "energy_checkpoint": self.energy_checkpoint,
            "guidance": self.guidance.value() if self.guided.isChecked() else 0.0,
            "relax_rank": self.rank_group.values(),
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
        self._restore_energy_model(values.get("energy_checkpoint"))
        self.rank_group.restore(values.get("relax_rank"))
        self.formula.setText(str(values.get("formula", "")))
        if values.get("z") is not None and self.z_box.findData(values["z"]) >= 0:
            self.z_box.setCurrentIndex(self.z_box.findData(values["z"]))
            self._z_chosen(self.z_box.currentIndex())  # a session's Z counts as chosen

    def _restore_energy_model(self, path: object) -> None:
        """A session's energy model; a missing file falls back to "Same as generator" (said
        inline), except the shipped energy model, which is found in this installation."""
        if not path:
            self.set_energy_checkpoint(None)
            return
        wanted = Path(str(path))
        shipped = api.app_support.shipped_model_path(api.app_support.SHIPPED_ENERGY_MODEL)
        if not wanted.is_file() and wanted.name == shipped.name:
            wanted = shipped
        if wanted.is_file():
            self.set_energy_checkpoint(wanted)
            return
        self.set_energy_checkpoint(None)
        self.energy_model.show_note(
            f"The session's energy model '{wanted}' is missing; using the generator's energy head"
        )
