"""Show errors to the user as dialogs that say what happened and what to do."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from dao_app.errors import ErrorReport, describe


class ErrorReporter(QObject):
    """``report(exc, context)`` opens a (non-blocking) message box and emits ``reported``.

    With ``interactive = False`` (tests, scripted runs) no dialog opens; the reports are kept
    in ``history`` and announced through the signal.
    """

    reported = Signal(str, str)  # title, text

    def __init__(self, parent: QWidget, interactive: bool = True) -> None:
        super().__init__(parent)
        self.window = parent
        self.interactive = interactive
        self.history: list[ErrorReport] = []

    def report(self, exc: BaseException, context: str = "") -> ErrorReport:
        report = describe(exc, context)
        self.history.append(report)
        self.reported.emit(report.title, report.text)
        if self.interactive:
            box = QMessageBox(
                QMessageBox.Icon.Warning,
                report.title,
                report.message,
                QMessageBox.StandardButton.Ok,
                self.window,
            )
            box.setInformativeText(report.advice)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
        return report
