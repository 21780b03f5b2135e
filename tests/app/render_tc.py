"""The ``tc`` mode of ``render_window.py``: a prediction with its T_c column and the T_c tab.

Uses the shipped T_c ensemble when it exists; otherwise a tiny stand-in (five heads trained for
a few epochs on made-up labels, on the shipped DAO-P's feature) so the layout can be looked at;
the screenshot is then labelled accordingly in the status bar.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def a15_nb3sn(a: float = 5.29):
    """A15 Nb3Sn (Pm-3n): Sn on 2a, Nb on 6c; the reference of the screenshot."""
    from dao_engine import api

    frac = [[0, 0, 0], [0.5, 0.5, 0.5]]
    frac += [[0.25, 0, 0.5], [0.75, 0, 0.5], [0.5, 0.25, 0], [0.5, 0.75, 0]]
    frac += [[0, 0.5, 0.25], [0, 0.5, 0.75]]
    return api.Crystal(np.eye(3) * a, np.array(frac, float), [50, 50] + [41] * 6, "Nb3Sn A15")


def tc_model_for_screenshot(workdir: Path) -> tuple[Path, bool]:
    """(ensemble path, is the shipped one); builds the tiny stand-in when it is missing."""
    from dao_engine import api
    from tests.app.tc_helpers import make_tiny_tc_ensemble

    shipped = api.default_tc_model_path()
    if shipped.is_file():
        return shipped, True
    feature_model = api.default_model_path()
    return make_tiny_tc_ensemble(workdir / "tiny-tc-standin.pt", feature_model), False


def tc_shot(make_window, wait_for, settle, grab_window, checkpoint: str, workdir: Path, out: Path):
    """Predict Nb3Sn (8 shots), load A15 Nb3Sn as reference, select five candidates, show the
    T_c tab; saves ``out/tc_panel.png`` and returns its path."""
    from dao_engine import api

    model, shipped = tc_model_for_screenshot(workdir)
    os.environ["DAO_TC_MODEL"] = str(model)
    window = make_window(workdir, checkpoint)
    form = window.form
    form.formula.setText("Nb3Sn")
    form.shots.setValue(8)
    form.steps.setValue(int(os.environ.get("DAO_SCREENSHOT_STEPS", "200")))
    form.keep_every.setValue(0)
    form.device.setCurrentText("cpu")
    window.jobs.submit(form.request())
    wait_for(window.tc.updated, 900000)
    reference = api.write_structure(a15_nb3sn(), workdir / "Nb3Sn_A15.cif")
    window.reference.open_reference(reference)
    wait_for(window.tc.reference_tc_changed)
    if window.tc.reference_tc is None:
        wait_for(window.tc.reference_tc_changed)
    window.select_uids([r.uid for r in window.session.candidates][:5])
    window.tabs.setCurrentWidget(window.tc_panel)
    if not shipped:
        window.statusBar().showMessage(
            "Screenshot with a tiny stand-in T_c ensemble (made-up labels): layout only"
        )
    settle(1200)
    path = out / "tc_panel.png"
    grab_window(window).save(str(path))
    window.close()
    return str(path)
