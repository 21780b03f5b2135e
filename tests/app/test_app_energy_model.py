"""The separate energy-model selector: choices, inline errors, requests, labels, sessions."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from dao_app.qt_models.candidates import ENERGY_COLUMN
from dao_app.widgets.predict_form import PredictForm
from dao_engine import api

SHIPPED = api.SHIPPED_ENERGY_MODEL


@pytest.fixture
def form(qtbot, tiny_checkpoint):
    """A form whose generator is the tiny DAO-G (no energy head)."""
    widget = PredictForm()
    qtbot.addWidget(widget)
    with qtbot.waitSignal(widget.model_checked, timeout=30000):
        widget.set_checkpoint(tiny_checkpoint)
    widget.formula.setText("NaCl")
    yield widget
    assert widget.shutdown()


def _choose_energy(qtbot, form, path) -> list:
    with qtbot.waitSignal(form.energy_model_checked, timeout=60000) as blocker:
        form.set_energy_checkpoint(path)
    return blocker.args


def test_default_is_same_as_generator_and_lists_the_shipped_energy_model(form):
    combo = form.energy_model.combo
    assert combo.currentText() == "Same as generator" and form.energy_checkpoint is None
    assert combo.itemText(1) == f"Shipped energy model ({SHIPPED})"
    assert Path(combo.itemData(1)).name == SHIPPED
    note = form.energy_model.message.text()
    assert note.startswith("tiny.pt has no energy head, so no energies and no guidance")
    assert not form.has_energy and not form.guided.isEnabled()  # DAO-G: no energies at all
    assert form.request().energy_checkpoint is None


def test_a_dao_p_energy_model_enables_guidance_and_goes_into_the_request(qtbot, form, tiny_dao_p):
    assert _choose_energy(qtbot, form, tiny_dao_p) == [True]
    assert form.has_energy and form.guided.isEnabled()
    assert "tiny_dao_p.pt predicts the energies" in form.energy_model.message.text()
    form.guided.setChecked(True)
    form.guidance.setValue(2.0)
    request = form.request()
    assert request.energy_checkpoint == tiny_dao_p and request.guidance == 2.0
    assert form.energy_source == tiny_dao_p  # DAO-P relaxation uses it too
    form.energy_model.combo.setCurrentIndex(0)
    form.energy_model.combo.activated.emit(0)  # as when the user picks the entry
    assert form.energy_checkpoint is None and not form.guided.isEnabled()
    assert form.request().guidance == 0.0


def test_the_shipped_energy_model_reads_and_is_checked(qtbot, form):
    shipped = api.shipped_model_path(SHIPPED)
    assert _choose_energy(qtbot, form, shipped) == [True]
    assert form.energy_model.combo.currentIndex() == 1  # no duplicate entry
    assert form.has_energy and form.energy_model.info.max_atoms == 20


@pytest.mark.parametrize("bad", ["corrupt", "dao-g", "missing"])
def test_unusable_energy_models_are_explained_inline(qtbot, form, tmp_path, tiny_checkpoint, bad):
    path = {
        "corrupt": tmp_path / "broken.pt",
        "dao-g": Path(tiny_checkpoint),
        "missing": tmp_path / "gone.pt",
    }[bad]
    if bad == "corrupt":
        path.write_bytes(b"garbage: definitely not a checkpoint")
    assert _choose_energy(qtbot, form, path) == [False]
    message = form.energy_model.message.text()
    assert {"corrupt": "corrupt", "dao-g": "without an energy head", "missing": "gone.pt"}[
        bad
    ] in message
    assert "c62828" in form.energy_model.message.styleSheet()  # shown in red
    assert str(path.parent) not in message  # short inline: the file name, not the full path
    assert form.energy_model.message.toolTip() == form.energy_model.error  # full text
    assert not form.predict_button.isEnabled()
    assert form.problem.startswith("Energy model:")
    assert _choose_energy(qtbot, form, None) == [True]  # back to a usable choice
    assert form.predict_button.isEnabled() and not form.problem


def test_values_round_trip_and_a_missing_session_model_falls_back(qtbot, form, tiny_dao_p):
    _choose_energy(qtbot, form, tiny_dao_p)
    values = form.values()
    assert values["energy_checkpoint"] == tiny_dao_p
    fresh = PredictForm()
    qtbot.addWidget(fresh)
    with qtbot.waitSignal(fresh.energy_model_checked, timeout=60000):
        fresh.set_values(values)
    assert fresh.energy_checkpoint == tiny_dao_p
    fresh.set_values({**values, "energy_checkpoint": "/nowhere/else.pt"})
    assert fresh.energy_checkpoint is None
    assert "'/nowhere/else.pt' is missing" in fresh.energy_model.message.text()
    moved = {**values, "energy_checkpoint": f"/old/install/resources/models/{SHIPPED}"}
    with qtbot.waitSignal(fresh.energy_model_checked, timeout=60000):
        fresh.set_values(moved)  # the shipped model is found in this installation
    assert Path(fresh.energy_checkpoint).name == SHIPPED
    assert fresh.shutdown()


def test_energies_name_the_energy_model_in_table_and_session(
    qtbot, window, fill_form, tiny_dao_p, tmp_path
):
    with qtbot.waitSignal(window.form.energy_model_checked, timeout=60000):
        window.form.set_energy_checkpoint(tiny_dao_p)
    fill_form(window, formula="NaCl", shots=2, steps=4, keep_every=2)
    with qtbot.waitSignal(window.candidates_added, timeout=60000):
        qtbot.keyClick(window.form.formula, Qt.Key.Key_Return)
    records = list(window.session.candidates)
    assert all(r.energy_per_atom is not None for r in records)
    assert all("predicted by tiny_dao_p.pt" in r.energy_label for r in records)
    assert all(r.model == "tiny.pt" for r in records)  # the generator is still the DAO-G
    cell_tip = window.model.index(0, ENERGY_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
    header_tip = window.model.headerData(
        ENERGY_COLUMN, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
    )
    assert "tiny_dao_p.pt" in cell_tip and "tiny_dao_p.pt" in header_tip
    job_tip = window.job_panel.table.model().index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "energies: tiny_dao_p.pt" in job_tip

    path = tmp_path / "energy.daosession"
    assert window.session_files.save_session_to(path)
    window.form.set_energy_checkpoint(None)
    with qtbot.waitSignal(window.form.energy_model_checked, timeout=60000):
        assert window.session_files.open_session(path)
    assert window.form.energy_checkpoint == tiny_dao_p
    assert "predicted by tiny_dao_p.pt" in window.session.candidates[0].energy_label
