"""Predicted T_c of a few structures: each ensemble member as a dot, the ensemble as a diamond
with its spread (matplotlib, embedded like the energy plot)."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.ticker import FormatStrFormatter, LogFormatter
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QWidget

from dao_app.widgets.plot_canvas import PlotCanvas
from dao_engine import api

EMPTY_TEXT = "Select candidates with a predicted T$_c$ to compare their ensembles here."
TC = "T$_c$"  # matplotlib mathtext: T with a subscript c
#: legend columns by the canvas width in pixels: (least width, columns), widest first
LEGEND_COLUMNS = ((600, 3), (430, 2), (0, 1))


def legend_columns(width: int) -> int:
    """How many legend entries fit side by side above a plot ``width`` pixels wide."""
    return next(columns for least, columns in LEGEND_COLUMNS if width >= least)


class TcPlot(PlotCanvas):
    """``set_rows([(name, prediction), ...])`` draws one row per structure (T_c in K, log axis)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._legend = None
        self._columns = legend_columns(self.width())
        self.rows: list[tuple[str, api.TcPrediction]] = []
        self._redraw()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        """Re-lay the legend when its entries no longer fit side by side (or fit again)."""
        super().resizeEvent(event)
        columns = legend_columns(self.width())
        if columns != self._columns:
            self._columns = columns
            if self.rows:
                self._redraw()

    def set_rows(self, rows: Sequence[tuple[str, api.TcPrediction]]) -> None:
        """One row per (label, prediction), drawn top to bottom in the given order."""
        self.rows = list(rows)
        self._redraw()

    def _style(self) -> tuple[str, str]:
        fg, bg = self._theme()
        self.axes.set_xlabel(f"predicted {TC} (K, log scale)", color=fg)
        return fg, bg

    def _redraw(self) -> None:
        ax = self.axes
        ax.clear()
        if self._legend is not None:
            self._legend.remove()
            self._legend = None
        fg, bg = self._style()
        if not self.rows:
            ax.text(0.5, 0.5, EMPTY_TEXT, ha="center", va="center", wrap=True,
                    transform=ax.transAxes, color=fg, fontsize=9)  # fmt: skip
            ax.set_xticks([])
            ax.set_yticks([])
            self.draw_idle()
            return
        n = len(self.rows)
        for i, (_, tc) in enumerate(self.rows):
            y = n - 1 - i
            ax.hlines(y, tc.tc_low, tc.tc_high, color="#1f77b4", lw=3, alpha=0.45,
                      label=f"exp(mean ± std) of ln {TC}" if i == 0 else None)  # fmt: skip
            ax.scatter(tc.members, [y] * len(tc.members), s=22, color="#7f7f7f", zorder=3,
                       label="ensemble members" if i == 0 else None)  # fmt: skip
            ax.scatter([tc.tc], [y], s=70, marker="D", color="#d62728", zorder=4,
                       label=f"ensemble {TC} (geometric mean)" if i == 0 else None)  # fmt: skip
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))  # 0.1, 1, 10 instead of 10^k
        ax.xaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False))  # 4, 6, not 4×10^0
        ax.set_yticks(range(n), [name for name, _ in reversed(self.rows)], color=fg)
        ax.set_ylim(-0.6, n - 0.4)
        ax.grid(axis="x", which="both", alpha=0.25)
        legend = self.figure.legend(loc="outside upper center", fontsize=8, ncols=self._columns)
        legend.get_frame().set_facecolor(bg)
        self._legend = legend
        for text in legend.get_texts():
            text.set_color(fg)
        self.draw_idle()
