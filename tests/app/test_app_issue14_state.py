"""Issue 14, item 5 ("State") and item 7 (T_c honesty): cancel leaves nothing stale, Z per
composition, the Trajectory tab's message, single-candidate CHGNet relax with progress and
cancel, animation export confirmation, and the T_c assumption / extrapolation flag."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from dao_app.qt_models.candidates import CHGNET_COLUMN, TC_COLUMN
from dao_app.state.jobs import JobStatus
from dao_app.state.tc import ASSUMPTION
from dao_app.widgets.job_panel import end_text
from dao_app.widgets.predict_form import PredictForm
from dao_app.widgets.trajectory_panel import no_trajectory_reason
from dao_engine import api
from tests.helpers.fixtures import nacl


# --- 1. cancel ----------------------------------------------------------------------------
def test_cancel_clears_preview_and_progress_and_says_cancelled_once(qtbot, window, fill_form):
    fill_form(window, "NaCl", shots=1, steps=400, keep_every=1)
    window.table.clearSelection()
    with qtbot.waitSignal(window.runner.job_progress, timeout=60000):
        window.jobs.predict()
    qtbot.waitUntil(lambda: window.view.crystal is not None, timeout=30000)  # live preview
    job_id = window.session.jobs.running().job_id
    with qtbot.waitSignal(window.runner.job_cancelled, timeout=10000):
        window.jobs.cancel_job()
    assert window.session.jobs.get(job_id).status is JobStatus.CANCELLED
    text = window.job_panel.eta.text()
    assert text.endswith(": cancelled") and "(cancelled)" not in text
    assert window.job_panel.progress.value() == 0 and window.job_panel.progress.maximum() == 1
    assert window.view.crystal is None  # the cancelled job's last frame is gone
    fill_form(window, "NaCl", shots=1, steps=3, keep_every=0)
    with qtbot.waitSignal(window.runner.job_started, timeout=10000):
        window.jobs.predict()
    assert window.job_panel.progress.value() <= 0  # not the cancelled job's steps
    with qtbot.waitSignal(window.runner.idle, timeout=60000):
        pass


def test_end_text_keeps_an_informative_note():
    from dao_app.state.jobs import JobRecord

    job = JobRecord(3, api.PredictRequest(formula="NaCl", shots=2, steps=5))
    job.status, job.message = JobStatus.CANCELLED, "cancelled"
    assert end_text(job) == "Job 3: NaCl, 2 shots: cancelled"
    job.message = "cancelled before start"
    assert end_text(job).endswith("cancelled (cancelled before start)")


# --- 2. Z per composition ---------------------------------------------------------------------
def test_each_composition_gets_its_default_z_unless_chosen_for_it(qtbot):
    form = PredictForm()
    qtbot.addWidget(form)
    qtbot.keyClicks(form.formula, "Nb3Sn")
    assert form.z_box.currentData() == api.default_z("Nb3Sn", 20) == 4
    form.z_box.setCurrentIndex(form.z_box.findData(2))
    form.z_box.activated.emit(form.z_box.currentIndex())  # what a user's pick emits
    assert form.z_box.currentData() == 2
    form.formula.clear()
    qtbot.keyClicks(form.formula, "NaCl")
    assert form.z_box.currentData() == api.default_z("NaCl", 20) == 4  # not Nb3Sn's 2
    form.formula.clear()
    qtbot.keyClicks(form.formula, "Nb3Sn")
    assert form.z_box.currentData() == 2  # the Z picked for this very composition


# --- 3. Trajectory message ----------------------------------------------------------------------
def test_trajectory_tab_says_why_relaxed_and_imported_rows_have_none(window, tmp_path):
    path = api.write_structure(nacl(), tmp_path / "salt.cif")
    [uid] = window.import_structures([path])
    window.select_uids([uid])
    assert "imported (salt.cif)" in window.trajectory.plot.empty_text
    assert "predicts no energies" not in window.trajectory.plot.empty_text
    c = window.session.candidates
    relaxed = c.new_record(nacl(5.7), "salt.cif relaxed (CHGNet)", extra={"relaxed_from": uid})
    c.add([relaxed])
    window.select_uids([relaxed.uid])
    assert f"relaxed from #{uid}" in window.trajectory.plot.empty_text
    assert "relaxed" in no_trajectory_reason(relaxed)


# --- 4. single-candidate CHGNet relax: progress, ETA, cancel, energy in the table -------------
@pytest.fixture
def slow_chgnet(monkeypatch):
    """A stand-in for CHGNet's FIRE loop: 0.05 s per step, polling should_stop each step."""
    release = threading.Event()

    def fake(crystal, fmax=0.05, steps=300, relax_cell=True, should_stop=None):
        energies = []
        for i in range(steps):
            time.sleep(0.05)
            energies.append(-3.0 - 0.001 * i)
            if should_stop is not None and should_stop():
                break
            if release.is_set() and i >= 5:
                break
        crystal2 = crystal.with_label(f"{crystal.label} (CHGNet-relaxed)")
        return type("R", (), {"crystal": crystal2, "energies": energies, "invalid": None})()

    monkeypatch.setattr(api, "relax_with_chgnet", fake)
    return release


def _strained(window, tmp_path: Path) -> int:
    path = api.write_structure(nacl(6.1), tmp_path / "strained.cif")
    [uid] = window.import_structures([path])
    window.select_uids([uid])
    return uid


