"""Start DAO Studio: ``dao-studio [SESSION.daosession | STRUCTURE.cif ...]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from dao_app.settings import APPLICATION, ORGANIZATION


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="dao-studio",
        description="DAO Studio: predict crystal structures for a composition and look at them.",
    )
    parser.add_argument(
        "files",
        nargs="*",
        help="a session (.daosession) or a reference "
        "structure (CIF/POSCAR/XYZ) to open; further structures are imported",
    )
    parser.add_argument(
        "--no-recover", action="store_true", help="do not offer to recover an autosaved session"
    )
    return parser.parse_args(list(argv))


def _icon_path() -> Path | None:
    """The application icon in a source checkout (``resources/icons``); None when absent."""
    path = Path(__file__).resolve().parents[1] / "resources" / "icons" / "dao-studio.svg"
    return path if path.is_file() else None


def run(argv: Sequence[str]) -> int:
    """Create the application and main window, run the event loop; returns the exit code."""
    args = _parse(list(argv)[1:])
    from dao_engine.threads import configure_threads

    configure_threads()  # before any model is loaded: one fair torch thread (threads.py)
    from PySide6.QtWidgets import QApplication

    from dao_app.main_window import MainWindow

    app = QApplication.instance() or QApplication(list(argv))
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("DAO Studio")
    icon = _icon_path()
    if icon is not None:
        from PySide6.QtGui import QIcon

        app.setWindowIcon(QIcon(str(icon)))
    window = MainWindow()
    window.show()
    if not args.no_recover:
        window.session_files.offer_recovery()
    if args.files:
        window.session_files.open_path(args.files[0])
        if len(args.files) > 1:
            window.import_structures(args.files[1:])
    code = app.exec()
    return int(code)


if __name__ == "__main__":
    sys.exit(run(sys.argv))
