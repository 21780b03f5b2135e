"""A model chooser for the predict form: a list of models, Open…, and an inline message.

Two roles share it:

* ``"generator"``: the model that generates structures. Entries: the shipped default (None),
  the shipped specialised generators (perovskites, superconductors), then checkpoints the user
  opened.
* ``"energy"``: the DAO-P that guides sampling and ranks/labels energies
  (``api.PredictRequest.energy_checkpoint``). Entries: "Same as generator" (None: the
  generator's own energy head), the shipped energy model, then opened checkpoints. A checkpoint
  without an energy head is refused inline.

The chosen file is read in the background (on the form's shared :class:`TaskRunner`); the
answer arrives as ``checked(bool)``. A missing, corrupt or foreign file never raises: its
message shows in red under the list and ``error`` says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from dao_app.workers.tasks import TaskRunner
from dao_engine import api

ERROR_STYLE = "color: #c62828;"
OK_STYLE = "color: palette(mid);"
ROLES = ("generator", "energy")
COMBO_CHARS = 16  # the model combo's minimum width in characters (longer names are elided)
_DETAIL = re.compile(r"\s*\([^()]{60,}\)")  # a long parenthesised detail (library message)


def inline_message(text: str, path: str | None) -> str:
    """``text`` short enough to sit under the list: the file name instead of its full path,
    long library details dropped (the full text goes into the tooltip); first letter capital."""
    if path:
        text = text.replace(str(path), Path(path).name)
    text = _DETAIL.sub("", text)
    return f"{text[:1].upper()}{text[1:]}"


@dataclass(frozen=True)
class ModelChoice:
    """What the form needs to know about a chosen checkpoint (from ``api.model_info``).

    Attributes:
        name: file name; kind: "dao-g" or "dao-p"; max_atoms: largest cell it was built for;
        has_energy: it has a trained energy head (eV/atom); description: one line for users.
    """

    name: str
    kind: str
    max_atoms: int
    has_energy: bool
    description: str


def probe_model(checkpoint: str | None, role: str = "generator") -> ModelChoice:
    """Read a checkpoint (None = the shipped default) on the CPU and describe it.

    Raises ``api.CheckpointError`` for a missing, corrupt or damaged file, and
    ``api.ConfigError`` when ``role`` is "energy" and the model has no energy head.
    """
    model = api.model_info(checkpoint, "cpu")
    has_energy, name = model.has_energy_head, model.name
    if role == "energy" and not has_energy:
        raise api.ConfigError(
            f"'{name}' is a {model.kind.upper()} model without an energy head; "
            "choose a DAO-P checkpoint, or 'Same as generator'"
        )
    if role == "energy":
        text = f"{name} predicts the energies (eV/atom) · trained on ≤ {model.max_atoms} atoms"
    else:
        energy = " · predicts energies" if has_energy else ""
        text = f"{model.kind.upper()} · up to {model.max_atoms} atoms{energy}"
    return ModelChoice(name, model.kind, model.max_atoms, has_energy, text)


class ModelPicker(QWidget):
    """See the module docstring. ``checkpoint``, ``info``, ``error``, ``set_checkpoint``."""

    checked = Signal(bool)  # True when the chosen model could be read (and fits the role)
    changed = Signal()  # the choice changed (before it has been read)

    def __init__(self, role: str, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if role not in ROLES:
            raise ValueError(f"unknown model role {role!r}; choose one of {ROLES}")
        self.role = role
        self.info: ModelChoice | None = None
        self.error = ""
        self._tasks = tasks
        tasks.finished.connect(self._on_read)
        tasks.failed.connect(self._on_failed)
        energy = role == "energy"
        self.combo = QComboBox(
            toolTip="The DAO-P that guides sampling and predicts the energies shown in the table"
            if energy
            else "The model that generates structures"
        )
        # Long file names must not widen the dock: the combo is as wide as its layout allows
        # and elides; the open list shows the whole names.
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.setMinimumContentsLength(COMBO_CHARS)
        self.button = QToolButton(text="Open…", toolTip="Use a checkpoint made by 'dao train'")
        self.message = QLabel(wordWrap=True)
        # A long error must wrap, not widen the dock.
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        row.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.message)
        if energy:
            self.combo.addItem("Same as generator", None)
            shipped = api.shipped_model_path(api.SHIPPED_ENERGY_MODEL)
            self._add_entry(f"Shipped energy model ({shipped.name})", str(shipped))
        else:
            self.combo.addItem(f"Shipped default ({api.default_model_path().name})", None)
            for model in api.shipped_generators():
                self._add_entry(f"{model.title} ({model.path.name})", str(model.path))
        self.button.clicked.connect(self._open)
        self.combo.activated.connect(self._chosen)

    @property
    def checkpoint(self) -> str | None:
        """The chosen checkpoint path; None = the shipped default (generator) or the
        generator's own energy head (energy)."""
        data = self.combo.currentData()
        return str(data) if data else None

    @property
    def key(self) -> str:
        """Background-task key of the current choice (answers for other keys are stale)."""
        return f"{self.role}:{self.checkpoint}"

    def _add_entry(self, text: str, path: str) -> int:
        self.combo.addItem(text, path)
        row = self.combo.count() - 1
        self.combo.setItemData(row, path, Qt.ItemDataRole.ToolTipRole)
        return row

    def set_checkpoint(self, path: str | Path | None) -> None:
        """Choose a checkpoint (None = the first entry) and read it in the background."""
        row = 0
        if path is not None:
            row = self.combo.findData(str(path))
            if row < 0:
                row = self._add_entry(Path(path).name, str(path))
        self.combo.setCurrentIndex(row)
        self._chosen()

    def show_note(self, text: str) -> None:
        """An informational line under the list (e.g. a session's model that is missing)."""
        self.message.setText(text)
        self.message.setToolTip("")
        self.message.setStyleSheet(OK_STYLE)

    @Slot()
    def _chosen(self) -> None:
        self.info, self.error = None, ""
        self.changed.emit()
        if self.role == "energy" and self.checkpoint is None:
            self.show_note("Energies from the generator's own energy head (if it has one)")
            self.checked.emit(True)
            return
        self.show_note("reading the model…")
        self._tasks.start(self.key, probe_model, self.checkpoint, self.role)

    @Slot(str, object)
    def _on_read(self, key: str, value: Any) -> None:
        if key != self.key:
            return  # an answer about another picker, or a model no longer chosen
        self.info = value
        self.show_note(value.description)
        self.checked.emit(True)

    @Slot(str, object)
    def _on_failed(self, key: str, exc: Any) -> None:
        if key != self.key:
            return
        text = str(exc)
        self.error = f"{text[:1].upper()}{text[1:]}"
        self.message.setText(inline_message(text, self.checkpoint))
        self.message.setToolTip(self.error)
        self.message.setStyleSheet(ERROR_STYLE)
        self.checked.emit(False)

    @Slot()
    def _open(self) -> None:
        what = "an energy model (DAO-P)" if self.role == "energy" else "a generator"
        path, _ = QFileDialog.getOpenFileName(
            self,
            f"Open {what} checkpoint",
            "",
            "PyTorch checkpoints (*.pt *.pth);;All files (*)",
        )
        if path:
            self.set_checkpoint(path)
