"""Turn a :class:`~dao_app.scene.Scene` into pyvista meshes on a plotter (no Qt here).

Also decides whether VTK rendering is usable at all: under Qt's "offscreen" or "minimal"
platforms (logic tests, headless CI) there is no OpenGL context for a QOpenGLWidget, so views
fall back to a text placeholder instead of crashing. ``DAO_STUDIO_NO_3D=1`` forces that.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from dao_app.scene import Scene

DARK_BACKGROUND = "#1f2024"
LIGHT_BACKGROUND = "#ffffff"
_SPHERE_RESOLUTION = 20
_BOND_RADIUS = 0.11


def vtk_usable() -> bool:
    """True when a QtInteractor can render in this process (see module docstring)."""
    if os.environ.get("DAO_STUDIO_NO_3D"):
        return False
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.platformName() not in ("offscreen", "minimal", "")


def foreground(dark: bool) -> str:
    """Colour of lines and text on the chosen background."""
    return "#d8d8d8" if dark else "#202020"


def _segments_mesh(segments: np.ndarray) -> Any:
    import pyvista as pv

    points = segments.reshape(-1, 3)
    n = len(segments)
    lines = np.column_stack([np.full(n, 2), 2 * np.arange(n), 2 * np.arange(n) + 1]).ravel()
    return pv.PolyData(points, lines=lines)


def atom_mesh(scene: Scene) -> Any:
    """Spheres (one glyph per atom) with an ``rgb`` point array."""
    import pyvista as pv

    cloud = pv.PolyData(np.asarray(scene.positions, dtype=float))
    cloud["radius"] = np.asarray(scene.radii, dtype=float)
    cloud["rgb"] = np.asarray(scene.colours, dtype=np.uint8)
    sphere = pv.Sphere(
        radius=1.0, theta_resolution=_SPHERE_RESOLUTION, phi_resolution=_SPHERE_RESOLUTION
    )
    return cloud.glyph(geom=sphere, scale="radius", orient=False)


def bond_mesh(scene: Scene) -> Any:
    """Two-coloured bonds as tubes with an ``rgb`` point array, or None without bonds."""
    if len(scene.bond_segments) == 0:
        return None
    lines = _segments_mesh(scene.bond_segments)
    lines["rgb"] = np.repeat(np.asarray(scene.bond_colours, dtype=np.uint8), 2, axis=0)
    return lines.tube(radius=_BOND_RADIUS, n_sides=12)


def add_scene(plotter: Any, scene: Scene, dark: bool = False) -> None:
    """Add the meshes of ``scene`` to the plotter's current renderer (nothing is cleared)."""
    fg = foreground(dark)
    if len(scene.positions):
        plotter.add_mesh(
            atom_mesh(scene),
            scalars="rgb",
            rgb=True,
            smooth_shading=True,
            specular=0.35,
            specular_power=20,
            name="atoms",
            reset_camera=False,
        )
    bonds = bond_mesh(scene)
    if bonds is not None:
        plotter.add_mesh(bonds, scalars="rgb", rgb=True, smooth_shading=True, reset_camera=False)
    if len(scene.cell_edges):
        plotter.add_mesh(
            _segments_mesh(scene.cell_edges), color=fg, line_width=2, reset_camera=False
        )
    if scene.labels:
        plotter.add_point_labels(
            scene.label_positions,
            scene.labels,
            font_size=14,
            text_color=fg,
            shape=None,
            show_points=False,
            always_visible=True,
        )


def draw_scene(plotter: Any, scene: Scene, dark: bool = False, reset_camera: bool = True) -> None:
    """Clear ``plotter`` and draw ``scene`` on the light or dark background."""
    plotter.clear_actors()
    set_background(plotter, dark)
    add_scene(plotter, scene, dark)
    if reset_camera:
        plotter.view_isometric()
        plotter.reset_camera()


def set_background(plotter: Any, dark: bool) -> None:
    plotter.set_background(DARK_BACKGROUND if dark else LIGHT_BACKGROUND)


#: Colour of picked atoms, measurement lines and labels (visible on light and dark backgrounds).
MEASURE_COLOUR = "#ff8f00"
_MEASURE_ACTORS = ("measure_picks", "measure_path", "measure_label")


def clear_measurement(plotter: Any) -> None:
    """Remove the measurement overlay (picked-atom halos, line, value label)."""
    for name in _MEASURE_ACTORS:
        plotter.remove_actor(name, render=False)


def draw_measurement(
    plotter: Any,
    positions: np.ndarray,
    radii: np.ndarray,
    path: np.ndarray | None,
    label: str,
) -> None:
    """Overlay a measurement: translucent halos around the picked atoms (``positions`` (k, 3) Å,
    ``radii`` (k,) Å), the polyline ``path`` (n, 3) Å, and ``label`` at its middle point."""
    import pyvista as pv

    clear_measurement(plotter)
    if len(positions):
        halos = pv.PolyData(np.asarray(positions, dtype=float))
        halos["radius"] = 1.12 * np.asarray(radii, dtype=float) + 0.06
        sphere = pv.Sphere(radius=1.0, theta_resolution=24, phi_resolution=24)
        plotter.add_mesh(
            halos.glyph(geom=sphere, scale="radius", orient=False),
            color=MEASURE_COLOUR,
            opacity=0.4,
            name="measure_picks",
            pickable=False,
            reset_camera=False,
        )
    if path is None or len(path) < 2:
        return
    line = pv.lines_from_points(np.asarray(path, dtype=float))
    plotter.add_mesh(
        line.tube(radius=1.5 * _BOND_RADIUS, n_sides=16),  # thicker than a bond: on top
        color=MEASURE_COLOUR,
        name="measure_path",
        pickable=False,
        reset_camera=False,
    )
    anchor = path[len(path) // 2] if len(path) == 3 else path.mean(axis=0)
    plotter.add_point_labels(
        [anchor],
        [label],
        name="measure_label",
        font_size=16,
        bold=True,
        text_color="#202020",
        shape_color=MEASURE_COLOUR,
        shape_opacity=0.85,
        show_points=False,
        always_visible=True,
        pickable=False,
        reset_camera=False,
    )
