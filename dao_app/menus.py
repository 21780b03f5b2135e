"""Menus, actions and keyboard shortcuts of the main window.

:func:`menu_entries` lists every menu item, each bound to the controller method it triggers;
:func:`build_menus` turns them into ``QAction`` objects (by name, e.g. ``"predict"``) in the
window's menu bar, with the undo/redo actions and File ▸ Open Recent (:class:`RecentMenu`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from html import escape
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QMenu, QMenuBar, QMessageBox, QWidget

from dao_app.controllers.candidates import CandidatesController
from dao_app.controllers.files import FilesController
from dao_app.controllers.jobs import JobsController
from dao_app.controllers.reference import ReferenceController
from dao_app.controllers.relax import RelaxController
from dao_app.controllers.session_files import SessionFilesController
from dao_app.controllers.tc_tab import TcTabController
from dao_app.controllers.views import ViewsController
from dao_engine import api


@dataclass(frozen=True)
class Entry:
    """One menu item: its action's ``name``, text, the callable it triggers, shortcut, tip."""

    name: str
    text: str
    slot: Callable[..., object]
    shortcut: str = ""
    tip: str = ""
    checkable: bool = False


SEPARATOR = "-"
RECENT = "recent"  # File ▸ Open Recent
UNDO = "undo"  # Edit ▸ Undo, Redo
Item = Entry | str
Menus = list[tuple[str, list[Item]]]


@dataclass(frozen=True)
class MenuTargets:
    """The controllers the menu items act on, and the window (Quit, Help's dialogs)."""

    window: QWidget
    sessions: SessionFilesController
    reference: ReferenceController
    files: FilesController
    candidates: CandidatesController
    jobs: JobsController
    relax: RelaxController
    tc: TcTabController
    views: ViewsController


def _file_menu(t: MenuTargets) -> list[Item]:
    s, f = t.sessions, t.files
    return [
        Entry("open_session_dialog", "&Open Session…", s.open_session_dialog, "Ctrl+O",
              "Open a .daosession file"),
        Entry("save_session", "&Save Session", s.save_session, "Ctrl+S",
              "Save inputs, candidates, reference, trajectories"),
        Entry("save_session_as_dialog", "Save Session &As…", s.save_session_as_dialog,
              "Ctrl+Shift+S"),
        SEPARATOR,
        Entry("open_reference_dialog", "Open &Reference…", t.reference.open_reference_dialog,
              "Ctrl+R", "A CIF/POSCAR to compare with (or drop it on the window)"),
        Entry("clear_reference", "Clear Reference", t.reference.clear_reference),
        Entry("import_structures_dialog", "&Import Structures as Candidates…",
              f.import_structures_dialog, "Ctrl+I"),
        SEPARATOR,
        Entry("export_selected_dialog", "&Export Selected…", f.export_selected_dialog, "Ctrl+E",
              "CIF (symmetrized or P1), POSCAR, extended XYZ"),
        Entry("export_all_dialog", "Export &All…", f.export_all_dialog, "Ctrl+Shift+E"),
        Entry("export_candidates_csv_dialog", "Export Candidates as &CSV…",
              f.export_candidates_csv_dialog, "",
              "Every row of the candidate table with its visible columns (numbers unformatted)"),
        Entry("export_view_png_dialog", "Save 3-D View as &PNG…", f.export_view_png_dialog,
              "Ctrl+P"),
        RECENT,
        SEPARATOR,
        Entry("close", "&Quit", t.window.close, "Ctrl+Q"),
    ]  # fmt: skip


def _predict_menu(t: MenuTargets) -> list[Item]:
    tc = t.tc
    return [
        Entry("predict", "&Predict", t.jobs.predict, "Ctrl+Return",
              "Start a prediction with the form's settings"),
        Entry("cancel_job", "&Cancel Running Job", t.jobs.cancel_job, "Esc",
              "Stops within one denoising step (while measuring, Esc first clears the "
              "measurement)"),
        SEPARATOR,
        Entry("relax_selected_dao", "&Relax selected (DAO-P)", t.relax.relax_selected_dao,
              "Ctrl+L",
              "Relax the selected candidates on the energy of the chosen energy model "
              "(the generator when 'Same as generator'); each result is added as a new row"),
        Entry("relax_selected_chgnet", "Relax selected (C&HGNet)",
              t.relax.relax_selected_chgnet, "Ctrl+Shift+L",
              "Relax the selected candidates with CHGNet (FIRE, forces and stress); "
              "each result is added as a new row"),
        SEPARATOR,
        Entry("toggle_tc", "Predict &T_c", tc.set_tc_enabled, "",
              "Predict each candidate's superconducting T_c with the T_c ensemble "
              "(T_c column and tab)", checkable=True),
        Entry("choose_tc_model_dialog", "Choose T_c &Model…", tc.choose_tc_model_dialog, "",
              "Open another T_c ensemble"),
        Entry("use_default_tc_model", "Use Shipped T_c Model", tc.use_default_tc_model, "",
              "dao-tc-ensemble-cpu.pt"),
    ]  # fmt: skip


def _view_menu(t: MenuTargets) -> list[Item]:
    v = t.views
    return [
        Entry("compare_selected", "&Compare Selected (Polymorphs)", v.compare_selected,
              "Ctrl+G"),
        Entry("toggle_dark", "&Dark Background", v.toggle_dark, "Ctrl+D", checkable=True),
        Entry("reset_camera", "&Reset Camera", v.reset_camera, "R"),
        Entry("toggle_measure", "&Measure Distances and Angles", v.toggle_measure, "M",
              "Click 2 atoms for a distance (Å), 3 for an angle (°); Esc clears"),
        Entry("toggle_playback", "Play / Pause &Trajectory", v.toggle_playback, "Ctrl+Space"),
    ]  # fmt: skip


