"""A matplotlib canvas embedded in Qt with a light/dark theme (base of the app's plots)."""

from __future__ import annotations

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtWidgets import QSizePolicy, QWidget

#: (foreground, background) colours of the light and dark themes
LIGHT = ("#202020", "#ffffff")
DARK = ("#d8d8d8", "#1f2024")


class PlotCanvas(FigureCanvasQTAgg):
    """One expanding axes; subclasses implement ``_redraw`` and call :meth:`_theme` there."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.figure = Figure(figsize=(5, 3), layout="constrained")
        super().__init__(self.figure)
        self.setParent(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(160)
        self.axes = self.figure.add_subplot()
        self._dark = False

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        self._redraw()

    def _theme(self) -> tuple[str, str]:
        """Apply the theme's colours to figure, axes, spines and ticks; returns (fg, bg)."""
        fg, bg = DARK if self._dark else LIGHT
        self.figure.set_facecolor(bg)
        self.axes.set_facecolor(bg)
        for spine in self.axes.spines.values():
            spine.set_color(fg)
        self.axes.tick_params(colors=fg, which="both")
        return fg, bg

    def _redraw(self) -> None:
        raise NotImplementedError
