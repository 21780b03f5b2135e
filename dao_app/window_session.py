"""Session handling of the main window: save, open, recent files, unsaved changes, recovery."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox

from dao_app import window_actions
from dao_app.state.session import SUFFIX, Session
from dao_engine import api

if TYPE_CHECKING:
    from dao_app.main_window import MainWindow

SESSION_FILTER = f"DAO Studio sessions (*{SUFFIX})"


class WindowSessionMixin:
    """Mixed into :class:`~dao_app.main_window.MainWindow`."""

    def _collect_session(self: MainWindow) -> None:
        self.session.inputs = self.form.values()

    def _apply_session(self: MainWindow, loaded: Session) -> None:
        # Jobs still running belong to the old session: cancel them and drop late results.
        self.stale_jobs |= {j.job_id for j in self.session.jobs.jobs if j.status.active}
        self.runner.cancel_all()
        self._stale_relax_generation()
        self.undo_stack.clear()
        self.form.set_values(loaded.inputs)
        self.symprec.blockSignals(True)
        self.symprec.setValue(loaded.candidates.symprec)
        self.symprec.blockSignals(False)
        self.session.candidates.symprec = loaded.candidates.symprec
        self.session.candidates.replace_all(loaded.candidates.records)
        self.session.jobs.outputs = dict(loaded.jobs.outputs)
        for job_id in loaded.jobs.outputs:
            self.session.jobs.reserve_ids(job_id)
        self.trajectory.show_shot(None)
        self.polymorphs.set_records([])
        ref = loaded.reference
        self.matcher.set_reference(ref.crystal if ref else None, ref.path if ref else "")
        if len(self.session.candidates):
            self.select_uids([self.session.candidates[0].uid])

    @Slot(bool)
    def _update_title(self: MainWindow, dirty: bool = False) -> None:
        name = self.session.path.name if self.session.path else "untitled"
        self.setWindowTitle(f"{name}{' *' if dirty else ''} — DAO Studio")

    @Slot()
    def save_session(self: MainWindow) -> bool:
        if self.session.path is None:
            return self.save_session_as_dialog()
        return self.save_session_to(self.session.path)

    def save_session_to(self: MainWindow, path: str | Path) -> bool:
        try:
            saved = self.sessions.save(path)
        except (api.DaoError, OSError) as exc:
            self.errors.report(exc, "Saving the session")
            return False
        self._update_title(False)
        self.statusBar().showMessage(f"Session saved to {saved}")
        return True

    @Slot()
    def save_session_as_dialog(self: MainWindow) -> bool:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save session", f"session{SUFFIX}", SESSION_FILTER
        )
        if not path:
            return False
        if not path.endswith(SUFFIX):
            path += SUFFIX
        return self.save_session_to(path)

    @Slot()
    def open_session_dialog(self: MainWindow) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open session", "", SESSION_FILTER)
        if path:
            self.open_session(path)

    def open_session(self: MainWindow, path: str | Path) -> bool:
        if not self.confirm_discard():
            return False
        try:
            self.sessions.open(path)
        except (api.DaoError, OSError) as exc:
            self.errors.report(exc, "Opening the session")
            return False
        self._update_title(False)
        self.statusBar().showMessage(f"Opened {path}: {len(self.session.candidates)} candidates")
        return True

    def open_path(self: MainWindow, path: str | Path) -> bool:
        """Open a session file as a session, any structure file as the reference."""
        if str(path).endswith(SUFFIX):
            return self.open_session(path)
        return self.open_reference(path)

    @Slot()
    def clear_recent(self: MainWindow) -> None:
        self.settings.clear_recent()
        window_actions.update_recent_menu(self, [])

    def confirm_discard(self: MainWindow) -> bool:
        """True when unsaved changes may be dropped (asks the user when interactive)."""
        if not self.sessions.dirty or not self.interactive:
            return True
        answer = QMessageBox.question(
            self,
            "Unsaved session",
            "The session has unsaved changes. Save them first?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save_session()
        if answer == QMessageBox.StandardButton.Discard:
            self.sessions.discard_autosave()
            return True
        return False

    def offer_recovery(self: MainWindow) -> bool:
        """At start-up: reopen the autosave of a session that crashed (asks when interactive)."""
        if self.sessions.recoverable() is None:
            return False
        if (
            self.interactive
            and QMessageBox.question(
                self,
                "Recover session",
                "DAO Studio did not close cleanly last time. Recover the autosaved session?",
            )
            != QMessageBox.StandardButton.Yes
        ):
            self.sessions.discard_autosave()
            self.sessions.timer.start()
            return False
        try:
            self.sessions.recover()
        except (api.DaoError, OSError) as exc:
            self.errors.report(exc, "Recovering the autosave")
            return False
        self.statusBar().showMessage("Recovered the autosaved session (not yet saved).")
        return True
