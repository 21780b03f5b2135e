"""Relaxing selected candidates (DAO-P energy or CHGNet) off the GUI thread; each result is
added as a new, undoable candidate row."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Slot

from dao_app.commands import AddCandidates
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
        for record in records:
            self._relax_counter += 1
            key = str(self._relax_counter)
            self._relax_tickets[key] = RelaxTicket(
                self._relax_generation, backend, record.uid, relaxed_source(record, backend), model
            )
            self.relax_tasks.start(
                key, api.relax_crystal, record.crystal, backend, checkpoint, RELAX_STEPS, "cpu"
            )
        self._relax_total += len(records)
        self._show_relax_progress()
        return len(records)

    def _show_relax_progress(self: MainWindow) -> None:
        total, done = self._relax_total, self._relax_done
        if done >= total:
            self._relax_total = self._relax_done = 0
            self.relax_progress.hide()
            return
        self.relax_progress.setRange(0, total)
        self.relax_progress.setValue(done)
        self.relax_progress.setFormat("Relaxing %v/%m")
        self.relax_progress.show()
        self.statusBar().showMessage(f"Relaxing candidates: {done}/{total} done…")

    def _stale_relax_generation(self: MainWindow) -> None:
        """The session was replaced: results still running no longer belong anywhere."""
        self._relax_generation += 1

    def _take_ticket(self: MainWindow, key: str) -> RelaxTicket | None:
        ticket = self._relax_tickets.pop(key, None)
        self._relax_done += 1
        self._show_relax_progress()
        if ticket is None or ticket.generation != self._relax_generation:
            return None
        return ticket

    @Slot(str, object)
    def _on_relaxed(self: MainWindow, key: str, result: object) -> None:
        ticket = self._take_ticket(key)
        if ticket is None:
            return
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
        if ticket.backend == "dao":
            energy, label = last, result.energy_label
        else:  # CHGNet energies are on another scale than DAO-P's: tooltip only
            energy = None
            label = (
                f"{result.energy_label}: {last:.4f} eV/atom (not comparable with DAO-P energies)"
                if last is not None
                else result.energy_label
            )
        c = self.session.candidates
        record = c.new_record(
            result.crystal,
            ticket.source_text,
            energy_per_atom=energy,
            model=ticket.model,
            energy_label=label,
            extra={"relaxed_from": ticket.source_uid, "relax_energies": list(result.energies)},
        )
        self.undo_stack.push(AddCandidates(c, [record], f"Relax #{ticket.source_uid} ({name})"))
        self.matcher.match([record])
        self.sessions.mark_dirty()
        self.select_uids([record.uid])
        self.candidates_added.emit([record.uid])
        energy_text = f", E = {last:.4f} eV/atom ({name})" if last is not None else ""
        self.statusBar().showMessage(
            f"#{ticket.source_uid} relaxed with {name} → #{record.uid}{energy_text}"
        )

    @Slot(str, object)
    def _on_relax_failed(self: MainWindow, key: str, exc: object) -> None:
        ticket = self._take_ticket(key)
        if ticket is None:
            return
        name = BACKEND_NAMES[ticket.backend]
        self.errors.report(exc, f"Relaxing #{ticket.source_uid} with {name}")  # type: ignore[arg-type]
        self.statusBar().showMessage(f"Relaxing #{ticket.source_uid} with {name} failed.")
