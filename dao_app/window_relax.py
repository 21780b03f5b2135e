"""Relaxing selected candidates (DAO-P energy or CHGNet) off the GUI thread; each result is
added as a new, undoable candidate row.

A CHGNet relaxation reports its FIRE steps (``RelaxControl``, polled by a timer on the GUI
thread: steps done of the most allowed, elapsed, an upper bound of the time left) and can be
cancelled (the status-bar Cancel button, or Esc while no prediction runs): it stops after the
force evaluation in progress and *nothing* is added (no half-relaxed rows). A DAO-P relaxation
(three short L-BFGS steps) cannot be interrupted; cancelling it drops its result. The CHGNet
energy of a relaxed row goes into the table's "E CHGNet" column (``extra["chgnet_energy"]``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import QPushButton

from dao_app.commands import AddCandidates
from dao_app.qt_models.jobs import format_seconds
from dao_app.state.candidates import CandidateRecord
from dao_engine import api

if TYPE_CHECKING:
    from dao_app.main_window import MainWindow

#: backend -> name shown to the user
BACKEND_NAMES = {"dao": "DAO-P", "chgnet": "CHGNet"}
RELAX_STEPS = 3


@dataclass(frozen=True)
class RelaxTicket:
    """What a running relaxation belongs to (kept on the GUI thread while it runs)."""

    generation: int
    backend: str
    source_uid: int
    source_text: str
    model: str


@dataclass
class RelaxControl:
    """Shared with one CHGNet relaxation's pool thread: ``poll`` (its ``should_stop``, called
    once per FIRE step) counts the steps; ``stop`` asks it to end."""

    max_steps: int
    steps: int = 0
    started: float | None = None
    stop: threading.Event = field(default_factory=threading.Event)

    def poll(self) -> bool:
        self.steps += 1
        return self.stop.is_set()

    def text(self) -> str:
        """``step 37 / 200, 12 s elapsed, at most 53 s left``."""
        if self.started is None:
            return "loading CHGNet…" if self.steps == 0 else ""
        elapsed = time.monotonic() - self.started
        text = f"step {self.steps} / {self.max_steps}, {format_seconds(elapsed)} elapsed"
        if self.steps:
            left = elapsed / self.steps * (self.max_steps - self.steps)
            text += f", at most {format_seconds(left)} left"
        return text


@dataclass(frozen=True)
class ChgnetRun:
    """What a CHGNet relaxation task returns: the result (None when cancelled before it
    started), whether it was cancelled, and the FIRE steps it took."""

    relaxed: api.Relaxed | None
    cancelled: bool
    steps: int


def chgnet_relax(crystal: api.Crystal, steps: int, control: RelaxControl) -> ChgnetRun:
    """Pool thread: a cancellable CHGNet relaxation (``api.relax_with_chgnet``)."""
    if control.stop.is_set():
        return ChgnetRun(None, True, 0)
    control.started = time.monotonic()
    out = api.relax_with_chgnet(crystal, steps=steps, should_stop=control.poll)
    label = "CHGNet energy per atom (eV/atom)"
    relaxed = api.Relaxed(out.crystal, out.energies, label, out.invalid, out.energies[-1])
    return ChgnetRun(relaxed, control.stop.is_set(), control.steps)


def relaxed_source(record: CandidateRecord, backend: str) -> str:
    """The Source text of a relaxed copy, e.g. ``Job 1 · shot 3 relaxed (DAO-P)``."""
    base = record.source if record.shot is None else f"{record.source} · shot {record.shot}"
    return f"{base} relaxed ({BACKEND_NAMES[backend]})"


class WindowRelaxMixin:
    """Mixed into :class:`~dao_app.main_window.MainWindow`; uses ``self.relax_tasks``."""

    @Slot()
    def relax_selected_dao(self: MainWindow) -> None:
        self.relax_records(self.selected_records(), "dao")

    @Slot()
    def relax_selected_chgnet(self: MainWindow) -> None:
        self.relax_records(self.selected_records(), "chgnet")

    def relax_records(self: MainWindow, records: list[CandidateRecord], backend: str) -> int:
        """Relax each record in the background; returns how many were queued."""
        name = BACKEND_NAMES[backend]
        if not records:
            self.statusBar().showMessage(f"Select one or more candidates to relax with {name}.")
            return 0
        checkpoint = self.form.energy_source if backend == "dao" else None
        if backend == "dao":
            model = Path(checkpoint).name if checkpoint else api.default_model_path().name
        else:
            model = "CHGNet"
        self._ensure_relax_controls()
        for record in records:
            self._relax_counter += 1
            key = str(self._relax_counter)
            self._relax_tickets[key] = RelaxTicket(
                self._relax_generation, backend, record.uid, relaxed_source(record, backend), model
            )
            if backend == "chgnet":
                control = RelaxControl(self.form.rank_group.chgnet_steps.value())
                self._relax_controls[key] = control
                self.relax_tasks.start(
                    key, chgnet_relax, record.crystal, control.max_steps, control
                )
            else:
                self.relax_tasks.start(
                    key, api.relax_crystal, record.crystal, backend, checkpoint, RELAX_STEPS, "cpu"
                )
        self._relax_total += len(records)
        self._show_relax_progress()
        return len(records)

    def _ensure_relax_controls(self: MainWindow) -> None:
        """The status bar's Cancel button and the step timer (made on first use)."""
        if hasattr(self, "relax_cancel"):
            return
        self._relax_controls: dict[str, RelaxControl] = {}
        self._relax_cancelled: set[str] = set()
        self.relax_cancel = QPushButton("Cancel", toolTip="Stop the relaxations (Esc)")
        self.relax_cancel.clicked.connect(self.cancel_relaxations)
        self.relax_cancel.hide()
        self.statusBar().addPermanentWidget(self.relax_cancel)
        self._relax_timer = QTimer(self, interval=250)
        self._relax_timer.timeout.connect(self._show_relax_progress)

    @property
    def relaxing(self: MainWindow) -> bool:
        """True while relaxations run or wait."""
        return self._relax_done < self._relax_total

    @Slot()
    def cancel_relaxations(self: MainWindow) -> int:
        """Stop every running and queued relaxation; none adds a row. Returns how many."""
        if not hasattr(self, "relax_cancel") or not self.relaxing:
            return 0
        for control in self._relax_controls.values():
            control.stop.set()
        self._relax_cancelled |= set(self._relax_tickets)
        self.relax_cancel.setEnabled(False)
        self.statusBar().showMessage("Stopping the relaxations…")
        return len(self._relax_tickets)

    def _current_control(self: MainWindow) -> RelaxControl | None:
        return next(
            (c for c in self._relax_controls.values() if c.started is not None),
            None,
        )

    def _show_relax_progress(self: MainWindow) -> None:
        total, done = self._relax_total, self._relax_done
        self._ensure_relax_controls()
        if done >= total:
            self._relax_total = self._relax_done = 0
            self.relax_progress.hide()
            self.relax_cancel.hide()
            self._relax_timer.stop()
            return
        control = self._current_control()
        stopping = bool(self._relax_cancelled)
        if control is not None:  # a CHGNet relaxation: its FIRE steps
            self.relax_progress.setRange(0, control.max_steps)
            self.relax_progress.setValue(min(control.steps, control.max_steps))
            self.relax_progress.setFormat(f"CHGNet {done + 1}/{total}: step %v/%m")
            self.relax_progress.setMaximumWidth(260)
            what = f"Relaxing with CHGNet ({done + 1} of {total}): {control.text()}"
        else:
            self.relax_progress.setRange(0, total)
            self.relax_progress.setValue(done)
            self.relax_progress.setFormat("Relaxing %v/%m")
            what = f"Relaxing candidates: {done}/{total} done…"
        self.relax_progress.show()
        self.relax_cancel.show()
        self.relax_cancel.setEnabled(not stopping)
        if not self._relax_timer.isActive():
            self._relax_timer.start()
        self.statusBar().showMessage("Stopping the relaxations…" if stopping else what)

    def _stale_relax_generation(self: MainWindow) -> None:
        """The session was replaced: results still running no longer belong anywhere."""
        self._relax_generation += 1

    def _take_ticket(self: MainWindow, key: str) -> RelaxTicket | None:
        self._ensure_relax_controls()
        ticket = self._relax_tickets.pop(key, None)
        self._relax_controls.pop(key, None)
        cancelled = key in self._relax_cancelled
        self._relax_cancelled.discard(key)
        self._relax_done += 1
        self._show_relax_progress()
        if ticket is None or ticket.generation != self._relax_generation:
            return None
        if cancelled:
            name = BACKEND_NAMES[ticket.backend]
            self.statusBar().showMessage(
                f"Relaxing #{ticket.source_uid} with {name} cancelled; nothing added."
            )
            return None
        return ticket

    @Slot(str, object)
    def _on_relaxed(self: MainWindow, key: str, result: object) -> None:
        ticket = self._take_ticket(key)
        if ticket is None:
            return
        steps_text = ""
        if isinstance(result, ChgnetRun):
            if result.cancelled or result.relaxed is None:  # stopped: nothing half-done kept
                self.statusBar().showMessage(
                    f"Relaxing #{ticket.source_uid} with CHGNet cancelled after "
                    f"{result.steps} steps; nothing added."
                )
                return
            steps_text = f" in {result.steps} FIRE steps"
            result = result.relaxed
        assert isinstance(result, api.Relaxed)
        name = BACKEND_NAMES[ticket.backend]
        if result.problem is not None:
            self.errors.report(
                api.DaoError(f"the relaxed structure is not valid ({result.problem}); not added"),
                f"Relaxing #{ticket.source_uid} with {name}",
            )
            self.statusBar().showMessage(
                f"Relaxing #{ticket.source_uid} with {name} failed: {result.problem}"
            )
            return
        last = result.energies[-1] if result.energies else None
        extra: dict[str, object] = {
            "relaxed_from": ticket.source_uid,
            "relax_energies": list(result.energies),
        }
        if ticket.backend == "dao":
            energy, label = last, result.energy_label
        else:  # CHGNet energies are on another scale than DAO-P's: the E CHGNet column
            energy = None
            label = (
                f"{result.energy_label}: {last:.4f} eV/atom (not comparable with DAO-P energies)"
                if last is not None
                else result.energy_label
            )
            if last is not None:
                extra["chgnet_energy"] = last
        c = self.session.candidates
        record = c.new_record(
            result.crystal,
            ticket.source_text,
            energy_per_atom=energy,
            model=ticket.model,
            energy_label=label,
            extra=extra,
        )
        self.undo_stack.push(AddCandidates(c, [record], f"Relax #{ticket.source_uid} ({name})"))
        self.matcher.match([record])
        self.sessions.mark_dirty()
        self.select_uids([record.uid])
        self.candidates_added.emit([record.uid])
        energy_text = f", E = {last:.4f} eV/atom ({name})" if last is not None else ""
        self.statusBar().showMessage(
            f"#{ticket.source_uid} relaxed with {name}{steps_text} → #{record.uid}"
            f"{energy_text}"
        )

    @Slot(str, object)
    def _on_relax_failed(self: MainWindow, key: str, exc: object) -> None:
        ticket = self._take_ticket(key)
        if ticket is None:
            return
        name = BACKEND_NAMES[ticket.backend]
        self.errors.report(exc, f"Relaxing #{ticket.source_uid} with {name}")  # type: ignore[arg-type]
        self.statusBar().showMessage(f"Relaxing #{ticket.source_uid} with {name} failed.")
