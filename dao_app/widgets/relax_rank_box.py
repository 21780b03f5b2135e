"""The "Relax and rank after sampling" group of the Predict form.

Which sources feed the candidate list (DAO samples, known structures and substitution templates
from the shipped library, up to N of them), the relaxation (CHGNet, DAO-P or none) and the
ranking energy (CHGNet or DAO-P). CHGNet is the default when it is installed; otherwise its
choices are disabled with a tooltip. ``changed`` fires when the on/off boxes change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
)

from dao_app.state.jobs import RelaxRankPlan
from dao_engine import api

#: (backend, label) of the relax and rank choices
RELAX_CHOICES = (("chgnet", "CHGNet"), ("dao", "DAO-P"), ("none", "none"))
RANK_CHOICES = (("chgnet", "CHGNet"), ("dao", "DAO-P"))
_NO_CHGNET = "CHGNet is not installed (pip install chgnet, or bash packaging/setup.sh)"
_NO_DAO_ENERGY = "needs an energy model: choose a DAO-P generator or energy model above"


class RelaxRankBox(QGroupBox):
    """See the module docstring; ``spin(low, high, value, tip)`` makes the form's spin boxes."""

    changed = Signal()

    def __init__(self, spin: Callable[[int, int, int, str], QSpinBox]) -> None:
        super().__init__("Relax and rank after sampling", checkable=True, checked=True)
        self.has_chgnet = api.chgnet_available()
        self.library_path: str | None = None  # the known-structure library (None = shipped)
        self.setToolTip(
            "After sampling, add known structures and substitution templates from the shipped "
            "Materials Project library, relax every candidate, group them into distinct "
            "polymorphs and rank those by energy per atom"
        )
        self.use_samples = QCheckBox("DAO samples", checked=True, toolTip="The sampled structures")
        self.use_known = QCheckBox(
            "known", checked=True, toolTip="Known structures of this composition in the library"
        )
        self.use_templates = QCheckBox(
            "templates",
            checked=True,
            toolTip="Library structures of the same stoichiometry with the elements substituted "
            "(pymatgen substitution probabilities)",
        )
        self.library_limit = spin(
            0, 100, 5, "At most this many distinct library structures (known + templates)"
        )
        self.library_limit.setPrefix("≤ ")
        self.relax = _combo("Relax every candidate before ranking", RELAX_CHOICES)
        self.rank_by = _combo("Energy per atom that ranks the polymorphs", RANK_CHOICES)
        self.chgnet_steps = spin(1, 5000, 200, "FIRE steps per CHGNet relaxation")
        self.chgnet_steps.setPrefix("steps ")
        if not self.has_chgnet:
            for combo in (self.relax, self.rank_by):
                _enable_choice(combo, "chgnet", False, _NO_CHGNET)
        self.relax.setCurrentIndex(self.relax.findData("chgnet" if self.has_chgnet else "none"))
        self.rank_by.setCurrentIndex(self.rank_by.findData("chgnet" if self.has_chgnet else "dao"))
        self._lay_out()
        for check in (self, self.use_samples, self.use_known, self.use_templates):
            check.toggled.connect(self.changed)
        self.relax.currentIndexChanged.connect(self._relax_changed)
        self._relax_changed()

    def _lay_out(self) -> None:
        sources = QHBoxLayout()
        for widget in (self.use_samples, self.use_known, self.use_templates, self.library_limit):
            sources.addWidget(widget)
        sources.addStretch(1)
        relax = QHBoxLayout()  # two short rows, so a narrow window can still show the form
        for widget in (QLabel("Relax"), self.relax, self.chgnet_steps):
            relax.addWidget(widget)
        relax.addStretch(1)
        rank = QHBoxLayout()
        for widget in (QLabel("Rank by"), self.rank_by):
            rank.addWidget(widget)
        rank.addStretch(1)
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 4, 6, 4)
        for row in (sources, relax, rank):
            box.addLayout(row)

    @Slot()
    def _relax_changed(self) -> None:
        self.chgnet_steps.setEnabled(self.relax.currentData() == "chgnet")

    def allow_dao_energy(self, available: bool) -> None:
        """Enable the DAO-P relaxation only when an energy model is chosen."""
        _enable_choice(self.relax, "dao", available, _NO_DAO_ENERGY)

    def plan(self, energy_source: str | None) -> RelaxRankPlan | None:
        """What the job does after sampling; None when the group is off (raises
        ``api.ConfigError`` for impossible settings)."""
        if not self.isChecked():
            return None
        switches = api.SourceSwitches(
            self.use_samples.isChecked(),
            self.use_known.isChecked(),
            self.use_templates.isChecked(),
            self.library_limit.value(),
        )
        settings = api.RelaxRankSettings(
            relax=self.relax.currentData(),
            rank=self.rank_by.currentData(),
            chgnet_steps=self.chgnet_steps.value(),
            checkpoint=energy_source,
        )
        return RelaxRankPlan(switches, settings, self.library_path)

    def relax_load(self, samples: int) -> tuple[int, int]:
        """(candidates CHGNet will relax, its step cap) for ``samples`` shots; (0, 0) when
        nothing is relaxed with CHGNet."""
        if not self.isChecked() or self.relax.currentData() != "chgnet":
            return 0, 0
        candidates = samples if self.use_samples.isChecked() else 0
        if self.use_known.isChecked() or self.use_templates.isChecked():
            candidates += self.library_limit.value()
        return candidates, self.chgnet_steps.value()

    @property
    def problem(self) -> str:
        """Why the settings cannot run ("" when they can)."""
        if not self.isChecked():
            return ""
        if not any(b.isChecked() for b in (self.use_samples, self.use_known, self.use_templates)):
            return "Relax and rank: switch on at least one source (or switch relax-and-rank off)"
        return ""

    def values(self) -> dict[str, Any]:
        """The settings as plain values (stored in sessions)."""
        return {
            "on": self.isChecked(),
            "samples": self.use_samples.isChecked(),
            "known": self.use_known.isChecked(),
            "templates": self.use_templates.isChecked(),
            "library_limit": self.library_limit.value(),
            "relax": self.relax.currentData(),
            "rank": self.rank_by.currentData(),
            "chgnet_steps": self.chgnet_steps.value(),
        }

    def restore(self, values: object) -> None:
        """Set what :meth:`values` returned (unknown or unusable entries are skipped)."""
        if not isinstance(values, dict):
            return
        checks = (
            ("on", self),
            ("samples", self.use_samples),
            ("known", self.use_known),
            ("templates", self.use_templates),
        )
        for name, box in checks:
            if isinstance(values.get(name), bool):
                box.setChecked(values[name])
        for name, spin in (
            ("library_limit", self.library_limit),
            ("chgnet_steps", self.chgnet_steps),
        ):
            if isinstance(values.get(name), int):
                spin.setValue(values[name])
        for name, combo in (("relax", self.relax), ("rank", self.rank_by)):
            index = combo.findData(values.get(name))
            if index >= 0 and combo.model().item(index).isEnabled():  # type: ignore[attr-defined]
                combo.setCurrentIndex(index)


def _combo(tip: str, choices: tuple[tuple[str, str], ...]) -> QComboBox:
    combo = QComboBox(toolTip=tip)
    for backend, label in choices:
        combo.addItem(label, backend)
    return combo


def _enable_choice(combo: QComboBox, backend: str, enabled: bool, why: str) -> None:
    """Enable or disable one entry of a relax/rank combo box (with its reason)."""
    model = combo.model()
    item = model.item(combo.findData(backend))  # type: ignore[attr-defined]
    item.setEnabled(enabled)
    item.setToolTip("" if enabled else why)
    if not enabled and combo.currentData() == backend:
        items = [model.item(i) for i in range(combo.count())]  # type: ignore[attr-defined]
        combo.setCurrentIndex(next(i for i, it in enumerate(items) if it.isEnabled()))
