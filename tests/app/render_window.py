"""Render the real DAO Studio window on an X display (Xvfb) and report or save pixels.

Run by ``test_render_xvfb.py`` in a subprocess (Qt's platform cannot change inside the
offscreen test process), and by hand to refresh the README screenshots::

    Xvfb :99 -screen 0 1600x1000x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python tests/app/render_window.py check --checkpoint M.pt
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python tests/app/render_window.py screenshots \
        --checkpoint M.pt --out docs/screenshots
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python tests/app/render_window.py measurement \
        --checkpoint M.pt --out docs/screenshots

``check`` prints one JSON line: the standard deviation and number of distinct colours of the
3-D area (a blank or black OpenGL widget has std ≈ 0), and what real mouse clicks on two atoms
measured (pyvista picking needs this real render). ``measurement`` saves only
``measurement.png`` (rock salt, Na–Cl distance picked by clicks); ``tc`` saves only
``tc_panel.png`` (Nb3Sn candidates with the T_c column and tab; see render_tc.py);
``relax_rank`` saves only ``relax_rank_nacl.png`` (NaCl samples + known structures + templates
relaxed with CHGNet and ranked into polymorphs); ``layout`` saves one PNG per step of a session
(see render_layout.py) and prints the window's width after each. ``--size WxH`` sets the
window size (default 1560x960). The other modes switch relax-and-rank off.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def wait_for(signal, ms: int = 60000) -> None:
    """Run the event loop until ``signal`` fires (or ``ms`` pass)."""
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def settle(ms: int = 400) -> None:
    """Let Qt lay out and paint for ``ms`` milliseconds."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


WINDOW_SIZE = (1560, 960)


def make_window(workdir: Path, checkpoint: str, size: tuple[int, int] | None = None):
    from dao_app.main_window import MainWindow
    from dao_app.settings import AppSettings

    window = MainWindow(AppSettings(workdir / "s.ini", workdir / "data"), interactive=False)
    window.resize(*(size or WINDOW_SIZE))
    window.move(0, 0)
    window.show()
    window.form.rank_group.setChecked(False)  # the plain sampling (see relax_rank_shot)
    window.form.set_checkpoint(checkpoint)
    wait_for(window.form.model_checked)
    return window


def relax_rank_shot(checkpoint: str, workdir: Path, out: Path, formula: str = "NaCl") -> str:
    """``formula``: 8 samples + 5 library candidates relaxed with CHGNet, ranked; the table shows
    the Polymorph / ΔE / space group before → after columns, the 3-D view polymorph 1."""
    window = make_window(workdir, checkpoint)
    form = window.form
    form.rank_group.setChecked(True)
    form.formula.setText(formula)
    form.shots.setValue(8)
    form.steps.setValue(int(os.environ.get("DAO_SCREENSHOT_STEPS", "1000")))
    form.keep_every.setValue(0)
    form.device.setCurrentText("cpu")
    window.jobs.submit(form.request())
    wait_for(window.candidates_added, 1800000)
    window.select_uids([window.session.candidates[0].uid])
    settle(1200)
    path = out / f"relax_rank_{formula.lower()}.png"
    grab_window(window).save(str(path))
    window.close()
    return str(path)


def grab_window(window) -> "QImage":  # noqa: F821, UP037
    """The window as the X server shows it (includes the OpenGL areas)."""
    settle()
    screen = window.screen()
    return screen.grabWindow(window.winId())


def check(checkpoint: str, workdir: Path) -> dict:
    from dao_engine import api
    from tests.helpers.fixtures import nacl

    window = make_window(workdir, checkpoint)
    cif = api.write_structure(nacl(), workdir / "NaCl.cif")
    window.import_structures([cif])
    window.select_uids([window.session.candidates[0].uid])
    settle(600)
    image = window.view.image()
    result = {"has_3d": window.view.has_3d}
    if image is not None:
        flat = image.reshape(-1, image.shape[-1])
        result.update(
            std=float(image.std()),
            colours=int(len(np.unique(flat, axis=0))),
            shape=list(image.shape),
        )
    shot = grab_window(window)
    result["window_size"] = [shot.width(), shot.height()]
    result["png_bytes"] = window.view.export_png(workdir / "view.png").stat().st_size
    result["measured"] = _click_measure(window)
    result["gif_frames"] = _animation_frames(window, workdir)
    result.update(_idle(window))
    window.close()
    return result


