"""Predict ▸ Relax selected: relaxations run in the background and add new, undoable rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dao_app.qt_models.candidates import DASH
from dao_engine import api
from tests.helpers.fixtures import nacl

ENERGY_COLUMN = 4


@pytest.fixture
def strained(window, tmp_path: Path) -> int:
    """A strained NaCl imported as the only candidate, selected; returns its uid."""
    path = api.write_structure(nacl(6.1), tmp_path / "strained.cif")
    [uid] = window.import_structures([path])
    window.select_uids([uid])
    return uid


@pytest.fixture(scope="module")
def relax_dao_p(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The strained-NaCl DAO-P trained long enough (600 steps) that its energy has a minimum
    near a = 5.64 Å: a 50-step model relaxed NaCl into overlapping atoms or not, by chance."""
    from tests.helpers.models import train_tiny_dao_p

    path = tmp_path_factory.mktemp("relax") / "tiny_dao_p.pt"
    return str(train_tiny_dao_p(path, steps=600))


def _relax(qtbot, window, action: str) -> list[int]:
    with qtbot.waitSignal(window.candidates_added, timeout=120000) as added:
        window.actions_by_name[action].trigger()
    return added.args[0]


def test_relax_with_dao_p_adds_an_undoable_row(qtbot, window, strained, relax_dao_p):
    tiny_dao_p = relax_dao_p
    with qtbot.waitSignal(window.form.model_checked, timeout=30000):
        window.form.set_checkpoint(tiny_dao_p)
    original = window.session.candidates.by_uid(strained)
    [uid] = _relax(qtbot, window, "relax_selected_dao")
    assert window.model.rowCount() == 2 and not window.errors.history
    record = window.session.candidates.by_uid(uid)
    assert record.source == "strained.cif relaxed (DAO-P)"
    assert record.model == "tiny_dao_p.pt" and record.extra["relaxed_from"] == strained
    expected = api.relax_crystal(original.crystal, "dao", tiny_dao_p, steps=3, device="cpu")
    assert expected.problem is None
    np.testing.assert_allclose(record.crystal.lattice, expected.crystal.lattice, atol=1e-5)
    assert list(record.crystal.species) == list(original.crystal.species)
    assert not np.allclose(record.crystal.lattice, original.crystal.lattice)
    assert record.energy_per_atom == pytest.approx(expected.energies[-1], abs=1e-5)
    row = window.session.candidates.index_of(uid)
    assert window.model.index(row, ENERGY_COLUMN).data() == f"{record.energy_per_atom:.3f}"
    assert window.candidates.selected_records() == [record]
    assert not window.relax_progress.isVisible()

    window.undo_stack.undo()
    assert window.model.rowCount() == 1 and window.session.candidates.by_uid(uid) is None
    window.undo_stack.redo()
    assert window.model.rowCount() == 2 and window.session.candidates.by_uid(uid) is record


def test_chgnet_energy_goes_to_its_column_not_the_dao_p_one(qtbot, window, strained, monkeypatch):
    calls = []

    def fake(crystal, fmax=0.05, steps=300, relax_cell=True, should_stop=None):
        calls.append(steps)
        should_stop()
        return type("R", (), {"crystal": crystal, "energies": [-3.2, -3.5], "invalid": None})()

    monkeypatch.setattr(api, "relax_with_chgnet", fake)
    [uid] = _relax(qtbot, window, "relax_selected_chgnet")
    assert calls == [window.form.rank_group.chgnet_steps.value()]
    row = window.session.candidates.index_of(uid)
    assert window.model.index(row, ENERGY_COLUMN).data() == DASH
    assert window.model.index(row, 14).data() == "-3.5000"  # E CHGNet
    from PySide6.QtCore import Qt

    tip = window.model.index(row, ENERGY_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
    assert "CHGNet" in tip and "-3.5000" in tip
    assert "CHGNet" in window.statusBar().currentMessage()


def test_relax_failure_shows_the_error_dialog(qtbot, window, strained, monkeypatch):
    def boom(*args, **kwargs):
        raise api.DaoError("boom")

    monkeypatch.setattr(api, "relax_crystal", boom)
    with qtbot.waitSignal(window.errors.reported, timeout=30000) as report:
        window.actions_by_name["relax_selected_dao"].trigger()
    assert "boom" in report.args[1] and f"#{strained}" in report.args[1]
    assert window.model.rowCount() == 1 and window.undo_stack.count() == 0
    assert window.relax_tasks.pending == 0 and not window.relax_progress.isVisible()


def test_invalid_relaxation_is_reported_not_added(qtbot, window, strained, monkeypatch):
    def collapsed(crystal, *args, **kwargs):
        return api.Relaxed(crystal, [0.1], "toy", "cell collapsed")

    monkeypatch.setattr(api, "relax_crystal", collapsed)
    with qtbot.waitSignal(window.errors.reported, timeout=30000) as report:
        window.relax.relax_selected_dao()
    assert "cell collapsed" in report.args[1]
    assert window.model.rowCount() == 1


def test_relax_without_selection_only_says_so(window):
    window.table.clearSelection()
    assert window.relax.relax_records(window.candidates.selected_records(), "dao") == 0
    assert "Select" in window.statusBar().currentMessage()
