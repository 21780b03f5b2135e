"""User preferences and recent files (QSettings), and where autosaves go.

Tests pass an INI file and a temporary folder so they never touch the user's settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QStandardPaths

ORGANIZATION = "DAO Studio"
APPLICATION = "DAO Studio"
MAX_RECENT = 8


class AppSettings:
    """Typed access to the few settings the app keeps."""

    def __init__(
        self, ini_path: str | Path | None = None, data_dir: str | Path | None = None
    ) -> None:
        if ini_path is None:
            self.qsettings = QSettings(ORGANIZATION, APPLICATION)
        else:
            self.qsettings = QSettings(str(ini_path), QSettings.Format.IniFormat)
        if data_dir is None:
            location = QStandardPaths.StandardLocation.AppDataLocation
            data_dir = QStandardPaths.writableLocation(location) or Path.home() / ".dao-studio"
        self.data_dir = Path(data_dir)

    @property
    def autosave_path(self) -> Path:
        """The crash-recovery copy of the current session."""
        return self.data_dir / "autosave.daosession"

    def recent_files(self) -> list[str]:
        """Recently opened/saved session and structure files, newest first, existing only."""
        value = self.qsettings.value("recent_files", [])
        items = [value] if isinstance(value, str) else list(value or [])
        return [p for p in items if Path(p).exists()][:MAX_RECENT]

    def add_recent(self, path: str | Path) -> list[str]:
        path = str(Path(path).resolve())
        items = [path] + [p for p in self.recent_files() if p != path]
        self.qsettings.setValue("recent_files", items[:MAX_RECENT])
        return items[:MAX_RECENT]

    def clear_recent(self) -> None:
        self.qsettings.setValue("recent_files", [])

    def get(self, key: str, default: Any = None) -> Any:
        value = self.qsettings.value(key, default)
        if isinstance(default, bool) and isinstance(value, str):
            return value.lower() == "true"
        return value

    def set(self, key: str, value: Any) -> None:
        self.qsettings.setValue(key, value)

    def sync(self) -> None:
        self.qsettings.sync()
