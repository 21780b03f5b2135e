"""Save / open sessions, autosave for crash recovery, and the recent-files list."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from dao_app.settings import AppSettings
from dao_app.state.session import Session, load_session, save_session

AUTOSAVE_INTERVAL_MS = 30_000


class SessionController(QObject):
    """Owns the dirty flag and the session file.

    ``collect`` is called before saving to copy widget state (form inputs) into the session;
    ``apply`` installs a loaded session into the window. Signals: ``saved(path)``,
    ``opened(path)``, ``dirty_changed(bool)``, ``recent_changed(list)``.
    """

    saved = Signal(str)
    opened = Signal(str)
    dirty_changed = Signal(bool)
    recent_changed = Signal(list)

    def __init__(
        self,
        session: Session,
        settings: AppSettings,
        collect: Callable[[], None],
        apply: Callable[[Session], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings
        self._collect = collect
        self._apply = apply
        self.dirty = False
        self.timer = QTimer(self, interval=AUTOSAVE_INTERVAL_MS)
        self.timer.timeout.connect(self.autosave)
        self.timer.start()

    @Slot()
    def mark_dirty(self) -> None:
        if not self.dirty:
            self.dirty = True
            self.dirty_changed.emit(True)

    def _clean(self) -> None:
        if self.dirty:
            self.dirty = False
            self.dirty_changed.emit(False)

    def save(self, path: str | Path | None = None) -> Path:
        """Write the session (to ``path``, else its current file); raises SessionFileError."""
        target = Path(path) if path is not None else self.session.path
        if target is None:
            raise ValueError("no file chosen for the session")
        self._collect()
        save_session(self.session, target)
        self.session.path = target
        self._clean()
        self.settings.autosave_path.unlink(missing_ok=True)  # the saved file supersedes it
        self.recent_changed.emit(self.settings.add_recent(target))
        self.saved.emit(str(target))
        return target

    def open(self, path: str | Path) -> Session:
        """Read a session file and install it; raises SessionFileError (nothing changes then)."""
        loaded = load_session(path)
        self._apply(loaded)
        self.session.path = Path(path)
        self._clean()
        self.recent_changed.emit(self.settings.add_recent(path))
        self.opened.emit(str(path))
        return loaded

    @Slot()
    def autosave(self) -> Path | None:
        """Write the crash-recovery copy when something changed since the last save."""
        if not self.dirty:
            return None
        target = self.settings.autosave_path
        target.parent.mkdir(parents=True, exist_ok=True)
        self._collect()
        keep = self.session.path
        save_session(self.session, target)
        self.session.path = keep
        return target

    def recoverable(self) -> Path | None:
        """The autosave left by a session that did not end cleanly, if any."""
        path = self.settings.autosave_path
        return path if path.is_file() else None

    def recover(self) -> Session:
        """Open the autosave copy as an unsaved session."""
        loaded = load_session(self.settings.autosave_path)
        self._apply(loaded)
        self.session.path = None
        self.mark_dirty()
        return loaded

    def discard_autosave(self) -> None:
        """Called on a clean exit: nothing to recover next time."""
        self.timer.stop()
        self.settings.autosave_path.unlink(missing_ok=True)
