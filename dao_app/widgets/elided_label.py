"""A one-line rich-text label that never widens its window: a text longer than the label is cut
with "…" (bold, colours and sub/superscripts kept) and the whole text is its tooltip.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QResizeEvent, QTextCursor, QTextDocument
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

ELLIPSIS = "…"
MINIMUM_WIDTH = 40


def plain_text(html: str) -> str:
    """The text of a rich-text string (tags dropped, common entities decoded)."""
    text = re.sub(r"<br\s*/?>", " ", html)
    text = re.sub(r"<[^>]+>", "", text)
    return (
        text.replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    )


def _document(html: str, font: QFont) -> QTextDocument:
    doc = QTextDocument()
    doc.setDefaultFont(font)
    doc.setDocumentMargin(0)
    doc.setHtml(html)
    return doc


def _cut(html: str, font: QFont, keep: int) -> QTextDocument:
    """The document of ``html`` with only its first ``keep`` characters, then "…"."""
    doc = _document(html, font)
    cursor = QTextCursor(doc)
    cursor.setPosition(keep)
    cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
    cursor.removeSelectedText()
    cursor.insertText(ELLIPSIS)
    return doc


def elide_rich(html: str, font: QFont, width: int) -> str:
    """``html`` when it fits in ``width`` pixels, else its longest start that fits, plus "…"."""
    full = _document(html, font)
    if full.idealWidth() <= width:
        return html
    low, high = 0, max(0, full.characterCount() - 1)
    while low < high:  # the largest number of characters kept that still fits
        middle = (low + high + 1) // 2
        if _cut(html, font, middle).idealWidth() <= width:
            low = middle
        else:
            high = middle - 1
    return _cut(html, font, low).toHtml()


class ElidedLabel(QLabel):
    """See the module docstring. :meth:`text` returns the whole text; the label shows as much
    of it as fits (:meth:`shown_text`). Its width comes from its layout, never from its text."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(False)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(MINIMUM_WIDTH)
        self._full = ""
        self._shown = ""
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self._full = text
        self.setToolTip(plain_text(text))
        self._elide()

    def text(self) -> str:
        return self._full

    def shown_text(self) -> str:
        return self._shown

    def is_elided(self) -> bool:
        return self._shown != self._full

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(MINIMUM_WIDTH, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(MINIMUM_WIDTH, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = self.contentsRect().width() - 2 * max(self.margin(), 0)
        shown = elide_rich(self._full, self.font(), max(width, 1)) if self._full else ""
        if shown != self._shown:
            self._shown = shown
            super().setText(shown)
