"""Measuring in the 3-D view (offscreen): the pick handler, status bar, Esc, redraws.

Clicks end in ``MeasureTool.pick_atom(index)``; pyvista picking itself needs an OpenGL render
and is exercised under Xvfb by render_window.py (``measurement`` screenshot).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt

from dao_app.measure import distance, nearest_atom
from dao_app.widgets.measure_tool import HINT


@pytest.fixture
def nacl_view(window, nacl_cif):
    """The main window showing rock-salt NaCl (imported as a candidate), measuring on."""
    [uid] = window.import_structures([nacl_cif])
    window.select_uids([uid])
    window.views.toggle_measure()  # View ▸ Measure (M)
    return window


def _index(view, name: str) -> int:
    return view.scene.atom_names().index(name)


def _neighbour(view, of: int, element: str, distance: float) -> int:
    """A drawn atom of ``element`` at ``distance`` Å from drawn atom ``of`` (as drawn)."""
    names, pos = view.scene.atom_names(), view.scene.positions
    gaps = np.linalg.norm(pos - pos[of], axis=1)
    return next(
        i
        for i in range(len(pos))
        if names[i].startswith(element) and math.isclose(gaps[i], distance, abs_tol=1e-6)
    )


def test_two_picks_give_a_distance_three_an_angle(qtbot, nacl_view):
    view, tool = nacl_view.view, nacl_view.view.measure
    assert view.measure_button.isChecked() and tool.active
    assert nacl_view.statusBar().currentMessage() == HINT
    na = _index(view, "Na1")
    cl = _neighbour(view, na, "Cl", 2.82)
    tool.pick_atom(na)
    assert "Na1 picked" in view.measure_label.text()
    tool.pick_atom(na)  # the same atom again is ignored
    assert tool.picks == [na]
    tool.pick_atom(cl)
    assert tool.measurement.value == pytest.approx(2.82)
    assert "2.820 Å (nearest periodic image)" in nacl_view.statusBar().currentMessage()
    assert view.measure_label.text() == nacl_view.statusBar().currentMessage()
    names, pos, lattice = view.scene.atom_names(), view.scene.positions, view.scene.lattice
    other = next(  # another Na (not a copy of Na1) bonded to that Cl: Na–Cl–Na is 90° or 180°
        i
        for i in range(len(names))
        if names[i].startswith("Na")
        and names[i] != "Na1"
        and distance(pos[cl], pos[i], lattice) == pytest.approx(2.82)
    )
    tool.pick_atom(other)
    assert tool.measurement.kind == "angle"
    assert tool.measurement.value in (pytest.approx(90.0), pytest.approx(180.0))
    assert "°" in nacl_view.statusBar().currentMessage()
    tool.pick_atom(cl)  # a fourth pick starts a new measurement
    assert tool.picks == [cl] and tool.measurement is None


def test_escape_clears_then_switches_off_then_cancels_jobs(qtbot, nacl_view):
    tool = nacl_view.view.measure
    tool.pick_atom(0)
    tool.pick_atom(5)
    esc = nacl_view.actions_by_name["cancel_job"]
    esc.trigger()
    assert tool.picks == [] and tool.active and tool.measurement is None
    esc.trigger()
    assert not tool.active and not nacl_view.view.measure_button.isChecked()
    assert nacl_view.view.measure_label.text() == ""
    tool.pick_atom(0)  # measuring is off: clicks pick nothing
    assert tool.picks == []


def test_redraws_keep_or_clear_the_picks(qtbot, nacl_view):
    view, tool = nacl_view.view, nacl_view.view.measure
    tool.pick_atom(0)
    tool.pick_atom(4)
    nacl_view.views.set_dark(True)  # same atoms, new colours: the measurement stays
    assert tool.picks == [0, 4] and tool.measurement is not None
    nacl_view.display.repeats[0].setValue(2)  # new atoms: indices are stale, cleared
    assert tool.picks == [] and view.scene.measure_lattice is None
    origin = int(np.argmin(np.linalg.norm(view.scene.positions, axis=1)))
    far = int(np.argmin(np.linalg.norm(view.scene.positions - [2 * 5.64, 0, 0], axis=1)))
    tool.pick_atom(origin)
    tool.pick_atom(far)
    assert tool.measurement.value == pytest.approx(11.28)  # a supercell is measured as drawn
    assert "(as drawn)" in view.measure_label.text()
    nacl_view.select_uids([])
    assert tool.picks == [] and view.scene is None


def test_a_picked_surface_point_finds_its_atom(nacl_view):
    view, tool = nacl_view.view, nacl_view.view.measure
    scene = view.scene
    target = _index(view, "Cl5")
    surface = scene.positions[target] + np.array([0.0, 0.0, scene.radii[target]])
    assert nearest_atom(surface, scene.positions, scene.radii) == target
    assert tool.pick_point(surface) == target and tool.picks == [target]
    assert tool.pick_point(np.array([50.0, 50.0, 50.0])) is None  # empty space


def test_measure_button_has_a_tooltip_and_shortcut(nacl_view):
    action = nacl_view.actions_by_name["toggle_measure"]
    assert action.shortcut().toString() == "M"
    assert "distance" in nacl_view.view.measure_button.toolTip()
    assert nacl_view.view.measure_button.toolTip() == HINT
    qt_esc = nacl_view.actions_by_name["cancel_job"].shortcut()
    assert qt_esc.matches(Qt.Key.Key_Escape) is not None
