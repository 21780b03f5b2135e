"""The session file: save, open, recent files, unsaved changes and crash recovery.

:class:`~dao_app.session_controller.SessionController` (``store``) owns the dirty flag, the
file and the autosave; this controller adds the dialogs, the window title and installing a
loaded session into the widgets. Other parts of the window drop their own session state on
``replacing`` (running jobs and relaxations, undo history, the trajectory and polymorph tabs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QDoubleSpinBox, QFileDialog, QMessageBox, QWidget

from dao_app.dialogs.errors import ErrorReporter
from dao_app.match_controller import MatchController
from dao_app.session_controller import SessionController
from dao_app.settings import AppSettings
from dao_app.state.session import SUFFIX, Session
from dao_app.widgets.predict_form import PredictForm
from dao_engine import api

SESSION_FILTER = f"DAO Studio sessions (*{SUFFIX})"


class SessionFilesController(QObject):
    """See the module docstring. ``interactive=False`` asks nothing (tests, scripts).

    Signal: ``replacing()`` just before a loaded session replaces the current one.
    """

    replacing = Signal()

    def __init__(
        self,
        session: Session,
        settings: AppSettings,
        form: PredictForm,
        symprec: QDoubleSpinBox,
        matcher: MatchController,
        select_uids: Callable[[Sequence[int]], None],
        open_reference: Callable[[str | Path], bool],
        errors: ErrorReporter,
        show_message: Callable[[str], None],
        parent: QWidget,
        interactive: bool = True,
    ) -> None:
        super().__init__(parent)
        self.session, self.settings, self.form = session, settings, form
        self.symprec, self.matcher = symprec, matcher
        self._select_uids, self._open_reference = select_uids, open_reference
        self.errors, self.show_message = errors, show_message
        self.interactive = interactive
        self._window = parent
        self.store = SessionController(session, settings, self._collect, self._apply, self)
        self.store.dirty_changed.connect(self._update_title)

    # --- installing a session ------------------------------------------------------------
    def _collect(self) -> None:
        self.session.inputs = self.form.values()

    def _apply(self, loaded: Session) -> None:
        self.replacing.emit()  # jobs still running belong to the old session
        self.form.set_values(loaded.inputs)
        self.symprec.blockSignals(True)
        self.symprec.setValue(loaded.candidates.symprec)
        self.symprec.blockSignals(False)
        self.session.candidates.symprec = loaded.candidates.symprec
        self.session.candidates.replace_all(loaded.candidates.records)
        self.session.jobs.outputs = dict(loaded.jobs.outputs)
        for job_id in loaded.jobs.outputs:
            self.session.jobs.reserve_ids(job_id)
        ref = loaded.reference
        self.matcher.set_reference(ref.crystal if ref else None, ref.path if ref else "")
        if len(self.session.candidates):
            self._select_uids([self.session.candidates[0].uid])

    @Slot(bool)
    def _update_title(self, dirty: bool = False) -> None:
        name = self.session.path.name if self.session.path else "untitled"
        self._window.setWindowTitle(f"{name}{' *' if dirty else ''} — DAO Studio")

    # --- saving --------------------------------------------------------------------------
    @Slot()
    def save_session(self) -> bool:
        """File ▸ Save Session (asks for a file the first time)."""
        if self.session.path is None:
            return self.save_session_as_dialog()
        return self.save_session_to(self.session.path)

    def save_session_to(self, path: str | Path) -> bool:
        """Save to ``path``; False (reported) when it cannot be written."""
        try:
            saved = self.store.save(path)
        except (api.DaoError, OSError) as exc:
            self.errors.report(exc, "Saving the session")
            return False
        self._update_title(False)
        self.show_message(f"Session saved to {saved}")
        return True

    @Slot()
    def save_session_as_dialog(self) -> bool:
        """File ▸ Save Session As…"""
        path, _ = QFileDialog.getSaveFileName(
            self._window, "Save session", f"session{SUFFIX}", SESSION_FILTER
        )
        if not path:
            return False
        if not path.endswith(SUFFIX):
            path += SUFFIX
        return self.save_session_to(path)

    # --- opening -------------------------------------------------------------------------
    @Slot()
    def open_session_dialog(self) -> None:
        """File ▸ Open Session…"""
        path, _ = QFileDialog.getOpenFileName(self._window, "Open session", "", SESSION_FILTER)
        if path:
            self.open_session(path)

    def open_session(self, path: str | Path) -> bool:
        """Open a session file (after asking about unsaved changes); False when not."""
        if not self.confirm_discard():
            return False
        try:
            self.store.open(path)
        except (api.DaoError, OSError) as exc:
            self.errors.report(exc, "Opening the session")
            return False
        self._update_title(False)
        self.show_message(f"Opened {path}: {len(self.session.candidates)} candidates")
        return True

    def open_path(self, path: str | Path) -> bool:
        """Open a session file as a session, any structure file as the reference."""
        if str(path).endswith(SUFFIX):
            return self.open_session(path)
        return self._open_reference(path)

    @Slot()
    def clear_recent(self) -> None:
        """File ▸ Open Recent ▸ Clear List."""
        self.settings.clear_recent()
        self.store.recent_changed.emit([])

    # --- unsaved changes -----------------------------------------------------------------
    def confirm_discard(self) -> bool:
        """True when unsaved changes may be dropped (asks the user when interactive)."""
        if not self.store.dirty or not self.interactive:
            return True
        answer = QMessageBox.question(
            self._window,
            "Unsaved session",
            "The session has unsaved changes. Save them first?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save_session()
        if answer == QMessageBox.StandardButton.Discard:
            self.store.discard_autosave()
            return True
        return False

    def offer_recovery(self) -> bool:
        """At start-up: reopen the autosave of a session that crashed (asks when interactive)."""
        if self.store.recoverable() is None:
            return False
        if self.interactive and not self._ask_recover():
            self.store.discard_autosave()
            self.store.timer.start()
            return False
        try:
            self.store.recover()
        except (api.DaoError, OSError) as exc:
            self.errors.report(exc, "Recovering the autosave")
            return False
        self.show_message("Recovered the autosaved session (not yet saved).")
        return True

    def _ask_recover(self) -> bool:
        answer = QMessageBox.question(
            self._window,
            "Recover session",
            "DAO Studio did not close cleanly last time. Recover the autosaved session?",
        )
        return answer == QMessageBox.StandardButton.Yes