def menu_entries(t: MenuTargets) -> Menus:
    """Every menu of the window, in menu-bar order."""
    c = t.candidates
    menus: Menus = [
        ("File", _file_menu(t)),
        ("Edit", [
            UNDO,
            SEPARATOR,
            Entry("remove_selected", "&Remove Selected Candidates", c.remove_selected, "Delete",
                  "Undo brings them back"),
            Entry("select_all", "Select &All Candidates", c.select_all, "Ctrl+A"),
        ]),
        ("Predict", _predict_menu(t)),
        ("View", _view_menu(t)),
    ]  # fmt: skip
    help_items: list[Item] = [
        Entry("show_shortcuts", "&Keyboard Shortcuts", partial(show_shortcuts, t.window, menus),
              "F1"),
        Entry("show_about", "&About DAO Studio", partial(show_about, t.window)),
    ]  # fmt: skip
    menus.append(("Help", help_items))
    return menus


class RecentMenu:
    """File ▸ Open Recent: sessions open as sessions, other files as the reference."""

    def __init__(
        self, menu: QMenu, open_path: Callable[[str], object], clear: Callable[[], object]
    ) -> None:
        self.menu, self._open_path, self._clear = menu, open_path, clear

    def update(self, paths: Sequence[str]) -> None:
        """Fill the menu with ``paths`` (most recent first) and a Clear List item."""
        menu = self.menu
        menu.clear()
        for i, path in enumerate(paths, start=1):
            action = menu.addAction(f"&{i} {Path(path).name}")
            action.setToolTip(path)
            action.triggered.connect(partial(self._open_path, path))
        menu.setEnabled(bool(paths))
        if paths:
            menu.addSeparator()
            menu.addAction("Clear List", self._clear)


@dataclass
class BuiltMenus:
    """What :func:`build_menus` made: the actions by name and the recent-files menu."""

    actions: dict[str, QAction]
    recent: QMenu


def _action(entry: Entry, owner: QObject) -> QAction:
    action = QAction(entry.text, owner, toolTip=entry.tip or entry.text.replace("&", ""))
    if entry.shortcut:
        action.setShortcut(QKeySequence(entry.shortcut))
    action.setCheckable(entry.checkable)
    action.triggered.connect(entry.slot)
    return action


def _undo_actions(undo_stack: QUndoStack, owner: QObject) -> dict[str, QAction]:
    undo = undo_stack.createUndoAction(owner, "&Undo")
    undo.setShortcut(QKeySequence.StandardKey.Undo)
    redo = undo_stack.createRedoAction(owner, "&Redo")
    redo.setShortcut(QKeySequence.StandardKey.Redo)
    return {"undo": undo, "redo": redo}


def build_menus(
    menubar: QMenuBar, menus: Menus, undo_stack: QUndoStack, owner: QObject
) -> BuiltMenus:
    """Create every menu and action of ``menus`` in ``menubar`` (actions owned by ``owner``)."""
    actions: dict[str, QAction] = {}
    recent: QMenu | None = None
    for title, items in menus:
        menu = menubar.addMenu(f"&{title}")
        for item in items:
            if item == SEPARATOR:
                menu.addSeparator()
            elif item == RECENT:
                recent = menu.addMenu("Open &Recent")
            elif item == UNDO:
                made = _undo_actions(undo_stack, owner)
                menu.addActions(list(made.values()))
                actions.update(made)
            elif isinstance(item, Entry):
                actions[item.name] = _action(item, owner)
                menu.addAction(actions[item.name])
    assert recent is not None, "the File menu has an Open Recent item"
    return BuiltMenus(actions, recent)


def shortcuts_text(menus: Menus) -> str:
    """An HTML table of every shortcut, for Help ▸ Keyboard Shortcuts."""
    entries = [item for _title, items in menus for item in items if isinstance(item, Entry)]
    rows = [(e.text.replace("&", "").rstrip("…"), e.shortcut) for e in entries if e.shortcut]
    rows += [("Undo", "Ctrl+Z"), ("Redo", "Ctrl+Shift+Z")]
    body = "".join(f"<tr><td>{name}</td><td><b>{key}</b></td></tr>" for name, key in rows)
    return f"<table cellspacing=6>{body}</table>"


def show_shortcuts(parent: QWidget, menus: Menus) -> None:
    """Help ▸ Keyboard Shortcuts (a non-blocking box)."""
    box = QMessageBox(
        QMessageBox.Icon.NoIcon,
        "Keyboard shortcuts",
        shortcuts_text(menus),
        QMessageBox.StandardButton.Ok,
        parent,
    )
    box.open()


def about_text() -> str:
    """The About box (rich text), with the known-structure library's attribution."""
    return (
        "<b>DAO Studio</b><br>Crystal structure prediction with DAO-G "
        "(Crysformer + joint diffusion).<br>Structures are matched with pymatgen "
        "StructureMatcher; space groups by spglib. Relax-and-rank relaxes with CHGNet "
        "(or the DAO-P energy).<br><br><small>"
        f"{escape(api.LIBRARY_ATTRIBUTION)}</small>"
    )


def show_about(parent: QWidget) -> None:
    """Help ▸ About DAO Studio."""
    QMessageBox.about(parent, "About DAO Studio", about_text())
