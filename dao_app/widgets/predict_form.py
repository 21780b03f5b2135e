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
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from dao_app.state.jobs import RelaxRankPlan
from dao_app.validation import FALLBACK_MAX_ATOMS, FormulaCheck, check_formula
from dao_app.widgets.cell_size_box import CellSizeBox
from dao_app.widgets.guidance_row import GuidanceRow
from dao_app.widgets.model_picker import ERROR_STYLE, OK_STYLE, ModelPicker
from dao_app.widgets.relax_rank_box import RelaxRankBox
from dao_app.widgets.sampling_effort import SamplingEffort
from dao_app.workers.tasks import TaskRunner
from dao_engine import api


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
        self.model.checked.connect(self._calibrate)
        self._connect_estimate()
        self.set_checkpoint(None)
        self.set_energy_checkpoint(None)
        self._validate()

    def _build(self) -> None:
        self.formula = QLineEdit(placeholderText="e.g. NaCl, CsV3Sb5, Zr16Rh8O4")
        self.formula.setClearButtonEnabled(True)
        self.formula.returnPressed.connect(self.request_prediction)
        self.formula_message = QLabel(wordWrap=True)
        self.z_box = CellSizeBox()
        self.shots = self._spin(1, 100, 20, "Independent samples (shots) to draw")
        self.steps = self._spin(
            1, api.DEFAULT_STEPS, api.DEFAULT_STEPS,
            f"Reverse-diffusion steps ({api.DEFAULT_STEPS} = full quality)",
        )  # fmt: skip
        self.effort = SamplingEffort(self.shots, self.steps, self._tasks)
        self.effort.calibrated.connect(self._refresh_estimate)
        self.seed = self._spin(0, 2**31 - 1, 0, "Random seed: the same seed repeats a prediction")
        self.keep_every = self._spin(
            0,
            1000,
            20,
            "Store a frame every k steps for the animation (0 = only the final structures)",
        )
        self.guidance_row = GuidanceRow()
        self.guided, self.guidance = self.guidance_row.guided, self.guidance_row.guidance
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
        form.addRow("Preset", self.effort)
        form.addRow("Shots", self.shots)
        form.addRow("Steps", self.steps)
        form.addRow("Time", self.effort.estimate)
        form.addRow("Seed", self.seed)
        form.addRow("Frames every", self.keep_every)
        form.addRow("", self.guidance_row)
        form.addRow("Device", self.device)
        form.addRow("Model", self.model)
        form.addRow("Energy model", self.energy_model)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.rank_group)
        # predict_button is placed by the window, below the scrolling form, so it stays in view

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
        self.guidance_row.set_has_energy(self.has_energy)
        self._validate()

    def shutdown(self, msecs: int = 10000) -> bool:
        """Wait for a model read in progress (window closing); True when none is left."""
        return self._tasks.wait(msecs)

    # --- time estimate ---------------------------------------------------------------
    def _connect_estimate(self) -> None:
        box = self.rank_group
        for signal in (
            self.effort.changed,
            self.z_box.currentIndexChanged,
            self.device.currentTextChanged,
            box.changed,
            box.toggled,
            box.relax.currentIndexChanged,
            box.library_limit.valueChanged,
            box.chgnet_steps.valueChanged,
        ):
            signal.connect(self._refresh_estimate)

    @Slot(bool)
    def _calibrate(self, ok: bool) -> None:
        """Time the generator's sampler on this machine once it has been read."""
        self.effort.calibrate(self.checkpoint if ok else None, ok)
        self._refresh_estimate()

    @Slot()
    def _refresh_estimate(self) -> None:
        candidates, steps = self.rank_group.relax_load(self.shots.value())
        self.effort.update_estimate(self.z_box.atoms, candidates, steps, self.device.currentText())

    # --- composition -----------------------------------------------------------------
    @Slot()
    def _validate(self) -> None:
        self._check = check_formula(self.formula.text(), self.max_atoms or FALLBACK_MAX_ATOMS)
        self.formula_message.setText(self._check.message)
        self.formula_message.setStyleSheet(OK_STYLE if self._check.ok else ERROR_STYLE)
        self.z_box.show_choices(self._check)
        self.predict_button.setEnabled(self.is_valid())
        self._refresh_estimate()

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
            guidance=self.guidance_row.strength,
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
            "guidance": self.guidance_row.stored_strength(),
            "relax_rank": self.rank_group.values(),
        }

    def set_values(self, values: dict[str, Any]) -> None:
        """Restore :meth:`values` (unknown keys and out-of-range numbers are ignored/clamped)."""
        for name in ("shots", "steps", "seed", "keep_every"):
            if isinstance(values.get(name), int):
                getattr(self, name).setValue(values[name])
        guidance = values.get("guidance")
        if isinstance(guidance, (int, float)):
            self.guidance_row.restore(float(guidance))
        if values.get("device") in api.available_devices():
            self.device.setCurrentText(values["device"])
        if values.get("checkpoint") and Path(values["checkpoint"]).is_file():
            self.set_checkpoint(values["checkpoint"])
        self._restore_energy_model(values.get("energy_checkpoint"))
        self.rank_group.restore(values.get("relax_rank"))
        self.formula.setText(str(values.get("formula", "")))
        if isinstance(values.get("z"), int):
            self.z_box.select(values["z"])  # a session's Z counts as chosen

    def _restore_energy_model(self, path: object) -> None:
        """A session's energy model; a missing file falls back to "Same as generator" (said
        inline), except the shipped energy model, which is found in this installation."""
        if not path:
            self.set_energy_checkpoint(None)
            return
        wanted = Path(str(path))
        shipped = api.shipped_model_path(api.SHIPPED_ENERGY_MODEL)
        if not wanted.is_file() and wanted.name == shipped.name:
            wanted = shipped
        if wanted.is_file():
            self.set_energy_checkpoint(wanted)
            return
        self.set_energy_checkpoint(None)
        self.energy_model.show_note(
            f"The session's energy model '{wanted}' is missing; using the generator's energy head"
        )
