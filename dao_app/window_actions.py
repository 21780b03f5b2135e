"""Menus, toolbar actions and keyboard shortcuts of the main window."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox

if TYPE_CHECKING:
    from dao_app.main_window import MainWindow

#: (menu, text, shortcut, window method, tooltip)
ACTIONS: list[tuple[str, str, str, str, str]] = [
    ("File", "&Open Session…", "Ctrl+O", "open_session_dialog", "Open a .daosession file"),
    (
        "File",
        "&Save Session",
        "Ctrl+S",
        "save_session",
        "Save inputs, candidates, reference, trajectories",
    ),
    ("File", "Save Session &As…", "Ctrl+Shift+S", "save_session_as_dialog", ""),
    ("File", "-", "", "", ""),
    (
        "File",
        "Open &Reference…",
        "Ctrl+R",
        "open_reference_dialog",
        "A CIF/POSCAR to compare with (or drop it on the window)",
    ),
    ("File", "Clear Reference", "", "clear_reference", ""),
    ("File", "&Import Structures as Candidates…", "Ctrl+I", "import_structures_dialog", ""),
    ("File", "-", "", "", ""),
    (
        "File",
        "&Export Selected…",
        "Ctrl+E",
        "export_selected_dialog",
        "CIF (symmetrized or P1), POSCAR, extended XYZ",
    ),
    ("File", "Export &All…", "Ctrl+Shift+E", "export_all_dialog", ""),
    (
        "File",
        "Export Candidates as &CSV…",
        "",
        "export_candidates_csv_dialog",
        "Every row of the candidate table with its visible columns (numbers unformatted)",
    ),
    ("File", "Save 3-D View as &PNG…", "Ctrl+P", "export_view_png_dialog", ""),
    ("File", "RECENT", "", "", ""),
    ("File", "-", "", "", ""),
    ("File", "&Quit", "Ctrl+Q", "close", ""),
    ("Edit", "UNDO", "", "", ""),
    ("Edit", "-", "", "", ""),
    ("Edit", "&Remove Selected Candidates", "Delete", "remove_selected", "Undo brings them back"),
    ("Edit", "Select &All Candidates", "Ctrl+A", "select_all", ""),
    (
        "Predict",
        "&Predict",
        "Ctrl+Return",
        "predict",
        "Start a prediction with the form's settings",
    ),
    (
        "Predict",
        "&Cancel Running Job",
        "Esc",
        "cancel_job",
        "Stops within one denoising step (while measuring, Esc first clears the measurement)",
    ),
    ("Predict", "-", "", "", ""),
    (
        "Predict",
        "&Relax selected (DAO-P)",
        "Ctrl+L",
        "relax_selected_dao",
        "Relax the selected candidates on the energy of the chosen energy model "
        "(the generator when 'Same as generator'); "
        "each result is added as a new row",
    ),
    (
        "Predict",
        "Relax selected (C&HGNet)",
        "Ctrl+Shift+L",
        "relax_selected_chgnet",
        "Relax the selected candidates with CHGNet (FIRE, forces and stress); "
        "each result is added as a new row",
    ),
    ("Predict", "-", "", "", ""),
    (
        "Predict",
        "Predict &T_c",
        "",
        "toggle_tc",
        "Predict each candidate's superconducting T_c with the T_c ensemble (T_c column and tab)",
    ),
    ("Predict", "Choose T_c &Model…", "", "choose_tc_model_dialog", "Open another T_c ensemble"),
    ("Predict", "Use Shipped T_c Model", "", "use_default_tc_model", "dao-tc-ensemble-cpu.pt"),
    ("View", "&Compare Selected (Polymorphs)", "Ctrl+G", "compare_selected", ""),
    ("View", "&Dark Background", "Ctrl+D", "toggle_dark", ""),
    ("View", "&Reset Camera", "R", "reset_camera", ""),
    (
        "View",
        "&Measure Distances and Angles",
        "M",
        "toggle_measure",
        "Click 2 atoms for a distance (Å), 3 for an angle (°); Esc clears",
    ),
    ("View", "Play / Pause &Trajectory", "Ctrl+Space", "toggle_playback", ""),
    ("Help", "&Keyboard Shortcuts", "F1", "show_shortcuts", ""),
    ("Help", "&About DAO Studio", "", "show_about", ""),
]


def build_menus(window: MainWindow) -> dict[str, QAction]:
    """Create every menu and action; returns actions by window-method name."""
    actions: dict[str, QAction] = {}
    menus: dict[str, QMenu] = {}
    for menu_name, text, shortcut, method, tip in ACTIONS:
        menu = menus.get(menu_name) or window.menuBar().addMenu(f"&{menu_name}")
        menus[menu_name] = menu
        if text == "-":
            menu.addSeparator()
        elif text == "RECENT":
            window.recent_menu = menu.addMenu("Open &Recent")
        elif text == "UNDO":
            undo = window.undo_stack.createUndoAction(window, "&Undo")
            undo.setShortcut(QKeySequence.StandardKey.Undo)
            redo = window.undo_stack.createRedoAction(window, "&Redo")
            redo.setShortcut(QKeySequence.StandardKey.Redo)
            menu.addActions([undo, redo])
            actions["undo"], actions["redo"] = undo, redo
        else:
            action = QAction(text, window, toolTip=tip or text.replace("&", ""))
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(getattr(window, method))
            menu.addAction(action)
            actions[method] = action
    actions["toggle_dark"].setCheckable(True)
    return actions


def update_recent_menu(window: MainWindow, paths: list[str]) -> None:
    """Fill File ▸ Open Recent with ``paths`` (sessions open as sessions, others as reference)."""
    menu = window.recent_menu
    menu.clear()
    for i, path in enumerate(paths, start=1):
        action = menu.addAction(f"&{i} {Path(path).name}")
        action.setToolTip(path)
        action.triggered.connect(partial(window.open_path, path))
    menu.setEnabled(bool(paths))
    if paths:
        menu.addSeparator()
        menu.addAction("Clear List", window.clear_recent)


def shortcuts_text() -> str:
    """An HTML table of every shortcut, for Help ▸ Keyboard Shortcuts."""
    rows = [(t.replace("&", "").rstrip("…"), s) for _m, t, s, _f, _tip in ACTIONS if s]
    rows += [("Undo", "Ctrl+Z"), ("Redo", "Ctrl+Shift+Z")]
    body = "".join(f"<tr><td>{name}</td><td><b>{key}</b></td></tr>" for name, key in rows)
    return f"<table cellspacing=6>{body}</table>"


def show_shortcuts(window: MainWindow) -> None:
    box = QMessageBox(
        QMessageBox.Icon.NoIcon,
        "Keyboard shortcuts",
        shortcuts_text(),
        QMessageBox.StandardButton.Ok,
        window,
    )
    box.open()
