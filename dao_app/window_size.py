"""The main window's first size: the preferred one, fitted to the screen it opens on."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication

PREFERRED_SIZE = (1500, 950)


def fit_to_screen(preferred: tuple[int, int], available: tuple[int, int]) -> tuple[int, int]:
    """The preferred (width, height) in pixels, shrunk to 96 % of the screen's available area
    (all of a 1366×768 screen available: 1311×737, so the title bar stays in view)."""
    return (
        min(preferred[0], int(0.96 * available[0])),
        min(preferred[1], int(0.96 * available[1])),
    )


def default_window_size() -> QSize:
    """:data:`PREFERRED_SIZE` fitted to the primary screen. The offscreen platform (tests) has
    no real screen, so it keeps the preferred size."""
    screen = QGuiApplication.primaryScreen()
    if screen is None or QGuiApplication.platformName() == "offscreen":
        return QSize(*PREFERRED_SIZE)
    area = screen.availableGeometry()
    return QSize(*fit_to_screen(PREFERRED_SIZE, (area.width(), area.height())))
