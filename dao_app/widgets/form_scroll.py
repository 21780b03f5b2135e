"""A vertical scroll area for a form in a side panel: as large as the form wants when there is
room, scrolling it when the window is short (so the form never sets the window's height)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QSizePolicy, QWidget

MIN_HEIGHT = 120  # the scroll area never gets shorter than this (pixels)


class FormScroll(QScrollArea):
    """Holds ``widget``; its size hint is the widget's own (``QScrollArea`` caps its hint at a
    few dozen lines), its minimum height :data:`MIN_HEIGHT`, its minimum width the widget's
    (a form is never scrolled sideways)."""

    def __init__(self, widget: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setWidget(widget)

    def _bar_width(self) -> int:
        return self.verticalScrollBar().sizeHint().width()

    def sizeHint(self) -> QSize:  # noqa: N802
        hint = self.widget().sizeHint()
        return QSize(hint.width() + self._bar_width(), hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.widget().minimumSizeHint().width() + self._bar_width(), MIN_HEIGHT)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the form grew or shrank: so does this hint
        return super().eventFilter(watched, event)