def _idle(window) -> dict:
    """CPU the idle window uses (fraction of one core over 3 s) and its active render timers."""
    import time

    from pyvistaqt import QtInteractor

    settle(500)
    cpu, wall = time.process_time(), time.perf_counter()
    settle(3000)
    plotters = [*window.findChildren(QtInteractor), window.view.plotter]
    timers = sum(p.render_timer.isActive() for p in {id(p): p for p in plotters}.values())
    return {
        "idle_cpu_fraction": (time.process_time() - cpu) / (time.perf_counter() - wall),
        "render_timers_active": timers,
    }


def _front_atoms(view) -> dict[str, int]:
    """For each element, the drawn atom nearest the camera (so no other atom hides it)."""
    scene = view.scene
    camera = np.array(view.plotter.camera.position)
    order = np.argsort(np.linalg.norm(scene.positions - camera, axis=1))
    names = scene.atom_names()
    front: dict[str, int] = {}
    for i in order:
        front.setdefault(names[i].rstrip("0123456789"), int(i))
    return front


def _click_atom(view, index: int) -> None:
    """A real left click (press + release) on the screen position of drawn atom ``index``."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    renderer, widget = view.plotter.renderer, view.plotter.interactor
    renderer.SetWorldPoint(*view.scene.positions[index], 1.0)
    renderer.WorldToDisplay()
    x, y, _ = renderer.GetDisplayPoint()
    scale = widget.devicePixelRatioF()
    point = QPoint(round(x / scale), round(widget.height() - 1 - y / scale))
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    settle(200)


def _click_measure(window) -> dict:
    """Turn Measure on and click the front-most Na and Cl atoms; report what was measured."""
    view = window.view
    window.views.toggle_measure()
    settle(300)
    front = _front_atoms(view)
    for element in ("Na", "Cl"):
        _click_atom(view, front[element])
    m = view.measure.measurement
    return {
        "picks": [view.scene.atom_names()[i] for i in view.measure.picks],
        "expected": [view.scene.atom_names()[front[e]] for e in ("Na", "Cl")],
        "value": None if m is None else m.value,
        "text": view.measure_label.text(),
    }


def measurement_shot(window, workdir: Path, out: Path) -> str:
    """Rock salt with Na–Cl measured by real clicks; saves ``out/measurement.png``."""
    from dao_engine import api
    from tests.helpers.fixtures import nacl

    window.display.dark.setChecked(False)
    window.form.formula.setText("NaCl")
    for spin in window.display.repeats:
        spin.setValue(1)
    cif = api.write_structure(nacl(), workdir / "NaCl_rock_salt.cif")
    [uid] = window.import_structures([cif])
    window.select_uids([uid])
    window.tabs.setCurrentIndex(0)
    settle(600)
    if not window.view.measure.active:
        window.views.toggle_measure()
    window.view.measure.clear()
    front = _front_atoms(window.view)
    for element in ("Na", "Cl"):
        _click_atom(window.view, front[element])
    settle(600)
    path = out / "measurement.png"
    grab_window(window).save(str(path))
    return str(path)


def _animation_frames(window, workdir: Path) -> int:
    """Predict one shot storing every step, export its animation as GIF, count the frames."""
    from PIL import Image

    form = window.form
    form.formula.setText("NaCl")
    form.shots.setValue(1)
    form.steps.setValue(4)
    form.keep_every.setValue(1)
    form.device.setCurrentText("cpu")
    window.jobs.submit(form.request())
    wait_for(window.candidates_added)
    window.tabs.setCurrentWidget(window.trajectory)
    settle(300)
    path = window.trajectory.export_animation(workdir / "trajectory.gif")
    if path is None:
        return 0
    with Image.open(path) as gif:
        return int(gif.n_frames)


def screenshots(checkpoint: str, workdir: Path, out: Path) -> list[str]:
    from dao_engine import api
    from tests.helpers.fixtures import nacl

    out.mkdir(parents=True, exist_ok=True)
    window = make_window(workdir, checkpoint)
    saved: list[str] = []

    def save(name: str) -> None:
        path = out / f"{name}.png"
        grab_window(window).save(str(path))
        saved.append(str(path))

    window.form.formula.setText("NaCl")
    window.form.shots.setValue(8)
    window.form.steps.setValue(1000)
    window.form.keep_every.setValue(25)
    window.form.device.setCurrentText("cpu")
    job = window.jobs.submit(window.form.request())
    for _ in range(3):
        wait_for(window.runner.job_progress)
    settle(1500)
    save("prediction_running")
    wait_for(window.runner.job_finished, 600000)
    settle(800)
    cif = api.write_structure(nacl(), workdir / "NaCl_Fm-3m.cif")
    window.reference.open_reference(cif)
    wait_for(window.matcher.matches_updated)
    first = window.session.candidates[0].uid
    window.select_uids([first])
    settle(800)
    save("results_with_reference")
    window.select_uids([r.uid for r in window.session.candidates][:6])
    window.views.compare_selected()
    wait_for(window.polymorphs.matrix_ready)
    settle(800)
    save("polymorph_grid")
    window.select_uids([first])
    window.tabs.setCurrentWidget(window.trajectory)
    frames = window.trajectory.slider.maximum()
    window.trajectory.slider.setValue(int(frames * 0.6))
    settle(800)
    save("trajectory_animation")
    window.display.dark.setChecked(True)
    window.tabs.setCurrentIndex(0)
    window.display.repeats[0].setValue(2)
    window.display.repeats[1].setValue(2)
    window.display.repeats[2].setValue(2)
    settle(800)
    save("dark_supercell")
    saved.append(measurement_shot(window, workdir, out))
    del job
    window.close()
    return saved


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "mode", choices=["check", "screenshots", "measurement", "tc", "relax_rank", "layout"]
    )
    parser.add_argument("--size", default="1560x960", help="window size WxH, e.g. 1024x700")
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--formula", default="NaCl", help="relax_rank mode: the composition")
    args = parser.parse_args(argv)
    global WINDOW_SIZE
    WINDOW_SIZE = tuple(int(v) for v in args.size.lower().split("x"))  # type: ignore[assignment]
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("DAO Studio test")
    with tempfile.TemporaryDirectory() as tmp:
        if args.mode == "check":
            print(json.dumps(check(args.checkpoint, Path(tmp))))
        elif args.mode == "measurement":
            Path(args.out).mkdir(parents=True, exist_ok=True)
            window = make_window(Path(tmp), args.checkpoint)
            print(json.dumps([measurement_shot(window, Path(tmp), Path(args.out))]))
            window.close()
        elif args.mode == "relax_rank":
            Path(args.out).mkdir(parents=True, exist_ok=True)
            print(
                json.dumps(
                    [relax_rank_shot(args.checkpoint, Path(tmp), Path(args.out), args.formula)]
                )
            )
        elif args.mode == "layout":
            from tests.app.render_layout import layout_shots

            Path(args.out).mkdir(parents=True, exist_ok=True)
            print(json.dumps(layout_shots(make_window, wait_for, settle, grab_window,
                                          args.checkpoint, Path(tmp), Path(args.out),
                                          WINDOW_SIZE)))  # fmt: skip
        elif args.mode == "tc":
            from tests.app.render_tc import tc_shot

            Path(args.out).mkdir(parents=True, exist_ok=True)
            saved = tc_shot(make_window, wait_for, settle, grab_window, args.checkpoint,
                            Path(tmp), Path(args.out))  # fmt: skip
            print(json.dumps([saved]))
        else:
            print(json.dumps(screenshots(args.checkpoint, Path(tmp), Path(args.out))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
