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

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QProgressBar, QPushButton

from dao_app.controllers.candidates import CandidatesController
from dao_app.controllers.relax_tasks import (
    BACKEND_NAMES,
    RELAX_STEPS,
    ChgnetRun,
    RelaxControl,
    RelaxTicket,
    chgnet_relax,
    relaxed_source,
)
from dao_app.dialogs.errors import ErrorReporter
from dao_app.state.candidates import CandidateRecord
from dao_app.widgets.predict_form import PredictForm
from dao_app.workers.tasks import TaskRunner
from dao_engine import api


class RelaxController(QObject):
    """Relaxations on ``tasks``, one at a time; progress in ``progress`` with the ``cancel``
    button beside it (both in the status bar, shown while relaxations run)."""

    def __init__(
        self,
        tasks: TaskRunner,
        form: PredictForm,
        candidates: CandidatesController,
        progress: QProgressBar,
        cancel: QPushButton,
        errors: ErrorReporter,
        show_message: Callable[[str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.tasks, self.form, self.candidates = tasks, form, candidates
        self.progress, self.cancel = progress, cancel
        self.errors, self.show_message = errors, show_message
        self._tickets: dict[str, RelaxTicket] = {}
        self._controls: dict[str, RelaxControl] = {}
        self._cancelled: set[str] = set()
        self._counter = self._generation = 0
        self._total = self._done = 0
        self._timer = QTimer(self, interval=250)
        self._timer.timeout.connect(self._show_progress)
        cancel.clicked.connect(self.cancel_relaxations)
        cancel.hide()
        tasks.finished.connect(self._on_relaxed)
        tasks.failed.connect(self._on_failed)

    # --- commands ------------------------------------------------------------------------
    @Slot()
    def relax_selected_dao(self) -> None:
        """Predict ▸ Relax selected (DAO-P)."""
        self.relax_records(self.candidates.selected_records(), "dao")

    @Slot()
    def relax_selected_chgnet(self) -> None:
        """Predict ▸ Relax selected (CHGNet)."""
        self.relax_records(self.candidates.selected_records(), "chgnet")

    def relax_records(self, records: list[CandidateRecord], backend: str) -> int:
        """Relax each record in the background; returns how many were queued."""
        name = BACKEND_NAMES[backend]
        if not records:
            self.show_message(f"Select one or more candidates to relax with {name}.")
            return 0
        checkpoint = self.form.energy_source if backend == "dao" else None
        if backend == "dao":
            model = Path(checkpoint).name if checkpoint else api.default_model_path().name
        else:
            model = "CHGNet"
        for record in records:
            self._counter += 1
            key = str(self._counter)
            self._tickets[key] = RelaxTicket(
                self._generation, backend, record.uid, relaxed_source(record, backend), model
            )
            if backend == "chgnet":
                control = RelaxControl(self.form.rank_group.chgnet_steps.value())
                self._controls[key] = control
                self.tasks.start(key, chgnet_relax, record.crystal, control.max_steps, control)
            else:
                self.tasks.start(
                    key, api.relax_crystal, record.crystal, backend, checkpoint, RELAX_STEPS, "cpu"
                )
        self._total += len(records)
        self._show_progress()
        return len(records)

    @property
    def relaxing(self) -> bool:
        """True while relaxations run or wait."""
        return self._done < self._total

    @Slot()
    def cancel_relaxations(self) -> int:
        """Stop every running and queued relaxation; none adds a row. Returns how many."""
        if not self.relaxing:
            return 0
        for control in self._controls.values():
            control.stop.set()
        self._cancelled |= set(self._tickets)
        self.cancel.setEnabled(False)
        self.show_message("Stopping the relaxations…")
        return len(self._tickets)

    @Slot()
    def drop_running(self) -> None:
        """The session was replaced: results still running no longer belong anywhere."""
        self._generation += 1

    def shutdown(self) -> None:
        """Wait for the relaxation in progress (closing the window)."""
        self.tasks.wait(120000)

    # --- progress ------------------------------------------------------------------------
    def _current_control(self) -> RelaxControl | None:
        return next((c for c in self._controls.values() if c.started is not None), None)

    def _show_progress(self) -> None:
        total, done = self._total, self._done
        if done >= total:
            self._total = self._done = 0
            self.progress.hide()
            self.cancel.hide()
            self._timer.stop()
            return
        control = self._current_control()
        stopping = bool(self._cancelled)
        bar = self.progress
        if control is not None:  # a CHGNet relaxation: its FIRE steps
            bar.setRange(0, control.max_steps)
            bar.setValue(min(control.steps, control.max_steps))
            bar.setFormat(f"CHGNet {done + 1}/{total}: step %v/%m")
            bar.setMaximumWidth(260)
            what = f"Relaxing with CHGNet ({done + 1} of {total}): {control.text()}"
        else:
            bar.setRange(0, total)
            bar.setValue(done)
            bar.setFormat("Relaxing %v/%m")
            what = f"Relaxing candidates: {done}/{total} done…"
        bar.show()
        self.cancel.show()
        self.cancel.setEnabled(not stopping)
        if not self._timer.isActive():
            self._timer.start()
        self.show_message("Stopping the relaxations…" if stopping else what)

    # --- results -------------------------------------------------------------------------
    def _take_ticket(self, key: str) -> RelaxTicket | None:
        ticket = self._tickets.pop(key, None)
        self._controls.pop(key, None)
        cancelled = key in self._cancelled
        self._cancelled.discard(key)
        self._done += 1
        self._show_progress()
        if ticket is None or ticket.generation != self._generation:
            return None
        if cancelled:
            name = BACKEND_NAMES[ticket.backend]
            self.show_message(
                f"Relaxing #{ticket.source_uid} with {name} cancelled; nothing added."
            )
            return None
        return ticket

    @Slot(str, object)
    def _on_relaxed(self, key: str, result: object) -> None:
        ticket = self._take_ticket(key)
        if ticket is None:
            return
        steps_text = ""
        if isinstance(result, ChgnetRun):
            if result.cancelled or result.relaxed is None:  # stopped: nothing half-done kept
                self.show_message(
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
            self.show_message(f"Relaxing #{ticket.source_uid} with {name} failed: {result.problem}")
            return
        record = self._relaxed_record(ticket, result)
        self.candidates.add([record], f"Relax #{ticket.source_uid} ({name})")
        last = result.energies[-1] if result.energies else None
        energy_text = f", E = {last:.4f} eV/atom ({name})" if last is not None else ""
        self.show_message(
            f"#{ticket.source_uid} relaxed with {name}{steps_text} → #{record.uid}{energy_text}"
        )

    def _relaxed_record(self, ticket: RelaxTicket, result: api.Relaxed) -> CandidateRecord:
        """The new row of a relaxed structure (CHGNet energies go to the E CHGNet column)."""
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
        return self.candidates.candidates.new_record(
            result.crystal,
            ticket.source_text,
            energy_per_atom=energy,
            model=ticket.model,
            energy_label=label,
            extra=extra,
        )

    @Slot(str, object)
    def _on_failed(self, key: str, exc: object) -> None:
        ticket = self._take_ticket(key)
        if ticket is None:
            return
        name = BACKEND_NAMES[ticket.backend]
        self.errors.report(exc, f"Relaxing #{ticket.source_uid} with {name}")  # type: ignore[arg-type]
        self.show_message(f"Relaxing #{ticket.source_uid} with {name} failed.")
