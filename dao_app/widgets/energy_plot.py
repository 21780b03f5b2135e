"""Predicted energy versus denoising step for every shot (matplotlib, embedded)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QWidget

from dao_app.widgets.plot_canvas import PlotCanvas

NO_ENERGY_TEXT = (
    "This model predicts no energies, so there is no curve to draw.\n"
    "Energy curves appear with a model that has an energy head (DAO-P)."
)


class EnergyPlot(PlotCanvas):
    """``set_trajectories`` draws one line per shot; ``set_marker`` moves the step marker."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.trajectories: list[list[float]] = []
        self.highlight: int | None = None
        self._marker = None
        self.set_trajectories([], 0)

    def set_trajectories(
        self,
        trajectories: Sequence[Sequence[float]],
        total_steps: int,
        highlight: int | None = None,
        title: str = "",
        empty_text: str = NO_ENERGY_TEXT,
    ) -> None:
        """One curve per shot (energy per step, eV/atom); ``highlight`` is a 1-based shot;
        ``empty_text`` is drawn when there is no curve (why there is none)."""
        self.trajectories = [list(t) for t in trajectories]
        self.empty_text = empty_text
        self.total_steps = total_steps
        self.highlight = highlight
        self.title = title
        self._redraw()

    def _redraw(self) -> None:
        ax = self.axes
        ax.clear()
        fg, bg = self._theme()
        ax.set_xlabel("denoising step", color=fg)
        ax.set_ylabel("predicted energy (eV/atom)", color=fg)
        if self.title:
            # wrap: a long model label breaks into lines inside the figure, never clipped
            ax.set_title(self.title, color=fg, fontsize=9, wrap=True)
        if not self.trajectories:
            ax.text(
                0.5,
                0.5,
                getattr(self, "empty_text", NO_ENERGY_TEXT),
                ha="center",
                va="center",
                wrap=True,
                transform=ax.transAxes,
                color=fg,
                fontsize=9,
            )
            ax.set_xlim(0, max(self.total_steps, 1))
            ax.set_yticks([])
        for shot, energies in enumerate(self.trajectories, start=1):
            chosen = self.highlight in (None, shot)
            ax.plot(
                range(1, len(energies) + 1),
                energies,
                lw=1.6 if chosen else 0.8,
                alpha=1.0 if chosen else 0.35,
                label=f"shot {shot}" if chosen else None,
            )
        self._marker = ax.axvline(0, color="#d62728", lw=1.2, visible=False)
        self.draw_idle()

    def set_marker(self, step: int | None) -> None:
        """Show a vertical line at ``step`` (None hides it)."""
        if self._marker is None:
            return
        self._marker.set_visible(step is not None)
        if step is not None:
            self._marker.set_xdata([step, step])
        self.draw_idle()

    @property
    def marker_step(self) -> int | None:
        if self._marker is None or not self._marker.get_visible():
            return None
        return int(self._marker.get_xdata()[0])
