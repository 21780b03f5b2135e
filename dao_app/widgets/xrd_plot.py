"""The XRD tab: simulated Cu Kα powder pattern of a candidate, over the reference's.

Peaks come from pymatgen's ``XRDCalculator`` (``api.powder_pattern``), broadened with a narrow
Gaussian for display; each pattern is scaled to a strongest peak of 100.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from dao_app.widgets.plot_canvas import PlotCanvas
from dao_engine import api

TWO_THETA_RANGE = (10.0, 90.0)
X_LABEL = "2θ (°), Cu Kα"
Y_LABEL = "intensity (a.u.)"
EMPTY_TEXT = "Select a candidate to see its simulated powder pattern (Cu Kα)."
PENDING_TEXT = "Computing the powder pattern…"
CANDIDATE_COLOUR = "#1f77b4"
REFERENCE_COLOUR = "#d62728"


class XrdPlot(PlotCanvas):
    """``set_patterns(candidate, reference)``: each a (label, api.PowderPattern) or None;
    ``set_pending()`` says a pattern is being computed (the plot is cleared meanwhile)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.candidate: tuple[str, api.PowderPattern] | None = None
        self.reference: tuple[str, api.PowderPattern] | None = None
        self.pending = False
        self._redraw()

    def set_pending(self) -> None:
        self.candidate, self.reference, self.pending = None, None, True
        self._redraw()

    def set_patterns(
        self,
        candidate: tuple[str, api.PowderPattern] | None,
        reference: tuple[str, api.PowderPattern] | None = None,
    ) -> None:
        self.candidate, self.reference, self.pending = candidate, reference, False
        self._redraw()

    def _redraw(self) -> None:
        ax = self.axes
        ax.clear()
        fg, bg = self._theme()
        ax.set_xlabel(X_LABEL, color=fg)
        ax.set_ylabel(Y_LABEL, color=fg)
        ax.set_xlim(*TWO_THETA_RANGE)
        if self.candidate is None:
            ax.text(
                0.5,
                0.5,
                PENDING_TEXT if self.pending else EMPTY_TEXT,
                ha="center",
                va="center",
                transform=ax.transAxes,
                color=fg,
                fontsize=9,
            )
            ax.set_yticks([])
            self.draw_idle()
            return
        curves = [(self.candidate, CANDIDATE_COLOUR, 1.4)]
        if self.reference is not None:
            curves.append((self.reference, REFERENCE_COLOUR, 1.0))
        for (label, pattern), colour, width in curves:
            x, y = api.broadened_pattern(pattern, TWO_THETA_RANGE)
            ax.plot(x, y, color=colour, lw=width, label=label, alpha=0.9)
        ax.set_ylim(0, 110)
        position, hkl = self.candidate[1].strongest()
        ax.annotate(
            "(" + "".join(str(h) for h in hkl) + ")",
            (position, 100),
            xytext=(4, 2),
            textcoords="offset points",
            color=fg,
            fontsize=8,
        )
        legend = ax.legend(loc="upper right", fontsize=8, frameon=False)
        for text in legend.get_texts():
            text.set_color(fg)
        self.draw_idle()
