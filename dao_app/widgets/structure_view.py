"""A 3-D crystal view: pyvistaqt ``QtInteractor`` plus a title bar (legend, measure, reset,
PNG). The Measure button turns on distance/angle picking (:mod:`dao_app.widgets.measure_tool`).

Where OpenGL is not available (see :func:`~dao_app.widgets.render.vtk_usable`) the same widget
shows a text placeholder but still builds the scene, so logic tests exercise everything
except the pixels.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from dao_app import elements
from dao_app.scene import Scene, SceneOptions, build_scene
from dao_app.widgets import render
from dao_app.widgets.elided_label import ElidedLabel
from dao_app.widgets.measure_tool import HINT, MeasureTool
from dao_engine import api


def legend_html(scene: Scene | None) -> str:
    """Coloured element symbols, e.g. ``● Na ● Cl`` in their scheme colours."""
    if scene is None:
        return ""
    return "  ".join(
        f'<span style="color:{elements.hex_colour(rgb)}">●</span> {sym}'
        for sym, rgb in scene.legend.items()
    )


class StructureView(QWidget):
    """Shows one crystal. ``set_crystal``, ``set_options``, ``set_dark``, ``export_png``."""

    rendered = Signal()  # a new scene was drawn (or built, in placeholder mode)
    measured = Signal(str)  # the current measurement, a hint, or "" (see MeasureTool)

    def __init__(
        self,
        title: str = "",
        parent: QWidget | None = None,
        empty_text: str = "No structure selected.",
    ) -> None:
        super().__init__(parent)
        self.crystal: api.Crystal | None = None
        self.options = SceneOptions()
        self.dark = False
        self.scene: Scene | None = None
        self.empty_text = empty_text
        self.title = ElidedLabel(title)  # cut with "…" when long; the window never grows
        self.legend = QLabel(textFormat=Qt.TextFormat.RichText)
        reset = QToolButton(text="⟲", toolTip="Reset the camera (R)")
        reset.clicked.connect(self.reset_camera)
        self.png_button = QToolButton(text="PNG", toolTip="Save this view as a PNG image")
        self.measure_button = QToolButton(text="Measure", checkable=True, toolTip=HINT)
        # The measurement (or the hint) goes to the window's status bar through ``measured``;
        # the 3-D overlay labels the value. This label only keeps the text (never shown).
        self.measure_label = QLabel(self)
        self.measure_label.hide()
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 0, 4, 0)
        bar.addWidget(self.title, 1)
        bar.addWidget(self.legend)
        bar.addWidget(self.measure_button)
        bar.addWidget(reset)
        bar.addWidget(self.png_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(bar)
        # Page 0: a text label (empty view, or no OpenGL); page 1: the VTK interactor.
        self._stack = QStackedWidget()
        self._placeholder = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self._placeholder.setMinimumSize(200, 150)
        self._placeholder.setAutoFillBackground(True)
        self._stack.addWidget(self._placeholder)
        layout.addWidget(self._stack, 1)
        self.plotter: Any = None
        if render.vtk_usable():
            from pyvistaqt import QtInteractor

            self.plotter = QtInteractor(self._stack, auto_update=False)  # render on change only
            self.plotter.enable_anti_aliasing("ssaa")
            self._stack.addWidget(self.plotter.interactor)
        self.measure = MeasureTool(self, self)
        self.measure.measured.connect(self._on_measured)
        self.measure_button.toggled.connect(self.measure.set_active)
        self._show_empty()

    @property
    def has_3d(self) -> bool:
        return self.plotter is not None

    def set_title(self, text: str) -> None:
        """A rich-text title; cut with "…" when too long, the whole of it in the tooltip."""
        self.title.setText(text)

    def set_crystal(
        self, crystal: api.Crystal | None, title: str | None = None, reset_camera: bool = True
    ) -> None:
        """Show ``crystal`` (None clears the view)."""
        self.crystal = crystal
        if title is not None:
            self.set_title(title)
        self._redraw(reset_camera)

    def set_options(self, options: SceneOptions) -> None:
        """Redraw with new options; the camera is refitted when the drawn cell changes."""
        refit = (options.supercell, options.cell) != (self.options.supercell, self.options.cell)
        self.options = options
        self._redraw(reset_camera=refit)

    def set_dark(self, dark: bool) -> None:
        self.dark = dark
        self._redraw(reset_camera=False)

    def _show_text(self, text: str) -> None:
        bg = render.DARK_BACKGROUND if self.dark else render.LIGHT_BACKGROUND
        fg = render.foreground(self.dark)
        self._placeholder.setStyleSheet(f"background: {bg}; color: {fg}; padding: 12px;")
        self._placeholder.setText(text)
        self._stack.setCurrentIndex(0)

    def _show_empty(self) -> None:
        self.scene = None
        self.legend.setText("")
        if self.plotter is not None:
            self.plotter.clear_actors()
        self.measure.scene_changed(None)
        self._show_text(self.empty_text)

    @Slot(str)
    def _on_measured(self, text: str) -> None:
        self.measure_label.setText(text)
        self.measure_label.setToolTip(text)
        self.measured.emit(text)

    def _redraw(self, reset_camera: bool) -> None:
        if self.crystal is None:
            self._show_empty()
            return
        old = self.scene
        self.legend.setToolTip("")
        try:
            self.scene = build_scene(self.crystal, self.options)
        except (ValueError, api.SymmetryError) as exc:  # too big, or no standard cell found
            self.scene = build_scene(
                self.crystal, replace(self.options, supercell=(1, 1, 1), cell="as_is")
            )
            self.legend.setToolTip(f"Drawn as given, one cell: {exc}")
        self.legend.setText(legend_html(self.scene))
        if self.plotter is not None:
            self._stack.setCurrentIndex(1)
            render.draw_scene(self.plotter, self.scene, self.dark, reset_camera)
        else:
            self._show_text(
                f"{self.crystal.formula()}: {len(self.scene.positions)} atoms drawn, "
                f"{self.scene.num_bonds} bonds\n(3-D rendering needs OpenGL)"
            )
        self.measure.scene_changed(old)  # re-draws the overlay (and renders) or clears it
        self.rendered.emit()

    @Slot()
    def reset_camera(self) -> None:
        if self.plotter is not None and self.scene is not None:
            self.plotter.view_isometric()
            self.plotter.reset_camera()
            self.plotter.render()

    def image(self) -> np.ndarray | None:
        """(H, W, 3) uint8 RGB of the 3-D area, or None without 3-D rendering."""
        if self.plotter is None:
            return None
        self.plotter.render()
        return np.asarray(self.plotter.screenshot(None, return_img=True))

    def export_png(self, path: str | Path, scale: int = 2) -> Path:
        """Save the 3-D area as PNG (``scale`` × the on-screen size). Raises RuntimeError
        without 3-D rendering and OSError when the file cannot be written."""
        if self.plotter is None:
            raise RuntimeError(
                "3-D rendering is not available in this session (no OpenGL), "
                "so there is no image to save"
            )
        if self.scene is None:
            raise RuntimeError("the view is empty: select a structure first")
        path = Path(path)
        self.plotter.screenshot(str(path), scale=scale)
        return path

    def close_view(self) -> None:
        """Release the VTK render window (call before the widget is destroyed)."""
        self.measure.detach()
        if self.plotter is not None:
            self.plotter.close()
            self.plotter = None
