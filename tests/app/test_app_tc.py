"""The T_c column and tab: values equal ``api.predict_tc``'s, sorting, the panel, a missing or
corrupt model (column "—", one message, no crash), the setting, sessions, the reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from dao_app.qt_models.candidates import DASH, SORT_ROLE, TC_COLUMN
from dao_app.state.tc import tc_text
from dao_engine import api
from tests.app.tc_helpers import make_tiny_tc_ensemble
from tests.helpers.fixtures import cscl, nacl, si

TIP = Qt.ItemDataRole.ToolTipRole


@pytest.fixture(scope="module")
def tiny_tc(tmp_path_factory: pytest.TempPathFactory, tiny_dao_p: str) -> Path:
    return make_tiny_tc_ensemble(tmp_path_factory.mktemp("tc") / "tiny_tc.pt", tiny_dao_p)


@pytest.fixture
def tc_window(open_window, settings, tiny_tc, monkeypatch):
    """A window whose shipped T_c model is the tiny ensemble ($DAO_TC_MODEL)."""
    monkeypatch.setenv("DAO_TC_MODEL", str(tiny_tc))
    return open_window(settings)


def _import(qtbot, win, tmp_path: Path, crystals, signal=None) -> list[int]:
    paths = [
        api.write_structure(c, tmp_path / f"{i}_{c.formula()}.cif") for i, c in enumerate(crystals)
    ]
    with qtbot.waitSignal(signal or win.tc.updated, timeout=60000):
        uids = win.import_structures(paths)
    return uids


def _cell(win, uid: int, role=Qt.ItemDataRole.DisplayRole):
    return win.model.index(win.session.candidates.index_of(uid), TC_COLUMN).data(role)


def test_column_shows_the_ensemble_tc_of_each_candidate(qtbot, tc_window, tiny_tc, tmp_path):
    win = tc_window
    assert win.tc.status.enabled and win.actions_by_name["toggle_tc"].isChecked()
    uids = _import(qtbot, win, tmp_path, [nacl(), cscl(), si()])
    crystals = [win.session.candidates.by_uid(uid).crystal for uid in uids]  # as read from CIF
    expected = api.predict_tc(crystals, tiny_tc, "cpu")
    header = win.model.headerData(TC_COLUMN, Qt.Orientation.Horizontal)
    assert header == "T_c (K)"
    for uid, tc in zip(uids, expected, strict=True):
        assert win.session.candidates.by_uid(uid).tc.members == pytest.approx(tc.members)
        assert _cell(win, uid) == tc_text(tc.tc)
        assert _cell(win, uid, SORT_ROLE) == pytest.approx(tc.tc)
        tip = _cell(win, uid, TIP)
        assert tip.startswith(f"ensemble of 5 models: {tc_text(tc.tc_low)}–{tc_text(tc.tc_high)} K")
        assert "tiny_tc.pt on tiny_dao_p.pt features" in tip
        assert "not a guarantee of superconductivity" in tip
    assert not win.errors.history


def test_sorting_by_tc_is_numeric_with_missing_last(qtbot, tc_window, tmp_path):
    win = tc_window
    _import(qtbot, win, tmp_path, [nacl(5.3), cscl(), si(), nacl(5.9)])
    win.tc_tab.set_tc_enabled(False)
    [off_uid] = win.import_structures([api.write_structure(nacl(6.0), tmp_path / "late.cif")])
    assert _cell(win, off_uid) == DASH and "T_c prediction is off" in _cell(win, off_uid, TIP)
    win.table.sortByColumn(TC_COLUMN, Qt.SortOrder.AscendingOrder)
    proxy = win.proxy
    values = [proxy.index(row, TC_COLUMN).data(SORT_ROLE) for row in range(proxy.rowCount())]
    assert values[-1] is None and values[:-1] == sorted(values[:-1])
    win.table.sortByColumn(TC_COLUMN, Qt.SortOrder.DescendingOrder)
    values = [proxy.index(row, TC_COLUMN).data(SORT_ROLE) for row in range(proxy.rowCount())]
    assert values[1:] == sorted(values[1:], reverse=True)
    with qtbot.waitSignal(win.tc.updated, timeout=60000):
        win.tc_tab.set_tc_enabled(True)  # switching back on fills the row predicted while off
    assert _cell(win, off_uid) != DASH


def test_panel_shows_the_selection_members_and_the_model(qtbot, tc_window, tmp_path):
    win = tc_window
    uids = _import(qtbot, win, tmp_path, [nacl(), cscl(), si()])
    win.select_uids(uids[:2])
    win.tabs.setCurrentWidget(win.tc_panel)
    panel = win.tc_panel
    assert [name for name, _ in panel.rows] == [f"#{uids[0]} NaCl", f"#{uids[1]} CsCl"]
    record = win.session.candidates.by_uid(uids[0])
    summary = panel.summary.text()
    assert ", ".join(tc_text(v) for v in record.tc.members) in summary
    assert tc_text(record.tc.tc) in summary
    note = panel.note.text()
    assert "SuperCon3D" in note and "0.80" in note and "with augmentation" in note
    assert "tiny_dao_p.pt" in note and "5-fold" in note
    assert len(panel.plot.axes.collections) == 2 * 2 + 2  # members, T_c, spread per row
    win.select_uids([])
    assert panel.rows == [] and "Select one or more" in panel.summary.text()


def test_missing_model_shows_dash_with_the_reason_and_one_message(
    qtbot, open_window, settings, tmp_path
):
    settings.set("predict_tc", True)  # on, but $DAO_TC_MODEL points at nothing (conftest)
    win = open_window(settings)
    problems: list[str] = []
    win.tc.problem_found.connect(problems.append)
    [uid] = _import(qtbot, win, tmp_path, [nacl()], signal=win.tc.problem_found)
    _import(qtbot, win, tmp_path, [cscl()], signal=win.model.rowsInserted)
    assert len(problems) == 1 and "missing" in problems[0]
    assert _cell(win, uid) == DASH and "missing" in _cell(win, uid, TIP)
    assert win.tc.tasks.pending == 0 and not win.errors.history  # no dialog per candidate
    assert "T_c not predicted" in win.statusBar().currentMessage()


def test_corrupt_model_chosen_by_the_user_then_a_good_one(qtbot, tc_window, tiny_tc, tmp_path):
    win = tc_window
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"not a torch file")
    uids = _import(qtbot, win, tmp_path, [nacl()])
    with qtbot.waitSignal(win.tc.problem_found, timeout=60000):
        win.tc_tab.set_tc_model(corrupt)
    assert len(win.errors.history) == 1 and "not a readable T_c model" in win.errors.history[0].text
    [late] = win.import_structures([api.write_structure(si(), tmp_path / "si.cif")])
    assert _cell(win, late) == DASH and "not a readable T_c model" in _cell(win, late, TIP)
    assert _cell(win, uids[0]) != DASH  # the earlier value stays, naming its model
    with qtbot.waitSignal(win.tc.updated, timeout=60000):
        win.tc_tab.set_tc_model(tiny_tc)
    assert _cell(win, late) != DASH and len(win.errors.history) == 1
    assert win.settings.get("tc_model") == str(tiny_tc)


def test_session_keeps_tc_values_and_recomputes_with_the_model(
    qtbot, tc_window, open_window, tiny_tc, tmp_path, monkeypatch
):
    win = tc_window
    uids = _import(qtbot, win, tmp_path, [nacl(), cscl()])
    before = {uid: win.session.candidates.by_uid(uid).tc for uid in uids}
    path = tmp_path / "with_tc.daosession"
    assert win.session_files.save_session_to(path)
    saved = json.loads(path.read_text())["candidates"][0]["tc"]
    assert saved["label"] == "tiny_tc.pt on tiny_dao_p.pt features" and len(saved["members"]) == 5
    # Without the model: the saved values come back, named by their model.
    monkeypatch.setenv("DAO_TC_MODEL", str(tmp_path / "gone.pt"))
    from dao_app.settings import AppSettings

    other = open_window(AppSettings(tmp_path / "other.ini", tmp_path / "other"))
    assert not other.tc.status.enabled
    assert other.session_files.open_session(path)
    for uid, tc in before.items():
        assert other.session.candidates.by_uid(uid).tc == tc
        assert _cell(other, uid) == tc_text(tc.tc) and "tiny_tc.pt" in _cell(other, uid, TIP)
    # With the model (a fresh window that has not read it yet): the rows are recomputed.
    monkeypatch.setenv("DAO_TC_MODEL", str(tiny_tc))
    third = open_window(AppSettings(tmp_path / "third.ini", tmp_path / "third"))
    with qtbot.waitSignal(third.tc.updated, timeout=60000):
        assert third.session_files.open_session(path)
    for uid, tc in before.items():
        assert third.session.candidates.by_uid(uid).tc.members == pytest.approx(tc.members)
    assert third.tc.tasks.pending == 0 and not third.tc.status.pending


def test_reference_and_a_finished_prediction_get_their_tc(
    qtbot, tc_window, tiny_tc, nacl_cif, fill_form
):
    win = tc_window
    with qtbot.waitSignal(
        win.tc.reference_tc_changed,
        timeout=60000,
        check_params_cb=lambda: win.tc.reference_tc is not None,
    ):
        win.reference.open_reference(nacl_cif)
    [expected] = api.predict_tc([win.session.reference.crystal], tiny_tc, "cpu")
    assert win.tc.reference_tc.tc == pytest.approx(expected.tc)
    assert f"T<sub>c</sub> ≈ {expected.tc:.3g} K" in win.reference_label.text()
    assert win.tc_panel.rows[-1][0] == "Reference"
    fill_form(win, shots=2, steps=4)
    with qtbot.waitSignals([win.candidates_added, win.tc.updated], timeout=120000):
        win.jobs.predict()
    assert len(win.session.candidates) == 2
    assert all(r.tc is not None for r in win.session.candidates)
