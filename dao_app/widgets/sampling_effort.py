"""How much sampling a prediction does, and how long it will take, before Predict is pressed.

A preset list (Quick, Full, Custom), the shots and steps boxes it fills in, and an estimate line
("≈ 1 min 10 s on this CPU (sampling 15 s, relaxing 55 s)"). The sampling part comes from a
short calibration of the chosen generator on this machine (``api.calibrate_sampling``, run in
the background by the form); the relaxation part from measured CHGNet costs
(``api.estimate_job``). Editing shots or steps by hand selects "Custom"; values equal to a
preset select that preset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QLabel, QSizePolicy, QSpinBox

from dao_app.qt_models.jobs import format_seconds
from dao_app.workers.tasks import TaskRunner
from dao_engine import api


@dataclass(frozen=True)
class Preset:
    """A named (shots, steps) choice and what it is for."""

    name: str
    shots: int
    steps: int
    tip: str


PRESETS = (
    Preset("Quick", 8, 250, "8 shots × 250 steps: a first look in seconds"),
    Preset(
        "Full",
        20,
        api.DEFAULT_STEPS,
        f"20 shots × {api.DEFAULT_STEPS} steps: the paper's protocol, the best candidates",
    ),
)
CUSTOM = "Custom"
#: the preset a new form starts with: the one that finishes in about a minute on a 2-core CPU
#: with relax-and-rank (benchmarks/results/job_estimates.json, another busy process beside it:
#: Quick 83–90 s, Full 108–209 s for NaCl and CsV3Sb5; the relaxation dominates Quick)
DEFAULT_PRESET = "Quick"


class SamplingEffort(QComboBox):
    """The preset list; owns the ``shots`` and ``steps`` spin boxes and the ``estimate`` label.

    ``changed`` fires when shots or steps change (by preset or by hand); ``calibrated`` when a
    calibration answered (:meth:`calibrate` runs it on the form's ``tasks``).
    """

    changed = Signal()
    calibrated = Signal()

    def __init__(self, shots: QSpinBox, steps: QSpinBox, tasks: TaskRunner) -> None:
        super().__init__(toolTip="Sampling presets: how many shots and steps")
        self.shots, self.steps = shots, steps
        self.cost: api.SamplingCost | None = None
        self._key = ""
        self._tasks = tasks
        tasks.finished.connect(self._on_finished)
        tasks.failed.connect(self._on_failed)
        for preset in PRESETS:
            self.addItem(f"{preset.name} ({preset.shots} × {preset.steps})", preset.name)
            self.setItemData(self.count() - 1, preset.tip, 3)  # 3 = Qt.ToolTipRole
        self.addItem(CUSTOM, CUSTOM)
        self.estimate = QLabel("estimating the time…", wordWrap=True)
        self.estimate.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.estimate.setToolTip(
            "Estimated from a short calibration of the generator on this machine and measured "
            "CHGNet costs; other programs running slow it down"
        )
        self.activated.connect(self._preset_chosen)
        for spin in (shots, steps):
            spin.valueChanged.connect(self._spins_changed)
        self.choose(DEFAULT_PRESET)

    @property
    def preset(self) -> str:
        """The selected preset's name, or "Custom"."""
        return str(self.currentData())

    def choose(self, name: str) -> None:
        """Select a preset by name and fill in its shots and steps."""
        preset = next((p for p in PRESETS if p.name == name), None)
        if preset is None:
            raise ValueError(f"unknown preset {name!r}")
        self.setCurrentIndex(self.findData(name))
        self.shots.setValue(preset.shots)
        self.steps.setValue(preset.steps)

    @Slot(int)
    def _preset_chosen(self, index: int) -> None:
        name = self.itemData(index)
        if name != CUSTOM:
            self.choose(name)

    @Slot()
    def _spins_changed(self) -> None:
        values = (self.shots.value(), self.steps.value())
        match = next((p.name for p in PRESETS if (p.shots, p.steps) == values), CUSTOM)
        self.setCurrentIndex(self.findData(match))
        self.changed.emit()

    def calibrate(self, checkpoint: str | None, readable: bool = True) -> None:
        """Forget the cost and time the sampler of ``checkpoint`` (None = the shipped default)
        in the background; nothing when the model could not be read."""
        self.cost = None
        self._key = f"calibrate:{checkpoint}" if readable else ""
        if readable:
            self._tasks.start(self._key, api.calibrate_sampling, checkpoint)
        else:
            self.estimate.setText("time: choose a model that can be read")

    @Slot(str, object)
    def _on_finished(self, key: str, value: Any) -> None:
        if key == self._key:
            self.cost = value
            self.calibrated.emit()

    @Slot(str, object)
    def _on_failed(self, key: str, exc: Any) -> None:
        if key == self._key:
            self._key = ""
            self.estimate.setText(f"time: unknown (the calibration failed: {exc})")

    def update_estimate(
        self, atoms: int | None, relax_candidates: int, relax_steps: int, device: str
    ) -> api.JobEstimate | None:
        """Show the estimate for cells of ``atoms`` atoms (None: no valid composition) and a
        CHGNet relaxation of ``relax_candidates`` capped at ``relax_steps`` (0 = none)."""
        if not self._key and self.cost is None:
            return None  # no readable model, or the calibration failed (said already)
        if self.cost is None or atoms is None:
            self.estimate.setText(
                "estimating the time…" if atoms is not None else "time: enter a composition"
            )
            return None
        estimate = api.estimate_job(
            self.cost, self.shots.value(), self.steps.value(), atoms, relax_candidates, relax_steps
        )
        self.estimate.setText(estimate_text(estimate, device))
        return estimate


def estimate_text(estimate: api.JobEstimate, device: str) -> str:
    """E.g. ``≈ 1 min 20 s on this CPU (sampling 20 s, relaxing 1 min 00 s)``."""
    gpu = device.startswith("cuda") or (device == "auto" and "cuda" in api.available_devices())
    where = "on the CPU (a GPU is faster)" if gpu else "on this CPU"
    text = f"≈ {format_seconds(estimate.total_s)} {where}"
    if estimate.relax_s > 0:
        text += (
            f" (sampling {format_seconds(estimate.sampling_s)}, "
            f"relaxing {format_seconds(estimate.relax_s)})"
        )
    return text
