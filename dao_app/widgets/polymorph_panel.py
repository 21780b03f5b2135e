"""Polymorph comparison: chosen candidates side by side with linked cameras, the pairwise
match/RMSE matrix and duplicate groups, so distinct polymorphs stand out.

The matrix is computed in the background (StructureMatcher on every pair); ``matrix_ready``
is emitted when it is filled.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dao_app.scene import Scene, SceneOptions, build_scene
from dao_app.state.candidates import CandidateRecord
from dao_app.widgets import render
from dao_app.workers.tasks import TaskRunner
from dao_engine import api

MAX_GRID = 12
_MATCH_COLOUR = QColor(46, 160, 67, 90)
_GROUP_HINT = (
    "Duplicates are candidates that StructureMatcher finds to be the same structure; "
    "each group is one distinct polymorph."
)


def centred_scene(crystal: api.Crystal, options: SceneOptions) -> Scene:
    """The scene moved so the centre of the drawn cell block is at the origin: structures of
    different cells then sit in the middle of linked views that share one camera."""
    try:
        scene = build_scene(crystal, options)
    except (ValueError, api.SymmetryError):
        scene = build_scene(crystal, SceneOptions(scheme=options.scheme))
    if len(scene.positions) == 0:
        return scene
    centre = 0.5 * (scene.positions.min(axis=0) + scene.positions.max(axis=0))
    scene.positions = scene.positions - centre
    scene.bond_segments = scene.bond_segments - centre
    scene.cell_edges = scene.cell_edges - centre
    scene.label_positions = scene.label_positions - centre
    return scene


def _compare(crystals: list[api.Crystal]) -> tuple[list[list[api.MatchResult]], list[list[int]]]:
    matrix = api.pairwise_matches(crystals)
    return matrix, api.duplicate_groups(matrix)


class PolymorphPanel(QWidget):
    """``set_records(records)`` shows up to :data:`MAX_GRID` candidates and compares them."""

    matrix_ready = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.records: list[CandidateRecord] = []
        self.matrix: list[list[api.MatchResult]] = []
        self.groups: list[list[int]] = []
        self.options = SceneOptions(show_bonds=True)
        self.dark = False
        self._generation = 0
        self._tasks = TaskRunner(self)
        self._tasks.finished.connect(self._on_compared)
        self._tasks.failed.connect(self._on_failed)
        self.plotter: Any = None
        self.grid_host = QWidget()
        self.grid_layout = QVBoxLayout(self.grid_host)
        self.grid_layout.setContentsMargins(0, 0, 0, 0)
        self.placeholder = QLabel(
            "Select two or more candidates in the table and press Compare (Ctrl+G).",
            alignment=Qt.AlignmentFlag.AlignCenter,
            wordWrap=True,
        )
        self.grid_layout.addWidget(self.placeholder)
        self.table = QTableWidget()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        tol = ", ".join(f"{k}={v:g}" for k, v in api.MATCHER_TOLERANCES.items())
        self.table.setToolTip(f"Pairwise RMSE where StructureMatcher({tol}) matches; ✗ = different")
        self.groups_label = QLabel(wordWrap=True, toolTip=_GROUP_HINT)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(QLabel(f"<b>Pairwise match / RMSE</b> <small>({tol})</small>"))
        side_layout.addWidget(self.table, 1)
        side_layout.addWidget(QLabel("<b>Duplicate groups</b>"))
        side_layout.addWidget(self.groups_label)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.grid_host)
        split.addWidget(side)
        split.setSizes([650, 350])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    @property
    def busy(self) -> bool:
        return self._tasks.pending > 0

    def set_records(self, records: Sequence[CandidateRecord]) -> None:
        """Show and compare ``records`` (only the first :data:`MAX_GRID`)."""
        self.records = list(records)[:MAX_GRID]
        self.matrix, self.groups = [], []
        self._generation += 1
        self._draw_grid()
        self._fill_table()
        self.groups_label.setText("comparing…" if len(self.records) > 1 else "")
        if len(self.records) > 1:
            crystals = [r.crystal for r in self.records]
            self._tasks.start(str(self._generation), _compare, crystals)

    def set_style(self, options: SceneOptions, dark: bool) -> None:
        self.options, self.dark = options, dark
        if self.records:
            self._draw_grid()

    def _draw_grid(self) -> None:
        if self.plotter is not None:
            self.plotter.close()
            self.grid_layout.removeWidget(self.plotter.interactor)
            self.plotter.interactor.deleteLater()
            self.plotter = None
        n = len(self.records)
        self.placeholder.setVisible(n == 0 or not render.vtk_usable())
        if n == 0 or not render.vtk_usable():
            if n:
                self.placeholder.setText(f"{n} structures (3-D grid needs OpenGL)")
            return
        from pyvistaqt import QtInteractor

        cols = min(n, 4 if n > 6 else 3 if n > 4 else 2 if n > 1 else 1)
        rows = math.ceil(n / cols)
        self.plotter = QtInteractor(
            self.grid_host, shape=(rows, cols), border=True, auto_update=False
        )  # no 5 Hz render timer: this grid renders when it is rebuilt or the camera moves
        self.grid_layout.addWidget(self.plotter.interactor, 1)
        fg = render.foreground(self.dark)
        sizes = []
        for i, record in enumerate(self.records):
            self.plotter.subplot(i // cols, i % cols)
            render.set_background(self.plotter, self.dark)
            scene = centred_scene(record.crystal, self.options)
            render.add_scene(self.plotter, scene, self.dark)
            sizes.append(
                float(np.ptp(scene.positions, axis=0).max()) if len(scene.positions) else 0.0
            )
            symbol, number = record.space_group
            self.plotter.add_text(
                f"#{record.uid}  {symbol} ({number})",
                position=(0.02, 0.9),
                viewport=True,
                font_size=9,
                color=fg,
            )
        # One shared camera (linked views), fitted to the largest structure so all are in view.
        self.plotter.link_views()
        largest = int(np.argmax(sizes))
        self.plotter.subplot(largest // cols, largest % cols)
        self.plotter.view_isometric()
        self.plotter.reset_camera()
        self.plotter.render()

    def _fill_table(self) -> None:
        n = len(self.records)
        names = [f"#{r.uid}" for r in self.records]
        self.table.clear()
        self.table.setRowCount(n)
        self.table.setColumnCount(n)
        self.table.setHorizontalHeaderLabels(names)
        self.table.setVerticalHeaderLabels(names)
        for i in range(n):
            for j in range(n):
                self.table.setItem(i, j, self._cell(i, j))

    def _cell(self, i: int, j: int) -> QTableWidgetItem:
        if i == j:
            item = QTableWidgetItem("—")
        elif not self.matrix:
            item = QTableWidgetItem("…")
        else:
            result = self.matrix[i][j]
            text = f"✓ {result.rmse:.3f}" if result.matched and result.rmse is not None else "✗"
            item = QTableWidgetItem(text)
            if result.matched:
                item.setBackground(_MATCH_COLOUR)
            if result.error:
                item.setToolTip(result.error)
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        return item

    @Slot(str, object)
    def _on_compared(self, key: str, value: object) -> None:
        if key != str(self._generation):
            return
        self.matrix, self.groups = value  # type: ignore[misc]
        self._fill_table()
        lines = []
        for k, group in enumerate(self.groups, start=1):
            members = ", ".join(f"#{self.records[i].uid}" for i in group)
            symbol, number = self.records[group[0]].space_group
            lines.append(f"Polymorph {k} ({symbol}, {number}): {members}")
        distinct = len(self.groups)
        head = (
            f"{distinct} distinct structure{'s' if distinct != 1 else ''} among {len(self.records)}"
        )
        self.groups_label.setText("\n".join([head, *lines]))
        self.matrix_ready.emit()

    @Slot(str, object)
    def _on_failed(self, key: str, exc: object) -> None:
        if key == str(self._generation):
            self.groups_label.setText(f"Comparison failed: {exc}")
            self.matrix_ready.emit()

    def close_view(self) -> None:
        if self.plotter is not None:
            self.plotter.close()
            self.plotter = None
        self._tasks.wait()