def test_chgnet_relax_shows_steps_eta_and_cancel_keeps_nothing(
    qtbot, window, tmp_path, slow_chgnet
):
    _strained(window, tmp_path)
    window.form.rank_group.chgnet_steps.setValue(1000)
    window.relax.relax_selected_chgnet()
    qtbot.waitUntil(lambda: window.relax_progress.value() >= 3, timeout=20000)
    assert window.relax_progress.maximum() == 1000 and window.relax_cancel.isVisible()
    message = window.statusBar().currentMessage()
    assert "step" in message and "left" in message and "CHGNet" in message
    window.jobs.cancel_job()  # Esc: no prediction runs, so the relaxation stops
    qtbot.waitUntil(lambda: not window.relax.relaxing, timeout=10000)
    assert window.model.rowCount() == 1 and window.undo_stack.count() == 0
    assert "cancelled" in window.statusBar().currentMessage()
    assert "nothing added" in window.statusBar().currentMessage()
    assert not window.relax_progress.isVisible() and not window.relax_cancel.isVisible()


def test_chgnet_relax_puts_its_energy_in_the_chgnet_column(qtbot, window, tmp_path, slow_chgnet):
    source = _strained(window, tmp_path)
    slow_chgnet.set()
    with qtbot.waitSignal(window.candidates_added, timeout=20000) as added:
        window.relax.relax_selected_chgnet()
    [uid] = added.args[0]
    record = window.session.candidates.by_uid(uid)
    row = window.session.candidates.index_of(uid)
    assert record.extra["relaxed_from"] == source
    assert window.model.index(row, CHGNET_COLUMN).data() == f"{record.extra['chgnet_energy']:.4f}"
    assert "CHGNet" in window.model.index(row, CHGNET_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
    assert not window.table.isColumnHidden(CHGNET_COLUMN)
    assert "FIRE steps" in window.statusBar().currentMessage()
    from dao_app.state.session import session_from_dict, session_to_dict

    again = session_from_dict(session_to_dict(window.session))
    assert again.candidates.by_uid(uid).extra["chgnet_energy"] == record.extra["chgnet_energy"]


# --- 5. animation export confirmation ------------------------------------------------------------
def test_animation_export_says_where_it_wrote_or_why_not(window, monkeypatch, tmp_path):
    panel = window.trajectory
    frames = [np.zeros((8, 8, 3), np.uint8), np.full((8, 8, 3), 255, np.uint8)]
    monkeypatch.setattr(panel, "render_frames", lambda: frames)
    target = tmp_path / "anim.gif"
    assert panel.export_animation(target) == target and target.is_file()
    assert window.statusBar().currentMessage().startswith(f"Saved animation to {target}")
    assert panel.export_animation(tmp_path / "anim.avi") is None
    assert window.statusBar().currentMessage().startswith("Animation not saved to")
    assert window.errors.history  # and the error dialog's record


# --- 6. T_c honesty ------------------------------------------------------------------------------
def test_tc_header_and_tab_state_the_assumption(window):
    tip = window.model.headerData(TC_COLUMN, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "Assumes the material is a superconductor" in tip and "SuperCon3D" in tip
    assert window.tc_panel.assumption.text() == ASSUMPTION
    assert "trained on known superconductors" in ASSUMPTION


def _nb3sn() -> api.Crystal:
    frac = [
        [0, 0, 0],
        [0.5, 0.5, 0.5],
        [0.25, 0, 0.5],
        [0.75, 0, 0.5],
        [0.5, 0.25, 0],
        [0.5, 0.75, 0],
        [0, 0.5, 0.25],
        [0, 0.5, 0.75],
    ]
    return api.Crystal(np.eye(3) * 5.29, np.array(frac), np.array([50, 50] + [41] * 6), "Nb3Sn")


def test_shipped_tc_domain_flags_nacl_not_nb3sn():
    from dao_engine.prediction import MODELS_DIR

    path = MODELS_DIR / "dao-tc-ensemble-cpu.pt"
    if not path.is_file():
        pytest.skip("the shipped T_c ensemble is not installed")
    salt, a15 = api.tc_domain([nacl(), _nb3sn()], path, "cpu")
    assert salt.extrapolation and salt.percentile > 95
    assert not a15.extrapolation
    assert "extrapolation" in salt.text()


def test_nacl_tc_is_marked_as_extrapolation_in_the_column(
    qtbot, open_window, settings, monkeypatch, tmp_path
):
    from dao_engine.prediction import MODELS_DIR

    path = MODELS_DIR / "dao-tc-ensemble-cpu.pt"
    if not path.is_file():
        pytest.skip("the shipped T_c ensemble is not installed")
    monkeypatch.setenv("DAO_TC_MODEL", str(path))
    win = open_window(settings)
    win.tc_tab.set_tc_enabled(True)
    paths = [api.write_structure(c, tmp_path / f"{c.label}.cif") for c in (nacl(), _nb3sn())]
    with qtbot.waitSignal(win.tc.updated, timeout=120000):
        salt, a15 = win.import_structures(paths)
    rows = [win.session.candidates.index_of(u) for u in (salt, a15)]
    texts = [win.model.index(r, TC_COLUMN).data() for r in rows]
    assert texts[0].endswith("(extrapolation)") and "extrapolation" not in texts[1]
    tip = win.model.index(rows[0], TC_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("EXTRAPOLATION") and ASSUMPTION in tip
    win.select_uids([salt, a15])
    assert "extrapolation" in win.tc_panel.summary.text()
