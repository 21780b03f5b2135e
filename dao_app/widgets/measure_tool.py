"""Measure distances and angles by clicking atoms in a 3-D view (a :class:`MeasuredView`,
e.g. :class:`~dao_app.widgets.structure_view.StructureView`).

While the view's Measure button is on, a left *click* (press and release within a few pixels,
so dragging still rotates the camera) on an atom picks it: 2 picks give a distance in Å,
3 picks an angle in degrees at the middle atom; a 4th click starts a new measurement. The picked
atoms get orange halos, the measurement is drawn as a line with its value, and ``measured(text)``
announces it (the window shows it in the status bar). ``clear()`` (Esc) or switching the mode
off removes everything. Which positions are measured (minimum image for one drawn cell, as drawn
for a supercell) is decided in :mod:`dao_app.measure`.

:meth:`MeasureTool.pick_atom` is the handler every click ends in; tests call it with atom
indices, since pyvista picking needs a real OpenGL render.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import QMouseEvent

from dao_app.measure import Measurement, measure, nearest_atom
from dao_app.widgets import render

if TYPE_CHECKING:
    from dao_app.scene import Scene

#: A press and release closer than this (pixels) is a click, not a camera drag.
CLICK_SLOP = 4
HINT = "Measure: click 2 atoms for a distance, 3 for an angle (Esc clears)"


class MeasuredView(Protocol):
    """What the tool needs of its view: the drawn scene and the pyvista plotter (None without
    OpenGL)."""

    @property
    def scene(self) -> Scene | None: ...

    @property
    def plotter(self) -> Any: ...


class MeasureTool(QObject):
    """Picks and the current measurement of one view; see the module docstring."""

    measured = Signal(str)  # the measurement text, or a hint ("" when switched off)

    def __init__(self, view: MeasuredView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.active = False
        self.picks: list[int] = []
        self.measurement: Measurement | None = None
        self._press: tuple[float, float] | None = None
        self._announced = ""

    @property
    def text(self) -> str:
        """What the user reads about the current picks."""
        scene = self.view.scene
        if self.measurement is not None:
            note = " (nearest periodic image)" if self.measurement.periodic else " (as drawn)"
            return self.measurement.text + note
        if self.picks and scene is not None:
            return f"{scene.atom_names()[self.picks[0]]} picked: click another atom"
        return HINT if self.active else ""

    def set_active(self, on: bool) -> None:
        """Switch measuring on or off (off clears the picks)."""
        if on == self.active:
            return
        self.active = on
        widget = self._widget()
        if widget is not None:
            if on:
                widget.installEventFilter(self)
            else:
                widget.removeEventFilter(self)
        if not on:
            self.picks = []
            self.measurement = None
        self._redraw()

    def clear(self) -> bool:
        """Forget the picks (Esc); True when there was something to clear."""
        had = bool(self.picks)
        self.picks = []
        self.measurement = None
        self._redraw()
        return had

    @Slot(int)
    def pick_atom(self, index: int) -> None:
        """Add drawn atom ``index`` (into ``view.scene.positions``) to the measurement.

        Picking the atom just picked again is ignored; after a complete angle (3 picks) the
        next pick starts a new measurement.
        """
        scene = self.view.scene
        if not self.active or scene is None or not 0 <= index < len(scene.positions):
            return
        if self.picks and self.picks[-1] == index:
            return
        if len(self.picks) >= 3:
            self.picks = []
        self.picks.append(index)
        self._measure(scene)
        self._redraw()

    def pick_point(self, point: np.ndarray) -> int | None:
        """Pick the atom whose sphere surface is nearest a 3-D ``point`` (Å); its index or None."""
        scene = self.view.scene
        if scene is None:
            return None
        index = nearest_atom(point, scene.positions, scene.radii)
        if index is not None:
            self.pick_atom(index)
        return index

    def scene_changed(self, old: Scene | None) -> None:
        """After a redraw: keep the picks when the atoms did not move (e.g. background
        changed), otherwise the indices mean other atoms now, so clear them."""
        new = self.view.scene
        same = (
            old is not None
            and new is not None
            and old.positions.shape == new.positions.shape
            and np.allclose(old.positions, new.positions)
            and tuple(old.supercell) == tuple(new.supercell)
        )
        if not same:
            self.picks = []
            self.measurement = None
        elif new is not None:
            self._measure(new)
        self._redraw()

    def detach(self) -> None:
        """Stop listening to the 3-D widget (before the view releases it)."""
        widget = self._widget()
        if widget is not None:
            widget.removeEventFilter(self)
        self.active = False

    # --- internals -------------------------------------------------------------------------
    def _measure(self, scene: Scene) -> None:
        self.measurement = measure(
            scene.positions, self.picks, scene.measure_lattice, scene.atom_names()
        )

    def _widget(self) -> Any:
        plotter = self.view.plotter
        return None if plotter is None else plotter.interactor

    def _redraw(self) -> None:
        plotter, scene = self.view.plotter, self.view.scene
        if plotter is not None:
            if scene is None or not self.picks:
                render.clear_measurement(plotter)
            else:
                m = self.measurement
                label = ""
                if m is not None:
                    label = f"{m.value:.3f} Å" if m.kind == "distance" else f"{m.value:.2f}°"
                render.draw_measurement(
                    plotter,
                    scene.positions[self.picks],
                    scene.radii[self.picks],
                    None if m is None else m.path,
                    label,
                )
            plotter.render()
        text = self.text
        if text != self._announced:  # views redraw often (playback): announce changes only
            self._announced = text
            self.measured.emit(text)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Turn left clicks on the 3-D widget into picks; never consumes the event."""
        kind = event.type()
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease):
            mouse = event if isinstance(event, QMouseEvent) else None
            if mouse is not None and mouse.button() == Qt.MouseButton.LeftButton:
                pos = mouse.position()
                if kind == QEvent.Type.MouseButtonPress:
                    self._press = (pos.x(), pos.y())
                elif self._press is not None:
                    dx, dy = pos.x() - self._press[0], pos.y() - self._press[1]
                    self._press = None
                    if abs(dx) + abs(dy) <= CLICK_SLOP:
                        self._pick_at(pos.x(), pos.y())
        return False

    def _pick_at(self, x: float, y: float) -> None:
        """Pick at widget coordinates (x, y): a VTK cell picker restricted to the atom spheres."""
        from vtkmodules.vtkRenderingCore import vtkCellPicker

        plotter = self.view.plotter
        atoms = None if plotter is None else plotter.actors.get("atoms")
        if atoms is None:
            return
        widget = plotter.interactor
        scale = widget.devicePixelRatioF()
        picker = vtkCellPicker()
        picker.SetTolerance(0.0005)
        picker.PickFromListOn()
        picker.AddPickList(atoms)
        vx, vy = round(x * scale), round((widget.height() - y - 1) * scale)
        if picker.Pick(vx, vy, 0, plotter.renderer):
            self.pick_point(np.array(picker.GetPickPosition()))
