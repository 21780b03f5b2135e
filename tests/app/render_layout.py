"""The ``layout`` mode of ``render_window.py``: the window at a given size through a typical
session, with the window's width recorded after each step (it must never grow by itself).

Steps: predict NaCl (8 shots, frames kept; a screenshot while it runs), load a reference with a
long file name, select a candidate, press Measure and click two atoms, then visit every tab.
Saves ``out/<name>.png`` per step and returns ``{"widths": {...}, "saved": [...]}``.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QTimer

LONG_REFERENCE = (
    "NaCl_rock_salt_Fm-3m_mp-22862_conventional_standard_from_the_Materials_Project.cif"
)


class _WidthWatch:
    """Records the largest window width every 100 ms (growth between steps is caught too)."""

    def __init__(self, window) -> None:  # noqa: ANN001 - MainWindow
        self.window = window
        self.largest = window.width()
        self.timer = QTimer(interval=100)
        self.timer.timeout.connect(self.sample)
        self.timer.start()

    def sample(self) -> int:
        self.largest = max(self.largest, self.window.width())
        return self.window.width()


def _predict(window, wait_for, settle, save) -> None:  # noqa: ANN001
    form = window.form
    form.formula.setText("NaCl")
    form.shots.setValue(8)
    form.steps.setValue(int(os.environ.get("DAO_SCREENSHOT_STEPS", "300")))
    form.keep_every.setValue(10)
    form.device.setCurrentText("cpu")
    window.jobs.submit(form.request())
    for _ in range(3):
        wait_for(window.runner.job_progress)
    settle(800)
    save("running")
    wait_for(window.runner.job_finished, 900000)
    settle(800)


def _relax_bar_shot(window, settle, out: Path) -> str:  # noqa: ANN001
    """The status bar with the relax progress bar showing a sample CHGNet step count (what
    ``RelaxController`` shows during a relaxation), to check its text is readable."""
    bar = window.relax_progress
    bar.setRange(0, 200)
    bar.setValue(37)
    bar.setFormat("CHGNet 1/1: step %v/%m")
    bar.setMaximumWidth(260)
    bar.show()
    settle(400)
    path = out / "relax_progress.png"
    window.statusBar().grab().save(str(path))
    bar.hide()
    return str(path)


def layout_shots(make_window, wait_for, settle, grab_window, checkpoint: str, workdir: Path,
                 out: Path, size: tuple[int, int]) -> dict:  # fmt: skip
    """See the module docstring."""
    from dao_engine import api
    from tests.app.render_window import _click_atom, _front_atoms
    from tests.helpers.fixtures import nacl

    window = make_window(workdir, checkpoint, size)
    watch = _WidthWatch(window)
    widths: dict[str, int] = {"start": window.width()}
    saved: list[str] = []

    def save(name: str) -> None:
        widths[name] = watch.sample()
        path = out / f"{name}.png"
        grab_window(window).save(str(path))
        saved.append(str(path))

    _predict(window, wait_for, settle, save)
    widths["predicted"] = watch.sample()
    saved.append(_relax_bar_shot(window, settle, out))
    window.reference.open_reference(api.write_structure(nacl(), workdir / LONG_REFERENCE))
    wait_for(window.matcher.matches_updated)
    uids = [r.uid for r in window.session.candidates]
    window.select_uids(uids[:1])
    settle(600)
    widths["reference"] = watch.sample()
    window.views.toggle_measure()
    settle(300)
    front = _front_atoms(window.view)
    for element in ("Na", "Cl"):
        _click_atom(window.view, front[element])
    settle(600)
    save("structure_measure")
    window.select_uids(uids[:5])
    for index in range(1, window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        if window.tabs.currentWidget() is window.polymorphs:
            window.views.compare_selected()
            wait_for(window.polymorphs.matrix_ready, 60000)
        if window.tabs.currentWidget() is window.xrd and window.xrd_patterns.busy:
            wait_for(window.xrd_patterns.ready, 120000)
        if window.tabs.currentWidget() is window.trajectory:
            window.select_uids(uids[:1])
            window.trajectory.set_playing(True)
            settle(300)
        settle(1500)
        save(window.tabs.tabText(index).lower())
        window.trajectory.set_playing(False)
        window.select_uids(uids[:5])
    window.tabs.setCurrentIndex(0)
    settle(400)
    widths["minimum_hint"] = window.minimumSizeHint().width()
    widths["largest"] = watch.largest
    watch.timer.stop()
    window.close()
    return {"size": list(size), "widths": widths, "saved": saved}
